/* engine.c — the governed query (see engine.h). A running query is a "slot": its connection,
 * deadline and client check, listed while it runs so the watchdog can interrupt it. The per-
 * user counts and the slot list share one mutex, held only for list updates and never across
 * DuckDB work (duck_interrupt is safe from another thread). */
#include "query/engine.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/isotime.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/metrics.h"
#include "base/rand.h"
#include "data/catalog.h"
#include "data/duck.h"

#define WATCH_MS 200

struct slot {
    struct duck *conn;
    int64_t deadline_us;
    bool (*gone)(void *ctx);
    void *gone_ctx;
    bool timed_out;
    bool cancelled;
    struct slot *next;
};

struct user_count {
    char *user_id;
    int running;
};

struct query_engine {
    struct query_engine_options opt;
    pthread_mutex_t mu;
    pthread_cond_t wake;
    bool stopping;
    struct slot *slots;
    struct user_count *users;
    size_t n_users;
    int running; /* queries between user_enter and user_leave */
    pthread_t watchdog;
};

void query_outcome_cleanup(struct query_outcome *o)
{
    guard_result_cleanup(&o->guard);
    if (o->parquet_fd >= 0)
        close(o->parquet_fd);
    o->parquet_fd = -1;
}

/* Takes one of user_id's slots; false when the user runs max_concurrent queries already. */
static bool user_enter(struct query_engine *e, const char *user_id)
{
    bool ok = true;
    pthread_mutex_lock(&e->mu);
    size_t i = 0;
    while (i < e->n_users && strcmp(e->users[i].user_id, user_id) != 0)
        i++;
    if (i == e->n_users) {
        e->users = xrealloc(e->users, (e->n_users + 1) * sizeof(*e->users));
        e->users[e->n_users++] = (struct user_count){ xstrdup(user_id), 0 };
    }
    if (e->users[i].running >= e->opt.max_concurrent)
        ok = false;
    else
        e->users[i].running++;
    if (ok)
        metrics_set("da_queries_running", NULL, ++e->running);
    pthread_mutex_unlock(&e->mu);
    return ok;
}

static void user_leave(struct query_engine *e, const char *user_id)
{
    pthread_mutex_lock(&e->mu);
    metrics_set("da_queries_running", NULL, --e->running);
    for (size_t i = 0; i < e->n_users; i++) {
        if (strcmp(e->users[i].user_id, user_id) != 0)
            continue;
        if (--e->users[i].running == 0) {
            free(e->users[i].user_id);
            e->users[i] = e->users[--e->n_users];
        }
        break;
    }
    pthread_mutex_unlock(&e->mu);
}

static void slot_add(struct query_engine *e, struct slot *s)
{
    pthread_mutex_lock(&e->mu);
    s->next = e->slots;
    e->slots = s;
    pthread_cond_signal(&e->wake);
    pthread_mutex_unlock(&e->mu);
}

/* Unlists s; after this the watchdog no longer touches its connection. */
static void slot_remove(struct query_engine *e, struct slot *s)
{
    pthread_mutex_lock(&e->mu);
    for (struct slot **p = &e->slots; *p; p = &(*p)->next) {
        if (*p == s) {
            *p = s->next;
            break;
        }
    }
    pthread_mutex_unlock(&e->mu);
}

static void *watch_loop(void *arg)
{
    struct query_engine *e = arg;
    pthread_mutex_lock(&e->mu);
    while (!e->stopping) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += WATCH_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&e->wake, &e->mu, &until);
        int64_t now = clock_mono_us();
        for (struct slot *s = e->slots; s; s = s->next) {
            if (s->timed_out || s->cancelled)
                continue;
            if (now >= s->deadline_us)
                s->timed_out = true;
            else if (s->gone && s->gone(s->gone_ctx))
                s->cancelled = true;
            else
                continue;
            duck_interrupt(s->conn);
        }
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

enum rc query_engine_start(const struct query_engine_options *opt, struct query_engine **out,
                           struct err *err)
{
    struct query_engine *e = xcalloc(1, sizeof(*e));
    e->opt = *opt;
    pthread_mutex_init(&e->mu, NULL);
    pthread_cond_init(&e->wake, NULL);
    if (pthread_create(&e->watchdog, NULL, watch_loop, e) != 0) {
        pthread_mutex_destroy(&e->mu);
        pthread_cond_destroy(&e->wake);
        free(e);
        *out = NULL;
        return err_set(err, RC_INTERNAL, "cannot start the query watchdog");
    }
    *out = e;
    return RC_OK;
}

