/* Every HTTP handler, grouped by the api_<resource>.c file that holds it; the route table (routes.c) is
 * the only caller. */
#ifndef BC_API_H
#define BC_API_H
#include "http/http.h"
#include "util/jsonv.h"

/* api_ops.c: health, readiness, OpenAPI, test hooks */
int bc_api_healthz(struct bc_req *req);
int bc_api_readyz(struct bc_req *req);
int bc_api_openapi(struct bc_req *req);
int bc_api_test_sleep(struct bc_req *req);
int bc_api_test_echo(struct bc_req *req);
int bc_api_test_items(struct bc_req *req);
int bc_api_test_clock(struct bc_req *req);
int bc_api_test_fault(struct bc_req *req);

/* api_web.c: the web pages and assets embedded at build time (docs/web.md) */
int bc_api_web(struct bc_req *req);
struct bc_asset;
/* Replies with an embedded asset: gzip when the client takes it, ETag and 304, cache and security headers. */
int bc_api_serve_asset(struct bc_req *req, const struct bc_asset *a);

/* api_ops.c: the URL browsers reach this server at (public_url, or http://<bound address>) */
struct bc_server;
const char *bc_api_public_url(const struct bc_server *srv);
void bc_api_set_public_url(struct bc_server *srv, const char *url);

/* api_auth.c: sign-in, me */
int bc_api_login(struct bc_req *req);
int bc_api_me(struct bc_req *req);
int bc_api_me_password(struct bc_req *req);
/* The effective limits of a tenant META item as JSON (null for unlimited). */
struct bc_env;
json_t *bc_api_limits_json(struct bc_env *env, const json_t *tenant);

/* api_settings.c: settings, widget config, CORS preflight */
int bc_api_settings_get(struct bc_req *req);
/* api_notify.c */
int bc_api_notify_get(struct bc_req *req);
int bc_api_notify_put(struct bc_req *req);
int bc_api_notify_preview(struct bc_req *req);
int bc_api_deliveries_list(struct bc_req *req);
int bc_api_deliveries_retry(struct bc_req *req);
int bc_api_webhook_deliveries(struct bc_req *req);
int bc_api_webhook_test(struct bc_req *req);
int bc_api_settings_patch(struct bc_req *req);
int bc_api_settings_ai_get(struct bc_req *req);
int bc_api_settings_ai_put(struct bc_req *req);
int bc_api_widget_config(struct bc_req *req);
int bc_api_widget_preflight(struct bc_req *req);

/* api_challenge.c: the widget's proof-of-work challenge; bc_api_challenge_check is the guard of new
 * conversations, holds and bookings (0: go on; else the error to return, message set) */
int bc_api_widget_challenge(struct bc_req *req);
int bc_api_challenge_check(struct bc_req *req);

/* api_apikeys.c */
int bc_api_apikeys_list(struct bc_req *req);
int bc_api_apikeys_create(struct bc_req *req);
int bc_api_apikeys_get(struct bc_req *req);
int bc_api_apikeys_patch(struct bc_req *req);
int bc_api_apikeys_rotate(struct bc_req *req);
int bc_api_apikeys_revoke(struct bc_req *req);

/* api_webhooks.c: webhook endpoints (owners and admins) */
int bc_api_webhooks_list(struct bc_req *req);
int bc_api_webhooks_create(struct bc_req *req);
int bc_api_webhooks_get(struct bc_req *req);
int bc_api_webhooks_patch(struct bc_req *req);
int bc_api_webhooks_delete(struct bc_req *req);

/* api_channels.c: WhatsApp and Telegram webhooks, channel configuration, staff replies on a channel */
int bc_api_channel_whatsapp_verify(struct bc_req *req);
int bc_api_channel_whatsapp(struct bc_req *req);
int bc_api_channel_telegram(struct bc_req *req);
int bc_api_channels_list(struct bc_req *req);
int bc_api_channels_create(struct bc_req *req);
int bc_api_channels_get(struct bc_req *req);
int bc_api_channels_delete(struct bc_req *req);
int bc_api_channels_tg_webhook(struct bc_req *req);
int bc_api_admin_conversations_reply(struct bc_req *req);

/* api_users.c: users and audit */
int bc_api_users_list(struct bc_req *req);
int bc_api_users_create(struct bc_req *req);
int bc_api_users_get(struct bc_req *req);
int bc_api_users_patch(struct bc_req *req);
int bc_api_users_delete(struct bc_req *req);
int bc_api_audit_list(struct bc_req *req);

