/* syncdir.h — the analyst's local copy of one server's data: the contract between `da sync`
 * (which writes it), `da query` (which reads it) and `da status` (which reports on it).
 *
 *   <dir>/tables/<table>.parquet        a one-file table
 *   <dir>/tables/<table>/<file>         each file of a partitioned table
 *   <dir>/da.duckdb                     a DuckDB database with one view per table,
 *                                       main."<table>" over read_parquet of its files
 *   <dir>/DATA.md                       the data described for an AI assistant: tables,
 *                                       columns, types, descriptions, freshness
 *   <dir>/.da/state.json                what the last sync left:
 *       {"server": URL, "synced_at": ISO-8601, "generation": N,
 *        "tables": {"<table>": {"hash", "rows", "updated", "description",
 *                               "files": {"<name>": {"sha256", "size_bytes"}}}}}
 *   <dir>/.da/partial/                  downloads in progress (resumed with Range), named
 *                                       by syncdir_partial_path
 *
 * The folder is --dir, else the sync_dir setting of the server in the client's config, else
 * $XDG_DATA_HOME/da/<host>[_<port>] (~/.local/share when XDG_DATA_HOME is unset). */
#ifndef DA_CLIENT_SYNCDIR_H
#define DA_CLIENT_SYNCDIR_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/rc.h"

/* The sync folder of server (a normalised URL): dir_flag when given (made absolute), else
 * the remembered setting, else the default. Not created. *out is freed by the caller. */
enum rc syncdir_path(const char *server, const char *dir_flag, char **out,
                     struct err *err) WARN_UNUSED;

/* Paths inside a sync folder; heap, freed by the caller. */
char *syncdir_db_path(const char *dir);
char *syncdir_state_path(const char *dir);
char *syncdir_tables_path(const char *dir);

/* The state of the last sync. RC_NOTFOUND when the folder was never synced; RC_INVALID
 * when the file is damaged. The caller releases *out with json_decref. */
enum rc syncdir_state_load(const char *dir, json_t **out, struct err *err) WARN_UNUSED;

/* ---- for `da sync`, which writes the folder ---- */

char *syncdir_data_md_path(const char *dir);
char *syncdir_partial_dir(const char *dir);

/* A file's path relative to the folder: "tables/<table>.parquet" for a one-file table,
 * "tables/<table>/<name>" for a file of a partitioned one. Heap, freed by the caller. */
char *syncdir_file_relpath(const char *table, const char *name, bool partitioned);

/* Where the download of a table's file of digest sha256 collects until it is verified:
 * <dir>/.da/partial/<table>--<name>--<sha256>.part. Table ids hold no '-', so no two files
 * share a name; the digest ties the bytes to one version of the file, so the part of an
 * older version is never resumed as this one. Heap, freed by the caller. */
char *syncdir_partial_path(const char *dir, const char *table, const char *name,
                           const char *sha256);

/* One thing found under <dir>/tables. */
struct syncdir_entry {
    char *relpath; /* "tables/x.parquet", "tables/x", "tables/x/part.parquet" */
    int64_t size;  /* bytes of a regular file; -1 for anything else (a folder, a link) */
    bool is_dir;   /* a real folder (symbolic links are never followed) */
};

/* Lists <dir>/tables two levels deep: what is in it, and what is in its folders (a folder
 * found there is listed, not entered). A missing tables folder is an empty list. *out is
 * released with syncdir_entries_free. */
enum rc syncdir_list_tables(const char *dir, struct syncdir_entry **out, size_t *out_n,
                            struct err *err) WARN_UNUSED;
void syncdir_entries_free(struct syncdir_entry *entries, size_t n);

/* Writes state as <dir>/.da/state.json atomically (the folder .da must exist). */
enum rc syncdir_state_save(const char *dir, const json_t *state, struct err *err) WARN_UNUSED;

#endif
