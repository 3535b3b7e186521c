/* datastate_repo.c — SQL for sync_state and table_profiles (see datastate.h). */
#include "store/datastate_repo.h"

#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "store/store_int.h"

struct replace_args {
    const struct sync_state_row *rows;
    size_t n;
};

static enum rc replace_tx(sqlite3 *db, void *arg, struct err *err)
{
    const struct replace_args *a = arg;
    enum rc rc = store_run(db, "DELETE FROM sync_state", NULL, NULL, err);
    for (size_t i = 0; !rc && i < a->n; i++) {
        const struct sync_state_row *r = &a->rows[i];
        rc = store_run(db,
                       "INSERT INTO sync_state(table_id, source, query_mode, extracted_at, rows,"
                       " size_bytes, status, error, checked_at)"
                       " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                       (struct store_arg[]){ ARG_TEXT(r->table_id),
                                             ARG_TEXT(r->source),
                                             ARG_TEXT(r->query_mode),
                                             ARG_TEXT(r->extracted_at[0] ? r->extracted_at : NULL),
                                             ARG_INT(r->rows),
                                             ARG_INT(r->size_bytes),
                                             ARG_TEXT(r->status),
                                             ARG_TEXT(r->error[0] ? r->error : NULL),
                                             ARG_TEXT(r->checked_at),
                                             { 0 } },
                       NULL, err);
    }
    return rc;
}

enum rc sync_state_replace(struct store *s, const struct sync_state_row *rows, size_t n,
                           struct err *err)
{
    struct replace_args a = { rows, n };
    return store_transaction(s, replace_tx, &a, err);
}

#define SYNC_STATE_COLUMNS                                                                         \
    "SELECT table_id, source, query_mode, coalesce(extracted_at, ''), rows, size_bytes,"           \
    " status, coalesce(error, ''), checked_at FROM sync_state"

static void read_row(sqlite3_stmt *st, void *row)
{
    struct sync_state_row *r = row;
    store_col_text(st, 0, r->table_id, sizeof(r->table_id));
    store_col_text(st, 1, r->source, sizeof(r->source));
    store_col_text(st, 2, r->query_mode, sizeof(r->query_mode));
    store_col_text(st, 3, r->extracted_at, sizeof(r->extracted_at));
    r->rows = sqlite3_column_int64(st, 4);
    r->size_bytes = sqlite3_column_int64(st, 5);
    store_col_text(st, 6, r->status, sizeof(r->status));
    store_col_text(st, 7, r->error, sizeof(r->error));
    store_col_text(st, 8, r->checked_at, sizeof(r->checked_at));
}

enum rc sync_state_list(struct store *s, struct sync_state_row **out, size_t *out_len,
                        struct err *err)
{
    return store_collect(s, SYNC_STATE_COLUMNS " ORDER BY table_id", NULL, sizeof(**out), read_row,
                         (void **)out, out_len, err);
}

enum rc sync_state_get(struct store *s, const char *table_id, struct sync_state_row *out,
                       struct err *err)
{
    return store_fetch_one(s, SYNC_STATE_COLUMNS " WHERE table_id = ?",
                           (struct store_arg[]){ ARG_TEXT(table_id), { 0 } }, read_row, out,
                           "Table has no sync state", err);
}

enum rc profiles_save(struct store *s, const char *table_id, const char *profile_json,
                      const char *extracted_at, struct err *err)
{
    char now[ISOTIME_SIZE];
    isotime_now(now);
    return store_run_audited(
        s,
        "INSERT INTO table_profiles(table_id, profile, extracted_at, profiled_at)"
        " VALUES (?1, ?2, ?3, ?4) ON CONFLICT (table_id) DO UPDATE SET profile = ?2,"
        " extracted_at = ?3, profiled_at = ?4",
        (struct store_arg[]){ ARG_TEXT(table_id),
                              ARG_TEXT(profile_json),
                              ARG_TEXT(extracted_at && *extracted_at ? extracted_at : NULL),
                              ARG_TEXT(now),
                              { 0 } },
        NULL, NULL, err);
}

struct profile_row {
    char *json;
    char extracted_at[ISOTIME_SIZE];
    char profiled_at[ISOTIME_SIZE];
};

static void read_profile(sqlite3_stmt *st, void *row)
{
    struct profile_row *p = row;
    const unsigned char *text = sqlite3_column_text(st, 0);
    p->json = xstrdup(text ? (const char *)text : "{}");
    store_col_text(st, 1, p->extracted_at, sizeof(p->extracted_at));
    store_col_text(st, 2, p->profiled_at, sizeof(p->profiled_at));
}

enum rc profiles_get(struct store *s, const char *table_id, char **out_json,
                     char out_extracted_at[ISOTIME_SIZE], char out_profiled_at[ISOTIME_SIZE],
                     struct err *err)
{
    struct profile_row p = { 0 };
    *out_json = NULL;
    enum rc rc = store_fetch_one(s,
                                 "SELECT profile, coalesce(extracted_at, ''), profiled_at"
                                 " FROM table_profiles WHERE table_id = ?",
                                 (struct store_arg[]){ ARG_TEXT(table_id), { 0 } }, read_profile,
                                 &p, "Table has no profile", err);
    if (rc)
        return rc;
    *out_json = p.json;
    memcpy(out_extracted_at, p.extracted_at, ISOTIME_SIZE);
    memcpy(out_profiled_at, p.profiled_at, ISOTIME_SIZE);
    return RC_OK;
}
