/* conntrack.c — the head deadline and the body's minimum arrival rate of every connection,
 * enforced by a reaper thread (see conntrack.h for why and for the locking rule). Owns the
 * entries between conntrack_open and conntrack_close; server.c is its only caller. */
#include "http/conntrack.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "base/isotime.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/metrics.h"

#define REAP_EVERY_MS 200
#define LINGER_US     (1000 * 1000) /* after a 408, the client gets this long to read it */

enum ct_state {
    CT_HEAD,   /* waiting for a request head, since `since` */
    CT_BODY,   /* reading a body; `bytes` arrived since `since` (the window's start) */
    CT_BUSY,   /* the handler runs or the response is being sent: no deadline here */
    CT_LINGER, /* a 408 was written and the write side shut: the rest at `since` */
    CT_CUT,    /* shut down; waiting for libmicrohttpd to close it */
};

struct conntrack_conn {
    int fd;
    enum ct_state state;
    int64_t since;   /* microseconds, monotonic: when the current state (or window) began */
    int64_t bytes;   /* body bytes in the current window */
    bool kept_alive; /* a request was answered on it: the next head may wait for idle too */
    char ip[64];
    char request_id[DA_REQUEST_ID_MAX + 1];
    struct conntrack_conn *prev, *next;
};

struct conntrack {
    struct conntrack_opts opts;
    pthread_mutex_t lock; /* guards the list, every entry, `stop` and `cuts` */
    pthread_cond_t wake;
    bool stop;
    uint64_t cuts;
    struct conntrack_conn *head;
    pthread_t reaper;
};

/* Writes a 408 answer straight to the socket. Only while the body is being read: then
 * libmicrohttpd is not writing to this socket, and once cut, the request is never answered
 * by it (conntrack_body_done returns false). Best effort: a full send buffer drops it. */
