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
 *   <dir>/.da/partial/                  downloads in progress (resumed with Range)
 *
 * The folder is --dir, else the sync_dir setting of the server in the client's config, else
 * $XDG_DATA_HOME/da/<host>[_<port>] (~/.local/share when XDG_DATA_HOME is unset). */
#ifndef DA_CLIENT_SYNCDIR_H
#define DA_CLIENT_SYNCDIR_H

#include <jansson.h>

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

#endif
