/* datastate_repo.h — the data plane's state in the store: sync_state (one row per table the catalog
 * knows, written after each rebuild, for health and the UI) and table_profiles (one JSON
 * profile per table, written by the profiler). Both keyed by the canonical table id. */
#ifndef DA_STORE_DATASTATE_REPO_H
#define DA_STORE_DATASTATE_REPO_H

#include <stddef.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/ident.h"
#include "base/isotime.h"
#include "base/rc.h"

struct store;

struct sync_state_row {
    char table_id[IDENT_MAX_LEN + 1];
    char source[IDENT_MAX_LEN + 1];
    char query_mode[8];
    char extracted_at[ISOTIME_SIZE]; /* "" when unknown */
    int64_t rows;
    int64_t size_bytes;
    char status[12]; /* ok | unavailable | error */
    char error[512]; /* "" when ok */
    char checked_at[ISOTIME_SIZE];
};

/* Replaces every sync_state row with rows, in one transaction: the catalog's newest
 * generation is the whole truth. */
enum rc sync_state_replace(struct store *s, const struct sync_state_row *rows, size_t n,
                           struct err *err) WARN_UNUSED;

/* Every row ordered by table id; the caller frees *out. */
enum rc sync_state_list(struct store *s, struct sync_state_row **out, size_t *out_len,
                        struct err *err) WARN_UNUSED;

/* One row; RC_NOTFOUND when the table has none. */
enum rc sync_state_get(struct store *s, const char *table_id, struct sync_state_row *out,
                       struct err *err) WARN_UNUSED;

/* Stores the profile (JSON text) of table_id computed from data extracted at extracted_at. */
enum rc profiles_save(struct store *s, const char *table_id, const char *profile_json,
                      const char *extracted_at, struct err *err) WARN_UNUSED;

/* The stored profile: *out_json heap (caller frees); extracted_at and profiled_at as stored.
 * RC_NOTFOUND when the table has no profile. */
enum rc profiles_get(struct store *s, const char *table_id, char **out_json,
                     char out_extracted_at[ISOTIME_SIZE], char out_profiled_at[ISOTIME_SIZE],
                     struct err *err) WARN_UNUSED;

#endif
