/* store.c — opening, migrating and closing the state store, its connection pool, and the
 * server_meta repository. SQLite runs in WAL mode so readers never block the writer; each
 * pooled connection is used by one thread at a time. */
#include "store/store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/isotime.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/metrics.h"
#include "store/identity_repo.h"
#include "store/store_int.h"

#define STORE_BUSY_TIMEOUT_MS 5000
#define STORE_POOL_MAX        64
#define STORE_ACQUIRE_TIMEOUT_MS                                                                   \
    3000 /* waiting longer for a connection or the write lock:                                     \
            RC_BUSY (503 with Retry-After), never a hang */

struct store {
    char *path;
    int version;
    pthread_mutex_t lock;
    pthread_cond_t freed;
    /* One write transaction at a time in this process: SQLite allows one writer anyway, and
     * a writer that finds the lock taken sleeps in its busy handler (1, 2, 5, 10 ms...), which
     * made the latency tail of audited requests under load. A mutex wakes the next at once. */
    pthread_mutex_t write_lock;
    int acquire_timeout_ms;
    int size;
    int free_len;
    sqlite3 *conns[STORE_POOL_MAX]; /* all connections */
    sqlite3 *free_conns[STORE_POOL_MAX];
};

enum rc store_sqlite_err(sqlite3 *db, struct err *err, const char *what)
{
    int code = db ? sqlite3_errcode(db) & 0xff : SQLITE_ERROR;
    enum rc rc = code == SQLITE_CONSTRAINT                      ? RC_CONFLICT
                 : code == SQLITE_BUSY || code == SQLITE_LOCKED ? RC_BUSY
                                                                : RC_DB;
    return err_set(err, rc, "%s: %s", what, db ? sqlite3_errmsg(db) : "no connection");
}

/* Runs SQL without results (pragmas, DDL, transaction control). */
static enum rc exec_sql(sqlite3 *db, const char *sql, struct err *err)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK)
        return RC_OK;
    enum rc rc = err_set(err, RC_DB, "%s: %s", sql, msg ? msg : sqlite3_errmsg(db));
    sqlite3_free(msg);
    return rc;
}

/* Reads one integer from a single-row query. */
static enum rc query_int(sqlite3 *db, const char *sql, int *out, struct err *err)
{
    sqlite3_stmt *st = NULL;
    enum rc rc = RC_OK;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        rc = store_sqlite_err(db, err, "prepare");
        goto out;
    }
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = store_sqlite_err(db, err, sql);
        goto out;
    }
    *out = sqlite3_column_int(st, 0);
out:
    sqlite3_finalize(st);
    return rc;
}

static enum rc open_conn(const char *path, sqlite3 **out_db, struct err *err)
{
    sqlite3 *db = NULL;
    enum rc rc = RC_OK;
    int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        rc = store_sqlite_err(db, err, path);
        goto out;
    }
    sqlite3_extended_result_codes(db, 1);
    sqlite3_busy_timeout(db, STORE_BUSY_TIMEOUT_MS);
    /* synchronous=FULL: a committed change survives a power loss, not only a crash */
    if (sqlite3_exec(db,
                     "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
                     "PRAGMA trusted_schema=OFF;",
                     NULL, NULL, NULL) != SQLITE_OK)
        rc = store_sqlite_err(db, err, path); /* e.g. "file is not a database" */
out:
    if (rc) {
        sqlite3_close(db);
        db = NULL;
    }
    *out_db = db;
    return rc;
}

static enum rc check_integrity(sqlite3 *db, const char *path, struct err *err)
{
    sqlite3_stmt *st = NULL;
    enum rc rc = RC_OK;
    if (sqlite3_prepare_v2(db, "PRAGMA quick_check", -1, &st, NULL) != SQLITE_OK) {
        rc = store_sqlite_err(db, err, path);
        goto out;
    }
    if (sqlite3_step(st) != SQLITE_ROW) {
        rc = store_sqlite_err(db, err, path);
        goto out;
    }
    const char *res = (const char *)sqlite3_column_text(st, 0);
    if (!res || strcmp(res, "ok") != 0)
        rc = err_set(err, RC_DB, "%s fails its integrity check: %s", path, res ? res : "?");
out:
    sqlite3_finalize(st);
    return rc;
}

