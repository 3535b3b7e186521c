/* dataplane.c — the data plane service (see dataplane.h). Two threads: the watcher polls
 * extracts/ (a few stat calls) and performs requested rebuilds; the profiler works through a
 * queue of table ids, one at a time, on the generation current when it starts each table. A
 * rebuild and a profile never block queries: both only hold a generation like a query does. */
#include "data/dataplane.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/isotime.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/metrics.h"
#include "data/duck.h"
#include "data/filehash.h"
#include "data/table_profile.h"
#include "store/datastate_repo.h"
#include "store/registry_repo.h"
#include "store/store.h"

#define PROFILE_QUEUE_MAX 4096

struct dataplane {
    struct catalog *catalog;
    struct store *store;
    int interval_ms;
    bool profile;
    pthread_mutex_t mu;
    pthread_cond_t wake;         /* the watcher: a request or stop */
    pthread_cond_t profile_wake; /* the profiler: work or stop */
    bool stopping;
    bool rebuild_requested;
    char requested_source[IDENT_MAX_LEN + 1]; /* "" for every source */
    char (*queue)[IDENT_MAX_LEN + 1];
    size_t queue_len, queue_cap;
    struct filehash *hashes;
    bool hash_due; /* a rebuild may have brought files not hashed yet */
    pthread_t watcher, profiler;
    bool watcher_started, profiler_started;
    int stop_grace_ms;
    struct duck *profiling; /* the profiler's connection while it runs (under mu), so
                               dataplane_stop can interrupt it */
    bool profiler_done;     /* under mu; signalled on profiler_exit */
    pthread_cond_t profiler_exit;
};

/* Whether the service is stopping (the profiler and hashing check it between units). */
static bool stopping(void *arg)
{
    struct dataplane *dp = arg;
    pthread_mutex_lock(&dp->mu);
    bool stop = dp->stopping;
    pthread_mutex_unlock(&dp->mu);
    return stop;
}

struct catalog *dataplane_catalog(struct dataplane *dp)
{
    return dp->catalog;
}

struct filehash *dataplane_filehash(struct dataplane *dp)
{
    return dp->hashes;
}

enum rc dataplane_record_state(struct catalog *catalog, struct store *store, struct err *err)
{
    struct catalog_gen *g = catalog_acquire(catalog);
    struct sync_state_row *rows = xcalloc(g->n_tables ? g->n_tables : 1, sizeof(*rows));
    for (size_t i = 0; i < g->n_tables; i++) {
        const struct catalog_table *t = &g->tables[i];
        struct sync_state_row *r = &rows[i];
        snprintf(r->table_id, sizeof(r->table_id), "%s", t->id);
        snprintf(r->source, sizeof(r->source), "%s", t->source);
        snprintf(r->query_mode, sizeof(r->query_mode), "%s", t->remote ? "remote" : "local");
        snprintf(r->extracted_at, sizeof(r->extracted_at), "%s", t->extracted_at);
        r->rows = t->rows;
        r->size_bytes = t->size_bytes;
        snprintf(r->status, sizeof(r->status), "%s", catalog_status_str(t->status));
        snprintf(r->error, sizeof(r->error), "%s", t->reason ? t->reason : "");
        snprintf(r->checked_at, sizeof(r->checked_at), "%s", g->built_at);
    }
    size_t n = g->n_tables; /* ids are unique within a generation */
    char number[24];
    snprintf(number, sizeof(number), "%llu", (unsigned long long)g->number);
    enum rc rc = sync_state_replace(store, rows, n, err);
    if (!rc)
        rc = store_meta_set(store, "catalog_generation", number, err);
    if (!rc)
        rc = store_meta_set(store, "catalog_built_at", g->built_at, err);
    catalog_release(catalog, g);
    free(rows);
    return rc;
}

/* Queues id unless it is queued already. Caller holds mu. */
static void enqueue_locked(struct dataplane *dp, const char *id)
{
    for (size_t i = 0; i < dp->queue_len; i++)
        if (strcmp(dp->queue[i], id) == 0)
            return;
    if (dp->queue_len == PROFILE_QUEUE_MAX)
        return;
    dp->queue = xgrow(dp->queue, &dp->queue_cap, dp->queue_len + 1, sizeof(*dp->queue));
    snprintf(dp->queue[dp->queue_len++], IDENT_MAX_LEN + 1, "%s", id);
    pthread_cond_signal(&dp->profile_wake);
}

/* False when the table's registry row turns profiling after a sync off. */
static bool profile_wanted(struct dataplane *dp, const char *id)
{
    struct registry_table *row = xmalloc(sizeof(*row)); /* 6 KiB: not on the stack */
    struct err err;
    bool wanted = registry_get(dp->store, id, row, &err) != RC_OK || row->profile_after_sync;
    free(row);
    return wanted;
}

