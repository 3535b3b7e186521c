/* extract.h — the extract contract, kept from the original so that its connectors' output stays
 * readable: <data_dir>/extracts/<source>/extract.duckdb holds
 *   _meta(table_name VARCHAR, description VARCHAR, rows BIGINT, size_bytes BIGINT,
 *         extracted_at TIMESTAMP, query_mode VARCHAR)        one row per table, and
 *   _remote_attach(alias VARCHAR, extension VARCHAR, url VARCHAR, token_env VARCHAR)  optional,
 * plus one view (or table) per _meta row. Local views read Parquet files inside the extract
 * folder; remote views read a catalog attached through a DuckDB extension.
 *
 * extract_inspect reads and checks one extract: the schemas, every row, and every view's SQL
 * through DuckDB's own parser (json_serialize_sql), so that the files a view reads are known
 * exactly and any file outside the extract folder, any URL and any other table function is a
 * problem. The catalog runs it on every extract it attaches, `da extract validate` prints it,
 * and every connector runs it before it commits. */
#ifndef DA_DATA_EXTRACT_H
#define DA_DATA_EXTRACT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/ident.h"
#include "base/isotime.h"
#include "base/rc.h"

struct duck;

#define EXTRACT_DB_FILE    "extract.duckdb"
#define EXTRACT_RUN_PREFIX "run-" /* data/run-*: the Parquet files of one connector run */

/* One _meta row. problem is NULL for a usable table, else why the table is skipped. */
struct extract_table {
    char name[IDENT_MAX_LEN + 1]; /* _meta.table_name, the view's name in the extract */
    char id[IDENT_MAX_LEN + 1];   /* canonical id (ident_table_id of name): the catalog view */
    char *description;            /* "" when NULL in _meta */
    int64_t rows;
    int64_t size_bytes;
    char extracted_at[ISOTIME_SIZE]; /* ISO-8601 UTC, "" when NULL */
    bool remote;                     /* query_mode 'remote' */
    char *remote_alias;              /* remote: the alias catalog its view reads, else NULL */
    char **files;                    /* local: absolute paths of the files its view reads */
    size_t n_files;
    char *problem;
};

/* One _remote_attach row. */
struct extract_remote {
    char alias[IDENT_MAX_LEN + 1];
    char extension[IDENT_MAX_LEN + 1];
    char *url;
    char token_env[IDENT_MAX_LEN + 1]; /* "" when the extension authenticates itself */
};

struct extract_info {
    struct extract_table *tables;
    size_t n_tables;
    struct extract_remote *remotes;
    size_t n_remotes;
    char **problems; /* extract-wide problems, and every table problem again, for reports */
    size_t n_problems;
    size_t cap_tables, cap_remotes, cap_problems; /* room of the arrays above */
    bool usable; /* false when the extract as a whole cannot be served (no valid _meta) */
};

void extract_info_cleanup(struct extract_info *info);

/* A deep copy of src into *dst, which the caller cleans up. */
void extract_info_copy(const struct extract_info *src, struct extract_info *dst);

/* Inspects the extract attached on duck under alias (a safe identifier) whose folder is
 * extract_dir (absolute, no trailing slash). Relative file paths in views are resolved against
 * data_dir, as the original's connectors wrote them. Problems are reported in *out, not as an
 * error: RC_OK means the inspection ran. RC_DB only when DuckDB fails outright. */
enum rc extract_inspect_attached(struct duck *duck, const char *alias, const char *extract_dir,
                                 const char *data_dir, struct extract_info *out,
                                 struct err *err) WARN_UNUSED;

/* Inspects the extract in folder dir (containing extract.duckdb, or db_file when not NULL:
 * the writer checks extract.duckdb.tmp before it renames it). Attaches it read-only in a
 * private in-memory DuckDB, so nothing is written beside it. data_dir as above; NULL means the
 * folder two levels up (<data_dir>/extracts/<source>). RC_NOTFOUND without an extract file. */
enum rc extract_inspect(const char *dir, const char *db_file, const char *data_dir,
                        struct extract_info *out, struct err *err) WARN_UNUSED;

/* ---- writing an extract ---- */

struct extract_writer;

/* Starts a new extract for source dir (created if missing; the source name is its last
 * component and must be a safe identifier). Takes an exclusive lock on the folder for the
 * whole run, so two writers of one source take turns; removes temporaries a killed run left;
 * creates a fresh run folder data/run-<time>-<random>/ for this run's Parquet files. Files of
 * earlier runs are never touched while they may be read, so the previous extract stays
 * readable whatever happens to this run. */
enum rc extract_writer_begin(const char *dir, struct extract_writer **out,
                             struct err *err) WARN_UNUSED;