static void write_408(const struct conntrack *ct, const struct conntrack_conn *c)
{
    char body[320], msg[640];
    int blen = snprintf(body, sizeof(body),
                        "{\"detail\":\"request body arrived too slowly: less than %lld bytes a "
                        "second over %d seconds (request id %s)\"}",
                        (long long)ct->opts.body_min_rate, ct->opts.body_window_s, c->request_id);
    int len = snprintf(msg, sizeof(msg),
                       "HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\n"
                       "Connection: close\r\nCache-Control: no-store\r\n"
                       "X-Content-Type-Options: nosniff\r\nX-Request-Id: %s\r\n"
                       "Content-Length: %d\r\n\r\n%s",
                       c->request_id, blen, body);
    if (len > 0 && (size_t)len < sizeof(msg))
        (void)send(c->fd, msg, (size_t)len, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* Ends the connection: libmicrohttpd's poll wakes, its recv reads end of file and it closes
 * the connection (and calls conntrack_close). Called with the lock held. */
static void cut(struct conntrack *ct, struct conntrack_conn *c, const char *why)
{
    log_warn("http", "closing a connection: %s ip=%s%s%s", why, c->ip,
             c->request_id[0] ? " request_id=" : "", c->request_id);
    (void)shutdown(c->fd, SHUT_RDWR);
    c->state = CT_CUT;
    ct->cuts++;
}

/* One pass over every connection. Called with the lock held. */
static void reap(struct conntrack *ct, int64_t now)
{
    const int64_t head_us = (int64_t)ct->opts.head_timeout_s * 1000000;
    const int64_t idle_us = (int64_t)ct->opts.keepalive_idle_s * 1000000;
    const int64_t window_us = (int64_t)ct->opts.body_window_s * 1000000;
    for (struct conntrack_conn *c = ct->head; c; c = c->next) {
        switch (c->state) {
        case CT_HEAD:
            if (head_us > 0 && now - c->since >= head_us + (c->kept_alive ? idle_us : 0)) {
                metrics_count("da_http_connections_cut_total", "reason=\"head_timeout\"", 1);
                cut(ct, c, "the request head did not arrive in time");
            }
            break;
        case CT_BODY:
            if (window_us <= 0 || ct->opts.body_min_rate <= 0 || now - c->since < window_us)
                break;
            if (c->bytes < ct->opts.body_min_rate * ct->opts.body_window_s) {
                metrics_count("da_http_connections_cut_total", "reason=\"slow_body\"", 1);
                log_warn("http",
                         "408: request body too slow (%lld bytes in %d s) ip=%s "
                         "request_id=%s",
                         (long long)c->bytes, ct->opts.body_window_s, c->ip, c->request_id);
                write_408(ct, c);
                (void)shutdown(c->fd, SHUT_WR); /* the answer, then end of file */
                c->state = CT_LINGER;
                c->since = now;
                ct->cuts++;
            } else {
                c->since = now; /* a new window */
                c->bytes = 0;
            }
            break;
        case CT_LINGER:
            if (now - c->since >= LINGER_US) {
                (void)shutdown(c->fd, SHUT_RDWR);
                c->state = CT_CUT;
            }
            break;
        case CT_BUSY:
        case CT_CUT:
            break;
        }
    }
}

static void *reaper_main(void *arg)
{
    struct conntrack *ct = arg;
    pthread_mutex_lock(&ct->lock);
    while (!ct->stop) {
        struct timespec t = clock_after_us(CLOCK_REALTIME, REAP_EVERY_MS * 1000LL);
        (void)pthread_cond_timedwait(&ct->wake, &ct->lock, &t);
        if (!ct->stop)
            reap(ct, clock_mono_us());
    }
    pthread_mutex_unlock(&ct->lock);
    return NULL;
}

enum rc conntrack_start(const struct conntrack_opts *opts, struct conntrack **out, struct err *err)
{
    struct conntrack *ct = xcalloc(1, sizeof(*ct));
    ct->opts = *opts;
    pthread_mutex_init(&ct->lock, NULL);
    pthread_cond_init(&ct->wake, NULL);
    int e = pthread_create(&ct->reaper, NULL, reaper_main, ct);
    if (e != 0) {
        pthread_cond_destroy(&ct->wake);
        pthread_mutex_destroy(&ct->lock);
        free(ct);
        *out = NULL;
        return err_set(err, RC_INTERNAL, "cannot start the connection reaper: %s", strerror(e));
    }
    *out = ct;
    return RC_OK;
}

void conntrack_stop(struct conntrack **ctp)
{
    struct conntrack *ct = ctp ? *ctp : NULL;
    if (!ct)
        return;
    pthread_mutex_lock(&ct->lock);
    ct->stop = true;
    pthread_cond_signal(&ct->wake);
    pthread_mutex_unlock(&ct->lock);
    pthread_join(ct->reaper, NULL);
    for (struct conntrack_conn *c = ct->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    pthread_cond_destroy(&ct->wake);
    pthread_mutex_destroy(&ct->lock);
    free(ct);
    *ctp = NULL;
}

struct conntrack_conn *conntrack_open(struct conntrack *ct, int fd, const char *ip)
{
    struct conntrack_conn *c = xcalloc(1, sizeof(*c));
    c->fd = fd;
    c->state = CT_HEAD;
    c->since = clock_mono_us();
    snprintf(c->ip, sizeof(c->ip), "%s", ip ? ip : "-");
    pthread_mutex_lock(&ct->lock);
    c->next = ct->head;
    if (ct->head)
        ct->head->prev = c;
    ct->head = c;
    pthread_mutex_unlock(&ct->lock);
    return c;
}

void conntrack_close(struct conntrack *ct, struct conntrack_conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&ct->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        ct->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    pthread_mutex_unlock(&ct->lock);
    free(c);
}

void conntrack_head_done(struct conntrack *ct, struct conntrack_conn *c, const char *request_id)
{
    if (!c)
        return;
    pthread_mutex_lock(&ct->lock);
    if (c->state == CT_HEAD) {
        c->state = CT_BODY;
        c->since = clock_mono_us();
        c->bytes = 0;
        snprintf(c->request_id, sizeof(c->request_id), "%s", request_id);
    }
    pthread_mutex_unlock(&ct->lock);
}

bool conntrack_body(struct conntrack *ct, struct conntrack_conn *c, size_t n)
{
    if (!c)
        return true;
    pthread_mutex_lock(&ct->lock);
    bool alive = c->state == CT_BODY || c->state == CT_BUSY;
    if (c->state == CT_BODY)
        c->bytes += (int64_t)n;
    pthread_mutex_unlock(&ct->lock);
    return alive;
}

bool conntrack_body_done(struct conntrack *ct, struct conntrack_conn *c)
{
    if (!c)
        return true;
    pthread_mutex_lock(&ct->lock);
    bool alive = c->state == CT_BODY || c->state == CT_BUSY;
    if (c->state == CT_BODY)
        c->state = CT_BUSY;
    pthread_mutex_unlock(&ct->lock);
    return alive;
}

void conntrack_request_done(struct conntrack *ct, struct conntrack_conn *c)
{
    if (!c)
        return;
    pthread_mutex_lock(&ct->lock);
    if (c->state == CT_BUSY || c->state == CT_BODY) {
        c->state = CT_HEAD;
        c->kept_alive = true;
        c->since = clock_mono_us();
        c->request_id[0] = '\0';
    }
    pthread_mutex_unlock(&ct->lock);
}

uint64_t conntrack_cut_count(struct conntrack *ct)
{
    pthread_mutex_lock(&ct->lock);
    uint64_t n = ct->cuts;
    pthread_mutex_unlock(&ct->lock);
    return n;
}
