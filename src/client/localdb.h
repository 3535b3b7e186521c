/* localdb.h — the two files of a sync folder that are made from its state (syncdir.h):
 * da.duckdb, one view per table over its Parquet files by absolute path, so `duckdb da.duckdb`
 * or an assistant can query at once; and DATA.md, the data described for an AI assistant
 * (how to query, then per table its description, rows, freshness and columns), written from
 * the views themselves so that it says what the folder really holds. Both are rebuilt whole
 * and replaced atomically: a reader sees the old file or the new one, never a mix. */
#ifndef DA_CLIENT_LOCALDB_H
#define DA_CLIENT_LOCALDB_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/rc.h"

#define LOCALDB_DESCRIPTION_MAX 500 /* bytes of a description in DATA.md */

/* What became of one table of the state. */
struct localdb_table {
    char *id;
    int64_t rows;  /* counted through its view */
    char *problem; /* NULL, or why it has no view (a file is missing or unreadable) */
};

struct localdb_report {
    struct localdb_table *tables; /* in the state's order */
    size_t n;
    size_t n_views;
};

/* Rebuilds <dir>/da.duckdb and <dir>/DATA.md from state (the contents of .da/state.json):
 * a view main."<table>" per table whose files are all in the folder, each with the table's
 * description as its comment. A table without a view is a problem in *out, not a failure.
 * Fails (leaving both files as they were) only when the database or DATA.md cannot be
 * written. *out is released with localdb_report_free, also after a failure. */
enum rc localdb_build(const char *dir, const json_t *state, struct localdb_report *out,
                      struct err *err) WARN_UNUSED;

void localdb_report_free(struct localdb_report *r);

/* True when da.duckdb and DATA.md are still there as localdb_build made them, without a
 * problem, from this very state: the same folder, server and tables (the time of the sync and
 * the generation aside). Building them again would write the same, so a sync that changed
 * nothing skips it. A digest of what they were built from is kept in .da/localdb.digest. */
bool localdb_is_current(const char *dir, const json_t *state);

#endif
