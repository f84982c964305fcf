/* Typed views of the items most read across files — a tenant's META, its settings view, a booking — so
 * that a field's name is written once here instead of as a string literal in every reader
 * (CONVENTIONS.md item 21). Every view borrows from the item: valid while the caller holds it; a missing
 * or mistyped field reads as NULL (strings) or 0. Writers that build these items use the same names. */
#ifndef BC_FIELDS_H
#define BC_FIELDS_H
#include <jansson.h>
#include <stdint.h>

/* field names shared by the items below */
#define BC_F_ID        "id"
#define BC_F_NAME      "name"
#define BC_F_STATUS    "status"
#define BC_F_PLAN      "plan"
#define BC_F_LOCALE    "locale"
#define BC_F_TIMEZONE  "timezone"
#define BC_F_PARENT_ID "parent_id"
#define BC_F_BUSINESS  "business"
#define BC_F_CODE      "code"
#define BC_F_START     "start"
#define BC_F_END       "end"
#define BC_F_SERVICE   "service_id"
#define BC_F_PROVIDER  "provider_id"
#define BC_F_CUSTOMER  "customer"

/* The string field k of o, or NULL. */
static inline const char *bc_field_str(const json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* A tenant's META item (tenant.c writes it). */
struct bc_tenant_meta {
    const char *id, *name, *status, *plan, *locale, *timezone, *parent_id;
};
static inline struct bc_tenant_meta bc_tenant_meta_of(const json_t *meta)
{
    return (struct bc_tenant_meta){bc_field_str(meta, BC_F_ID),       bc_field_str(meta, BC_F_NAME),
                                   bc_field_str(meta, BC_F_STATUS),   bc_field_str(meta, BC_F_PLAN),
                                   bc_field_str(meta, BC_F_LOCALE),   bc_field_str(meta, BC_F_TIMEZONE),
                                   bc_field_str(meta, BC_F_PARENT_ID)};
}

/* A settings view (settings.c: bc_settings_view_ro, bc_settings_get). */
/* The tenant's time zone from a settings view: the one field most readers need. */
static inline const char *bc_settings_zone(const json_t *settings)
{
    return bc_field_str(settings, BC_F_TIMEZONE);
}

/* A booking item or view (booking.c writes it). */
struct bc_booking_fields {
    const char *id, *code, *status, *start, *end, *service_id, *provider_id, *timezone;
    const json_t *customer;
};
static inline struct bc_booking_fields bc_booking_fields_of(const json_t *b)
{
    return (struct bc_booking_fields){
        bc_field_str(b, BC_F_ID),       bc_field_str(b, BC_F_CODE),     bc_field_str(b, BC_F_STATUS),
        bc_field_str(b, BC_F_START),    bc_field_str(b, BC_F_END),      bc_field_str(b, BC_F_SERVICE),
        bc_field_str(b, BC_F_PROVIDER), bc_field_str(b, BC_F_TIMEZONE), json_object_get(b, BC_F_CUSTOMER)};
}

#endif
