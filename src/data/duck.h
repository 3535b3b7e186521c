/* duck.h — the thin wrapper over the DuckDB C API. Only duck.c (and later the engine modules)
 * include duckdb.h; the rest of da sees an opaque struct duck (one database plus one
 * connection), enum rc results and messages in a struct err. A struct duck is used by one
 * thread at a time. */
#ifndef DA_DATA_DUCK_H
#define DA_DATA_DUCK_H

#include <stdint.h>

#include "base/buf.h"
#include "base/compat.h"
#include "base/rc.h"

struct duck;

/* Opens (creating if needed) the DuckDB file at path read-write, or a fresh in-memory database
 * when path is NULL, and connects to it. On success the caller closes *out_duck with
 * duck_close(); on failure *out_duck is NULL and err says why (RC_DB). */
enum rc duck_open(const char *path, struct duck **out_duck, struct err *err) WARN_UNUSED;

/* Opens the existing DuckDB file at path read-only (never creates it, never writes a WAL).
 * Ownership as for duck_open. */
enum rc duck_open_readonly(const char *path, struct duck **out_duck, struct err *err) WARN_UNUSED;

/* Opens another connection to duck's database, for use by another thread: queries of the
 * catalog each take one (about 6 us). The new struct duck does not own the database: closing
 * it closes only the connection, and it must be closed before the owner is. */
enum rc duck_connect(struct duck *duck, struct duck **out_duck, struct err *err) WARN_UNUSED;

/* The DuckDB connection (a duckdb_connection) behind duck, for the modules that read result
 * vectors themselves (result.c, which includes duckdb.h and casts it back). Borrowed. */
void *duck_connection_handle(struct duck *duck);

/* Interrupts the query running on duck's connection, from any thread (time limits). */
void duck_interrupt(struct duck *duck);

/* Disconnects and closes the database. Accepts NULL or a pointer to NULL; sets *duck to NULL. */
void duck_close(struct duck **duck);

/* Runs sql (one or more statements separated by ';') and discards any result. On failure
 * returns RC_DB with the engine's message in err. */
enum rc duck_exec(struct duck *duck, const char *sql, struct err *err) WARN_UNUSED;

/* Runs sql and reads the first column of its first row, which must be of an integer type whose
 * value fits in int64_t (cast in SQL otherwise). RC_NOTFOUND when there is no row or the
 * value is NULL, RC_INVALID for a non-integer column or a value out of range, RC_DB when the
 * query fails. *out_v is set only on success. */
enum rc duck_query_i64(struct duck *duck, const char *sql, int64_t *out_v,
                       struct err *err) WARN_UNUSED;

/* Called once per result row by duck_query_rows: vals[0..ncols) are the row's values as
 * NUL-terminated strings, NULL for SQL NULL, valid only during the call. A non-zero return
 * stops the query and becomes its result (fill err too). */
typedef enum rc (*duck_row_fn)(void *ctx, int ncols, const char *const *vals, struct err *err);

/* Runs sql, whose columns must all be VARCHAR (cast in SQL: x::VARCHAR), and calls fn for each
 * row. At most DUCK_ROWS_MAX_COLS columns. RC_INVALID for a non-VARCHAR column, RC_DB when the
 * query fails, or what fn returned. */
#define DUCK_ROWS_MAX_COLS 64
enum rc duck_query_rows(struct duck *duck, const char *sql, duck_row_fn fn, void *ctx,
                        struct err *err) WARN_UNUSED;

/* Runs sql (one VARCHAR column) and returns its first row's value in *out (heap, the caller
 * frees). RC_NOTFOUND when there is no row or the value is NULL. */
enum rc duck_query_text(struct duck *duck, const char *sql, char **out,
                        struct err *err) WARN_UNUSED;

/* Runs one statement with "?" placeholders bound, in order, to the NULL-terminated array of
 * text values params (a NULL element cannot be given; use SQL NULL in the text instead). For
 * values that can be bound, binding beats quoting. */
enum rc duck_exec_params(struct duck *duck, const char *sql, const char *const *params,
                         struct err *err) WARN_UNUSED;

/* Appends s to b as a single-quoted SQL string literal, every ' doubled: for values that
 * cannot be bound as parameters, such as the file path of COPY ... TO or read_parquet.
 * Backslashes need no escaping in DuckDB standard strings. RC_INVALID (b left unchanged) for
 * NULL; RC_TOOBIG if b is full (then b is freed, as buf_append does). */
enum rc duck_sql_quote_literal(struct buf *b, const char *s) WARN_UNUSED;

/* Appends s to b as a double-quoted SQL identifier, every " doubled. Callers check names with
 * ident_valid first; this is the second line of defence, so that even a hostile name can only
 * ever be one identifier. RC_INVALID (b left unchanged) for NULL or an empty name; RC_TOOBIG if
 * b is full. */
enum rc duck_sql_quote_ident(struct buf *b, const char *s) WARN_UNUSED;

#endif
