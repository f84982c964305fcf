/* Tenant migration from one store to another (`bookchat tenant migrate ID --to URL`): LMDB to LMDB,
 * LMDB to DynamoDB, region to region, through the store interface only.
 *
 * DESIGN NOTES
 * - The source tenant is suspended first, so that nothing changes while it is copied, and stays
 *   suspended: the operator switches traffic to the destination, then deletes the source. (Abandoning a
 *   migration: `bookchat tenant restore ID` on the source.)
 * - Progress is a checkpoint item in the destination (PK "MIGRATION#<id>", SK "STATE"): the phase, the
 *   last SK copied, counts, the source's status before the migration. It is written every second and
 *   after each page of items, after a sync of the items it covers, so a migration killed at any point resumes
 * from it; items are copied with unconditional puts, so copying one twice is harmless.
 * - Phases: "items" (the partition in SK order, META excepted; each item written, read back and compared),
 *   "lookups" (e-mail look-ups; the plan when the destination lacks it), "keys" (the copied key records
 *   retired without their hashes, and new keys issued under the destination's secret), "finish" (META with
 *   the status the source had, the platform index, a count check, the checkpoint removed). API key
 *   look-ups and origin entries are never copied: no old key works at the destination.
 * - The destination tenant has no META until "finish", so it serves nothing before it is complete. The
 *   keys phase starts by revoking any key of the destination that is not a copied record: keys issued by a
 *   run that was killed were never shown to anyone. */
#ifndef BC_MIGRATION_H
#define BC_MIGRATION_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bc_env;

struct bc_migration_progress {
    const char *phase; /* "items", "lookups", "keys", "finish" */
    int64_t done;      /* partition items copied so far (resumed runs count the earlier ones) */
    int64_t total;     /* partition items of the source */
    int64_t saved;     /* items the last checkpoint written covers: a killed run resumes after them */
};

struct bc_migration {
    struct bc_env *from; /* the source (the configured store) */
    struct bc_env *to;   /* the destination; the server secret must be the destination's (new keys) */
    const char *tenant_id;
    bool force;   /* the destination already holds this tenant (not from a migration): replace it */
    int delay_ms; /* tests only: a pause after each item, so that a test can kill a migration half-way */
    void (*progress)(const struct bc_migration_progress *p, void *arg); /* optional, called per item */
    void *progress_arg;
};

/* Runs the migration, or resumes the one whose checkpoint the destination holds. Returns 0 with *result =
 * {"tenant_id","from","to","items","resumed","resumed_from" (items an earlier run had copied),
 * "source_status","api_keys":[{"id","name","secret","replaces"}]} (caller decrefs; secrets shown once), or a
 * negative bc_err with msg: BC_ENOT_FOUND (no such tenant in the source), BC_EINVALID (a deleted tenant; the
 * same store twice), BC_ECONFLICT (the destination holds the tenant, or another source's migration of it),
 * BC_EIO (an item read back differs, the final counts differ). */
int bc_migration_run(const struct bc_migration *m, json_t **result, char *msg, size_t msgsize);

#endif