/* Queues every served local table whose stored profile is missing or of older data, unless
 * its registry row says not to. */
static void queue_stale_profiles(struct dataplane *dp)
{
    if (!dp->profile)
        return;
    struct catalog_gen *g = catalog_acquire(dp->catalog);
    for (size_t i = 0; i < g->n_tables; i++) {
        const struct catalog_table *t = &g->tables[i];
        if (t->status != CATALOG_OK || t->remote)
            continue;
        char *json = NULL;
        char extracted_at[ISOTIME_SIZE], profiled_at[ISOTIME_SIZE];
        struct err err;
        enum rc rc = profiles_get(dp->store, t->id, &json, extracted_at, profiled_at, &err);
        free(json);
        if (rc == RC_OK && strcmp(extracted_at, t->extracted_at) == 0)
            continue;
        if (!profile_wanted(dp, t->id))
            continue;
        pthread_mutex_lock(&dp->mu);
        enqueue_locked(dp, t->id);
        pthread_mutex_unlock(&dp->mu);
    }
    catalog_release(dp->catalog, g);
}

/* The rebuild's figures for GET /metrics. */
static void rebuild_metrics(enum rc rc, const struct catalog_rebuild_stats *s)
{
    metrics_count("da_catalog_rebuilds_total", rc ? "result=\"error\"" : "result=\"ok\"", 1);
    if (rc)
        return;
    metrics_observe("da_catalog_rebuild_duration_seconds", NULL, (double)s->duration_us / 1e6);
    metrics_set("da_catalog_generation", NULL, (double)s->generation);
    metrics_set("da_catalog_tables", "status=\"ok\"", s->tables_ok);
    metrics_set("da_catalog_tables", "status=\"unavailable\"", s->tables_unavailable);
    metrics_set("da_catalog_tables", "status=\"error\"", s->tables_error);
}

/* Records what a rebuild produced: sync_state, then profiles to compute. */
static void after_rebuild(struct dataplane *dp)
{
    struct err err = { { 0 } };
    if (dataplane_record_state(dp->catalog, dp->store, &err) != RC_OK)
        log_error("dataplane", "cannot record sync state: %s", err.msg);
    pthread_mutex_lock(&dp->mu);
    dp->hash_due = true;
    pthread_cond_signal(&dp->profile_wake);
    pthread_mutex_unlock(&dp->mu);
    queue_stale_profiles(dp);
}

enum rc dataplane_rebuild(struct dataplane *dp, const char *source,
                          struct catalog_rebuild_stats *out, struct err *err)
{
    enum rc rc = catalog_rebuild(dp->catalog, source, out, err);
    rebuild_metrics(rc, out);
    if (!rc)
        after_rebuild(dp);
    return rc;
}

void dataplane_request_rebuild(struct dataplane *dp, const char *source)
{
    pthread_mutex_lock(&dp->mu);
    /* two requests for different sources become one for every source */
    if (dp->rebuild_requested && strcmp(dp->requested_source, source ? source : "") != 0)
        dp->requested_source[0] = '\0';
    else
        snprintf(dp->requested_source, sizeof(dp->requested_source), "%s",
                 source && ident_valid(source) ? source : "");
    dp->rebuild_requested = true;
    pthread_cond_signal(&dp->wake);
    pthread_mutex_unlock(&dp->mu);
}

enum rc dataplane_profile(struct dataplane *dp, const char *id, struct err *err)
{
    struct catalog_gen *g = catalog_acquire(dp->catalog);
    const struct catalog_table *t = catalog_find(g, id);
    bool ok = t && t->status == CATALOG_OK && !t->remote;
    catalog_release(dp->catalog, g);
    if (!ok)
        return err_set(err, RC_NOTFOUND, "no local table %s is served", id);
    pthread_mutex_lock(&dp->mu);
    enqueue_locked(dp, id);
    pthread_mutex_unlock(&dp->mu);
    return RC_OK;
}

