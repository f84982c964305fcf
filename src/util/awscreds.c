/* AWS credentials from the environment or the container credentials endpoint (awscreds.h). */
#include "util/awscreds.h"
#include "util/buf.h"
#include "util/err.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define ECS_AGENT        "http://169.254.170.2"
#define REFRESH_BEFORE_S 300
#define RETRY_AFTER_S    5
#define ANSWER_MAX       16384

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct bc_aws_creds cached; /* guarded by mu; valid while expires > now */
static time_t expires, refresh_at, next_try;

static const char *env(const char *name)
{
    const char *v = getenv(name);
    return v && *v ? v : NULL;
}

bool bc_aws_creds_configured(void)
{
    return (env("AWS_ACCESS_KEY_ID") && env("AWS_SECRET_ACCESS_KEY")) ||
           env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") || env("AWS_CONTAINER_CREDENTIALS_FULL_URI");
}

bool bc_aws_creds_url_allowed(const char *url)
{
    if (strncmp(url, "https://", 8) == 0) return url[8] != '\0';
    if (strncmp(url, "http://", 7) != 0) return false;
    const char *h = url + 7, *end;
    char host[64];
    if (*h == '[') { /* [v6]:port */
        end = strchr(h, ']');
        if (!end || (size_t)(end - h - 1) >= sizeof host) return false;
        memcpy(host, h + 1, (size_t)(end - h - 1));
        host[end - h - 1] = '\0';
    } else {
        size_t n = strcspn(h, ":/?#");
        if (n == 0 || n >= sizeof host) return false;
        memcpy(host, h, n);
        host[n] = '\0';
    }
    if (strchr(host, '@')) return false;
    unsigned char a[16];
    if (inet_pton(AF_INET, host, a) == 1)
        return a[0] == 127 || (a[0] == 169 && a[1] == 254 && a[2] == 170 && (a[3] == 2 || a[3] == 23));
    if (inet_pton(AF_INET6, host, a) == 1) {
        static const unsigned char loop[16] = {[15] = 1}, eks[16] = {0xfd, 0x00, 0x0e, 0xc2, [15] = 0x23};
        return memcmp(a, loop, 16) == 0 || memcmp(a, eks, 16) == 0;
    }
    return strcmp(host, "localhost") == 0;
}

static size_t on_body(char *ptr, size_t size, size_t n, void *ud)
{
    struct bc_buf *b = ud;
    if (b->len + size * n > ANSWER_MAX) return 0; /* not a credentials answer */
    return bc_buf_append(b, ptr, size * n) < 0 ? 0 : size * n;
}

