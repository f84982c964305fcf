/* THE route table: every HTTP route of bookchat, with the credential it needs and the minimum role. The
 * router enforces both before the handler runs. tests/unit/http/test_routes.c checks that every documented
 * row is in openapi.json. */
#include "http/api.h"
#include "http/router.h"

#define NONE     BC_AUTH_NONE
#define APIKEY   BC_AUTH_APIKEY
#define CONV     BC_AUTH_CONV
#define JWT      BC_AUTH_JWT
#define PLATFORM BC_AUTH_PLATFORM
#define ANY      BC_ROLE_NONE
#define VIEWER   BC_ROLE_VIEWER
#define ADMIN    BC_ROLE_ADMIN
#define OWNER    BC_ROLE_OWNER
#define UNDOC    BC_ROUTE_UNDOCUMENTED
#define TEST     (BC_ROUTE_TEST_ONLY | BC_ROUTE_UNDOCUMENTED)
#define NOAUDIT  BC_ROUTE_NO_AUDIT

/* clang-format off */
/* a folder of web pages: "/dir" redirects to "/dir/" (its index.html); "/dir/…" are its other files */
#define WEB_DIR(dir, name)                                                    \
    {BC_GET, dir,            NONE, ANY, bc_api_web, name ".redirect", UNDOC}, \
    {BC_GET, dir "/",        NONE, ANY, bc_api_web, name,             UNDOC}, \
    {BC_GET, dir "/{*rest}", NONE, ANY, bc_api_web, name ".files",    UNDOC}

