/* Unit tests of src/net/sender.c against tiny servers on 127.0.0.1 run by the test itself (plain sockets,
 * a thread per connection): statuses and what they mean for retries, redirects not followed, the public-
 * address rule at connect time, the time-out, cancellation by free, and SMTP with a fake mail server. */
#include "../testlib.h"

#include "net/sender.h"
#include "util/buf.h"
#include "util/clock.h"
#include "util/err.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>

/* ---------------------------------------------------------------------------------------------------- */
/* The test servers                                                                                     */

struct server {
    int fd, port;
    bool smtp;
    pthread_t thread;
    atomic_bool stop;
    atomic_int connections, ok_hits;
    pthread_mutex_t mu;
    char last_body[256], last_header[128], last_mail[64], last_rcpt[64], last_message[512];
};

struct conn {
    struct server *srv;
    int fd;
};

static void send_all(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n) {
        ssize_t w = send(fd, s, n, MSG_NOSIGNAL);
        if (w <= 0) return;
        s += w;
        n -= (size_t)w;
    }
}

/* Reads until the buffer holds needle (or the peer closes / 5 s pass); returns bytes held. */
static size_t read_until(int fd, char *buf, size_t cap, size_t have, const char *needle)
{
    while (have < cap - 1) {
        buf[have] = '\0';
        if (strstr(buf, needle)) break;
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 5000) <= 0) break;
        ssize_t r = recv(fd, buf + have, cap - 1 - have, 0);
        if (r <= 0) break;
        have += (size_t)r;
    }
    buf[have] = '\0';
    return have;
}

static void serve_http(struct conn *c)
{
    static char buf[1 << 16];
    char *req = calloc(1, sizeof buf);
    size_t n = read_until(c->fd, req, sizeof buf, 0, "\r\n\r\n");
    char *end = strstr(req, "\r\n\r\n");
    if (!end) goto out;
    const char *cl = strcasestr(req, "\r\ncontent-length:");
    size_t want = cl ? strtoul(cl + 17, NULL, 10) : 0, head = (size_t)(end + 4 - req);
    while (n < head + want && n < sizeof buf - 1) {
        ssize_t r = recv(c->fd, req + n, sizeof buf - 1 - n, 0);
        if (r <= 0) break;
        n += (size_t)r;
    }
    req[n] = '\0';
    pthread_mutex_lock(&c->srv->mu);
    snprintf(c->srv->last_body, sizeof c->srv->last_body, "%s", end + 4);
    const char *h = strcasestr(req, "\r\nx-test: ");
    c->srv->last_header[0] = '\0';
    if (h)
        snprintf(c->srv->last_header, sizeof c->srv->last_header, "%.*s", (int)strcspn(h + 10, "\r"), h + 10);
    pthread_mutex_unlock(&c->srv->mu);
    char path[64] = "";
    if (sscanf(req, "POST %63s", path) != 1) sscanf(req, "GET %63s", path);
    const char *answer = "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    if (strcmp(path, "/ok") == 0) {
        atomic_fetch_add(&c->srv->ok_hits, 1);
        answer = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok";
    } else if (strcmp(path, "/err") == 0) {
        answer = "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    } else if (strcmp(path, "/bad") == 0) {
        answer = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    } else if (strcmp(path, "/gone") == 0) {
        answer = "HTTP/1.1 410 Gone\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    } else if (strcmp(path, "/busy") == 0) {
        answer = "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    } else if (strcmp(path, "/redir") == 0) {
        answer = "HTTP/1.1 302 Found\r\nLocation: /ok\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
    } else if (strcmp(path, "/cal") == 0) { /* a calendar: 304 when the client holds its ETag */
        if (strcasestr(req, "\r\nif-none-match: \"v1\"\r\n"))
            answer =
                "HTTP/1.1 304 Not Modified\r\nETag: \"v1\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
        else
            answer = "HTTP/1.1 200 OK\r\nETag: \"v1\"\r\nLast-Modified: Sat, 05 Dec 2026 10:00:00 GMT\r\n"
                     "Content-Length: 15\r\nConnection: close\r\n\r\nBEGIN:VCALENDAR";
    } else if (strcmp(path, "/slow") == 0) {
        struct pollfd p = {c->fd, POLLIN, 0}; /* no answer: wait for the client to give up (at most 5 s) */
        poll(&p, 1, 5000);
        goto out;
    } else if (strcmp(path, "/big") == 0) { /* a 1 MiB answer: read up to the cap, then dropped */
        send_all(c->fd, "HTTP/1.1 200 OK\r\nContent-Length: 1048576\r\nConnection: close\r\n\r\n");
        char chunk[4096];
        memset(chunk, 'x', sizeof chunk);
        for (int i = 0; i < 256; i++)
            if (send(c->fd, chunk, sizeof chunk, MSG_NOSIGNAL) <= 0) break;
        goto out;
    }
    send_all(c->fd, answer);