void query_engine_stop(struct query_engine **ep)
{
    if (!ep || !*ep)
        return;
    struct query_engine *e = *ep;
    pthread_mutex_lock(&e->mu);
    e->stopping = true;
    pthread_cond_signal(&e->wake);
    pthread_mutex_unlock(&e->mu);
    pthread_join(e->watchdog, NULL);
    for (size_t i = 0; i < e->n_users; i++)
        free(e->users[i].user_id);
    free(e->users);
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->wake);
    free(e);
    *ep = NULL;
}

static void outcome(struct query_outcome *o, enum query_outcome_kind kind, const char *fmt, ...)
    PRINTF_FMT(3, 4);
static void outcome(struct query_outcome *o, enum query_outcome_kind kind, const char *fmt, ...)
{
    va_list ap;
    o->kind = kind;
    va_start(ap, fmt);
    vsnprintf(o->message, sizeof(o->message), fmt, ap);
    va_end(ap);
}

/* Writes the result as Parquet into a fresh file of the results folder and keeps only an open
 * descriptor of it: the name is gone before anyone could look for it, and the disk space goes
 * when the answer has been sent. */
static enum rc write_parquet(struct query_engine *e, struct duck *conn, const char *sql,
                             const struct result_limits *lim, struct query_outcome *o,
                             struct err *err)
{
    char name[33];
    enum rc rc = rand_hex(name, 16, err);
    if (rc)
        return rc;
    char *path = xasprintf("%s/q-%s.parquet", catalog_results_dir(e->opt.catalog), name);
    rc = result_parquet(conn, sql, path, lim, &o->stats, err);
    if (!rc) {
        o->parquet_fd = open(path, O_RDONLY | O_CLOEXEC);
        if (o->parquet_fd < 0)
            rc = err_set(err, RC_IO, "cannot open the Parquet result: %s", strerror(errno));
    }
    unlink(path); /* also after a failed or interrupted COPY */
    free(path);
    return rc;
}

/* Runs the checked query on conn under the watchdog. */
static enum rc run_watched(struct query_engine *e, struct duck *conn,
                           const struct query_request *req, struct buf *out,
                           struct query_outcome *o, struct err *err)
{
    int64_t limit = req->limit > 0 ? req->limit : e->opt.default_rows;
    if (limit > e->opt.max_rows)
        limit = e->opt.max_rows;
    struct result_limits lim = { limit, e->opt.max_bytes };
    struct slot s = { .conn = conn,
                      .deadline_us = clock_mono_us() + (int64_t)e->opt.timeout_s * 1000000,
                      .gone = req->gone,
                      .gone_ctx = req->gone_ctx };
    struct err qerr = { { 0 } };
    size_t mark = out->len;
    slot_add(e, &s);
    enum rc rc = req->format == RESULT_PARQUET
                     ? write_parquet(e, conn, req->sql, &lim, o, &qerr)
                     : result_run(conn, req->sql, req->format, &lim, out, &o->stats, &qerr);
    slot_remove(e, &s);
    if (rc == RC_OK)
        return RC_OK;
    buf_truncate(out, mark); /* no half result */
    if (s.timed_out)
        outcome(o, QUERY_TIMEOUT, "the query ran longer than the time limit of %d s"
                                  " (query.timeout_s) and was cancelled", e->opt.timeout_s);
    else if (s.cancelled)
        outcome(o, QUERY_CANCELLED, "the client went away; the query was cancelled");
    else if (rc == RC_DB)
        outcome(o, QUERY_BAD_SQL, "%s", qerr.msg);
    else
        return err_set(err, rc, "%s", qerr.msg);
    return RC_OK;
}

enum rc query_run(struct query_engine *e, const struct query_request *req, struct buf *out,
                  struct query_outcome *o, struct err *err)
{
    memset(o, 0, sizeof(*o));
    o->parquet_fd = -1;
    int64_t t0 = clock_mono_us();
    if (!user_enter(e, req->user_id)) {
        outcome(o, QUERY_TOO_MANY, "you run %d queries already (query.max_concurrent);"
                                   " wait for one to finish", e->opt.max_concurrent);
        return RC_OK;
    }
    struct catalog_gen *g = catalog_acquire(e->opt.catalog);
    struct duck *conn = NULL;
    o->generation = g->number;
    enum rc rc = catalog_connect(g, &conn, err);
    if (!rc)
        rc = guard_check(conn, req->sql, &req->policy, &o->guard, err);
    if (!rc && o->guard.verdict == GUARD_BAD_SQL)
        outcome(o, QUERY_BAD_SQL, "%s", o->guard.message);
    else if (!rc && o->guard.verdict == GUARD_FORBIDDEN)
        outcome(o, QUERY_FORBIDDEN, "%s", o->guard.message);
    else if (!rc)
        rc = run_watched(e, conn, req, out, o, err);
    duck_close(&conn);
    catalog_release(e->opt.catalog, g);
    user_leave(e, req->user_id);
    o->duration_us = clock_mono_us() - t0;
    return rc;
}
