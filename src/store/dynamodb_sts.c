/* Credentials of a DynamoDB store whose URL names a role (role_arn=…, e.g. a table in another AWS account
 * for a tenant's dedicated environment): STS AssumeRole, a SigV4-signed form POST made with the process's
 * own credentials, answered in STS's XML (parsed with expat). The role's credentials are kept until
 * shortly before they expire, then obtained again.
 *
 * DESIGN NOTES
 * - Refresh: at Expiration minus a quarter of the credentials' lifetime, at most five minutes, so that a
 *   request signed just before the refresh is still valid when it arrives. One thread refreshes (under the
 *   role's mutex); the others wait for it rather than sign with credentials about to expire.
 * - A refresh that fails keeps the old credentials while they are still valid (logged), so a short STS
 *   outage is not a store outage; once expired, requests fail with BC_EIO until STS answers.
 * - Secrets are wiped from memory when replaced or released. */
#include "store/dynamodb_internal.h"
#include "util/awscreds.h"
#include "util/buf.h"
#include "util/config.h"
#include "util/err.h"
#include "util/log.h"
#include "util/sigv4.h"

#include <curl/curl.h>
#include <expat.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STS_DURATION_S 3600
#define STS_MAX_ANSWER (64u << 10)

struct bc__ddb_role {
    pthread_mutex_t mu;
    char arn[2048];
    char external_id[1300];
    char session_name[65];
    char url[1024]; /* the STS endpoint */
    char host[512]; /* its Host header (signed) */
    char path[512]; /* its path (signed) */
    struct bc__ddb_creds creds;
    time_t expires; /* 0: none yet */
    time_t refresh; /* when to obtain new ones */
};

/* ---- the answer ---- */

/* What expat collects: the text of the elements of <Credentials>, or of <Error>. */
struct answer {
    char field[32]; /* the element whose text is being read, "" outside one */
    struct bc_buf text;
    char access_key[128], secret_key[128], token[4096], expiration[40];
    char code[96], message[256];
    int depth_credentials; /* > 0 inside <Credentials> */
};

static const char *local_name(const char *name)
{
    const char *sep = strrchr(name, '|'); /* expat with namespaces: "URI|local" */
    return sep ? sep + 1 : name;
}

static void on_start(void *ud, const XML_Char *name, const XML_Char **attrs)
{
    struct answer *a = ud;
    (void)attrs;
    const char *n = local_name(name);
    if (strcmp(n, "Credentials") == 0) a->depth_credentials++;
    snprintf(a->field, sizeof a->field, "%s", strlen(n) < sizeof a->field ? n : "");
    bc_buf_reset(&a->text);
}

static void keep(char *dst, size_t cap, struct bc_buf *text)
{
    if (text->len < cap) snprintf(dst, cap, "%.*s", (int)text->len, text->data ? text->data : "");
}

static void on_end(void *ud, const XML_Char *name)
{
    struct answer *a = ud;
    const char *n = local_name(name);
    if (a->depth_credentials > 0) {
        if (strcmp(n, "AccessKeyId") == 0) keep(a->access_key, sizeof a->access_key, &a->text);
        if (strcmp(n, "SecretAccessKey") == 0) keep(a->secret_key, sizeof a->secret_key, &a->text);
        if (strcmp(n, "SessionToken") == 0) keep(a->token, sizeof a->token, &a->text);
        if (strcmp(n, "Expiration") == 0) keep(a->expiration, sizeof a->expiration, &a->text);
    }
    if (strcmp(n, "Code") == 0) keep(a->code, sizeof a->code, &a->text);
    if (strcmp(n, "Message") == 0) keep(a->message, sizeof a->message, &a->text);
    if (strcmp(n, "Credentials") == 0) a->depth_credentials--;
    a->field[0] = '\0';
    bc_buf_reset(&a->text);
}

static void on_text(void *ud, const XML_Char *s, int len)
{
    struct answer *a = ud;
    if (a->field[0] && a->text.len + (size_t)len < 8192) bc_buf_append(&a->text, s, (size_t)len);
}

/* Parses an STS answer into a. 0, or BC_EIO for XML that is not well formed. */
static int parse_answer(const char *xml, size_t len, struct answer *a)
{
    XML_Parser p = XML_ParserCreateNS(NULL, '|');
    if (!p) return BC_ENOMEM;
    XML_SetUserData(p, a);
    XML_SetElementHandler(p, on_start, on_end);
    XML_SetCharacterDataHandler(p, on_text);
    int ok = XML_Parse(p, xml, (int)len, 1) == XML_STATUS_OK;
    XML_ParserFree(p);
    return ok ? 0 : BC_EIO;
}

/* "2026-12-05T18:00:00Z" (fractional seconds allowed) -> epoch seconds, or 0. */
static time_t parse_time(const char *s)
{
    struct tm tm = {0};
    const char *end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!end) return 0;
    if (*end == '.')
        for (end++; *end >= '0' && *end <= '9'; end++) {
        }
    if (strcmp(end, "Z") != 0) return 0;
    return timegm(&tm);
}

/* ---- the request ---- */