/* The in-memory DuckDB of the run, for setup the queries need (macros, temp tables). */
struct duck *extract_writer_duck(struct extract_writer *w);

/* Adds a local table: runs select_sql on the run's DuckDB into <run>/<name>.parquet (through
 * a .tmp name, fsync, rename), adds its view and its _meta row. name must be a canonical
 * table id (ident_is_table_id); adding a name twice is RC_CONFLICT. */
enum rc extract_writer_add(struct extract_writer *w, const char *name, const char *description,
                           const char *select_sql, struct err *err) WARN_UNUSED;

#define EXTRACT_PART_NAME_MAX 64
#define EXTRACT_PARTS_MAX     4096 /* parts of one table */

/* One part of a partitioned table: its rows come from select_sql, its file is
 * <run>/<table>/<name>.parquet. The file's base name is what GET /api/data/{table}/files/{name}
 * serves, so name must pass extract_part_name_valid and be unique within its table. */
struct extract_part {
    const char *name;
    const char *select_sql;
    /* Instead of select_sql (which is then NULL): a Parquet file of an earlier run of this
     * source, under <dir>/data/, that the part keeps as it is. It is hard-linked into the run,
     * not rewritten, so its bytes and its digest stay the same: a connector that changes one
     * part of a table leaves the others' files (and the clients' copies of them) untouched. */
    const char *from_file;
};

/* True when s can name a part: 1 to EXTRACT_PART_NAME_MAX characters of [A-Za-z0-9_.-], the
 * first one not '.' or '-' (so never hidden, never "..", never an option), no glob or path
 * characters. */
bool extract_part_name_valid(const char *s);

/* Adds a local table made of several Parquet files: each part is written like the file of
 * extract_writer_add, into the folder <run>/<name>/, and the view reads them all,
 * read_parquet(['<part 1>', ...]), in the order given. Every part must have the same columns
 * (names and types, in the same order; checked on the written files, RC_INVALID naming the
 * first part that differs): DuckDB takes a multi-file view's schema from the first file
 * and would silently drop columns the others add, and sync clients stack the files as they
 * are. rows and size_bytes in _meta are the sums. A table of one part is served like a
 * one-file table. On failure nothing of the table is left in the run. n_parts is 1 to
 * EXTRACT_PARTS_MAX; names as for extract_writer_add. */
enum rc extract_writer_add_parts(struct extract_writer *w, const char *name,
                                 const char *description, const struct extract_part *parts,
                                 size_t n_parts, struct err *err) WARN_UNUSED;

/* The result columns of a query, in order. */
struct extract_columns {
    char **names;
    char **types;  /* DuckDB's type names, e.g. BIGINT, VARCHAR, DECIMAL(10,2) */
    size_t n, cap; /* cap: room of names and of types alike */
};

void extract_columns_cleanup(struct extract_columns *c);

/* Describes select_sql (DESCRIBE, run on the run's DuckDB: for a reader this reads only what
 * its type detection reads) into *out, which the caller cleans up. */
enum rc extract_writer_columns(struct extract_writer *w, const char *select_sql,
                               struct extract_columns *out, struct err *err) WARN_UNUSED;

struct extract_commit_result {
    int tables;
    int64_t rows;
    int64_t bytes;
    int removed_runs; /* run folders of earlier runs removed (only when no server runs) */
};

/* Finishes the run: checkpoints and closes extract.duckdb.tmp, inspects it (any problem fails
 * the commit), fsyncs it, removes a stale WAL and renames it over extract.duckdb — the commit
 * point. Then removes run folders no extract refers to, unless a server holds the data folder
 * (the server removes them once no query can read them). *w is freed either way. */
enum rc extract_writer_commit(struct extract_writer **w, struct extract_commit_result *out,
                              struct err *err) WARN_UNUSED;

/* Abandons the run: removes its temporaries and run folder, releases the lock, frees *w.
 * Accepts NULL or a pointer to NULL. */
void extract_writer_abort(struct extract_writer **w);

/* Removes run folders under <dir>/data that are not in keep (names of run folders, n_keep of
 * them) nor used by the extract.duckdb now in dir. Takes the source lock without waiting:
 * *out_removed is -1 when a writer holds it (nothing removed then). */
enum rc extract_remove_stale_runs(const char *dir, const char *const *keep, size_t n_keep,
                                  int *out_removed, struct err *err) WARN_UNUSED;

/* The run folder name ("run-...") of an absolute file path inside <dir>/data, or NULL. The
 * result points into path; *out_len is its length. */
const char *extract_run_of_file(const char *dir, const char *path, size_t *out_len);

#endif
