/* store_int.h — shared by the files of the store module only: the connection pool and the
 * migration list. Nothing outside src/store includes this (or sqlite3.h). */
#ifndef DA_STORE_STORE_INT_H
#define DA_STORE_STORE_INT_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

/* Borrows a connection into *out_db, waiting while all are in use, but not longer than the
 * store's acquire timeout (3 s): then RC_BUSY. Give it back with store_conn_release. */
enum rc store_conn_acquire(struct store *store, sqlite3 **out_db, struct err *err);
void store_conn_release(struct store *store, sqlite3 *db);

/* One schema step. Steps are never edited once released: a change is a new step. */
struct store_migration {
    int version;
    const char *name;
    const char *sql;
};

/* The ordered list of steps, versions 1..n without gaps. */
const struct store_migration *store_migrations(int *out_count);

/* A value bound to a "?" of a statement. Lists end with a zeroed entry: {0}. */
enum store_arg_type { STORE_ARG_END = 0, STORE_ARG_TEXT, STORE_ARG_INT, STORE_ARG_NULL };
struct store_arg {
    enum store_arg_type type;
    const char *text;
    int64_t num;
};
#define ARG_TEXT(s) ((struct store_arg){ STORE_ARG_TEXT, (s), 0 }) /* NULL binds NULL */
#define ARG_INT(n)  ((struct store_arg){ STORE_ARG_INT, NULL, (n) })

/* Prepares sql and binds args. The caller finalizes *out_st (also after a failure). */
enum rc store_prepare(sqlite3 *db, const char *sql, const struct store_arg *args,
                      sqlite3_stmt **out_st, struct err *err);

/* Runs a statement that returns no rows. *out_changes (may be NULL) gets the rows changed. */
enum rc store_run(sqlite3 *db, const char *sql, const struct store_arg *args, int *out_changes,
                  struct err *err);

/* Reads the current row of st into row (an element of the caller's array). */
typedef void (*store_row_fn)(sqlite3_stmt *st, void *row);

/* Runs a query and collects its rows into a new array of elements of elem_size bytes, each
 * filled by read. The caller frees *out (NULL when there are no rows). */
enum rc store_collect(struct store *store, const char *sql, const struct store_arg *args,
                      size_t elem_size, store_row_fn read, void **out, size_t *out_len,
                      struct err *err);

/* Runs a query that returns at most one row and reads it into row. RC_NOTFOUND with
 * notfound_msg when there is none. */
enum rc store_fetch_one(struct store *store, const char *sql, const struct store_arg *args,
                        store_row_fn read, void *row, const char *notfound_msg, struct err *err);

/* Copies text column col of the current row into out (size bytes, truncating); NULL -> "". */
void store_col_text(sqlite3_stmt *st, int col, char *out, size_t size);

/* Runs fn inside BEGIN IMMEDIATE ... COMMIT on one borrowed connection, holding the
 * process's write lock; rolls back when fn fails. Every write of the store goes through here
 * (or store_run_audited, which does), so writers never meet in SQLite's busy handler. RC_BUSY
 * when the lock or a connection is not had within the acquire timeout. */
enum rc store_transaction(struct store *store,
                          enum rc (*fn)(sqlite3 *db, void *arg, struct err *err), void *arg,
                          struct err *err);

struct audit_entry;
/* Writes an audit record (NULL: none) on db, inside the caller's transaction. */
enum rc store_audit_in_tx(sqlite3 *db, const struct audit_entry *e, struct err *err);

/* Runs one writing statement and, when it changed a row, its audit record, in one
 * transaction. */
enum rc store_run_audited(struct store *store, const char *sql, const struct store_arg *args,
                          const struct audit_entry *audit, int *out_changes, struct err *err);

/* Fills err with "what: <sqlite message>" and returns RC_DB (RC_CONFLICT for constraint
 * violations, so callers can answer 409). */
enum rc store_sqlite_err(sqlite3 *db, struct err *err, const char *what);

#endif