static size_t on_body(char *ptr, size_t size, size_t n, void *ud)
{
    struct bc_buf *b = ud;
    size_t len = size * n;
    if (b->len + len > STS_MAX_ANSWER || bc_buf_append(b, ptr, len) < 0) return 0;
    return len;
}

/* "a=b&…" with each value form-encoded. */
static int form_add(struct bc_buf *b, CURL *c, const char *k, const char *v)
{
    char *e = curl_easy_escape(c, v, 0);
    if (!e) return BC_ENOMEM;
    int rc = bc_buf_printf(b, "%s%s=%s", b->len ? "&" : "", k, e);
    curl_free(e);
    return rc < 0 ? BC_ENOMEM : 0;
}

/* The process's own credentials: the environment's read at open, or the task role's from the container
 * credentials endpoint (util/awscreds.h). */
static int base_credentials(struct bc__ddb_store *st, struct bc__ddb_creds *out, char *err, size_t errsize)
{
    if (st->access_key) {
        snprintf(out->access_key, sizeof out->access_key, "%s", st->access_key);
        snprintf(out->secret_key, sizeof out->secret_key, "%s", st->secret_key);
        snprintf(out->token, sizeof out->token, "%s", st->token ? st->token : "");
        return 0;
    }
    struct bc_aws_creds c;
    int rc = bc_aws_creds_get(&c, err, errsize);
    if (rc == 0) {
        memcpy(out->access_key, c.access_key, sizeof out->access_key);
        memcpy(out->secret_key, c.secret_key, sizeof out->secret_key);
        memcpy(out->token, c.token, sizeof out->token);
    }
    OPENSSL_cleanse(&c, sizeof c);
    return rc;
}

/* One AssumeRole call, signed with the process's own credentials; new credentials into r (r->mu held). */
static int assume_role(struct bc__ddb_store *st, struct bc__ddb_role *r, char *err, size_t errsize)
{
    struct bc__ddb_creds base;
    int brc = base_credentials(st, &base, err, errsize);
    if (brc < 0) return brc;
    const char *token = base.token[0] ? base.token : NULL;
    struct bc_buf body = BC_BUF_INIT, out = BC_BUF_INIT;
    struct curl_slist *hl = NULL;
    struct answer a = {.text = BC_BUF_INIT};
    char amz_date[17], line[4600], *authz = NULL;
    int rc = BC_ENOMEM;
    CURL *c = curl_easy_init();
    if (!c) goto out;
    if (form_add(&body, c, "Action", "AssumeRole") < 0 || form_add(&body, c, "Version", "2011-06-15") < 0 ||
        form_add(&body, c, "RoleArn", r->arn) < 0 ||
        form_add(&body, c, "RoleSessionName", r->session_name) < 0 ||
        bc_buf_printf(&body, "&DurationSeconds=%d", STS_DURATION_S) < 0 ||
        (r->external_id[0] && form_add(&body, c, "ExternalId", r->external_id) < 0))
        goto out;
    bc_sigv4_amz_date(time(NULL), amz_date);
    const char *ctype = "application/x-www-form-urlencoded; charset=utf-8";
    struct bc_sigv4_header hs[4] = {{"host", r->host},
                                    {"content-type", ctype},
                                    {"x-amz-date", amz_date},
                                    {"x-amz-security-token", token}};
    struct bc_sigv4_request sr = {"POST", r->path, NULL, hs, token ? 4 : 3, body.data, body.len};
    struct bc_sigv4_credentials cr = {base.access_key, base.secret_key};
    struct bc_sigv4_scope sc = {amz_date, st->region, "sts"};
    if ((rc = bc_sigv4_authorization(&sr, &cr, &sc, &authz)) < 0) goto out;
    rc = BC_ENOMEM;
    char hdr[4][4200];
    int nh = 0;
    snprintf(hdr[nh++], sizeof hdr[0], "Host: %s", r->host);
    snprintf(hdr[nh++], sizeof hdr[0], "Content-Type: %s", ctype);
    snprintf(hdr[nh++], sizeof hdr[0], "X-Amz-Date: %s", amz_date);
    if (token) snprintf(hdr[nh++], sizeof hdr[0], "X-Amz-Security-Token: %s", token);
    for (int i = 0; i <= nh + 1; i++) {
        if (i == nh) snprintf(line, sizeof line, "Authorization: %s", authz);
        struct curl_slist *n = curl_slist_append(hl, i < nh ? hdr[i] : i == nh ? line : "Expect:");
        if (!n) goto out;
        hl = n;
    }
    curl_easy_setopt(c, CURLOPT_URL, r->url);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.data);
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)body.len);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, st->timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, st->connect_timeout_ms);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode cc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    rc = BC_EIO;
    if (cc != CURLE_OK) {
        snprintf(err, errsize, "STS AssumeRole: %s", curl_easy_strerror(cc));
        goto out;
    }
    if (parse_answer(out.data ? out.data : "", out.len, &a) < 0) {
        snprintf(err, errsize, "STS AssumeRole: HTTP %ld, an answer that is not XML", status);
        goto out;
    }
    time_t exp = parse_time(a.expiration), now = time(NULL);
    if (status != 200 || !a.access_key[0] || !a.secret_key[0] || !a.token[0] || exp <= now) {
        snprintf(err, errsize, "STS AssumeRole of %.200s: HTTP %ld %s%s%.200s", r->arn, status,
                 a.code[0] ? a.code : "no credentials", a.message[0] ? ": " : "", a.message);
        goto out;
    }
    OPENSSL_cleanse(&r->creds, sizeof r->creds);
    memcpy(r->creds.access_key, a.access_key, sizeof a.access_key);
    memcpy(r->creds.secret_key, a.secret_key, sizeof a.secret_key);
    memcpy(r->creds.token, a.token, sizeof a.token);
    time_t margin = (exp - now) / 4;
    r->expires = exp;
    r->refresh = exp - (margin > 300 ? 300 : margin);
    rc = 0;
