/* engine.c — the governed query (see engine.h). The guard runs in the calling thread on a
 * connection to the current generation; the query runs in a worker process taken from the
 * pool of query.workers slots.
 *
 * Threads. One supervisor thread starts every worker process (PR_SET_PDEATHSIG is tied to the
 * thread that spawned, so it must outlive the workers): it keeps WARM_WORKERS started, starts
 * one more while queries wait and none is idle, and retires extra idle ones. Each query runs
 * in its caller's thread, which takes an idle slot and then watches its own worker: poll on
 * the socket every WATCH_MS, then the deadline, the worker's memory, shutdown, and every
 * GONE_EVERY_MS the client. query_engine_shutdown (any thread) kills the idle workers; a busy
 * one is killed by its own query thread, which sees `stopping` within WATCH_MS.
 *
 * Locking. The one mutex mu guards the slot table's busy flags and the choice of a slot, the
 * per-user counts, the pool counters (live, waiting, running, spawn_fails, next_spawn_us) and
 * the stopping and closing flags; the condition variable `changed` wakes the supervisor and
 * waiting queries when a slot is given back, a query starts waiting, a start fails or the
 * engine stops. It is never held across a spawn, a kill or waitpid, a socket read or write,
 * a poll, or a call of the client check: under it there is only bookkeeping and metrics.
 *
 * Ownership of a slot. A slot is busy while exactly one thread owns it: a query running on it,
 * or the supervisor starting or retiring its process, or a thread killing it (a broken idle
 * worker, shutdown). Only the owner touches its process, socket and loaded generation, so a
 * kill can never hit a process another query has meanwhile been given; other threads read pid
 * and gen only of slots that are not busy, under mu, to choose one. */
#include "query/engine.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/isotime.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/metrics.h"
#include "base/rand.h"
#include "data/catalog.h"
#include "data/duck.h"
#include "query/verdict_cache.h"
#include "query/wire.h"
#include "query/worker.h"

extern char **environ;

#define WATCH_MS       20  /* how often a running query's worker is checked */
#define GONE_EVERY_MS  200 /* how often its client is */
#define WARM_WORKERS   2   /* started at once and kept, so a query rarely waits for a spawn */
#define IDLE_RETIRE_US (60 * 1000000LL) /* a worker beyond the warm ones idle this long ends */
#define BACKOFF_MAX_US (5 * 1000000LL)
#define LOADED_MAX     (64 * 1024)

struct worker {
    pid_t pid;               /* 0: no process in this slot */
    int fd;                  /* the server's end of the socketpair, non-blocking */
    bool busy;               /* owned by one thread */
    struct catalog_gen *gen; /* the generation its process has loaded; held */
    int64_t idle_since_us;
};

struct user_count {
    char *user_id;
    int running;
};

struct query_engine {
    struct query_engine_options opt;
    char *exe;
    char **envp;        /* the workers' environment: a few harmless variables of the server's */
    int64_t rss_budget; /* bytes */
    int64_t as_limit;   /* the worker's RLIMIT_AS */
    int64_t cpu_s;      /* a query's RLIMIT_CPU: every core for the whole time limit, plus 1 s */
    long page_size;
    pthread_mutex_t mu;
    pthread_cond_t changed; /* a slot was freed or the engine is stopping */
    bool stopping;
    struct worker *workers;
    int n_workers;
    int live;
    int waiting; /* queries waiting for an idle worker */
    pthread_t supervisor;
    bool supervisor_started;
    bool closing;          /* query_engine_stop: the supervisor ends (after every worker) */
    int spawn_fails;       /* in a row: workers that could not start or died loading */
    int64_t next_spawn_us; /* no new process before this (backoff after failures) */
    struct user_count *users;
    size_t n_users, cap_users;
    int running;                    /* queries between user_enter and user_leave */
    struct verdict_cache *verdicts; /* the guard's parses of recent texts; owned */
};

/* How the wait for a worker's answer ended. */
enum end { END_OK, END_TIMEOUT, END_MEMORY, END_GONE, END_CRASHED, END_SHUTDOWN, END_IDLE };

static const char *const end_names[] = {
    [END_OK] = "ok",          [END_TIMEOUT] = "timeout", [END_MEMORY] = "memory",
    [END_GONE] = "cancelled", [END_CRASHED] = "crash",   [END_SHUTDOWN] = "shutdown",
    [END_IDLE] = "idle",
};