/* api_catalog.c: services and professionals */
int bc_api_services_list(struct bc_req *req);
int bc_api_services_get(struct bc_req *req);
int bc_api_services_create(struct bc_req *req);
int bc_api_services_patch(struct bc_req *req);
int bc_api_services_delete(struct bc_req *req);
int bc_api_resources_list(struct bc_req *req);
int bc_api_resources_get(struct bc_req *req);
int bc_api_resources_create(struct bc_req *req);
int bc_api_resources_patch(struct bc_req *req);
int bc_api_resources_delete(struct bc_req *req);
int bc_api_providers_list(struct bc_req *req);
int bc_api_providers_get(struct bc_req *req);
/* GET /v1/admin/providers/{id}/calendars and GET /v1/admin/busy (busy times in: domain/extcal.h). */
int bc_api_provider_calendars(struct bc_req *req);
int bc_api_busy_list(struct bc_req *req);
int bc_api_providers_create(struct bc_req *req);
int bc_api_providers_patch(struct bc_req *req);
int bc_api_providers_delete(struct bc_req *req);
int bc_api_widget_services(struct bc_req *req);
int bc_api_widget_providers(struct bc_req *req);

/* api_booking.c: availability, holds, bookings, schedules */
int bc_api_availability(struct bc_req *req);
int bc_api_holds_create(struct bc_req *req);
/* A customer object of a booking or a waitlist entry: {"name", "email"?, "phone"?} (api_booking.c). */
extern const struct bc_jfield bc_api_customer_fields[];
/* api_waitlist.c: joining the waitlist (widget), accepting an offer (its token is the credential), the
 * staff's list per date and removal */
int bc_api_widget_waitlist_join(struct bc_req *req);
int bc_api_waitlist_accept(struct bc_req *req);
int bc_api_admin_waitlist_list(struct bc_req *req);
int bc_api_admin_waitlist_delete(struct bc_req *req);
int bc_api_widget_bookings_create(struct bc_req *req);
int bc_api_widget_bookings_cancel(struct bc_req *req);
int bc_api_widget_bookings_reschedule(struct bc_req *req);
int bc_api_manage_ics(struct bc_req *req);
/* The free slots answer of the availability endpoints, {"timezone","slots":[{"start","end","provider_id"}]},
 * for a service and professional (an id, "any" or NULL) over local dates [from, to] (validated by the
 * caller) in tz (NULL: the tenant's) of req->ctx's tenant; ignore: a booking id whose own time is not busy
 * (a reschedule's), or NULL. Replies, or returns the error to return. */
int bc_api_slots_reply(struct bc_req *req, const char *svc, const char *pro, const char *from, const char *to,
                       const char *tz, const char *ignore);
int bc_api_hours_get(struct bc_req *req);
int bc_api_hours_put(struct bc_req *req);
int bc_api_exceptions_list(struct bc_req *req);
int bc_api_exceptions_create(struct bc_req *req);
int bc_api_exceptions_get(struct bc_req *req);
int bc_api_exceptions_delete(struct bc_req *req);
int bc_api_admin_bookings_list(struct bc_req *req);
int bc_api_admin_bookings_create(struct bc_req *req);
int bc_api_admin_bookings_get(struct bc_req *req);
int bc_api_admin_bookings_patch(struct bc_req *req);
int bc_api_admin_bookings_ics(struct bc_req *req);

/* api_feeds.c: calendar subscription feeds (the token in the path is the credential) and their admin URLs */
int bc_api_feed_get(struct bc_req *req);
int bc_api_provider_feed_get(struct bc_req *req);
int bc_api_provider_feed_renew(struct bc_req *req);
int bc_api_tenant_feed_get(struct bc_req *req);
int bc_api_tenant_feed_renew(struct bc_req *req);

/* api_manage.c: the customer's manage page (/manage/), with the e-mailed manage token as the credential */
int bc_api_manage_booking(struct bc_req *req);
int bc_api_manage_slots(struct bc_req *req);
int bc_api_manage_cancel(struct bc_req *req);
int bc_api_manage_reschedule(struct bc_req *req);

/* api_chat.c: conversations, transcripts, the NLU try-out */
int bc_api_conversations_create(struct bc_req *req);
int bc_api_conversations_message(struct bc_req *req);
int bc_api_conversations_get(struct bc_req *req);
int bc_api_admin_conversations_list(struct bc_req *req);
int bc_api_admin_conversations_get(struct bc_req *req);
int bc_api_admin_conversations_patch(struct bc_req *req);
int bc_api_admin_nlu_parse(struct bc_req *req);

/* api_platform.c */
int bc_api_platform_tenants_create(struct bc_req *req);
int bc_api_platform_tenants_list(struct bc_req *req);
int bc_api_platform_tenants_get(struct bc_req *req);
int bc_api_platform_tenants_patch(struct bc_req *req);
int bc_api_platform_tenants_delete(struct bc_req *req);
int bc_api_platform_tenants_restore(struct bc_req *req);
int bc_api_platform_plans_list(struct bc_req *req);
int bc_api_platform_plans_put(struct bc_req *req);

/* api_usage.c: usage, health scores, Prometheus metrics */
int bc_api_admin_usage(struct bc_req *req);
int bc_api_platform_tenant_usage(struct bc_req *req);
int bc_api_platform_health(struct bc_req *req);
int bc_api_metrics(struct bc_req *req);
int bc_api_test_usage_flush(struct bc_req *req);

/* api_org.c: an organisation's branches and its month summed over them (docs/organisations.md) */
int bc_api_admin_org_branches(struct bc_req *req);
int bc_api_admin_org_usage(struct bc_req *req);

#endif
