/* meta_repo.c — the server_meta repository: small named settings the server keeps across
 * restarts (its instance id, first-start facts). */
#include <stdlib.h>

#include "base/isotime.h"
#include "base/mem.h"
#include "store/store_int.h"

/* Reads key on an already borrowed connection. */
static enum rc meta_get(sqlite3 *db, const char *key, char **out_value, struct err *err)
{
    sqlite3_stmt *st = NULL;
    enum rc rc = RC_OK;
    *out_value = NULL;
    if (sqlite3_prepare_v2(db, "SELECT value FROM server_meta WHERE key = ?", -1, &st, NULL) !=
        SQLITE_OK) {
        rc = store_sqlite_err(db, err, "read setting");
        goto out;
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        rc = err_set(err, RC_NOTFOUND, "setting %s is not set", key);
        goto out;
    }
    if (step != SQLITE_ROW) {
        rc = store_sqlite_err(db, err, "read setting");
        goto out;
    }
    *out_value = xstrdup((const char *)sqlite3_column_text(st, 0));
out:
    sqlite3_finalize(st);
    return rc;
}

/* Writes key; with only_if_absent an existing value is kept. */
static enum rc meta_put(sqlite3 *db, const char *key, const char *value, int only_if_absent,
                        struct err *err)
{
    static const char *replace =
        "INSERT INTO server_meta(key, value, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at";
    static const char *keep = "INSERT INTO server_meta(key, value, updated_at) VALUES (?, ?, ?)"
                              " ON CONFLICT(key) DO NOTHING";
    sqlite3_stmt *st = NULL;
    enum rc rc = RC_OK;
    char now[ISOTIME_SIZE];
    isotime_now(now);
    if (sqlite3_prepare_v2(db, only_if_absent ? keep : replace, -1, &st, NULL) != SQLITE_OK) {
        rc = store_sqlite_err(db, err, "write setting");
        goto out;
    }
    sqlite3_bind_text(st, 1, key, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 2, value, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 3, now, -1, SQLITE_STATIC);
    if (sqlite3_step(st) != SQLITE_DONE)
        rc = store_sqlite_err(db, err, "write setting");
out:
    sqlite3_finalize(st);
    return rc;
}

enum rc store_meta_get(struct store *store, const char *key, char **out_value, struct err *err)
{
    sqlite3 *db = NULL;
    *out_value = NULL;
    enum rc rc = store_conn_acquire(store, &db, err);
    if (rc)
        return rc;
    rc = meta_get(db, key, out_value, err);
    store_conn_release(store, db);
    return rc;
}

struct meta_put_tx {
    const char *key, *value;
    int only_if_absent;
    char **out_value; /* NULL: not read back */
};

static enum rc meta_put_tx(sqlite3 *db, void *arg, struct err *err)
{
    struct meta_put_tx *t = arg;
    enum rc rc = meta_put(db, t->key, t->value, t->only_if_absent, err);
    if (!rc && t->out_value)
        rc = meta_get(db, t->key, t->out_value, err);
    return rc;
}

enum rc store_meta_set(struct store *store, const char *key, const char *value, struct err *err)
{
    struct meta_put_tx t = { key, value, 0, NULL };
    return store_transaction(store, meta_put_tx, &t, err);
}

enum rc store_meta_get_or_init(struct store *store, const char *key, const char *value,
                               char **out_value, struct err *err)
{
    char *got = NULL;
    struct meta_put_tx t = { key, value, 1, &got };
    enum rc rc = store_transaction(store, meta_put_tx, &t, err);
    if (rc) {
        free(got);
        got = NULL;
    }
    *out_value = got;
    return rc;
}