out:
    free(req);
}

/* A mail server that speaks just enough SMTP: no STARTTLS offered, RCPT to "bad@…" refused with 550. */
static void serve_smtp(struct conn *c)
{
    char buf[4096];
    size_t have = 0;
    send_all(c->fd, "220 test ESMTP\r\n");
    for (;;) {
        have = read_until(c->fd, buf, sizeof buf, have, "\r\n");
        char *eol = strstr(buf, "\r\n");
        if (!eol) return;
        *eol = '\0';
        char line[512];
        snprintf(line, sizeof line, "%.500s", buf);
        size_t used = (size_t)(eol + 2 - buf);
        memmove(buf, buf + used, have - used);
        have -= used;
        if (strncasecmp(line, "EHLO", 4) == 0) {
            send_all(c->fd, "250-test\r\n250 8BITMIME\r\n");
        } else if (strncasecmp(line, "MAIL FROM:", 10) == 0) {
            pthread_mutex_lock(&c->srv->mu);
            snprintf(c->srv->last_mail, sizeof c->srv->last_mail, "%.60s", line + 10);
            pthread_mutex_unlock(&c->srv->mu);
            send_all(c->fd, "250 OK\r\n");
        } else if (strncasecmp(line, "RCPT TO:", 8) == 0) {
            pthread_mutex_lock(&c->srv->mu);
            snprintf(c->srv->last_rcpt, sizeof c->srv->last_rcpt, "%.60s", line + 8);
            pthread_mutex_unlock(&c->srv->mu);
            send_all(c->fd, strstr(line, "bad@") ? "550 5.1.1 No such user\r\n" : "250 OK\r\n");
        } else if (strncasecmp(line, "DATA", 4) == 0) {
            send_all(c->fd, "354 go ahead\r\n");
            have = read_until(c->fd, buf, sizeof buf, have, "\r\n.\r\n");
            char *dot = strstr(buf, "\r\n.\r\n");
            if (!dot) return;
            pthread_mutex_lock(&c->srv->mu);
            snprintf(c->srv->last_message, sizeof c->srv->last_message, "%.*s", (int)(dot - buf), buf);
            pthread_mutex_unlock(&c->srv->mu);
            used = (size_t)(dot + 5 - buf);
            memmove(buf, buf + used, have - used);
            have -= used;
            send_all(c->fd, "250 OK queued\r\n");
        } else if (strncasecmp(line, "QUIT", 4) == 0) {
            send_all(c->fd, "221 bye\r\n");
            return;
        } else {
            send_all(c->fd, "250 OK\r\n"); /* RSET, NOOP */
        }
    }
}

static void *conn_main(void *arg)
{
    struct conn *c = arg;
    if (c->srv->smtp)
        serve_smtp(c);
    else
        serve_http(c);
    close(c->fd);
    free(c);
    return NULL;
}

static void *accept_main(void *arg)
{
    struct server *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {s->fd, POLLIN, 0};
        if (poll(&p, 1, 50) <= 0) continue;
        int fd = accept(s->fd, NULL, NULL);
        if (fd < 0) continue;
        atomic_fetch_add(&s->connections, 1);
        struct conn *c = calloc(1, sizeof *c);
        c->srv = s;
        c->fd = fd;
        pthread_t t;
        pthread_create(&t, NULL, conn_main, c);
        pthread_detach(t);
    }
    return NULL;
}

static struct server *server_start(bool smtp)
{
    struct server *s = calloc(1, sizeof *s);
    s->smtp = smtp;
    pthread_mutex_init(&s->mu, NULL);
    s->fd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    assert_int_equal(bind(s->fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s->fd, 16), 0);
    socklen_t len = sizeof a;
    getsockname(s->fd, (struct sockaddr *)&a, &len);
    s->port = ntohs(a.sin_port);
    pthread_create(&s->thread, NULL, accept_main, s);
    return s;
}

static void server_stop(struct server *s)
{
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    close(s->fd);
    usleep(100 * 1000); /* connection threads see their peers gone */
    pthread_mutex_destroy(&s->mu);
    free(s);
}