void query_outcome_cleanup(struct query_outcome *o)
{
    guard_result_cleanup(&o->guard);
    if (o->parquet_fd >= 0)
        close(o->parquet_fd);
    o->parquet_fd = -1;
}

int64_t query_worker_budget(int64_t memory_limit)
{
    return memory_limit + memory_limit / 4 + (256LL << 20);
}

bool query_parse_size(const char *text, int64_t *out)
{
    static const struct {
        const char *unit;
        int64_t mult;
    } units[] = {
        { "", 1 },
        { "b", 1 },
        { "bytes", 1 },
        { "kb", 1000 },
        { "mb", 1000000 },
        { "gb", 1000000000 },
        { "tb", 1000000000000LL },
        { "kib", 1LL << 10 },
        { "mib", 1LL << 20 },
        { "gib", 1LL << 30 },
        { "tib", 1LL << 40 },
    };
    const char *p = text;
    if (!isdigit((unsigned char)*p))
        return false;
    errno = 0;
    char *end = NULL;
    double v = strtod(p, &end);
    if (errno || v <= 0)
        return false;
    while (*end == ' ')
        end++;
    for (size_t i = 0; i < ARRAY_LEN(units); i++) {
        if (strcasecmp(end, units[i].unit) == 0) {
            double bytes = v * (double)units[i].mult;
            if (bytes < 1 || bytes > 9e18)
                return false;
            *out = (int64_t)bytes;
            return true;
        }
    }
    return false;
}

/* ---- per-user counts ---- */

/* Takes one of user_id's slots; false when the user runs max_concurrent queries already. */
static bool user_enter(struct query_engine *e, const char *user_id)
{
    bool ok = true;
    pthread_mutex_lock(&e->mu);
    size_t i = 0;
    while (i < e->n_users && strcmp(e->users[i].user_id, user_id) != 0)
        i++;
    if (i == e->n_users) {
        e->users = xgrow(e->users, &e->cap_users, e->n_users + 1, sizeof(*e->users));
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

/* ---- worker processes ---- */

/* Starts a process in slot w (busy, owned by the caller). */
static enum rc spawn_worker(struct query_engine *e, struct worker *w, struct err *err)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        return err_set(err, RC_IO, "socketpair: %s", strerror(errno));
    char parent[24], as_limit[24];
    snprintf(parent, sizeof(parent), "%d", (int)getpid());
    snprintf(as_limit, sizeof(as_limit), "%lld", (long long)e->as_limit);
    char *argv[] = { e->exe, (char *)QUERY_WORKER_COMMAND, parent, as_limit, NULL };
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, dflt;
    sigemptyset(&none);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGPIPE);
    sigaddset(&dflt, SIGTERM);
    sigaddset(&dflt, SIGINT);
    sigaddset(&dflt, SIGHUP);
    posix_spawn_file_actions_init(&fa);
    /* dup2 onto the fixed number clears close-on-exec (also when it is that number already) */
    posix_spawn_file_actions_adddup2(&fa, sv[1], QUERY_WORKER_FD);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setsigmask(&attr, &none); /* the server's threads block the stop signals */
    posix_spawnattr_setsigdefault(&attr, &dflt);
    /* its own process group: a Ctrl-C at the terminal reaches the server, which stops it */
    posix_spawnattr_setpgroup(&attr, 0);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                        POSIX_SPAWN_SETPGROUP);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, e->exe, &fa, &attr, argv, e->envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    close(sv[1]);
    if (rc != 0) {
        close(sv[0]);
        return err_set(err, RC_IO, "cannot start a query worker (%s): %s", e->exe, strerror(rc));
    }
    int flags = fcntl(sv[0], F_GETFL);
    (void)fcntl(sv[0], F_SETFL, flags | O_NONBLOCK);
    w->pid = pid;
    w->fd = sv[0];
    w->gen = NULL;
    pthread_mutex_lock(&e->mu);
    metrics_set("da_query_workers", NULL, ++e->live);
    pthread_mutex_unlock(&e->mu);
    return RC_OK;
}

