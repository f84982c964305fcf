/* Configuration: every setting has a name, read from (highest first) a command-line flag, the environment
 * variable BOOKCHAT_<NAME>, the config file ("name = value" lines), then the default. One table lists them
 * all (BC_CONFIG_MAP), so the README and `bookchat help serve` can print it. */
#ifndef BC_CONFIG_H
#define BC_CONFIG_H
#include <stdbool.h>
#include <stddef.h>

/* XX(ENUM, "name", "default or NULL", "help") */
#define BC_CONFIG_MAP(XX)                                                                                    \
    XX(LISTEN, "listen", "127.0.0.1:8080", "address:port of the HTTP server")                                \
    XX(DATA, "data", "./data", "data directory (LMDB store, server secret)")                                 \
    XX(STORE, "store", NULL,                                                                                 \
       "store URL: lmdb:DIR or dynamodb://TABLE?region=R&endpoint=URL (default lmdb:DATA)")                  \
    XX(STORE_CACHE_MS, "store_cache_ms", "1000",                                                             \
       "how old (ms) a cached read of a DynamoDB store may be: tenant, keys, settings, catalogue (0: off)")  \
    XX(STS_URL, "sts_url", NULL,                                                                             \
       "AWS STS endpoint for a DynamoDB store URL's role_arn (default https://sts.REGION.amazonaws.com/)")   \
    XX(THREADS, "threads", "0", "HTTP worker threads (0: one per core)")                                     \
    XX(BODY_LIMIT, "body_limit", "65536", "maximum request body in bytes")                                   \
    XX(LOG_LEVEL, "log_level", "info", "debug | info | warn | error | off")                                  \
    XX(ACCESS_LOG, "access_log", "on", "one JSON line per request: on | off")                                \
    XX(DRAIN_TIMEOUT, "drain_timeout", "30", "seconds to finish in-flight requests on SIGTERM")              \
    XX(PLATFORM_TOKEN, "platform_token", NULL,                                                               \
       "bearer token of the platform API, at least 32 characters (unset: platform API off)")                 \
    XX(SECRET, "secret", NULL, "server secret for key hashing and JWT signing (default: DATA/secret)")       \
    XX(PUBLIC_URL, "public_url", NULL, "URL where browsers reach this server (default http://LISTEN)")       \
    XX(SMTP_URL, "smtp_url", NULL,                                                                           \
       "SMTP server for e-mail: smtp://host:port (STARTTLS when offered) or smtps://host:port; unset: "      \
       "e-mail off")                                                                                         \
    XX(SMTP_USER, "smtp_user", NULL, "SMTP AUTH user name")                                                  \
    XX(SMTP_PASSWORD, "smtp_password", NULL, "SMTP AUTH password")                                           \
    XX(SMTP_STARTTLS, "smtp_starttls", NULL,                                                                 \
       "smtp://: required (STARTTLS or no mail) or opportunistic; default required with smtp_user, else "    \
       "opportunistic")                                                                                      \
    XX(SMTP_CA_FILE, "smtp_ca_file", NULL,                                                                   \
       "PEM file of the CA certificates that sign the SMTP server's (default: the system's)")                \
    XX(MAIL_FROM, "mail_from", NULL, "sender address of e-mails (default bookchat@<host of public_url>)")    \
    XX(DISPATCHER, "dispatcher", "on",                                                                       \
       "send this store's notifications from this process: on | off (at least one process must)")            \
    XX(CALENDAR_POLLER, "calendar_poller", "on",                                                             \
       "poll the professionals' external calendars from this process: on | off")                             \
    XX(CALENDAR_POLL_INTERVAL, "calendar_poll_interval", "300",                                              \
       "seconds between two fetches of an external calendar (busy times in)")                                \
    XX(OUTBOX_RETRY_BASE, "outbox_retry_base", "30",                                                         \
       "seconds before the first retry of a failed delivery (doubling up to 4 h, for 24 h)")                 \
    XX(TEST_HOOKS, "test_hooks", "off", "enable test-only routes (never in production): on | off")           \
    XX(JWT_TTL, "jwt_ttl", "3600", "lifetime in seconds of the admin JWTs this server issues")               \
    XX(APIKEY_GRACE, "apikey_grace", "86400", "seconds a rotated API key keeps working")                     \
    XX(TENANT_RETENTION_DAYS, "tenant_retention_days", "30",                                                 \
       "days a deleted tenant can be restored before its data is purged")                                    \
    XX(OIDC_ISSUER, "oidc_issuer", NULL, "issuer (iss) of an external OpenID provider's JWTs")               \
    XX(OIDC_AUDIENCE, "oidc_audience", NULL, "audience (aud) the external JWTs must carry")                  \
    XX(OIDC_JWKS, "oidc_jwks", NULL, "JWKS of the external provider: a file path or an https URL")           \
    XX(OIDC_ALLOW_HTTP_LOOPBACK, "oidc_allow_http_loopback", "off",                                          \
       "tests only: also accept an http JWKS URL on a loopback address (127.0.0.0/8, [::1], localhost)")     \
    XX(WEBHOOK_ALLOW_PRIVATE, "webhook_allow_private", "off",                                                \
       "tests and private networks only: webhook and feed URLs may be http and reach private addresses")     \
    XX(OIDC_TENANT_CLAIM, "oidc_tenant_claim", "tenantId",                                                   \
       "claim holding the tenant id (Cognito: custom:tenantId)")                                             \
    XX(OIDC_ROLE_CLAIM, "oidc_role_claim", "role", "claim holding the role (Cognito: cognito:groups)")       \
    XX(ANTHROPIC_API_KEY, "anthropic_api_key", NULL, "Anthropic API key (also read from ANTHROPIC_API_KEY)") \
    XX(ANTHROPIC_URL, "anthropic_url", "https://api.anthropic.com",                                          \
       "base URL of the Anthropic Messages API")                                                             \
    XX(BEDROCK_REGION, "bedrock_region", NULL,                                                               \
       "AWS region of Bedrock (default: AWS_REGION, AWS_DEFAULT_REGION, us-east-1)")                         \
    XX(BEDROCK_URL, "bedrock_url", NULL,                                                                     \
       "base URL of the Bedrock runtime (default https://bedrock-runtime.REGION.amazonaws.com)")             \
    XX(OPENAI_API_KEY, "openai_api_key", NULL,                                                               \
       "key of the OpenAI-compatible server (also OPENAI_API_KEY; local servers need none)")                 \
    XX(OPENAI_URL, "openai_url", "https://api.openai.com",                                                   \
       "base URL of an OpenAI-compatible server (Ollama: http://127.0.0.1:11434)")                           \
    XX(LLM_TIMEOUT, "llm_timeout", "30", "seconds an LLM call may take, retries included")                   \
    XX(LLM_RETRIES, "llm_retries", "2", "retries of an LLM call after a 429, a 5xx or a network error")      \
    XX(LLM_BREAKER_FAILURES, "llm_breaker_failures", "5",                                                    \
       "consecutive LLM failures that open a provider's circuit")                                            \
    XX(LLM_BREAKER_COOLDOWN, "llm_breaker_cooldown", "30",                                                   \
       "seconds an open LLM circuit waits before a probe")                                                   \
    XX(LLM_MAX_CONNECTIONS, "llm_max_connections", "0",                                                      \
       "most open connections to LLM providers (0: no limit)")                                               \
    XX(AI_PROVIDER, "ai_provider", "anthropic",                                                              \
       "LLM provider of tenants whose AI settings name none: anthropic | bedrock | openai")                  \
    XX(AI_MODEL_NLP, "ai_model_nlp", NULL,                                                                   \
       "model of the nlp mode when a tenant names none (default: per provider)")                             \
    XX(AI_MODEL_AGENT, "ai_model_agent", NULL,                                                               \
       "model of the agent mode when a tenant names none (default: per provider)")                           \
    XX(AI_NLP_TIMEOUT, "ai_nlp_timeout", "8", "seconds an nlp reading may take before the turn goes to fsm") \
    XX(AI_TURN_TIMEOUT, "ai_turn_timeout", "45",                                                             \
       "seconds every LLM call of one agent turn may take together before the turn goes to fsm")             \
    XX(AI_CONVERSATION_TOKENS, "ai_conversation_tokens", "50000",                                            \
       "default per-conversation AI token cap (a tenant may set its own in settings/ai)")                    \
    XX(USAGE_FLUSH_INTERVAL, "usage_flush_interval", "5",                                                    \
       "seconds between writes of the usage counters (a crash loses at most this much)")                     \
    XX(CHALLENGE_MAXNUMBER, "challenge_maxnumber", "100000",                                                 \
       "largest secret number of the widget's proof-of-work challenge (its difficulty; 1000..10000000)")     \
    XX(CHALLENGE_AUTO_RATE, "challenge_auto_rate", "60",                                                     \
       "new conversations, holds and bookings per minute of one tenant that turn the challenge on (auto)")   \
    XX(CHALLENGE_AUTO_VISITORS, "challenge_auto_visitors", "3",                                              \
       "distinct client addresses among them needed to call it an attack (1..16)")                           \
    XX(METRICS_LISTEN, "metrics_listen", NULL,                                                               \
       "address:port of a listener serving only GET /metrics without credentials (unset: none)")             \
    XX(TRUSTED_PROXIES, "trusted_proxies", "",                                                               \
       "CIDR list of proxies whose X-Forwarded-For names the client (empty: the socket address)")            \
    XX(VISITOR_LIMITS, "visitor_limits", "on",                                                               \
       "the widget's limits per visitor and per conversation: on | off (only for test suites)")              \
    XX(VISITOR_SHARE, "visitor_share", "0.25",                                                               \
       "share of a widget key's rate and burst one visitor may use (at least 2/s and 10)")                   \
    XX(CONVERSATION_MESSAGE_RATE, "conversation_message_rate", "12",                                         \
       "messages one conversation may send per minute (a burst of as many)")                                 \
    XX(CONVERSATION_MESSAGES, "conversation_messages", "40", "messages one conversation may send in all")    \
    XX(VISITOR_MESSAGES_DAY, "visitor_messages_day", "60", "chat messages one visitor may send per day")     \
    XX(VISITOR_CONVERSATIONS_HOUR, "visitor_conversations_hour", "6",                                        \
       "conversations one visitor may start per hour")                                                       \
    XX(VISITOR_CONVERSATIONS_DAY, "visitor_conversations_day", "15",                                         \
       "conversations one visitor may start per day")                                                        \
    XX(VISITOR_HOLDS_DAY, "visitor_holds_day", "10", "times one visitor may hold per day")                   \
    XX(VISITOR_BOOKINGS_DAY, "visitor_bookings_day", "4", "widget bookings one visitor may make per day")    \
    XX(CONTACT_BOOKINGS_DAY, "contact_bookings_day", "2",                                                    \
       "widget bookings per day for one customer e-mail or phone")                                           \
    /* home regions (docs/scaling.md "Home regions"): unset region = every tenant is at home here */         \
    XX(REGION, "region", NULL,                                                                               \
       "this process's region, e.g. eu-west-1 (unset: single region, no forwarding)")                        \
    XX(REGION_URLS, "region_urls", "",                                                                       \
       "base URL of each region: eu-west-1=https://eu.example.com,us-east-1=https://us.example.com")         \
    XX(REGION_FORWARD, "region_forward", "on",                                                               \
       "proxy a write of a tenant homed in another region there: on | off (off: 421 with its location)")     \
    XX(REGION_FORWARD_TIMEOUT, "region_forward_timeout", "30",                                               \
       "seconds a write forwarded to its home region may take")                                              \
    XX(CA_FILE, "ca_file", NULL,                                                                             \
       "CA bundle (PEM) for outgoing TLS: DynamoDB, LLM providers, webhooks, OIDC keys (unset: libcurl's)")  \
    XX(LAMBDA_RESERVE_MS, "lambda_reserve_ms", "1000",                                                       \
       "bookchat lambda: ms before an invocation's deadline by which the answer is ready (model calls end)") \
    XX(WHATSAPP_GRAPH_URL, "whatsapp_graph_url", "https://graph.facebook.com",                               \
       "base URL of Meta's Graph API (WhatsApp Cloud API answers go to URL/VERSION/PHONE_ID/messages)")      \
    XX(TELEGRAM_API_URL, "telegram_api_url", "https://api.telegram.org",                                     \
       "base URL of the Telegram Bot API (URL/bot<token>/sendMessage)")                                      \
    XX(CHANNEL_RETRY_MS, "channel_retry_ms", "1000",                                                         \
       "milliseconds before the first retry of a WhatsApp/Telegram send after a 429 or 5xx (doubling, 6 "    \
       "tries)")                                                                                             \
    XX(VISITOR_WAITLIST_DAY, "visitor_waitlist_day", "5", "waitlist entries one visitor may add per day")

enum bc_config_key {
#define XX(e, name, def, help) BC_CFG_##e,
    BC_CONFIG_MAP(XX)
#undef XX
        BC_CFG__COUNT
};

/* Loads the file (NULL: BOOKCHAT_CONFIG, or none) and the environment. Returns 0, or BC_EINVALID / BC_EIO
 * with a one-line message in err. Flags set earlier with bc_config_set keep precedence. */
int bc_config_load(const char *file, char *err, size_t errsize);
/* Sets a value from a command-line flag (copied). */
void bc_config_set(enum bc_config_key key, const char *value);
/* The effective value (borrowed until the next set/load), or NULL when unset without default. */
const char *bc_config_get(enum bc_config_key key);
/* Integer value; def when unset or malformed. */
long bc_config_int(enum bc_config_key key, long def);
/* "on"/"true"/"yes"/"1" -> true. */
bool bc_config_bool(enum bc_config_key key);
const char *bc_config_name(enum bc_config_key key);
const char *bc_config_help(enum bc_config_key key);
const char *bc_config_default(enum bc_config_key key);
/* Forgets every value (for tests). */
void bc_config_reset(void);

#endif