/* Applies every step above the current version inside one IMMEDIATE transaction, so a crash
 * mid-way leaves the database as it was. */
static enum rc migrate(sqlite3 *db, const char *path, int *out_version, struct err *err)
{
    int count = 0, version = 0;
    const struct store_migration *steps = store_migrations(&count);
    sqlite3_stmt *ins = NULL;
    enum rc rc = exec_sql(db, "BEGIN IMMEDIATE", err);
    if (rc)
        return rc;
    rc = exec_sql(db,
                  "CREATE TABLE IF NOT EXISTS schema_migrations ("
                  " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)",
                  err);
    if (rc)
        goto out;
    rc = query_int(db, "SELECT coalesce(max(version), 0) FROM schema_migrations", &version, err);
    if (rc)
        goto out;
    if (version > count) {
        rc = err_set(err, RC_CONFLICT,
                     "%s has schema version %d but this da knows only %d: upgrade da", path,
                     version, count);
        goto out;
    }
    if (sqlite3_prepare_v2(db,
                           "INSERT INTO schema_migrations(version, name, applied_at)"
                           " VALUES (?, ?, ?)",
                           -1, &ins, NULL) != SQLITE_OK) {
        rc = store_sqlite_err(db, err, "prepare migration record");
        goto out;
    }
    char now[ISOTIME_SIZE];
    isotime_now(now);
    for (int i = version; i < count; i++) {
        rc = exec_sql(db, steps[i].sql, err);
        if (rc)
            goto out;
        sqlite3_reset(ins);
        sqlite3_bind_int(ins, 1, steps[i].version);
        sqlite3_bind_text(ins, 2, steps[i].name, -1, SQLITE_STATIC);
        sqlite3_bind_text(ins, 3, now, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(ins) != SQLITE_DONE) {
            rc = store_sqlite_err(db, err, "record migration");
            goto out;
        }
        log_info("store", "applied migration %d: %s", steps[i].version, steps[i].name);
    }
    version = count;
    rc = exec_sql(db, "COMMIT", err);
out:
    sqlite3_finalize(ins);
    if (rc) {
        struct err ignored;
        (void)exec_sql(db, "ROLLBACK", &ignored);
    } else {
        *out_version = version;
    }
    return rc;
}

enum rc store_open(const char *path, int pool_size, struct store **out_store, struct err *err)
{
    struct store *s = xcalloc(1, sizeof(*s));
    enum rc rc = RC_OK;
    s->path = xstrdup(path);
    s->acquire_timeout_ms = STORE_ACQUIRE_TIMEOUT_MS;
    pthread_mutex_init(&s->lock, NULL);
    pthread_mutex_init(&s->write_lock, NULL);
    pthread_cond_init(&s->freed, NULL);
    if (pool_size < 1)
        pool_size = 1;
    if (pool_size > STORE_POOL_MAX)
        pool_size = STORE_POOL_MAX;
    for (int i = 0; i < pool_size; i++) {
        rc = open_conn(path, &s->conns[i], err);
        if (rc)
            goto out;
        s->size++;
        s->free_conns[s->free_len++] = s->conns[i];
        if (i == 0) {
            rc = check_integrity(s->conns[0], path, err);
            if (!rc)
                rc = migrate(s->conns[0], path, &s->version, err);
            if (rc)
                goto out;
        }
    }
out:
    if (rc)
        store_close(&s);
    *out_store = s;
    return rc;
}

void store_close(struct store **store)
{
    struct store *s = store ? *store : NULL;
    if (!s)
        return;
    /* Closing the last connection checkpoints the WAL and removes the -wal and -shm files;
     * close the others first so that the last close sees no other reader. */
    for (int i = s->size - 1; i >= 0; i--) {
        if (sqlite3_close(s->conns[i]) != SQLITE_OK)
            log_error("store", "closing %s: %s", s->path, sqlite3_errmsg(s->conns[i]));
    }
    pthread_cond_destroy(&s->freed);
    pthread_mutex_destroy(&s->lock);
    pthread_mutex_destroy(&s->write_lock);
    free(s->path);
    free(s);
    *store = NULL;
}

/* The absolute CLOCK_REALTIME time ms milliseconds from now (for timed waits). */
static struct timespec deadline_in(int ms)
{
    return clock_after_us(CLOCK_REALTIME, (int64_t)ms * 1000);
}

