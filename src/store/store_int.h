/* store_int.h — shared by the files of the store module only: the connection pool and the
 * migration list. Nothing outside src/store includes this (or sqlite3.h). */
#ifndef DA_STORE_STORE_INT_H
#define DA_STORE_STORE_INT_H

#include <sqlite3.h>

#include "store/store.h"

/* Borrows a connection; blocks while all are in use. Give it back with store_conn_release. */
sqlite3 *store_conn_acquire(struct store *store);
void store_conn_release(struct store *store, sqlite3 *db);

/* One schema step. Steps are never edited once released: a change is a new step. */
struct store_migration {
    int version;
    const char *name;
    const char *sql;
};

/* The ordered list of steps, versions 1..n without gaps. */
const struct store_migration *store_migrations(int *out_count);

/* Fills err with "what: <sqlite message>" and returns RC_DB (RC_CONFLICT for constraint
 * violations, so callers can answer 409). */
enum rc store_sqlite_err(sqlite3 *db, struct err *err, const char *what);

#endif
