/* catalog.h — the server's analytics catalog: one in-memory DuckDB database in which every
 * extract is ATTACHed read-only under its source name and every table has a view in main,
 * named by its canonical id. The catalog is a sequence of generations. A rebuild builds a new
 * generation beside the current one and swaps a pointer; a query holds the generation it
 * started on (catalog_acquire/catalog_release) and the generation is closed when its last
 * query ends. Rebuilding one source re-checks that source only: the others are attached again
 * as they are on disk, their checked table lists reused while their files are unchanged.
 *
 * Names from disk reach SQL only after ident_valid, and then quoted; a source folder or a
 * table with another name is skipped with a warning. Remote tables (_remote_attach) load
 * their extension only from <data_dir>/extensions (never downloaded) and take their token
 * from the named environment variable; when either is missing those tables are marked
 * unavailable, with the reason, and the rest of the catalog is served.
 *
 * A generation is locked down before it is served: file access only below extracts/ and the
 * Parquet results folder (DuckDB's allowed_directories with enable_external_access off; the
 * SQL guard lets no query name a file), the memory limit and threads set,
 * and the configuration locked, so no query can read another file, attach a database, load
 * an extension or change a setting. */
#ifndef DA_DATA_CATALOG_H
#define DA_DATA_CATALOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/ident.h"
#include "base/isotime.h"
#include "base/rc.h"

struct duck;
struct catalog;

enum catalog_status {
    CATALOG_OK,          /* served */
    CATALOG_UNAVAILABLE, /* remote, and its extension, token or catalog is missing */
    CATALOG_ERROR,       /* the extract's row or view is broken, or the id is taken */
};

const char *catalog_status_str(enum catalog_status s);

/* A table of one generation. */
struct catalog_table {
    char id[IDENT_MAX_LEN + 1]; /* canonical id: the view in main */
    char source[IDENT_MAX_LEN + 1];
    char name[IDENT_MAX_LEN + 1]; /* the name inside the extract */
    char *description;
    int64_t rows;
    int64_t size_bytes;
    char extracted_at[ISOTIME_SIZE];
    bool remote;
    enum catalog_status status;
    char *reason; /* NULL when CATALOG_OK */
    char **files; /* local: the absolute paths its view reads */
    size_t n_files;
};

/* One statement of a generation's recipe. With token_env set, the statement is sql, then the
 * value of that environment variable as a quoted literal, then tail: a remote catalog's token
 * is read from the environment again wherever the recipe is replayed, never stored. */
struct catalog_step {
    char *sql;
    char *token_env; /* NULL for most statements */
    char *tail;      /* NULL unless token_env */
};

/* Every statement that built a generation's database, in order: its settings, the ATTACH of
 * each extract's snapshot (read-only), the remote catalogs, the views and the lock-down. A
 * query worker replays it to get a database equal to the server's (catalog_replay). */
struct catalog_recipe {
    struct catalog_step *steps;
    size_t n;
    size_t cap; /* steps allocated (catalog_recipe_add grows it) */
};

void catalog_recipe_cleanup(struct catalog_recipe *r);

/* Appends one step (token_env and tail may be NULL); the recipe copies the strings. */
void catalog_recipe_add(struct catalog_recipe *r, const char *sql, const char *token_env,
                        const char *tail);

/* Opens a fresh in-memory database and runs every step of r on it. On failure *out is NULL
 * and err names the step's error (a token's value never appears in it). */
enum rc catalog_replay(const struct catalog_recipe *r, struct duck **out,
                       struct err *err) WARN_UNUSED;

/* A generation: immutable once built, shared by the queries that hold it. The fields below are
 * what callers read; the rest is private to catalog.c. */