/* ---------------------------------------------------------------------------------------------------- */
/* Waiting for results                                                                                  */

struct waiter {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int calls;
    struct bc_send_result res;
    char body[64], etag[64], last_modified[64]; /* a GET's borrowed strings, copied during the callback */
    size_t body_len;
};

static void on_done(void *ud, const struct bc_send_result *r)
{
    struct waiter *w = ud;
    pthread_mutex_lock(&w->mu);
    w->calls++;
    w->res = *r;
    snprintf(w->body, sizeof w->body, "%s", r->body ? r->body : "");
    snprintf(w->etag, sizeof w->etag, "%s", r->etag ? r->etag : "");
    snprintf(w->last_modified, sizeof w->last_modified, "%s", r->last_modified ? r->last_modified : "");
    w->body_len = r->body_len;
    w->res.body = w->res.etag = w->res.last_modified = NULL;
    pthread_cond_signal(&w->cv);
    pthread_mutex_unlock(&w->mu);
}

static void waiter_init(struct waiter *w)
{
    memset(w, 0, sizeof *w);
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->cv, NULL);
}

static void waiter_wait(struct waiter *w)
{
    pthread_mutex_lock(&w->mu);
    while (w->calls == 0) pthread_cond_wait(&w->cv, &w->mu);
    pthread_mutex_unlock(&w->mu);
}

/* Posts body to url and waits for the result. */
static struct bc_send_result post(struct bc_sender *s, const char *url, bool allow_private, long timeout_ms)
{
    static const char *const headers[] = {"Content-Type: application/json", "X-Test: hello"};
    const char *body = "{\"type\":\"booking.created\"}";
    struct bc_send_req r = {.kind = BC_SEND_HTTP_POST,
                            .url = url,
                            .headers = headers,
                            .nheaders = 2,
                            .body = body,
                            .body_len = strlen(body),
                            .allow_private = allow_private,
                            .timeout_ms = timeout_ms};
    struct waiter w;
    waiter_init(&w);
    assert_int_equal(bc_sender_submit(s, &r, on_done, &w), 0);
    waiter_wait(&w);
    assert_int_equal(w.calls, 1);
    return w.res;
}

struct fixture {
    struct server *srv;
    struct bc_sender *snd;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof *f);
    f->srv = server_start(false);
    char err[128];
    assert_int_equal(bc_sender_new(&f->snd, err, sizeof err), 0);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    bc_sender_free(f->snd);
    server_stop(f->srv);
    free(f);
    return 0;
}

static const char *url(struct fixture *f, const char *scheme, const char *host, const char *path)
{
    static char buf[128];
    snprintf(buf, sizeof buf, "%s://%s:%d%s", scheme, host, f->srv->port, path);
    return buf;
}

/* ---------------------------------------------------------------------------------------------------- */
/* HTTP                                                                                                 */

static void test_sender__http_statuses(void **state)
{
    struct fixture *f = *state;
    struct bc_send_result r = post(f->snd, url(f, "http", "127.0.0.1", "/ok"), true, 0);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.status, 200);
    assert_false(r.permanent);
    assert_string_equal(r.error, "");
    assert_string_equal(f->srv->last_body, "{\"type\":\"booking.created\"}");
    assert_string_equal(f->srv->last_header, "hello");

    r = post(f->snd, url(f, "http", "127.0.0.1", "/err"), true, 0);
    assert_true(r.rc < 0);
    assert_int_equal(r.status, 500);
    assert_false(r.permanent);
    assert_non_null(strstr(r.error, "500"));

    r = post(f->snd, url(f, "http", "127.0.0.1", "/bad"), true, 0);
    assert_true(r.rc < 0);
    assert_int_equal(r.status, 400);
    assert_true(r.permanent);

    r = post(f->snd, url(f, "http", "127.0.0.1", "/gone"), true, 0);
    assert_int_equal(r.status, 410);
    assert_true(r.permanent);

    r = post(f->snd, url(f, "http", "127.0.0.1", "/busy"), true, 0);
    assert_int_equal(r.status, 429);
    assert_true(r.rc < 0);
    assert_false(r.permanent);

    /* a large answer is read up to the cap and dropped: the status still decides */
    r = post(f->snd, url(f, "http", "127.0.0.1", "/big"), true, 0);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.status, 200);

    /* nobody listening: a network failure, worth a retry */
    r = post(f->snd, "http://127.0.0.1:1/ok", true, 2000);
    assert_true(r.rc < 0);
    assert_int_equal(r.status, 0);
    assert_false(r.permanent);
    assert_true(r.error[0] != '\0');
}