enum rc store_conn_acquire(struct store *store, sqlite3 **out_db, struct err *err)
{
    struct timespec deadline = deadline_in(store->acquire_timeout_ms);
    int e = 0;
    *out_db = NULL;
    pthread_mutex_lock(&store->lock);
    while (store->free_len == 0 && e == 0)
        e = pthread_cond_timedwait(&store->freed, &store->lock, &deadline);
    if (store->free_len > 0)
        *out_db = store->free_conns[--store->free_len];
    pthread_mutex_unlock(&store->lock);
    if (!*out_db) {
        metrics_count("da_store_busy_total", "what=\"connection\"", 1);
        return err_set(err, RC_BUSY, "the state store is busy: no connection free within %d ms",
                       store->acquire_timeout_ms);
    }
    return RC_OK;
}

int store_pool_size_for(int http_threads)
{
    if (http_threads < 1)
        return 1;
    return http_threads > STORE_POOL_MAX / 4 ? STORE_POOL_MAX : http_threads * 4;
}

void store_set_acquire_timeout(struct store *store, int ms)
{
    store->acquire_timeout_ms = ms;
}

void store_conn_release(struct store *store, sqlite3 *db)
{
    pthread_mutex_lock(&store->lock);
    store->free_conns[store->free_len++] = db;
    pthread_cond_signal(&store->freed);
    pthread_mutex_unlock(&store->lock);
}

int store_schema_version(struct store *store)
{
    return store->version;
}

int store_schema_latest(void)
{
    int count = 0;
    (void)store_migrations(&count);
    return count;
}

enum rc store_ping(struct store *store, struct err *err)
{
    sqlite3 *db = NULL;
    int one = 0;
    enum rc rc = store_conn_acquire(store, &db, err);
    if (rc)
        return rc;
    rc = query_int(db, "SELECT 1", &one, err);
    store_conn_release(store, db);
    return rc;
}

enum rc store_prepare(sqlite3 *db, const char *sql, const struct store_arg *args,
                      sqlite3_stmt **out_st, struct err *err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        *out_st = NULL;
        return store_sqlite_err(db, err, "prepare");
    }
    *out_st = st;
    for (int i = 0; args && args[i].type != STORE_ARG_END; i++) {
        int r = SQLITE_OK;
        switch (args[i].type) {
        case STORE_ARG_TEXT:
            r = args[i].text ? sqlite3_bind_text(st, i + 1, args[i].text, -1, SQLITE_TRANSIENT)
                             : sqlite3_bind_null(st, i + 1);
            break;
        case STORE_ARG_INT:
            r = sqlite3_bind_int64(st, i + 1, args[i].num);
            break;
        case STORE_ARG_NULL:
        case STORE_ARG_END:
            r = sqlite3_bind_null(st, i + 1);
            break;
        }
        if (r != SQLITE_OK)
            return store_sqlite_err(db, err, "bind");
    }
    return RC_OK;
}

enum rc store_run(sqlite3 *db, const char *sql, const struct store_arg *args, int *out_changes,
                  struct err *err)
{
    sqlite3_stmt *st = NULL;
    enum rc rc = store_prepare(db, sql, args, &st, err);
    if (!rc) {
        int step = sqlite3_step(st);
        while (step == SQLITE_ROW) /* RETURNING rows, if any, are not needed */
            step = sqlite3_step(st);
        if (step != SQLITE_DONE)
            rc = store_sqlite_err(db, err, "write");
    }
    if (!rc && out_changes)
        *out_changes = sqlite3_changes(db);
    sqlite3_finalize(st);
    return rc;
}

void store_col_text(sqlite3_stmt *st, int col, char *out, size_t size)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    snprintf(out, size, "%s", t ? (const char *)t : "");
}