struct catalog_gen {
    uint64_t number;              /* 1, 2, ...: every rebuild makes the next */
    struct catalog_table *tables; /* sorted by source, then id */
    size_t n_tables;
    char **sources; /* attached source names, sorted */
    size_t n_sources;
    char built_at[ISOTIME_SIZE];
    char **problems; /* what the rebuild that made it reported (skipped folders, ...) */
    size_t n_problems;
    struct catalog_recipe recipe; /* how to build its database again, in another process */
    /* catalog.c allocates every generation with fields of its own after these (its
     * database, snapshots, reference count): only catalog.c makes one */
};

struct catalog_options {
    const char *data_dir;      /* the extracts are in <data_dir>/extracts */
    const char *extension_dir; /* NULL: <data_dir>/extensions */
    const char *memory_limit;  /* DuckDB memory_limit of each generation; NULL: DuckDB's */
    int threads;               /* DuckDB threads of each generation; 0: DuckDB's */
};

/* What one rebuild did. */
struct catalog_rebuild_stats {
    uint64_t generation;
    int sources;         /* attached */
    int sources_checked; /* inspected in this rebuild (the others were reused) */
    int tables_ok;
    int tables_unavailable;
    int tables_error;
    int64_t duration_us;
    char **problems; /* source-level problems and skipped folders (heap, for reports) */
    size_t n_problems;
};

void catalog_rebuild_stats_cleanup(struct catalog_rebuild_stats *s);

/* Creates a catalog with an empty generation 0; nothing is attached until a rebuild. */
enum rc catalog_open(const struct catalog_options *opt, struct catalog **out,
                     struct err *err) WARN_UNUSED;

/* Waits for the queries of every generation to end, then frees everything. */
void catalog_close(struct catalog **c);

/* Builds a new generation from the extracts on disk and swaps it in. source NULL re-checks
 * every extract; a source name re-checks that one (RC_NOTFOUND when it has no extract), and
 * the others are reused while unchanged. Rebuilds are serialised. On failure the current
 * generation stays. */
enum rc catalog_rebuild(struct catalog *c, const char *source, struct catalog_rebuild_stats *out,
                        struct err *err) WARN_UNUSED;

/* Like catalog_rebuild, but re-checks only the sources whose extract changed on disk (the
 * watcher's call). */
enum rc catalog_refresh(struct catalog *c, struct catalog_rebuild_stats *out,
                        struct err *err) WARN_UNUSED;

/* Whether any extract folder appeared, vanished or has a new extract.duckdb since the
 * current generation was built (a few stat calls: cheap enough to poll). */
bool catalog_changed_on_disk(struct catalog *c);

/* Extract files are replaced by rename, so a generation attaches a hard link of each one
 * (<data_dir>/state/snapshots/g<N>-<source>.duckdb, a copy across file systems), removed
 * when the generation is freed: every process that replays its recipe reads the same file. */

/* The folder (<data_dir>/state/results, owner only, emptied at open) where a query may write
 * its result as a Parquet file: the only folder the serving database may write. */
const char *catalog_results_dir(const struct catalog *c);

/* The current generation, held until catalog_release. Never NULL. */
struct catalog_gen *catalog_acquire(struct catalog *c);
void catalog_release(struct catalog *c, struct catalog_gen *g);

/* One more hold on g, which the caller holds already (a query worker that has g loaded keeps
 * it, and so its files and Parquet runs, until it loads another). Release with
 * catalog_release. */
struct catalog_gen *catalog_hold(struct catalog *c, struct catalog_gen *g);

/* A new connection to generation g's database for one query; close it with duck_close before
 * releasing g. */
enum rc catalog_connect(struct catalog_gen *g, struct duck **out, struct err *err) WARN_UNUSED;

/* The table of g with this id, or NULL. */
const struct catalog_table *catalog_find(const struct catalog_gen *g, const char *id);

/* Removes Parquet run folders that neither a live generation nor the extract on disk reads.
 * Cheap when nothing was released since the last call. *out_removed counts folders removed. */
enum rc catalog_sweep(struct catalog *c, int *out_removed, struct err *err) WARN_UNUSED;

#endif