static void test_sender__redirect_not_followed(void **state)
{
    struct fixture *f = *state;
    int hits = atomic_load(&f->srv->ok_hits);
    struct bc_send_result r = post(f->snd, url(f, "http", "127.0.0.1", "/redir"), true, 0);
    assert_true(r.rc < 0);
    assert_int_equal(r.status, 302);
    assert_false(r.permanent);
    assert_non_null(strstr(r.error, "redirect not followed"));
    assert_int_equal(atomic_load(&f->srv->ok_hits), hits); /* /ok was never asked for */
}

static void test_sender__private_addresses(void **state)
{
    struct fixture *f = *state;
    int conns = atomic_load(&f->srv->connections);
    /* https to the loopback address: refused before the socket exists */
    struct bc_send_result r = post(f->snd, url(f, "https", "127.0.0.1", "/ok"), false, 0);
    assert_int_equal(r.rc, BC_EFORBIDDEN);
    assert_true(r.permanent);
    assert_int_equal(r.status, 0);
    assert_non_null(strstr(r.error, "address not allowed"));
    /* a name that resolves to loopback: the same, decided on the resolved address */
    r = post(f->snd, url(f, "https", "localhost", "/ok"), false, 0);
    assert_int_equal(r.rc, BC_EFORBIDDEN);
    assert_true(r.permanent);
    /* IPv4-mapped IPv6 loopback */
    char buf[128];
    snprintf(buf, sizeof buf, "https://[::ffff:127.0.0.1]:%d/ok", f->srv->port);
    r = post(f->snd, buf, false, 0);
    assert_true(r.rc < 0);
    assert_true(r.permanent);
    /* plain http is not even a protocol of strict sends */
    r = post(f->snd, url(f, "http", "127.0.0.1", "/ok"), false, 0);
    assert_true(r.rc < 0);
    assert_true(r.permanent);
    assert_int_equal(atomic_load(&f->srv->connections), conns); /* nothing reached the server */
    /* with allow_private the same target is delivered */
    r = post(f->snd, url(f, "http", "127.0.0.1", "/ok"), true, 0);
    assert_int_equal(r.rc, 0);
    assert_int_equal(r.status, 200);
    r = post(f->snd, url(f, "http", "localhost", "/ok"), true, 0);
    assert_int_equal(r.rc, 0);
}

static void test_sender__timeout(void **state)
{
    struct fixture *f = *state;
    int64_t t0 = bc_mono_ns();
    struct bc_send_result r = post(f->snd, url(f, "http", "127.0.0.1", "/slow"), true, 300);
    int64_t ms = (bc_mono_ns() - t0) / 1000000;
    assert_int_equal(r.rc, BC_ETIMEOUT);
    assert_false(r.permanent);
    assert_non_null(strstr(r.error, "timeout"));
    assert_true(ms >= 250 && ms < 3000);
}

/* ---------------------------------------------------------------------------------------------------- */
/* GET (calendar feeds)                                                                                 */

static struct waiter get(struct bc_sender *s, const char *url, const char *etag, size_t max_body)
{
    struct bc_send_req r = {.kind = BC_SEND_HTTP_GET,
                            .url = url,
                            .allow_private = true,
                            .if_none_match = etag,
                            .max_body = max_body};
    struct waiter w;
    waiter_init(&w);
    assert_int_equal(bc_sender_submit(s, &r, on_done, &w), 0);
    waiter_wait(&w);
    assert_int_equal(w.calls, 1);
    return w;
}

static void test_sender__get_body_and_validators(void **state)
{
    struct fixture *f = *state;
    struct waiter w = get(f->snd, url(f, "http", "127.0.0.1", "/cal"), NULL, 0);
    assert_int_equal(w.res.rc, 0);
    assert_int_equal(w.res.status, 200);
    assert_string_equal(w.body, "BEGIN:VCALENDAR");
    assert_int_equal(w.body_len, 15);
    assert_string_equal(w.etag, "\"v1\"");
    assert_string_equal(w.last_modified, "Sat, 05 Dec 2026 10:00:00 GMT");
}

