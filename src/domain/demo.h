/* The demo tenant of `bookchat serve --demo` (and so of `make run`): the Spanish dental clinic of the demo
 * page (web/demo/), with its three services, two professionals and their weekly hours, ready to take
 * bookings from the server's own demo page. Created once with a fixed id; every start hands out a fresh
 * widget key and owner password. */
#ifndef BC_DEMO_H
#define BC_DEMO_H
#include <jansson.h>
#include <stddef.h>

struct bc_env;
struct bc_store;

#define BC_DEMO_TENANT_ID   "demo"
#define BC_DEMO_TENANT_NAME "Clínica Dental Sonrisa"
#define BC_DEMO_OWNER_EMAIL "demo@clinica-sonrisa.example"
/* the demo's organisation with two branches (docs/organisations.md): its widget asks which branch */
#define BC_DEMO_ORG_ID   "demo-org"
#define BC_DEMO_ORG_NAME "Clínicas Sonrisa"

/* Creates the demo tenant when it is missing (idempotent: an existing one keeps its data, bookings
 * included), then re-issues its widget key for the origin of public_url (the demo keys of earlier starts
 * are revoked) and gives the owner a new generated password. Returns 0 with *out =
 * {"tenant","created","api_key":{"id","secret","origins"},"owner":{"email","password"},"demo_url"
 * (the demo page with the key: /demo/?key=…),"admin_url","organisation":{"tenant_id","demo_url"} (the
 * demo organisation's page, its key fresh too)} (caller decrefs; secrets shown once), BC_ECONFLICT
 * (msg) when the demo tenant exists but is suspended or deleted, or another negative bc_err with msg. */
int bc_demo_ensure(struct bc_env *env, const char *public_url, json_t **out, char *msg, size_t msgsize);

#endif