static void *watch_loop(void *arg)
{
    struct dataplane *dp = arg;
    for (;;) {
        struct timespec until = clock_after_us(CLOCK_REALTIME, (int64_t)dp->interval_ms * 1000);
        pthread_mutex_lock(&dp->mu);
        while (!dp->stopping && !dp->rebuild_requested &&
               pthread_cond_timedwait(&dp->wake, &dp->mu, &until) != ETIMEDOUT) {
        }
        bool stop = dp->stopping, requested = dp->rebuild_requested;
        char source[IDENT_MAX_LEN + 1];
        snprintf(source, sizeof(source), "%s", dp->requested_source);
        dp->rebuild_requested = false;
        pthread_mutex_unlock(&dp->mu);
        if (stop)
            break;

        struct catalog_rebuild_stats stats;
        struct err err = { { 0 } };
        enum rc rc = RC_OK;
        bool rebuilt = false;
        if (requested) {
            rc = catalog_rebuild(dp->catalog, source[0] ? source : NULL, &stats, &err);
            rebuilt = true;
        } else if (catalog_changed_on_disk(dp->catalog)) {
            rc = catalog_refresh(dp->catalog, &stats, &err);
            rebuilt = true;
        }
        if (rebuilt) {
            rebuild_metrics(rc, &stats);
            if (rc)
                log_error("dataplane", "rebuild failed: %s", err.msg);
            else
                after_rebuild(dp);
            catalog_rebuild_stats_cleanup(&stats);
        }
        int removed = 0;
        if (catalog_sweep(dp->catalog, &removed, &err) != RC_OK)
            log_warn("dataplane", "cannot remove old Parquet runs: %s", err.msg);
        else if (removed > 0)
            log_info("dataplane", "removed %d Parquet run folder(s) no query reads", removed);
    }
    return NULL;
}

static void profile_one(struct dataplane *dp, const char *id)
{
    struct catalog_gen *g = catalog_acquire(dp->catalog);
    const struct catalog_table *t = catalog_find(g, id);
    struct duck *conn = NULL;
    struct buf rel;
    char *json = NULL;
    struct err err = { { 0 } };
    buf_init(&rel, 256);
    if (!t || t->status != CATALOG_OK || t->remote)
        goto out;
    int64_t t0 = clock_mono_us();
    /* a value seen once (one person's e-mail) is never listed as a top value */
    struct profile_options opt = { .size_bytes = t->size_bytes, .top_min_count = 2 };
    enum rc rc = buf_append_str(&rel, "main.");
    if (!rc)
        rc = duck_sql_quote_ident(&rel, t->id);
    if (!rc)
        rc = catalog_connect(g, &conn, &err);
    if (!rc) {
        pthread_mutex_lock(&dp->mu);
        dp->profiling = conn;
        pthread_mutex_unlock(&dp->mu);
        rc = profile_compute(conn, buf_cstr(&rel), &opt, &json, &err);
        pthread_mutex_lock(&dp->mu);
        dp->profiling = NULL; /* before duck_close: stop never interrupts a closed one */
        pthread_mutex_unlock(&dp->mu);
    }
    if (stopping(dp)) { /* interrupted, or done too late: nothing is saved */
        log_info("profiler", "profile of %s stopped: the server is stopping", id);
        goto out;
    }
    if (!rc)
        rc = profiles_save(dp->store, t->id, json, t->extracted_at, &err);
    if (rc)
        log_warn("profiler", "cannot profile %s: %s", id, err.msg);
    else
        log_info("profiler", "profiled %s (%lld rows) in %.0f ms", id, (long long)t->rows,
                 (double)(clock_mono_us() - t0) / 1000.0);
out:
    duck_close(&conn);
    catalog_release(dp->catalog, g);
    buf_cleanup(&rel);
    free(json);
}

/* Whether hashing the current generation should end early: the server stops, or a rebuild
 * made a newer generation (hash_due again), whose pass will hash what is left; so the old
 * generation is not held for the length of a long pass. */
static bool hashing_should_end(struct dataplane *dp)
{
    pthread_mutex_lock(&dp->mu);
    bool end = dp->stopping || dp->hash_due;
    pthread_mutex_unlock(&dp->mu);
    return end;
}

/* Hashes every file of the current generation that is not hashed yet. */
static void hash_files(struct dataplane *dp)
{
    struct catalog_gen *g = catalog_acquire(dp->catalog);
    int64_t t0 = clock_mono_us();
    bool ended = false;
    for (size_t i = 0; i < g->n_tables && !ended; i++) {
        for (size_t f = 0; f < g->tables[i].n_files && !ended; f++) {
            ended = hashing_should_end(dp);
            struct file_digest d;
            struct err err;
            if (!ended && filehash_get(dp->hashes, g->tables[i].files[f], &d, &err) != RC_OK &&
                !stopping(dp))
                log_warn("dataplane", "cannot hash a file of %s: %s", g->tables[i].id, err.msg);
        }
    }
    catalog_release(dp->catalog, g);
    if (ended)
        log_info("dataplane", "file hashing ended early (stopping, or a newer generation)");
    else
        log_info("dataplane", "file digests ready in %.0f ms",
                 (double)(clock_mono_us() - t0) / 1000.0);
}