/* Ends w's process (SIGKILL) and frees the slot's resources; w stays busy (the caller's). */
static void kill_worker(struct query_engine *e, struct worker *w, enum end why)
{
    if (w->pid <= 0)
        return;
    kill(w->pid, SIGKILL);
    int status = 0;
    while (waitpid(w->pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (why == END_CRASHED)
        log_warn("query", "query worker %d died: %s %d", (int)w->pid,
                 WIFSIGNALED(status) ? "signal" : "exit status",
                 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    close(w->fd);
    w->fd = -1;
    w->pid = 0;
    catalog_release(e->opt.catalog, w->gen);
    w->gen = NULL;
    char labels[40];
    snprintf(labels, sizeof(labels), "reason=\"%s\"", end_names[why]);
    metrics_count("da_query_worker_kills_total", labels, 1);
    pthread_mutex_lock(&e->mu);
    metrics_set("da_query_workers", NULL, --e->live);
    if (why != END_SHUTDOWN && why != END_IDLE)
        metrics_count("da_query_worker_restarts_total", NULL, 1);
    pthread_mutex_unlock(&e->mu);
}

/* Gives slot w back to the pool. */
static void give_back(struct query_engine *e, struct worker *w)
{
    pthread_mutex_lock(&e->mu);
    w->busy = false;
    w->idle_since_us = clock_mono_us();
    pthread_cond_broadcast(&e->changed);
    pthread_mutex_unlock(&e->mu);
}

/* Records whether starting a worker worked, for the backoff of the next start. */
static void note_start(struct query_engine *e, bool ok)
{
    pthread_mutex_lock(&e->mu);
    if (ok) {
        e->spawn_fails = 0;
    } else {
        int shift = e->spawn_fails < 16 ? e->spawn_fails : 16;
        int64_t delay = (int64_t)50000 << shift;
        e->spawn_fails++;
        e->next_spawn_us = clock_mono_us() + (delay < BACKOFF_MAX_US ? delay : BACKOFF_MAX_US);
        pthread_cond_broadcast(&e->changed);
    }
    pthread_mutex_unlock(&e->mu);
}

/* Whether an idle worker's socket shows that it died or sent something unasked. */
static bool idle_worker_broken(const struct worker *w)
{
    struct pollfd p = { .fd = w->fd, .events = POLLIN };
    return poll(&p, 1, 0) != 0;
}

/* The absolute CLOCK_MONOTONIC time of until_us (clock_mono_us) for pthread_cond_timedwait. */
static struct timespec mono_ts(int64_t until_us)
{
    return clock_after_us(CLOCK_MONOTONIC, until_us - clock_mono_us());
}

/* What the supervisor should do next, decided under the lock: a slot to start a process in,
 * or an idle worker to retire, or nothing (then *wake_us is when to look again). */
static void supervise_pick(struct query_engine *e, struct worker **start, struct worker **retire,
                           int64_t *wake_us)
{
    int64_t now = clock_mono_us();
    int warm = e->opt.workers < WARM_WORKERS ? e->opt.workers : WARM_WORKERS;
    int idle = 0;
    struct worker *empty = NULL, *oldest = NULL;
    for (int i = 0; i < e->n_workers; i++) {
        struct worker *w = &e->workers[i];
        if (w->busy)
            continue;
        if (w->pid > 0) {
            idle++;
            if (!oldest || w->idle_since_us < oldest->idle_since_us)
                oldest = w;
        } else if (!empty) {
            empty = w;
        }
    }
    *start = *retire = NULL;
    *wake_us = now + 1000000;
    bool wanted = e->live < warm || e->waiting > idle;
    if (empty && wanted && now >= e->next_spawn_us)
        *start = empty;
    else if (empty && wanted)
        *wake_us = e->next_spawn_us;
    else if (oldest && e->live > warm && e->waiting == 0 &&
             now - oldest->idle_since_us > IDLE_RETIRE_US)
        *retire = oldest;
}

/* The supervisor thread: the one thread that starts worker processes. It must be a thread
 * that lives as long as the engine, because PR_SET_PDEATHSIG fires when the thread that
 * started a process ends, not the process (a connection thread would take its worker with
 * it). It keeps WARM_WORKERS started, starts one more while queries wait and no worker is
 * idle (with a backoff after failures), and retires workers beyond the warm ones that have
 * been idle for IDLE_RETIRE_US. Queries kill workers themselves (their own, busy ones). */
static void *supervise(void *arg)
{
    struct query_engine *e = arg;
    pthread_mutex_lock(&e->mu);
    /* after a shutdown it stays, starting nothing, until every worker is gone: its end would
     * kill the workers it started (see above) under queries that are being answered */
    while (!e->closing) {
        struct worker *start = NULL, *retire = NULL;
        int64_t wake_us = clock_mono_us() + 1000000;
        if (!e->stopping)
            supervise_pick(e, &start, &retire, &wake_us);
        if (retire) {
            retire->busy = true;
            pthread_mutex_unlock(&e->mu);
            kill_worker(e, retire, END_IDLE);
            give_back(e, retire);
        } else if (start) {
            start->busy = true;
            pthread_mutex_unlock(&e->mu);
            struct err err = { { 0 } };
            enum rc rc = spawn_worker(e, start, &err);
            if (rc)
                log_warn("query", "%s", err.msg);
            note_start(e, rc == RC_OK);
            give_back(e, start);
        } else {
            struct timespec ts = mono_ts(wake_us);
            pthread_cond_timedwait(&e->changed, &e->mu, &ts);
            continue;
        }
        pthread_mutex_lock(&e->mu);
    }
    pthread_mutex_unlock(&e->mu);
    return NULL;
}

/* Takes an idle worker for a query on generation g (one with g loaded first), waiting for the
 * supervisor to start one or for a query to give one back, up to deadline_us, and not for a
 * client that went away (END_GONE). END_OK with *out busy. */
static enum end take_worker(struct query_engine *e, const struct catalog_gen *g,
                            const struct query_request *req, int64_t deadline_us,
                            struct worker **out)
{
    pthread_mutex_lock(&e->mu);
    for (;;) {
        if (e->stopping) {
            pthread_mutex_unlock(&e->mu);
            return END_SHUTDOWN;
        }
        struct worker *idle = NULL;
        for (int i = 0; i < e->n_workers; i++) {
            struct worker *w = &e->workers[i];
            if (!w->busy && w->pid > 0 && (!idle || w->gen == g))
                idle = w;
        }
        if (idle) {
            idle->busy = true;
            pthread_mutex_unlock(&e->mu);
            if (!idle_worker_broken(idle)) {
                *out = idle;
                return END_OK;
            }
            kill_worker(e, idle, END_CRASHED);
            give_back(e, idle);
            pthread_mutex_lock(&e->mu);
            continue;
        }
        int64_t now = clock_mono_us();
        if (now >= deadline_us) {
            pthread_mutex_unlock(&e->mu);
            return END_TIMEOUT;
        }
        int64_t until = deadline_us;
        if (req->gone && now + GONE_EVERY_MS * 1000 < until)
            until = now + GONE_EVERY_MS * 1000;
        struct timespec ts = mono_ts(until);
        e->waiting++;
        pthread_cond_broadcast(&e->changed); /* the supervisor may start one */
        pthread_cond_timedwait(&e->changed, &e->mu, &ts);
        e->waiting--;
        if (req->gone) {
            pthread_mutex_unlock(&e->mu); /* never call out with the lock held */
            bool gone = req->gone(req->gone_ctx);
            pthread_mutex_lock(&e->mu);
            if (gone) {
                pthread_mutex_unlock(&e->mu);
                return END_GONE;
            }
        }
    }
}

/* The resident memory of pid in bytes, or -1. */
static int64_t resident_bytes(const struct query_engine *e, pid_t pid)
{
    char path[40], text[128];
    snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    text[n] = '\0';
    char *end = NULL;
    (void)strtoll(text, &end, 10); /* the first field is the total size; resident follows */
    long long resident = strtoll(end, NULL, 10);
    return (int64_t)resident * e->page_size;
}

static bool engine_stopping(struct query_engine *e)
{
    pthread_mutex_lock(&e->mu);
    bool s = e->stopping;
    pthread_mutex_unlock(&e->mu);
    return s;
}

/* Waits for w's answer (one frame of at most max bytes of type want) while checking the
 * deadline, the worker's memory, the client and shutdown. Anything but END_OK leaves w
 * killed. */
static enum end await_answer(struct query_engine *e, struct worker *w,
                             const struct query_request *req, int64_t deadline_us, size_t max,
                             uint32_t want, struct wire_in *in, struct err *err)
{
    wire_in_reset(in);
    int64_t next_gone = clock_mono_us() + GONE_EVERY_MS * 1000;
    enum end why = END_OK;
    for (;;) {
        struct pollfd p = { .fd = w->fd, .events = POLLIN };
        int n = poll(&p, 1, WATCH_MS);
        if (n > 0) {
            bool done = false;
            if (wire_in_step(w->fd, in, max, &done, err) != RC_OK) {
                why = engine_stopping(e) ? END_SHUTDOWN : END_CRASHED;
                break;
            }
            if (done && in->type != want) {
                err_set(err, RC_INTERNAL, "a query worker sent a frame of type %u", in->type);
                why = END_CRASHED;
                break;
            }
            if (done)
                return END_OK;
        }
        int64_t now = clock_mono_us();
        if (engine_stopping(e)) {
            why = END_SHUTDOWN;
            break;
        }
        if (now >= deadline_us) {
            why = END_TIMEOUT;
            break;
        }
        int64_t rss = resident_bytes(e, w->pid);
        if (rss > e->rss_budget) {
            why = END_MEMORY;
            break;
        }
        if (req->gone && now >= next_gone) {
            next_gone = now + GONE_EVERY_MS * 1000;
            if (req->gone(req->gone_ctx)) {
                why = END_GONE;
                break;
            }
        }
    }
    kill_worker(e, w, why);
    wire_in_reset(in);
    return why;
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

/* The outcome of a wait that did not end with an answer. */
static void ended(struct query_engine *e, enum end why, const struct err *err,
                  struct query_outcome *o)
{
    switch (why) {
    case END_TIMEOUT:
        outcome(o, QUERY_TIMEOUT,
                "the query ran longer than the time limit of %d s"
                " (query.timeout_s) and was stopped",
                e->opt.timeout_s);
        break;
    case END_MEMORY:
        outcome(o, QUERY_MEMORY,
                "the query needed more memory than the limit of %s"
                " (query.memory_limit) allows and was stopped",
                e->opt.memory_limit);
        break;
    case END_GONE:
        outcome(o, QUERY_CANCELLED, "the client went away; the query was cancelled");
        break;
    case END_SHUTDOWN:
        outcome(o, QUERY_SHUTDOWN, "the server is shutting down; the query was stopped");
        break;
    case END_CRASHED:
    case END_OK:
    case END_IDLE:
        log_warn("query", "query worker failed: %s", err->msg);
        outcome(o, QUERY_CRASHED, "the query's worker process failed");
        break;
    }
}

/* Makes w's process load generation g (replaying its recipe) unless it has it already. */
static enum end load_generation(struct query_engine *e, struct worker *w, struct catalog_gen *g,
                                const struct query_request *req, int64_t deadline_us,
                                struct err *err)
{
    if (w->gen == g)
        return END_OK;
    struct buf frame;
    struct wire_in in = { 0 };
    buf_init(&frame, WIRE_FRAME_MAX);
    enum rc rc = wire_encode_recipe(&frame, g->number, &g->recipe);
    if (rc) {
        buf_cleanup(&frame);
        err_set(err, RC_TOOBIG, "the catalog's recipe is too big for a frame");
        return END_CRASHED;
    }
    const void *parts[] = { frame.data };
    size_t lens[] = { frame.len };
    enum end why = END_OK;
    if (wire_send(w->fd, WIRE_LOAD, parts, lens, 1, deadline_us, err) != RC_OK) {
        why = clock_mono_us() >= deadline_us ? END_TIMEOUT : END_CRASHED;
        kill_worker(e, w, why);
    } else {
        why = await_answer(e, w, req, deadline_us, LOADED_MAX, WIRE_LOADED, &in, err);
    }
    if (frame.data)
        explicit_bzero(frame.data, frame.len); /* it held the remote catalogs' tokens */
    buf_cleanup(&frame);
    if (why != END_OK) {
        if (why == END_CRASHED)
            note_start(e, false);
        wire_in_reset(&in);
        return why;
    }
    struct wire_result res;
    if (wire_decode_result(in.body, in.len, &res, err) != RC_OK || res.status != WIRE_OK) {
        if (res.status != WIRE_OK)
            err_set(err, RC_INTERNAL, "cannot load catalog generation %llu: %s",
                    (unsigned long long)g->number, res.message);
        kill_worker(e, w, END_CRASHED);
        note_start(e, false);
        wire_in_reset(&in);
        return END_CRASHED;
    }
    wire_in_reset(&in);
    /* the worker reads g's files now: hold g (and its Parquet runs) until it loads another */
    struct catalog_gen *held = catalog_hold(e->opt.catalog, g);
    catalog_release(e->opt.catalog, w->gen);
    w->gen = held;
    return END_OK;
}

/* Runs the checked query in a worker; fills o, or returns an error of the engine itself. */
static enum rc run_in_worker(struct query_engine *e, struct catalog_gen *g,
                             const struct query_request *req, int64_t deadline_us, struct buf *out,
                             struct query_outcome *o, struct err *err)
{
    int64_t limit = req->limit > 0 ? req->limit : e->opt.default_rows;
    if (limit > e->opt.max_rows)
        limit = e->opt.max_rows;
    size_t room = out->max > out->len ? out->max - out->len : 0;
    char *path = NULL;
    if (req->format == RESULT_PARQUET) {
        char name[33];
        enum rc rc = rand_hex(name, 16, err);
        if (rc)
            return rc;
        path = xasprintf("%s/q-%s.parquet", catalog_results_dir(e->opt.catalog), name);
    }
    struct worker *w = NULL;
    struct err werr = { { 0 } };
    struct wire_in in = { 0 };
    struct buf frame;
    buf_init(&frame, WIRE_FRAME_MAX);
    enum rc rc = RC_OK;
    enum end why = take_worker(e, g, req, deadline_us, &w);
    if (why == END_TIMEOUT) {
        outcome(o, QUERY_TIMEOUT,
                "no query worker became free within the time limit of %d s"
                " (query.timeout_s; query.workers: %d)",
                e->opt.timeout_s, e->opt.workers);
        goto out;
    }
    if (why != END_OK) {
        ended(e, why, &werr, o);
        goto out;
    }
    why = load_generation(e, w, g, req, deadline_us, &werr);
    if (why == END_OK) {
        struct wire_run run = { req->format, limit, e->opt.max_bytes, (int64_t)room,
                                e->cpu_s,    path,  req->sql };
        if (wire_encode_run(&frame, &run) != RC_OK) {
            rc = err_set(err, RC_TOOBIG, "query too long");
            give_back(e, w);
            goto out;
        }
        const void *parts[] = { frame.data };
        size_t lens[] = { frame.len };
        if (wire_send(w->fd, WIRE_RUN, parts, lens, 1, deadline_us, &werr) != RC_OK) {
            why = clock_mono_us() >= deadline_us ? END_TIMEOUT : END_CRASHED;
            kill_worker(e, w, why);
        } else {
            why = await_answer(e, w, req, deadline_us, room + 4096, WIRE_RESULT, &in, &werr);
        }
    }
    struct wire_result res;
    if (why == END_OK && wire_decode_result(in.body, in.len, &res, &werr) != RC_OK) {
        why = END_CRASHED;
        kill_worker(e, w, why);
    }
    if (why == END_OK && res.status == WIRE_OK && res.data_len > room) {
        err_set(&werr, RC_INTERNAL, "a query worker sent %zu bytes for %zu of room", res.data_len,
                room);
        why = END_CRASHED;
        kill_worker(e, w, why);
    }
    give_back(e, w);
    if (why != END_OK) {
        ended(e, why, &werr, o);
        goto out;
    }
    note_start(e, true);
    if (res.status == WIRE_DB_ERROR && strstr(res.message, "Out of Memory") != NULL) {
        outcome(o, QUERY_MEMORY,
                "the query needed more memory than the limit of %s"
                " (query.memory_limit) allows: %s",
                e->opt.memory_limit, res.message);
    } else if (res.status == WIRE_DB_ERROR) {
        outcome(o, QUERY_BAD_SQL, "%s", res.message);
    } else if (res.status != WIRE_OK) {
        rc = err_set(err, RC_INTERNAL, "%s", res.message);
    } else {
        o->stats = res.stats;
        if (path) {
            struct stat st;
            o->parquet_fd = open(path, O_RDONLY | O_CLOEXEC);
            if (o->parquet_fd < 0 || fstat(o->parquet_fd, &st) != 0)
                rc = err_set(err, RC_IO, "cannot open the Parquet result: %s", strerror(errno));
            else
                o->stats.bytes =
                    (int64_t)st.st_size; /* the file's own size, not the worker's word */
        } else if (buf_append(out, res.data, res.data_len) != RC_OK) {
            rc = err_set(err, RC_TOOBIG, "result too big for its buffer");
        }
    }
out:
    if (path) {
        (void)unlink(path); /* also after a failed or killed COPY */
        free(path);
    }
    wire_in_reset(&in);
    buf_cleanup(&frame);
    return rc;
}

/* The variables of the server's environment a worker gets: locale, paths and the sanitizers'
 * options, plus the caller's extra names; never a secret (JWT_SECRET_KEY, a token, ...). */
static char **worker_environment(const char *const *extra)
{
    static const char *const keep[] = { "PATH",         "HOME",         "TMPDIR",
                                        "LANG",         "LC_ALL",       "LC_CTYPE",
                                        "TZ",           "ASAN_OPTIONS", "UBSAN_OPTIONS",
                                        "LSAN_OPTIONS", "TSAN_OPTIONS" };
    size_t n = 0, cap = 1;
    char **env = xcalloc(1, sizeof(char *));
    for (char **v = environ; *v; v++) {
        size_t name_len = strcspn(*v, "=");
        bool wanted = false;
        for (size_t i = 0; i < ARRAY_LEN(keep) && !wanted; i++)
            wanted = strlen(keep[i]) == name_len && strncmp(*v, keep[i], name_len) == 0;
        for (size_t i = 0; extra && extra[i] && !wanted; i++)
            wanted = strlen(extra[i]) == name_len && strncmp(*v, extra[i], name_len) == 0;
        if (!wanted)
            continue;
        env = xgrow(env, &cap, n + 2, sizeof(char *)); /* and the NULL after */
        env[n++] = xstrdup(*v);
        env[n] = NULL;
    }
    return env;
}

static void free_environment(char **env)
{
    for (char **v = env; v && *v; v++)
        free(*v);
    free(env);
}

enum rc query_engine_start(const struct query_engine_options *opt, struct query_engine **out,
                           struct err *err)
{
    *out = NULL;
    int64_t limit = 0;
    if (!opt->memory_limit || !query_parse_size(opt->memory_limit, &limit))
        return err_set(err, RC_INVALID, "query.memory_limit: '%s' is not a size such as 4GB",
                       opt->memory_limit ? opt->memory_limit : "");
    if (opt->workers < 1)
        return err_set(err, RC_INVALID, "query.workers must be at least 1");
    struct query_engine *e = xcalloc(1, sizeof(*e));
    e->opt = *opt;
    e->exe = xstrdup(opt->worker_exe ? opt->worker_exe : "/proc/self/exe");
    e->envp = worker_environment(opt->worker_env);
    e->rss_budget = query_worker_budget(limit);
    e->as_limit = 2 * e->rss_budget + (4LL << 30);
    long cores = sysconf(_SC_NPROCESSORS_ONLN);
    e->cpu_s = (int64_t)e->opt.timeout_s * (cores > 0 ? cores : 1) + 1;
    e->page_size = sysconf(_SC_PAGESIZE);
    e->n_workers = opt->workers;
    e->workers = xcalloc((size_t)e->n_workers, sizeof(*e->workers));
    for (int i = 0; i < e->n_workers; i++)
        e->workers[i].fd = -1;
    struct verdict_cache_options vopt = { .max_entries = opt->verdict_entries,
                                          .max_bytes = opt->verdict_bytes };
    e->verdicts = verdict_cache_new(&vopt);
    pthread_mutex_init(&e->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&e->changed, &ca);
    pthread_condattr_destroy(&ca);
    metrics_set("da_query_workers", NULL, 0);
    metrics_count("da_query_worker_restarts_total", NULL, 0);
    if (pthread_create(&e->supervisor, NULL, supervise, e) != 0) {
        e->supervisor_started = false;
        query_engine_stop(&e);
        return err_set(err, RC_INTERNAL, "cannot start the query worker supervisor");
    }
    e->supervisor_started = true;
    *out = e;
    return RC_OK;
}

void query_engine_shutdown(struct query_engine *e)
{
    if (!e)
        return;
    pthread_mutex_lock(&e->mu);
    e->stopping = true;
    pthread_cond_broadcast(&e->changed);
    pthread_mutex_unlock(&e->mu);
    /* idle workers are killed here; busy ones by the thread that owns them, within WATCH_MS */
    for (int i = 0; i < e->n_workers; i++) {
        struct worker *w = &e->workers[i];
        pthread_mutex_lock(&e->mu);
        bool mine = !w->busy && w->pid > 0;
        if (mine)
            w->busy = true;
        pthread_mutex_unlock(&e->mu);
        if (!mine)
            continue;
        kill_worker(e, w, END_SHUTDOWN);
        give_back(e, w);
    }
}

void query_engine_stop(struct query_engine **ep)
{
    if (!ep || !*ep)
        return;
    struct query_engine *e = *ep;
    query_engine_shutdown(e);
    /* a query still running ends within WATCH_MS of the shutdown; wait for it */
    pthread_mutex_lock(&e->mu);
    for (;;) {
        bool busy = false;
        for (int i = 0; i < e->n_workers; i++)
            busy = busy || e->workers[i].busy;
        if (!busy)
            break;
        pthread_cond_wait(&e->changed, &e->mu);
    }
    pthread_mutex_unlock(&e->mu);
    query_engine_shutdown(e); /* a slot that was busy above may have a process still */
    pthread_mutex_lock(&e->mu);
    e->closing = true;
    pthread_cond_broadcast(&e->changed);
    pthread_mutex_unlock(&e->mu);
    if (e->supervisor_started)
        pthread_join(e->supervisor, NULL);
    for (size_t i = 0; i < e->n_users; i++)
        free(e->users[i].user_id);
    free(e->users);
    free(e->workers);
    verdict_cache_free(&e->verdicts);
    free(e->exe);
    free_environment(e->envp);
    pthread_mutex_destroy(&e->mu);
    pthread_cond_destroy(&e->changed);
    free(e);
    *ep = NULL;
}

/* The guard's verdict on req for its caller, in o->guard: the text's parse from the cache, or
 * parsed on a connection to g and cached; then the caller's policy on the tables it names,
 * asked afresh every time (so a grant change applies to the very next query). */
static enum rc guard(struct query_engine *e, struct catalog_gen *g, const struct query_request *req,
                     struct query_outcome *o, struct err *err)
{
    struct guard_parse parse;
    enum rc rc = RC_OK;
    bool hit = verdict_cache_get(e->verdicts, req->sql, g->number, &parse);
    metrics_count("da_guard_parses_total", hit ? "cache=\"hit\"" : "cache=\"miss\"", 1);
    if (!hit) {
        struct duck *conn = NULL;
        rc = catalog_connect(g, &conn, err);
        if (!rc)
            rc = guard_parse(conn, req->sql, &parse, err);
        duck_close(&conn);
        if (!rc) /* a failure (DuckDB's, or a text too long) is never cached */
            verdict_cache_put(e->verdicts, req->sql, g->number, &parse);
    }
    if (!rc)
        guard_decide(&parse, &req->policy, &o->guard);
    else /* fail closed, for a caller that looks only at the verdict */
        o->guard.verdict = GUARD_BAD_SQL;
    guard_parse_cleanup(&parse);
    return rc;
}

enum rc query_run(struct query_engine *e, const struct query_request *req, struct buf *out,
                  struct query_outcome *o, struct err *err)
{
    memset(o, 0, sizeof(*o));
    o->parquet_fd = -1;
    int64_t t0 = clock_mono_us();
    int64_t deadline_us = t0 + (int64_t)e->opt.timeout_s * 1000000;
    if (!user_enter(e, req->user_id)) {
        outcome(o, QUERY_TOO_MANY,
                "you run %d queries already (query.max_concurrent);"
                " wait for one to finish",
                e->opt.max_concurrent);
        return RC_OK;
    }
    struct catalog_gen *g = catalog_acquire(e->opt.catalog);
    o->generation = g->number;
    enum rc rc = guard(e, g, req, o, err);
    if (!rc && o->guard.verdict == GUARD_BAD_SQL)
        outcome(o, QUERY_BAD_SQL, "%s", o->guard.message);
    else if (!rc && o->guard.verdict == GUARD_FORBIDDEN)
        outcome(o, QUERY_FORBIDDEN, "%s", o->guard.message);
    else if (!rc)
        rc = run_in_worker(e, g, req, deadline_us, out, o, err);
    catalog_release(e->opt.catalog, g);
    user_leave(e, req->user_id);
    o->duration_us = clock_mono_us() - t0;
    return rc;
}
