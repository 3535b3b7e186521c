/* output.h — how the client shows things to a person or a script: query results read
 * exactly from their wire JSON (the shape of POST /api/query, which local queries produce
 * too; json_scan.c, result_text.c) and written as an aligned table or as CSV (table.c,
 * csv.c); aligned text tables for the other commands (table.c); the display width of UTF-8
 * text and times and ages in words (output.c). Sizes in words are base/format.h.
 *
 * Text that came from a server or a data file is never printed raw: control characters and
 * bytes that are not UTF-8 show as '?' (tabs and line ends as a space), so a value cannot
 * move the cursor or recolour the terminal. */
#ifndef DA_CLIENT_OUTPUT_H
#define DA_CLIENT_OUTPUT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "base/compat.h"
#include "base/rc.h"

/* ---------------------------------------------------------------- query results */

enum qcell_kind { QCELL_NULL, QCELL_STRING, QCELL_NUMBER, QCELL_BOOL, QCELL_NESTED };

/* One value of a result. text is the unescaped string, a number's own digits as sent (so
 * HUGEINT and DECIMAL(38,10) keep every digit), "true"/"false", or a list, struct or map as
 * its JSON text; NULL for QCELL_NULL. */
struct qcell {
    enum qcell_kind kind;
    char *text;
};

/* A result as POST /api/query answers it: {columns, types, rows, row_count, truncated,
 * truncated_by}. Every string is owned by the struct. */
struct qresult {
    int ncols;
    char **columns;
    char **types; /* DuckDB type names; "" when the answer had none */
    size_t nrows;
    struct qcell *cells; /* nrows * ncols, row by row */
    int64_t row_count;
    bool truncated;
    char *truncated_by; /* "rows", "bytes" or NULL */
};

/* Reads a result from its JSON text (len bytes, need not be NUL-terminated). RC_INVALID
 * when it is not JSON of that shape (a row whose length differs from the columns'). Release
 * *out with qresult_free, also after a failure. */
enum rc qresult_parse(const char *json, size_t len, struct qresult *out,
                      struct err *err) WARN_UNUSED;

void qresult_free(struct qresult *r);

/* The text of one value for a table or CSV (heap, the caller frees; NULL for SQL NULL): as
 * sent, except that a DECIMAL shows its scale ("5.00" for DECIMAL(10,2)) and a FLOAT its
 * shortest exact form ("0.1", not the double's "0.10000000149011612"). */
char *qresult_text(const struct qresult *r, size_t row, int col);

/* True for the types whose values are numbers (right-aligned in tables). */
bool output_type_numeric(const char *type);

/* Writes r as CSV, as the server does: a header line of the column names, every non-NULL
 * value quoted (quotes doubled), NULL empty, CRLF line ends. False when writing failed. */
bool qresult_write_csv(FILE *f, const struct qresult *r);

/* ---------------------------------------------------------------- aligned tables */

/* A table of text cells filled row by row. */
struct table {
    int ncols;
    char **head; /* column titles */
    bool *right; /* right-aligned columns (numbers) */
    size_t ncells, cap;
    char **cells; /* row by row; NULL is shown as the style's null_text */
};

struct table_style {
    int max_cell;          /* display columns a cell may take before it is cut with "…";
                              0 = no limit */
    int max_width;         /* the width of a whole line (the terminal's): the widest columns
                              are cut down to fit, each to no less than 8; 0 = no limit */
    const char *null_text; /* how NULL shows ("NULL"); NULL shows an empty cell */
};

/* An empty table of ncols columns. Release with table_free. */
void table_init(struct table *t, int ncols);

/* Sets the title of column col and whether it is right-aligned. */
void table_head(struct table *t, int col, const char *title, bool right);

/* Appends the next cell (copied; NULL is a NULL cell); rows fill left to right. */
void table_add(struct table *t, const char *text);

/* Appends the next cell, taking the heap string text (may be NULL). */
void table_add_take(struct table *t, char *text);

/* table_add of printf-formatted text. */
void table_addf(struct table *t, const char *fmt, ...) PRINTF_FMT(2, 3);

size_t table_rows(const struct table *t);

void table_free(struct table *t);

/* Prints the titles, a line of dashes under each, and the rows: columns two spaces apart,
 * each as wide as its widest cell within the style's limits, no trailing blanks. */
void table_print(FILE *f, const struct table *t, const struct table_style *s);

/* A table of r's columns (numbers right-aligned) and values (qresult_text). */
void qresult_to_table(const struct qresult *r, struct table *t);

/* ---------------------------------------------------------------- text */

/* The columns s takes on a terminal, as table_print shows it: East Asian wide characters
 * and emoji take two, combining marks none, anything else (also a '?' for a bad byte) one. */
int utf8_width(const char *s);

/* s as it is safe to show (controls and bad bytes as '?', tabs and line ends as spaces), cut
 * to at most max display columns with a trailing "…" when longer (max 0: no cut). Heap. */
char *output_clean(const char *s, int max);

/* Prints s cleaned as output_clean(s, 0) does. */
void output_print_clean(FILE *f, const char *s);

/* The width of the terminal on fd, or 0 when fd is not a terminal or it is not known. */
int output_term_width(int fd);

/* How long before now the time then was: "just now", "5 minutes ago", "3 days ago"; "in the
 * future" for a clock ahead of this machine's. */
void output_ago(time_t then, time_t now, char out[32]);

/* A time from the server (ISO-8601) for a person: "2026-11-27 00:10 UTC (3 hours ago)"; the
 * text as it is (cleaned) when it is not a time da writes, "-" for NULL. */
void output_when(const char *iso, time_t now, char out[96]);

/* A JSON scalar as text (heap): a string as it is, a number in its shortest exact form,
 * true/false; NULL for null or a missing value; an array or object as compact JSON. */
char *output_json_text(const json_t *v);

#endif
