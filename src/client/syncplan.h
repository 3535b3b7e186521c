/* syncplan.h — what one `da sync` has to do, decided from the server's manifest, the state the
 * last sync left (.da/state.json) and what is now under <dir>/tables (syncdir.h). No network
 * and no writes: the only disk access is through the caller's hash function, so every decision
 * is unit-tested on plain data.
 *
 * A file is kept when the folder holds it at its path with the manifest's size, and either the
 * state says it has the manifest's SHA-256 or hashing it says so. Hashing happens only when the
 * state cannot tell (no state, or the file changed on the server but not in size: a sync killed
 * after it moved a file into place) or with --verify; re-hashing every file on every sync would
 * read the whole folder. Whatever under tables/ no table of the manifest owns is removed: the
 * files of tables the user may no longer read, parts a table lost, strays.
 *
 * The manifest comes from a server and is checked as hostile input: table ids must be canonical
 * ids (ident_is_table_id), file names plain names (syncplan_name_valid), digests 64 hex digits,
 * sizes non-negative, URLs plain paths on the server. A table that fails a check is reported,
 * not synced, and keeps what the folder holds of it.
 *
 * Selection (#20): a manifest table marked "enabled": false (a missing flag is true) is not
 * synced; what the folder holds of it leaves like a revoked table's. With only (da sync
 * --table), just those tables are synced, enabled or not, and everything else the folder
 * holds, files and state entries alike, stays exactly as it is. */
#ifndef DA_CLIENT_SYNCPLAN_H
#define DA_CLIENT_SYNCPLAN_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/rc.h"
#include "client/syncdir.h"

#define SYNCPLAN_NAME_MAX 100  /* bytes of a file name from the manifest */
#define SYNCPLAN_URL_MAX  1024 /* bytes of a file's URL path */
#define SYNCPLAN_NO_TABLE ((size_t)-1)

enum syncplan_action {
    SYNCPLAN_KEEP,  /* the folder has it */
    SYNCPLAN_FETCH, /* download it */
};

struct syncplan_file {
    size_t table; /* index into plan->tables */
    char *name;   /* the server's file name */
    char *url;    /* its path on the server */
    char sha256[65];
    int64_t size;
    char *relpath; /* where it lives in the folder (syncdir_file_relpath) */
    enum syncplan_action action;
};

struct syncplan_table {
    char *id;
    char *hash;    /* the manifest's table hash */
    char *updated; /* the extraction time; "" when unknown */
    int64_t rows;
    bool partitioned;           /* more than one file */
    size_t first_file, n_files; /* plan->files[first_file, first_file + n_files) */
    size_t n_fetch;             /* of which to download */
    char *problem;              /* NULL, or why its manifest entry was refused (n_files is 0) */
    int64_t bytes_fetch;        /* of its files to download */
};

struct syncplan_removal {
    char *relpath; /* a file, or a folder to remove with all it holds */
    bool is_dir;
    size_t table; /* the table that owned it, or SYNCPLAN_NO_TABLE: a removal of a table whose
                   * sync fails is skipped, since the folder keeps that table's old version */
    bool leaving; /* its owner is no table of the plan (disabled, no longer readable, a stray):
                   * removed before the downloads, once no view or state names it */
};

/* A table of the last sync's state that leaves the folder. */
struct syncplan_leaving {
    char *id;
    bool disabled; /* switched off for sync; else no longer readable (or no longer served) */
    int64_t bytes; /* of its files in the folder */
};

struct syncplan {
    struct syncplan_table *tables; /* every table of the manifest, by id */
    size_t n_tables;
    struct syncplan_file *files;
    size_t n_files;
    struct syncplan_removal *removals;
    size_t n_removals;
    char **gone; /* ids the state has and the manifest does not (no longer readable), sorted */
    size_t n_gone;
    struct syncplan_leaving *leaving; /* the state's tables that leave (gone and disabled), by id */
    size_t n_leaving;
    bool only;            /* built for da sync --table: the rest of the folder stays */
    int64_t bytes_fetch;  /* of every file to download */
    int64_t bytes_remove; /* of the local files that leave with their table (or are strays) */
    char **bad_ids;       /* manifest ids that are not table ids, cleaned for a message; skipped */
    size_t n_bad_ids;
    size_t n_hashed; /* local files hashed to decide */
};

/* Hashes the file at relpath inside the folder into out (64 lowercase hex digits). */
typedef enum rc (*syncplan_hash_fn)(void *ctx, const char *relpath, char out[65], struct err *err);

struct syncplan_input {
    const json_t *manifest;            /* GET /api/sync/manifest */
    const json_t *state;               /* the last sync's state, or NULL */
    const struct syncdir_entry *local; /* syncdir_list_tables */
    size_t n_local;
    bool verify;           /* hash every local file of the right size */
    syncplan_hash_fn hash; /* NULL: never hash */
    void *hash_ctx;
    const char *const *only; /* da sync --table: the ids to sync (each in the manifest), or NULL */
    size_t n_only;
};

/* True when name can be a file in the folder: 1 to SYNCPLAN_NAME_MAX characters of
 * [A-Za-z0-9_.-], the first neither '.' nor '-' (never hidden, never "..", never an option). */
bool syncplan_name_valid(const char *name);

/* Builds the plan into *out (released with syncplan_free, also after a failure). RC_INVALID
 * when the manifest has no tables object; RC_NOTFOUND (naming it) when an id of in->only is
 * not in the manifest. A bad table is a table with a problem. */
enum rc syncplan_build(const struct syncplan_input *in, struct syncplan *out,
                       struct err *err) WARN_UNUSED;

void syncplan_free(struct syncplan *p);

/* The state to write after the sync: {server, synced_at, generation, tables} where each table
 * whose files are all in place (table_ok[i]) gets its manifest entry, and any other the entry
 * old_state had (the folder still holds that version), if any. descriptions (may be NULL) maps
 * ids to text; a table missing there keeps its old description. The caller json_decrefs it. */
json_t *syncplan_new_state(const struct syncplan *p, const bool *table_ok, const json_t *old_state,
                           const json_t *descriptions, const char *server, const char *synced_at,
                           int64_t generation);

/* The state of the shrink phase: old_state without the tables that leave the folder, written
 * (with da.duckdb and DATA.md) before their files are deleted, so a sync killed in between
 * leaves only strays. NULL when no table of old_state leaves. The caller json_decrefs it. */
json_t *syncplan_shrunk_state(const struct syncplan *p, const json_t *old_state);

/* True when the manifest entry is switched on for sync: "enabled" is not false. */
bool syncplan_entry_enabled(const json_t *entry);

#endif