const struct bc_route bc_routes[] = {
    /* operations */
    {BC_GET,  "/healthz",              NONE, ANY, bc_api_healthz,    "ops.healthz",   0},
    {BC_GET,  "/readyz",               NONE, ANY, bc_api_readyz,     "ops.readyz",    0},
    {BC_GET,  "/v1/openapi.json",      NONE, ANY, bc_api_openapi,    "ops.openapi",   0},
    {BC_GET,  "/metrics",              PLATFORM, ANY, bc_api_metrics, "ops.metrics",  0},

    /* staff sign-in */
    {BC_POST,   "/v1/auth/login",                  NONE,     ANY,    bc_api_login,                   "auth.login",            0},
    {BC_GET,    "/v1/admin/me",                    JWT,      VIEWER, bc_api_me,                      "admin.me",              0},
    {BC_POST,   "/v1/admin/me/password",           JWT,      VIEWER, bc_api_me_password,             "admin.me.password",     0},

    /* public widget API (X-Api-Key + allowed Origin) */
    {BC_OPTIONS,"/v1/widget/{*rest}",              NONE,     ANY,    bc_api_widget_preflight,        "widget.preflight",      UNDOC},
    {BC_GET,    "/v1/widget/config",               APIKEY,   ANY,    bc_api_widget_config,           "widget.config",         0},
    {BC_GET,    "/v1/widget/challenge",            APIKEY,   ANY,    bc_api_widget_challenge,        "widget.challenge",      0},
    {BC_GET,    "/v1/widget/services",             APIKEY,   ANY,    bc_api_widget_services,         "widget.services",       0},
    {BC_GET,    "/v1/widget/providers",            APIKEY,   ANY,    bc_api_widget_providers,        "widget.providers",      0},
    {BC_GET,    "/v1/widget/availability",         APIKEY,   ANY,    bc_api_availability,            "widget.availability",   0},
    {BC_POST,   "/v1/widget/holds",                APIKEY,   ANY,    bc_api_holds_create,            "widget.holds.create",   0},
    {BC_POST,   "/v1/widget/bookings",             APIKEY,   ANY,    bc_api_widget_bookings_create,  "widget.bookings.create",0},
    {BC_POST,   "/v1/widget/bookings/{code}/cancel", APIKEY, ANY,    bc_api_widget_bookings_cancel,  "widget.bookings.cancel",0},
    {BC_POST,   "/v1/widget/bookings/{code}/reschedule", APIKEY, ANY, bc_api_widget_bookings_reschedule, "widget.bookings.reschedule", 0},
    {BC_POST,   "/v1/widget/conversations",        APIKEY,   ANY,    bc_api_conversations_create,    "widget.conversations.create", 0},
    {BC_POST,   "/v1/widget/conversations/{id}/messages", CONV, ANY, bc_api_conversations_message,   "widget.conversations.message", 0},
    {BC_GET,    "/v1/widget/conversations/{id}",   CONV,     ANY,    bc_api_conversations_get,       "widget.conversations.get", 0},
    {BC_POST,   "/v1/widget/waitlist",             APIKEY,   ANY,    bc_api_widget_waitlist_join,    "widget.waitlist.join",  0},
    /* the offer's token is the credential (it names the tenant under a MAC), as the manage page's */
    {BC_POST,   "/v1/widget/waitlist/{id}/accept", NONE,     ANY,    bc_api_waitlist_accept,         "widget.waitlist.accept", 0},

    /* the customer's manage page (the manage token of the booking's e-mail is the credential) */
    {BC_GET,    "/v1/manage/booking",              NONE,     ANY,    bc_api_manage_booking,          "manage.booking",        0},
    {BC_GET,    "/v1/manage/booking.ics",          NONE,     ANY,    bc_api_manage_ics,              "manage.ics",            0},
    {BC_GET,    "/v1/manage/slots",                NONE,     ANY,    bc_api_manage_slots,            "manage.slots",          0},
    {BC_POST,   "/v1/manage/booking/cancel",       NONE,     ANY,    bc_api_manage_cancel,           "manage.cancel",         0},
    {BC_POST,   "/v1/manage/booking/reschedule",   NONE,     ANY,    bc_api_manage_reschedule,       "manage.reschedule",     0},

    /* calendar subscription feeds (the token in the path is the credential: logged as the pattern) */
    {BC_GET,    "/v1/feeds/{token}.ics",           NONE,     ANY,    bc_api_feed_get,                "feeds.get",             BC_ROUTE_SECRET_PATH},

    /* admin API (JWT): settings */
    {BC_GET,    "/v1/admin/settings",              JWT,      VIEWER, bc_api_settings_get,            "admin.settings.get",    0},
    {BC_PATCH,  "/v1/admin/settings",              JWT,      ADMIN,  bc_api_settings_patch,          "admin.settings.patch",  0},
    {BC_GET,    "/v1/admin/settings/ai",           JWT,      VIEWER, bc_api_settings_ai_get,         "admin.settings.ai.get", 0},
    {BC_PUT,    "/v1/admin/settings/ai",           JWT,      ADMIN,  bc_api_settings_ai_put,         "admin.settings.ai.put", 0},
    {BC_GET,    "/v1/admin/settings/notifications", JWT,     ADMIN,  bc_api_notify_get,              "admin.notifications.get", 0},
    {BC_PUT,    "/v1/admin/settings/notifications", JWT,     ADMIN,  bc_api_notify_put,              "admin.notifications.put", 0},
    {BC_POST,   "/v1/admin/settings/notifications/preview", JWT, ADMIN, bc_api_notify_preview,       "admin.notifications.preview", NOAUDIT},
    {BC_GET,    "/v1/admin/deliveries",            JWT,      ADMIN,  bc_api_deliveries_list,         "admin.deliveries.list", 0},
    {BC_POST,   "/v1/admin/deliveries/{id}/retry", JWT,      ADMIN,  bc_api_deliveries_retry,        "admin.deliveries.retry", 0},
    {BC_GET,    "/v1/admin/webhooks/{id}/deliveries", JWT,   ADMIN,  bc_api_webhook_deliveries,      "admin.webhooks.deliveries", 0},
    {BC_POST,   "/v1/admin/webhooks/{id}/test",    JWT,      ADMIN,  bc_api_webhook_test,            "admin.webhooks.test",   0},

    /* admin API: catalogue */
    {BC_GET,    "/v1/admin/services",              JWT,      VIEWER, bc_api_services_list,           "admin.services.list",   0},
    {BC_POST,   "/v1/admin/services",              JWT,      ADMIN,  bc_api_services_create,         "admin.services.create", 0},
    {BC_GET,    "/v1/admin/services/{id}",         JWT,      VIEWER, bc_api_services_get,            "admin.services.get",    0},
    {BC_PATCH,  "/v1/admin/services/{id}",         JWT,      ADMIN,  bc_api_services_patch,          "admin.services.patch",  0},
    {BC_DELETE, "/v1/admin/services/{id}",         JWT,      ADMIN,  bc_api_services_delete,         "admin.services.delete", 0},
    {BC_GET,    "/v1/admin/resources",             JWT,      VIEWER, bc_api_resources_list,          "admin.resources.list",  0},
    {BC_POST,   "/v1/admin/resources",             JWT,      ADMIN,  bc_api_resources_create,        "admin.resources.create",0},
    {BC_GET,    "/v1/admin/resources/{id}",        JWT,      VIEWER, bc_api_resources_get,           "admin.resources.get",   0},
    {BC_PATCH,  "/v1/admin/resources/{id}",        JWT,      ADMIN,  bc_api_resources_patch,         "admin.resources.patch", 0},
    {BC_DELETE, "/v1/admin/resources/{id}",        JWT,      ADMIN,  bc_api_resources_delete,        "admin.resources.delete",0},
    {BC_GET,    "/v1/admin/providers",             JWT,      VIEWER, bc_api_providers_list,          "admin.providers.list",  0},
    {BC_POST,   "/v1/admin/providers",             JWT,      ADMIN,  bc_api_providers_create,        "admin.providers.create",0},
    {BC_GET,    "/v1/admin/providers/{id}",        JWT,      VIEWER, bc_api_providers_get,           "admin.providers.get",   0},
    {BC_PATCH,  "/v1/admin/providers/{id}",        JWT,      ADMIN,  bc_api_providers_patch,         "admin.providers.patch", 0},
    {BC_DELETE, "/v1/admin/providers/{id}",        JWT,      ADMIN,  bc_api_providers_delete,        "admin.providers.delete",0},
    {BC_GET,    "/v1/admin/providers/{id}/feed",   JWT,      VIEWER, bc_api_provider_feed_get,       "admin.providers.feed.get", 0},
    {BC_POST,   "/v1/admin/providers/{id}/feed",   JWT,      ADMIN,  bc_api_provider_feed_renew,     "admin.providers.feed.renew", 0},
    {BC_GET,    "/v1/admin/feed",                  JWT,      VIEWER, bc_api_tenant_feed_get,         "admin.feed.get",        0},
    {BC_POST,   "/v1/admin/feed",                  JWT,      ADMIN,  bc_api_tenant_feed_renew,       "admin.feed.renew",      0},

    /* admin API: schedules and bookings */
    {BC_GET,    "/v1/admin/providers/{id}/availability", JWT, VIEWER, bc_api_hours_get,             "admin.hours.get",       0},
    {BC_PUT,    "/v1/admin/providers/{id}/availability", JWT, ADMIN,  bc_api_hours_put,             "admin.hours.put",       0},
    {BC_GET,    "/v1/admin/providers/{id}/calendars", JWT,  VIEWER, bc_api_provider_calendars,      "admin.calendars.status", 0},
    {BC_GET,    "/v1/admin/busy",                  JWT,      VIEWER, bc_api_busy_list,               "admin.busy.list",       0},
    {BC_GET,    "/v1/admin/exceptions",            JWT,      VIEWER, bc_api_exceptions_list,         "admin.exceptions.list", 0},
    {BC_POST,   "/v1/admin/exceptions",            JWT,      ADMIN,  bc_api_exceptions_create,       "admin.exceptions.create", 0},
    {BC_GET,    "/v1/admin/exceptions/{id}",       JWT,      VIEWER, bc_api_exceptions_get,          "admin.exceptions.get",  0},
    {BC_DELETE, "/v1/admin/exceptions/{id}",       JWT,      ADMIN,  bc_api_exceptions_delete,       "admin.exceptions.delete", 0},
    {BC_GET,    "/v1/admin/availability",          JWT,      VIEWER, bc_api_availability,            "admin.availability",    0},
    {BC_GET,    "/v1/admin/bookings",              JWT,      VIEWER, bc_api_admin_bookings_list,     "admin.bookings.list",   0},
    {BC_POST,   "/v1/admin/bookings",              JWT,      ADMIN,  bc_api_admin_bookings_create,   "admin.bookings.create", 0},
    {BC_GET,    "/v1/admin/bookings/{id}",         JWT,      VIEWER, bc_api_admin_bookings_get,      "admin.bookings.get",    0},
    {BC_PATCH,  "/v1/admin/bookings/{id}",         JWT,      ADMIN,  bc_api_admin_bookings_patch,    "admin.bookings.patch",  0},
    {BC_GET,    "/v1/admin/bookings/{id}/ics",     JWT,      VIEWER, bc_api_admin_bookings_ics,      "admin.bookings.ics",    0},
    {BC_GET,    "/v1/admin/waitlist",              JWT,      VIEWER, bc_api_admin_waitlist_list,     "admin.waitlist.list",   0},
    {BC_DELETE, "/v1/admin/waitlist/{id}",         JWT,      ADMIN,  bc_api_admin_waitlist_delete,   "admin.waitlist.delete", 0},

    /* admin API: conversations */
    {BC_GET,    "/v1/admin/conversations",         JWT,      VIEWER, bc_api_admin_conversations_list, "admin.conversations.list", 0},
    {BC_GET,    "/v1/admin/conversations/{id}",    JWT,      VIEWER, bc_api_admin_conversations_get, "admin.conversations.get", 0},
    {BC_PATCH,  "/v1/admin/conversations/{id}",    JWT,      ADMIN,  bc_api_admin_conversations_patch, "admin.conversations.patch", 0},
    {BC_POST,   "/v1/admin/nlu/parse",             JWT,      VIEWER, bc_api_admin_nlu_parse,         "admin.nlu.parse",       NOAUDIT},

    /* admin API: widget keys */
    {BC_GET,    "/v1/admin/api-keys",              JWT,      VIEWER, bc_api_apikeys_list,            "admin.apikeys.list",    0},
    {BC_POST,   "/v1/admin/api-keys",              JWT,      ADMIN,  bc_api_apikeys_create,          "admin.apikeys.create",  0},
    {BC_GET,    "/v1/admin/api-keys/{id}",         JWT,      VIEWER, bc_api_apikeys_get,             "admin.apikeys.get",     0},
    {BC_PATCH,  "/v1/admin/api-keys/{id}",         JWT,      ADMIN,  bc_api_apikeys_patch,           "admin.apikeys.patch",   0},
    {BC_POST,   "/v1/admin/api-keys/{id}/rotate",  JWT,      ADMIN,  bc_api_apikeys_rotate,          "admin.apikeys.rotate",  0},
    {BC_DELETE, "/v1/admin/api-keys/{id}",         JWT,      ADMIN,  bc_api_apikeys_revoke,          "admin.apikeys.revoke",  0},

    /* admin API: webhooks (owners and admins only: the URLs say where the tenant's data goes) */
    {BC_GET,    "/v1/admin/webhooks",              JWT,      ADMIN,  bc_api_webhooks_list,           "admin.webhooks.list",   0},
    {BC_POST,   "/v1/admin/webhooks",              JWT,      ADMIN,  bc_api_webhooks_create,         "admin.webhooks.create", 0},
    {BC_GET,    "/v1/admin/webhooks/{id}",         JWT,      ADMIN,  bc_api_webhooks_get,            "admin.webhooks.get",    0},
    {BC_PATCH,  "/v1/admin/webhooks/{id}",         JWT,      ADMIN,  bc_api_webhooks_patch,          "admin.webhooks.patch",  0},
    {BC_DELETE, "/v1/admin/webhooks/{id}",         JWT,      ADMIN,  bc_api_webhooks_delete,         "admin.webhooks.delete", 0},

    /* admin API: messaging channels (owners and admins: they hold the provider credentials) */
    {BC_GET,    "/v1/admin/channels",              JWT,      ADMIN,  bc_api_channels_list,           "admin.channels.list",   0},
    {BC_POST,   "/v1/admin/channels",              JWT,      ADMIN,  bc_api_channels_create,         "admin.channels.create", 0},
    {BC_GET,    "/v1/admin/channels/{id}",         JWT,      ADMIN,  bc_api_channels_get,            "admin.channels.get",    0},
    {BC_DELETE, "/v1/admin/channels/{id}",         JWT,      ADMIN,  bc_api_channels_delete,         "admin.channels.delete", 0},
    {BC_POST,   "/v1/admin/channels/{id}/telegram-webhook", JWT, ADMIN, bc_api_channels_tg_webhook,  "admin.channels.telegram_webhook", 0},
    {BC_POST,   "/v1/admin/conversations/{id}/reply", JWT,   ADMIN,  bc_api_admin_conversations_reply, "admin.conversations.reply", 0},

    /* the providers' webhooks: the channel id alone names the tenant (domain/channel.h); each handler
     * checks the provider's signature or secret token before reading the body */
    {BC_GET,    "/v1/channels/whatsapp/{channel_id}", NONE,  ANY,    bc_api_channel_whatsapp_verify, "channels.whatsapp.verify", 0},
    {BC_POST,   "/v1/channels/whatsapp/{channel_id}", NONE,  ANY,    bc_api_channel_whatsapp,        "channels.whatsapp.webhook", 0},
    {BC_POST,   "/v1/channels/telegram/{channel_id}", NONE,  ANY,    bc_api_channel_telegram,        "channels.telegram.webhook", 0},

    /* admin API: users and audit */
    {BC_GET,    "/v1/admin/users",                 JWT,      VIEWER, bc_api_users_list,              "admin.users.list",      0},
    {BC_POST,   "/v1/admin/users",                 JWT,      OWNER,  bc_api_users_create,            "admin.users.create",    0},
    {BC_GET,    "/v1/admin/users/{id}",            JWT,      VIEWER, bc_api_users_get,               "admin.users.get",       0},
    {BC_PATCH,  "/v1/admin/users/{id}",            JWT,      OWNER,  bc_api_users_patch,             "admin.users.patch",     0},
    {BC_DELETE, "/v1/admin/users/{id}",            JWT,      OWNER,  bc_api_users_delete,            "admin.users.delete",    0},
    {BC_GET,    "/v1/admin/audit",                 JWT,      OWNER,  bc_api_audit_list,              "admin.audit.list",      0},
    {BC_GET,    "/v1/admin/usage",                 JWT,      VIEWER, bc_api_admin_usage,             "admin.usage.get",       0},
    {BC_GET,    "/v1/admin/org/branches",          JWT,      ADMIN,  bc_api_admin_org_branches,      "admin.org.branches",    0},
    {BC_GET,    "/v1/admin/org/usage",             JWT,      ADMIN,  bc_api_admin_org_usage,         "admin.org.usage",       0},

    /* platform API (operator token) */
    {BC_POST,   "/v1/platform/tenants",            PLATFORM, ANY,    bc_api_platform_tenants_create, "platform.tenants.create", 0},
    {BC_GET,    "/v1/platform/tenants",            PLATFORM, ANY,    bc_api_platform_tenants_list,   "platform.tenants.list",   0},
    {BC_GET,    "/v1/platform/tenants/{id}",       PLATFORM, ANY,    bc_api_platform_tenants_get,    "platform.tenants.get",    0},
    {BC_PATCH,  "/v1/platform/tenants/{id}",       PLATFORM, ANY,    bc_api_platform_tenants_patch,  "platform.tenants.patch",  0},
    {BC_DELETE, "/v1/platform/tenants/{id}",       PLATFORM, ANY,    bc_api_platform_tenants_delete, "platform.tenants.delete", 0},
    {BC_POST,   "/v1/platform/tenants/{id}/restore", PLATFORM, ANY,  bc_api_platform_tenants_restore,"platform.tenants.restore",0},
    {BC_GET,    "/v1/platform/tenants/{id}/usage", PLATFORM, ANY,    bc_api_platform_tenant_usage,   "platform.tenants.usage",  0},
    {BC_GET,    "/v1/platform/health",             PLATFORM, ANY,    bc_api_platform_health,         "platform.health",         0},
    {BC_GET,    "/v1/platform/plans",              PLATFORM, ANY,    bc_api_platform_plans_list,     "platform.plans.list",     0},
    {BC_PUT,    "/v1/platform/plans/{name}",       PLATFORM, ANY,    bc_api_platform_plans_put,      "platform.plans.put",      0},

    /* web pages and assets, embedded at build time (api_web.c, docs/web.md) */
    {BC_GET,  "/",                     NONE, ANY, bc_api_web, "web.home",   UNDOC},
    {BC_GET,  "/widget.js",            NONE, ANY, bc_api_web, "web.widget", UNDOC},
    {BC_GET,  "/assets/{*rest}",       NONE, ANY, bc_api_web, "web.assets", UNDOC},
    WEB_DIR("/demo", "web.demo"),
    WEB_DIR("/admin", "web.admin"),
    WEB_DIR("/platform", "web.platform"),
    WEB_DIR("/manage", "web.manage"),

    /* test hooks (test_hooks=on only) */
    {BC_GET,  "/v1/test/sleep",        NONE, ANY, bc_api_test_sleep, "test.sleep",    TEST},
    {BC_GET,  "/v1/test/items",        NONE, ANY, bc_api_test_items, "test.items",    TEST},
    {BC_POST, "/v1/test/clock",        NONE, ANY, bc_api_test_clock, "test.clock",    TEST},
    {BC_POST, "/v1/test/fault",        NONE, ANY, bc_api_test_fault, "test.fault",    TEST},
    {BC_POST, "/v1/test/usage/flush", NONE, ANY, bc_api_test_usage_flush, "test.usage.flush", TEST},
    {BC_POST, "/v1/test/echo",         NONE, ANY, bc_api_test_echo,  "test.echo",     TEST},
};
/* clang-format on */

const size_t bc_nroutes = sizeof bc_routes / sizeof bc_routes[0];