static void *profile_loop(void *arg)
{
    struct dataplane *dp = arg;
    for (;;) {
        pthread_mutex_lock(&dp->mu);
        while (!dp->stopping && dp->queue_len == 0 && !dp->hash_due)
            pthread_cond_wait(&dp->profile_wake, &dp->mu);
        if (dp->stopping) {
            pthread_mutex_unlock(&dp->mu);
            break;
        }
        if (dp->hash_due) {
            dp->hash_due = false;
            pthread_mutex_unlock(&dp->mu);
            hash_files(dp);
            continue;
        }
        char id[IDENT_MAX_LEN + 1];
        snprintf(id, sizeof(id), "%s", dp->queue[0]);
        memmove(dp->queue, dp->queue + 1, (dp->queue_len - 1) * sizeof(*dp->queue));
        dp->queue_len--;
        pthread_mutex_unlock(&dp->mu);
        profile_one(dp, id);
    }
    pthread_mutex_lock(&dp->mu);
    dp->profiler_done = true;
    pthread_cond_broadcast(&dp->profiler_exit);
    pthread_mutex_unlock(&dp->mu);
    return NULL;
}

enum rc dataplane_start(const struct dataplane_options *opt, struct dataplane **out,
                        struct err *err)
{
    struct dataplane *dp = xcalloc(1, sizeof(*dp));
    struct catalog_options copt = { .data_dir = opt->data_dir,
                                    .memory_limit = opt->memory_limit,
                                    .threads = opt->threads };
    struct catalog_rebuild_stats stats = { 0 };
    *out = NULL;
    dp->store = opt->store;
    dp->interval_ms = opt->watch_interval_ms > 0 ? opt->watch_interval_ms : 2000;
    dp->profile = opt->profile;
    dp->hashes = filehash_new();
    dp->stop_grace_ms = opt->stop_grace_ms > 0 ? opt->stop_grace_ms : 5000;
    pthread_cond_init(&dp->profiler_exit, NULL);
    pthread_mutex_init(&dp->mu, NULL);
    pthread_cond_init(&dp->wake, NULL);
    pthread_cond_init(&dp->profile_wake, NULL);
    enum rc rc = catalog_open(&copt, &dp->catalog, err);
    if (!rc)
        rc = dataplane_rebuild(dp, NULL, &stats, err);
    catalog_rebuild_stats_cleanup(&stats);
    if (!rc && pthread_create(&dp->watcher, NULL, watch_loop, dp) != 0)
        rc = err_set(err, RC_INTERNAL, "cannot start the catalog watcher");
    dp->watcher_started = rc == RC_OK;
    if (!rc && pthread_create(&dp->profiler, NULL, profile_loop, dp) != 0)
        rc = err_set(err, RC_INTERNAL, "cannot start the profiler");
    dp->profiler_started = rc == RC_OK;
    if (rc) {
        dataplane_stop(&dp);
        return rc;
    }
    *out = dp;
    return RC_OK;
}

/* Waits up to the grace for the profiler to end, interrupting its DuckDB work every 100 ms
 * (DuckDB drops an interrupt that falls between two statements of a profile, so once is not
 * enough). True when it ended. */
static bool profiler_wait(struct dataplane *dp)
{
    int64_t until = clock_mono_us() + (int64_t)dp->stop_grace_ms * 1000;
    pthread_mutex_lock(&dp->mu);
    while (!dp->profiler_done && clock_mono_us() < until) {
        if (dp->profiling)
            duck_interrupt(dp->profiling);
        struct timespec t = clock_after_us(CLOCK_REALTIME, 100 * 1000);
        (void)pthread_cond_timedwait(&dp->profiler_exit, &dp->mu, &t);
    }
    bool done = dp->profiler_done;
    pthread_mutex_unlock(&dp->mu);
    return done;
}

void dataplane_stop(struct dataplane **dpp)
{
    if (!dpp || !*dpp)
        return;
    struct dataplane *dp = *dpp;
    pthread_mutex_lock(&dp->mu);
    dp->stopping = true;
    pthread_cond_broadcast(&dp->wake);
    pthread_cond_broadcast(&dp->profile_wake);
    pthread_mutex_unlock(&dp->mu);
    filehash_cancel(dp->hashes);
    if (dp->profiler_started && !profiler_wait(dp)) {
        /* still inside DuckDB after the grace: leave it (and all it uses) to the exit */
        log_error("dataplane", "the profiler did not stop within %d ms; not waiting longer",
                  dp->stop_grace_ms);
        *dpp = NULL;
        return;
    }
    if (dp->watcher_started)
        pthread_join(dp->watcher, NULL);
    if (dp->profiler_started)
        pthread_join(dp->profiler, NULL);
    catalog_close(&dp->catalog);
    pthread_mutex_destroy(&dp->mu);
    pthread_cond_destroy(&dp->wake);
    pthread_cond_destroy(&dp->profile_wake);
    pthread_cond_destroy(&dp->profiler_exit);
    filehash_free(&dp->hashes);
    free(dp->queue);
    free(dp);
    *dpp = NULL;
}