static void test_sender__get_not_modified(void **state)
{
    struct fixture *f = *state;
    struct waiter w = get(f->snd, url(f, "http", "127.0.0.1", "/cal"), "\"v1\"", 0);
    assert_int_equal(w.res.rc, 0);
    assert_int_equal(w.res.status, 304);
    assert_int_equal(w.body_len, 0);
    assert_string_equal(w.body, "");
    /* an ETag with CR/LF in it is refused before anything is sent */
    struct bc_send_req r = {.kind = BC_SEND_HTTP_GET,
                            .url = url(f, "http", "127.0.0.1", "/cal"),
                            .allow_private = true,
                            .if_none_match = "\"v1\"\r\nX-Evil: 1"};
    assert_int_equal(bc_sender_submit(f->snd, &r, on_done, &w), BC_EINVALID);
}

static void test_sender__get_too_large(void **state)
{
    struct fixture *f = *state;
    /* /big announces 1 MiB: over a 64 KiB limit, refused before or while reading */
    struct waiter w = get(f->snd, url(f, "http", "127.0.0.1", "/big"), NULL, 64 << 10);
    assert_int_equal(w.res.rc, BC_ETOO_LARGE);
    assert_non_null(strstr(w.res.error, "too large"));
    assert_string_equal(w.body, "");
    /* within the default limit (2 MiB) it is read whole */
    w = get(f->snd, url(f, "http", "127.0.0.1", "/big"), NULL, 0);
    assert_int_equal(w.res.rc, 0);
    assert_int_equal(w.body_len, 1048576);
}

static void test_sender__get_redirect_and_private(void **state)
{
    struct fixture *f = *state;
    int hits = atomic_load(&f->srv->ok_hits);
    struct waiter w = get(f->snd, url(f, "http", "127.0.0.1", "/redir"), NULL, 0);
    assert_true(w.res.rc < 0);
    assert_int_equal(w.res.status, 302);
    assert_non_null(strstr(w.res.error, "redirect not followed"));
    assert_int_equal(atomic_load(&f->srv->ok_hits), hits);
    /* the address rule holds for GETs too */
    struct bc_send_req r = {.kind = BC_SEND_HTTP_GET, .url = url(f, "https", "127.0.0.1", "/cal")};
    waiter_init(&w);
    assert_int_equal(bc_sender_submit(f->snd, &r, on_done, &w), 0);
    waiter_wait(&w);
    assert_int_equal(w.res.rc, BC_EFORBIDDEN);
    /* and the time-out */
    struct bc_send_req slow = {.kind = BC_SEND_HTTP_GET,
                               .url = url(f, "http", "127.0.0.1", "/slow"),
                               .allow_private = true,
                               .timeout_ms = 300};
    waiter_init(&w);
    assert_int_equal(bc_sender_submit(f->snd, &slow, on_done, &w), 0);
    waiter_wait(&w);
    assert_int_equal(w.res.rc, BC_ETIMEOUT);
}

static void test_sender__refuses_bad_requests(void **state)
{
    struct fixture *f = *state;
    static const char *const evil[] = {"X-Test: a\r\nX-Injected: 1"};
    struct waiter w;
    waiter_init(&w);
    struct bc_send_req r = {.kind = BC_SEND_HTTP_POST,
                            .url = url(f, "http", "127.0.0.1", "/ok"),
                            .headers = evil,
                            .nheaders = 1,
                            .allow_private = true};
    assert_int_equal(bc_sender_submit(f->snd, &r, on_done, &w), BC_EINVALID);
    r.nheaders = 0;
    r.url = "http://127.0.0.1/\r\nHost: x";
    assert_int_equal(bc_sender_submit(f->snd, &r, on_done, &w), BC_EINVALID);
    r.url = NULL;
    assert_int_equal(bc_sender_submit(f->snd, &r, on_done, &w), BC_EINVALID);
    struct bc_send_req m = {.kind = BC_SEND_SMTP, .url = "smtp://127.0.0.1:25", .mail_from = "a@b.c"};
    assert_int_equal(bc_sender_submit(f->snd, &m, on_done, &w), BC_EINVALID); /* no recipient */
    m.rcpt = "x@y.z\r\nRCPT TO:<z@z.z>";
    assert_int_equal(bc_sender_submit(f->snd, &m, on_done, &w), BC_EINVALID);
    assert_int_equal(w.calls, 0);
    /* a bad URL is reported through done, as a permanent failure */
    r.url = "notascheme://x";
    assert_int_equal(bc_sender_submit(f->snd, &r, on_done, &w), 0);
    waiter_wait(&w);
    assert_true(w.res.rc < 0);
    assert_true(w.res.permanent);
}