enum rc store_transaction(struct store *store,
                          enum rc (*fn)(sqlite3 *db, void *arg, struct err *err), void *arg,
                          struct err *err)
{
    /* The write lock first, then a connection: writers queued on the lock hold no pooled
     * connection, so they cannot starve the readers (every credential check is one). */
    struct timespec deadline = deadline_in(store->acquire_timeout_ms);
    if (pthread_mutex_timedlock(&store->write_lock, &deadline) != 0) {
        metrics_count("da_store_busy_total", "what=\"write_lock\"", 1);
        return err_set(err, RC_BUSY, "the state store is busy: no write turn within %d ms",
                       store->acquire_timeout_ms);
    }
    sqlite3 *db = NULL;
    enum rc rc = store_conn_acquire(store, &db, err);
    if (rc) {
        pthread_mutex_unlock(&store->write_lock);
        return rc;
    }
    rc = exec_sql(db, "BEGIN IMMEDIATE", err);
    if (!rc) {
        rc = fn(db, arg, err);
        if (!rc)
            rc = exec_sql(db, "COMMIT", err);
        if (rc) {
            struct err ignored;
            (void)exec_sql(db, "ROLLBACK", &ignored);
        }
    }
    store_conn_release(store, db);
    pthread_mutex_unlock(&store->write_lock);
    return rc;
}

enum rc store_audit_in_tx(sqlite3 *db, const struct audit_entry *e, struct err *err)
{
    if (!e)
        return RC_OK;
    char now[ISOTIME_SIZE];
    isotime_now(now);
    return store_run(db,
                     "INSERT INTO audit_log(at, actor_id, actor_email, action, target, ip, result,"
                     " detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                     (struct store_arg[]){ ARG_TEXT(now),
                                           ARG_TEXT(e->actor_id),
                                           ARG_TEXT(e->actor_email),
                                           ARG_TEXT(e->action),
                                           ARG_TEXT(e->target),
                                           ARG_TEXT(e->ip),
                                           ARG_TEXT(e->result),
                                           ARG_TEXT(e->detail),
                                           { 0 } },
                     NULL, err);
}

struct run_audited_tx {
    const char *sql;
    const struct store_arg *args;
    const struct audit_entry *audit;
    int changes;
};

static enum rc run_audited_tx(sqlite3 *db, void *arg, struct err *err)
{
    struct run_audited_tx *t = arg;
    enum rc rc = store_run(db, t->sql, t->args, &t->changes, err);
    if (!rc && t->changes > 0) /* a change that did not happen is not audited as one */
        rc = store_audit_in_tx(db, t->audit, err);
    return rc;
}

enum rc store_run_audited(struct store *store, const char *sql, const struct store_arg *args,
                          const struct audit_entry *audit, int *out_changes, struct err *err)
{
    struct run_audited_tx t = { sql, args, audit, 0 };
    enum rc rc = store_transaction(store, run_audited_tx, &t, err);
    if (out_changes)
        *out_changes = rc ? 0 : t.changes;
    return rc;
}

enum rc store_collect(struct store *store, const char *sql, const struct store_arg *args,
                      size_t elem_size, store_row_fn read, void **out, size_t *out_len,
                      struct err *err)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    char *rows = NULL;
    size_t len = 0, cap = 0;
    *out = NULL;
    *out_len = 0;
    enum rc rc = store_conn_acquire(store, &db, err);
    if (rc)
        return rc;
    rc = store_prepare(db, sql, args, &st, err);
    int step = SQLITE_DONE;
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        rows = xgrow(rows, &cap, len + 1, elem_size);
        memset(rows + len * elem_size, 0, elem_size);
        read(st, rows + len * elem_size);
        len++;
    }
    if (!rc && step != SQLITE_DONE)
        rc = store_sqlite_err(db, err, "read rows");
    sqlite3_finalize(st);
    store_conn_release(store, db);
    if (rc) {
        free(rows);
        rows = NULL;
        len = 0;
    }
    *out = rows;
    *out_len = len;
    return rc;
}

enum rc store_fetch_one(struct store *store, const char *sql, const struct store_arg *args,
                        store_row_fn read, void *row, const char *notfound_msg, struct err *err)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    enum rc rc = store_conn_acquire(store, &db, err);
    if (rc)
        return rc;
    rc = store_prepare(db, sql, args, &st, err);
    if (!rc) {
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            read(st, row);
        else if (step == SQLITE_DONE)
            rc = err_set(err, RC_NOTFOUND, "%s", notfound_msg);
        else
            rc = store_sqlite_err(db, err, "read row");
    }
    sqlite3_finalize(st);
    store_conn_release(store, db);
    return rc;
}