/* The Authorization header's value (token file first), or "" for none; -1 when unusable. */
static int auth_token(char *out, size_t size, char *err, size_t errsize)
{
    out[0] = '\0';
    const char *file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"),
               *tok = env("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    if (file) {
        FILE *f = fopen(file, "r");
        size_t n = f ? fread(out, 1, size - 1, f) : 0;
        if (f) fclose(f);
        if (!f) {
            snprintf(err, errsize, "cannot read AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
            return -1;
        }
        out[n] = '\0';
        while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r')) out[--n] = '\0';
    } else if (tok) {
        snprintf(out, size, "%s", tok);
    }
    if (strpbrk(out, "\r\n")) { /* never a second header */
        snprintf(err, errsize, "the container authorization token has a line break");
        return -1;
    }
    return 0;
}

static bool copy_field(json_t *j, const char *name, char *dst, size_t size)
{
    const char *v = json_string_value(json_object_get(j, name));
    if (!v || !*v || strlen(v) >= size) return false;
    snprintf(dst, size, "%s", v);
    return true;
}

/* Fetches the task role's credentials into *c and their expiry into *exp. mu held. */
static int fetch(struct bc_aws_creds *c, time_t *exp, char *err, size_t errsize)
{
    char url[1024], token[4096], auth[4200];
    const char *full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
               *rel = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
    if (rel)
        snprintf(url, sizeof url, "%s%s", ECS_AGENT, rel[0] == '/' ? rel : "/");
    else
        snprintf(url, sizeof url, "%s", full ? full : "");
    if (rel && rel[0] != '/') {
        snprintf(err, errsize, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI must start with /");
        return BC_EINVALID;
    }
    if (!rel && !bc_aws_creds_url_allowed(url)) {
        snprintf(err, errsize,
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI must be https, or http on a loopback or container agent "
                 "address");
        return BC_EINVALID;
    }
    if (auth_token(token, sizeof token, err, errsize) < 0) return BC_EINVALID;
    CURL *h = curl_easy_init();
    if (!h) return BC_ENOMEM;
    struct bc_buf body = BC_BUF_INIT;
    struct curl_slist *hdrs = NULL;
    if (token[0]) {
        snprintf(auth, sizeof auth, "Authorization: %s", token);
        hdrs = curl_slist_append(hdrs, auth);
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 5000L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    CURLcode cc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    curl_slist_free_all(hdrs);
    OPENSSL_cleanse(auth, sizeof auth);
    OPENSSL_cleanse(token, sizeof token);
    int rc = 0;
    json_t *j = NULL;
    if (cc != CURLE_OK || status != 200) {
        snprintf(err, errsize, "container credentials endpoint: %s",
                 cc != CURLE_OK                   ? curl_easy_strerror(cc)
                 : status == 401 || status == 403 ? "refused"
                                                  : "error");
        rc = BC_EUNAVAILABLE;
    } else if (!(j = json_loadb(body.data, body.len, 0, NULL)) ||
               !copy_field(j, "AccessKeyId", c->access_key, sizeof c->access_key) ||
               !copy_field(j, "SecretAccessKey", c->secret_key, sizeof c->secret_key)) {
        snprintf(err, errsize, "container credentials endpoint: not a credentials answer");
        rc = BC_EINVALID;
    } else {
        if (!copy_field(j, "Token", c->token, sizeof c->token)) c->token[0] = '\0';
        struct tm tm = {0};
        const char *e = json_string_value(json_object_get(j, "Expiration")),
                   *end = e ? strptime(e, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
        /* no or unreadable expiry: fetched again within the refresh margin, as if it expired soon */
        *exp = end ? timegm(&tm) : time(NULL) + REFRESH_BEFORE_S + 60;
    }
    json_decref(j);
    if (body.data) OPENSSL_cleanse(body.data, body.len);
    bc_buf_release(&body);
    return rc;
}

int bc_aws_creds_get(struct bc_aws_creds *out, char *err, size_t errsize)
{
    const char *id = env("AWS_ACCESS_KEY_ID"), *secret = env("AWS_SECRET_ACCESS_KEY"),
               *tok = env("AWS_SESSION_TOKEN");
    if (id && secret) {
        if (strlen(id) >= sizeof out->access_key || strlen(secret) >= sizeof out->secret_key ||
            (tok && strlen(tok) >= sizeof out->token)) {
            snprintf(err, errsize, "AWS credentials in the environment are too long");
            return BC_EINVALID;
        }
        snprintf(out->access_key, sizeof out->access_key, "%s", id);
        snprintf(out->secret_key, sizeof out->secret_key, "%s", secret);
        snprintf(out->token, sizeof out->token, "%s", tok ? tok : "");
        return 0;
    }
    if (!env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI") && !env("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
        snprintf(
            err, errsize,
            "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or run with a task role");
        return BC_EINVALID;
    }
    int rc = 0;
    pthread_mutex_lock(&mu);
    time_t now = time(NULL);
    if (now >= refresh_at && now >= next_try) {
        struct bc_aws_creds fresh;
        time_t exp = 0;
        rc = fetch(&fresh, &exp, err, errsize);
        if (rc == 0) {
            cached = fresh;
            expires = exp;
            /* 5 minutes before they expire, or halfway through a shorter life */
            time_t life = exp > now ? exp - now : 0;
            refresh_at = exp - (life / 2 < REFRESH_BEFORE_S ? life / 2 : REFRESH_BEFORE_S);
        } else {
            next_try = now + RETRY_AFTER_S;
            if (now < expires) rc = 0; /* the current ones until they expire */
        }
        OPENSSL_cleanse(&fresh, sizeof fresh);
    } else if (now >= expires) {
        snprintf(err, errsize, "container credentials expired and the endpoint did not answer");
        rc = BC_EUNAVAILABLE;
    }
    if (rc == 0) *out = cached;
    pthread_mutex_unlock(&mu);
    return rc;
}

void bc_aws_creds_reset(void)
{
    pthread_mutex_lock(&mu);
    OPENSSL_cleanse(&cached, sizeof cached);
    expires = refresh_at = next_try = 0;
    pthread_mutex_unlock(&mu);
}