static void test_sender__free_cancels_pending(void **state)
{
    struct fixture *f = *state;
    struct bc_sender *s;
    char err[128];
    assert_int_equal(bc_sender_new(&s, err, sizeof err), 0);
    enum { N = 4 };
    struct waiter w[N];
    for (int i = 0; i < N; i++) {
        waiter_init(&w[i]);
        struct bc_send_req r = {.kind = BC_SEND_HTTP_POST,
                                .url = url(f, "http", "127.0.0.1", "/slow"),
                                .allow_private = true,
                                .timeout_ms = 30000};
        assert_int_equal(bc_sender_submit(s, &r, on_done, &w[i]), 0);
    }
    usleep(200 * 1000); /* some in flight, waiting on the server */
    int64_t t0 = bc_mono_ns();
    bc_sender_free(s);
    assert_true((bc_mono_ns() - t0) / 1000000 < 2000);
    for (int i = 0; i < N; i++) {
        assert_int_equal(w[i].calls, 1);
        assert_true(w[i].res.rc < 0);
        assert_false(w[i].res.permanent);
        assert_non_null(strstr(w[i].res.error, "cancelled"));
    }
}

static void test_sender__metrics(void **state)
{
    struct fixture *f = *state;
    post(f->snd, url(f, "http", "127.0.0.1", "/ok"), true, 0);
    post(f->snd, url(f, "http", "127.0.0.1", "/bad"), true, 0);
    post(f->snd, url(f, "http", "127.0.0.1", "/err"), true, 0);
    struct bc_sender_stats st;
    bc_sender_stats(f->snd, &st);
    assert_int_equal(st.delivered[0], 1);
    assert_int_equal(st.rejected[0], 1);
    assert_int_equal(st.failed[0], 1);
    struct bc_buf b;
    bc_buf_init(&b);
    bc_sender_metrics(f->snd, &b);
    bc_buf_append(&b, "", 1);
    assert_non_null(strstr(b.data, "bookchat_sends_total{kind=\"webhook\",outcome=\"delivered\"} 1\n"));
    assert_non_null(strstr(b.data, "bookchat_sends_total{kind=\"email\",outcome=\"delivered\"} 0\n"));
    bc_buf_release(&b);
}

/* ---------------------------------------------------------------------------------------------------- */
/* SMTP                                                                                                 */

static void test_sender__smtp(void **state)
{
    (void)state;
    struct server *m = server_start(true);
    struct bc_sender *s;
    char err[128], u[64];
    assert_int_equal(bc_sender_new(&s, err, sizeof err), 0);
    snprintf(u, sizeof u, "smtp://127.0.0.1:%d", m->port);
    const char *msg =
        "From: Shop <shop@example.com>\r\nTo: ana@example.com\r\nSubject: Booked\r\n\r\nSee you.\r\n";
    /* the address rule does not apply to SMTP: the operator's server is often local */
    struct bc_send_req r = {.kind = BC_SEND_SMTP,
                            .url = u,
                            .body = msg,
                            .body_len = strlen(msg),
                            .mail_from = "shop@example.com",
                            .rcpt = "ana@example.com"};
    struct waiter w;
    waiter_init(&w);
    assert_int_equal(bc_sender_submit(s, &r, on_done, &w), 0);
    waiter_wait(&w);
    assert_int_equal(w.res.rc, 0);
    assert_int_equal(w.res.status, 250);
    assert_non_null(strstr(m->last_mail, "<shop@example.com>"));
    assert_non_null(strstr(m->last_rcpt, "<ana@example.com>"));
    assert_non_null(strstr(m->last_message, "Subject: Booked\r\n\r\nSee you."));
    /* a refused recipient is a 5xx: permanent */
    r.rcpt = "bad@example.com";
    waiter_init(&w);
    assert_int_equal(bc_sender_submit(s, &r, on_done, &w), 0);
    waiter_wait(&w);
    assert_true(w.res.rc < 0);
    assert_int_equal(w.res.status, 550);
    assert_true(w.res.permanent);
    assert_non_null(strstr(w.res.error, "550"));
    struct bc_sender_stats st;
    bc_sender_stats(s, &st);
    assert_int_equal(st.delivered[1], 1);
    assert_int_equal(st.rejected[1], 1);
    bc_sender_free(s);
    server_stop(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_sender__http_statuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sender__redirect_not_followed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sender__private_addresses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sender__timeout, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sender__get_body_and_validators, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sender__get_not_modified, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sender__get_too_large, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sender__get_redirect_and_private, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sender__refuses_bad_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sender__free_cancels_pending, setup, teardown),
        cmocka_unit_test_setup_teardown(test_sender__metrics, setup, teardown),
        cmocka_unit_test(test_sender__smtp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