out:
    OPENSSL_cleanse(&base, sizeof base);
    OPENSSL_cleanse(a.secret_key, sizeof a.secret_key);
    OPENSSL_cleanse(a.token, sizeof a.token);
    bc_buf_release(&a.text);
    bc_buf_release(&body);
    bc_buf_release(&out);
    curl_slist_free_all(hl);
    free(authz);
    if (c) curl_easy_cleanup(c);
    return rc;
}

/* ---- the store's side ---- */

static bool text_ok(const char *s, size_t max)
{
    size_t n = strlen(s);
    if (n == 0 || n > max) return false;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f) return false;
    return true;
}

int bc__ddb_role_init(struct bc__ddb_store *st, const char *role_arn, const char *external_id,
                      const char *session_name, char *err, size_t errsize)
{
    if (!text_ok(role_arn, 2047) || strncmp(role_arn, "arn:", 4) != 0 ||
        (external_id && !text_ok(external_id, 1224)) ||
        (session_name && (!text_ok(session_name, 64) ||
                          strspn(session_name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                               "0123456789+=,.@-_") != strlen(session_name)))) {
        snprintf(err, errsize, "dynamodb: role_arn must be arn:…, external_id and session_name plain text");
        return BC_EINVALID;
    }
    struct bc__ddb_role *r = calloc(1, sizeof *r);
    if (!r) return BC_ENOMEM;
    pthread_mutex_init(&r->mu, NULL);
    st->role = r;
    snprintf(r->arn, sizeof r->arn, "%s", role_arn);
    snprintf(r->external_id, sizeof r->external_id, "%s", external_id ? external_id : "");
    snprintf(r->session_name, sizeof r->session_name, "%s", session_name ? session_name : "bookchat");
    const char *url = bc_config_get(BC_CFG_STS_URL);
    if (url && *url)
        snprintf(r->url, sizeof r->url, "%s", url);
    else
        snprintf(r->url, sizeof r->url, "https://sts.%s.amazonaws.com/", st->region);
    const char *hs = strncmp(r->url, "https://", 8) == 0  ? r->url + 8
                     : strncmp(r->url, "http://", 7) == 0 ? r->url + 7
                                                          : NULL;
    size_t hl = hs ? strcspn(hs, "/") : 0;
    if (!hs || hl == 0 || hl >= sizeof r->host || memchr(hs, '@', hl) || strpbrk(r->url, "?# ")) {
        snprintf(err, errsize, "sts_url must be http(s)://HOST[:PORT][/PATH]");
        return BC_EINVALID;
    }
    memcpy(r->host, hs, hl);
    r->host[hl] = '\0';
    snprintf(r->path, sizeof r->path, "%s", hs[hl] ? hs + hl : "/");
    pthread_mutex_lock(&r->mu);
    int rc = assume_role(st, r, err, errsize);
    pthread_mutex_unlock(&r->mu);
    return rc;
}

void bc__ddb_role_free(struct bc__ddb_store *st)
{
    struct bc__ddb_role *r = st->role;
    if (!r) return;
    OPENSSL_cleanse(&r->creds, sizeof r->creds);
    pthread_mutex_destroy(&r->mu);
    free(r);
    st->role = NULL;
}

int bc__ddb_credentials(struct bc__ddb_store *st, struct bc__ddb_creds *out)
{
    struct bc__ddb_role *r = st->role;
    char err[512] = "";
    if (!r) {
        int rc = base_credentials(st, out, err, sizeof err);
        if (rc < 0) bc_log(BC_LOG_WARN, "dynamodb %s: %s", st->table, err);
        return rc;
    }
    int rc = 0;
    pthread_mutex_lock(&r->mu);
    time_t now = time(NULL);
    if (now >= r->refresh && (rc = assume_role(st, r, err, sizeof err)) < 0) {
        r->refresh = now + 5; /* not on every request while STS is down */
        bc_log(BC_LOG_WARN, "dynamodb %s: %s%s", st->table, err,
               now < r->expires ? " (the current credentials are used until they expire)" : "");
        if (now < r->expires) rc = 0;
    }
    if (rc == 0) *out = r->creds;
    pthread_mutex_unlock(&r->mu);
    return rc;
}
