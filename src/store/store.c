/* store.c — opening, migrating and closing the state store, its connection pool, and the
 * server_meta repository. SQLite runs in WAL mode so readers never block the writer; each
 * pooled connection is used by one thread at a time. */
#include "store/store.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/isotime.h"
#include "base/log.h"
#include "base/mem.h"
#include "store/store_int.h"

#define STORE_BUSY_TIMEOUT_MS 5000
#define STORE_POOL_MAX        64

struct store {
    char *path;
    int version;
    pthread_mutex_t lock;
    pthread_cond_t freed;
    int size;
    int free_len;
    sqlite3 *conns[STORE_POOL_MAX]; /* all connections */
    sqlite3 *free_conns[STORE_POOL_MAX];
};

enum rc store_sqlite_err(sqlite3 *db, struct err *err, const char *what)
{
    int code = db ? sqlite3_errcode(db) & 0xff : SQLITE_ERROR;
    enum rc rc = code == SQLITE_CONSTRAINT ? RC_CONFLICT : RC_DB;
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
    pthread_mutex_init(&s->lock, NULL);
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
    free(s->path);
    free(s);
    *store = NULL;
}

sqlite3 *store_conn_acquire(struct store *store)
{
    pthread_mutex_lock(&store->lock);
    while (store->free_len == 0)
        pthread_cond_wait(&store->freed, &store->lock);
    sqlite3 *db = store->free_conns[--store->free_len];
    pthread_mutex_unlock(&store->lock);
    return db;
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
    sqlite3 *db = store_conn_acquire(store);
    int one = 0;
    enum rc rc = query_int(db, "SELECT 1", &one, err);
    store_conn_release(store, db);
    return rc;
}
