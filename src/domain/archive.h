/* Tenant archives: the portable, versioned JSON Lines file that `bookchat tenant export` writes and
 * `bookchat tenant import` reads, the same for every store backend.
 *
 * Format version 1:
 *   line 1   the header: {"format":"bookchat-tenant","version":1,"tenant_id":ID,"exported_at":ISO,
 *            "source":BACKEND,"items":N,"counts":{KIND:n,…},"checksum":"sha256:<hex>"}
 *   N lines  one item each, compact JSON with sorted keys, in walk order (tenant_items.h): the partition in
 *            SK order, then the global look-ups, the platform index and the plan. Kinds as
 *            bc_tenant_item_kind names them ("BOOKING", "global:APIKEY", …).
 *   checksum SHA-256 over the bytes of the N item lines, each with its "\n".
 * Secrets stay as the store holds them: API keys as keyed hashes, passwords as Argon2id hashes. Nothing in
 * the store is in clear, so nothing in an archive is; it still holds customers' personal data.
 *
 * DESIGN NOTES
 * - Import reads the file three times: verify (header, JSON, ownership of every item, counts, checksum),
 *   check the destination (tenant exists? global look-ups owned by another tenant?), write. A file that
 *   fails either check writes nothing.
 * - Write order: the partition without META, e-mail look-ups and origin index, then META, the platform
 *   index, the plan (only when the destination lacks it), and the API key look-ups (or the re-issued keys)
 *   last: a key never works before its tenant is complete. An import cut short leaves no META, so the
 *   tenant does not exist for any request, and `import --force` replaces what was written. */
#ifndef BC_ARCHIVE_H
#define BC_ARCHIVE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct bc_env;
struct bc_store;

#define BC_ARCHIVE_FORMAT  "bookchat-tenant"
#define BC_ARCHIVE_VERSION 1

/* Writes the archive of tenant_id to out (the items are staged in a temporary file first, since the
 * header carries their counts and checksum). *header (optional): the header written (caller decrefs).
 * Returns 0, BC_ENOT_FOUND (no such tenant), or a negative bc_err (BC_EIO when out cannot be written). */
int bc_archive_write(struct bc_env *env, const char *tenant_id, FILE *out, json_t **header);

/* Verifies an archive from the start of in: header (format, version, fields), every line (a JSON object
 * with valid keys that belongs to the header's tenant), counts by kind, checksum. Returns 0 with *header
 * (caller decrefs), or BC_EINVALID with a one-line reason in msg ("line 7: …"). */
int bc_archive_verify(FILE *in, json_t **header, char *msg, size_t msgsize);

struct bc_archive_import {
    const char *as_id; /* import under this tenant id (NULL: the archive's); implies reissue_keys */
    bool reissue_keys; /* new API keys, shown once in the result; the old hashes are not imported */
    bool force;        /* replace a tenant of that id that exists in the store (purged first) */
};

/* Verifies the archive in `in` (seekable) and loads it into s. Returns 0 with *result = {"tenant_id",
 * "items", "counts", "api_keys":[{"id","name","secret","replaces"}]} (caller decrefs; secrets shown once),
 * BC_EINVALID (bad archive, msg), BC_ECONFLICT (the tenant exists and force is off, or a global look-up
 * belongs to another tenant; msg), or another negative bc_err. */
int bc_archive_import(struct bc_env *env, FILE *in, const struct bc_archive_import *opt, json_t **result,
                      char *msg, size_t msgsize);

#endif
