/* jobs_repo.c — the jobs table: see jobs_repo.h. */
#include "store/jobs_repo.h"

#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "store/store_int.h"

#define JOB_COLUMNS                                                                                \
    "id, source, type, coalesce(tables, ''), trigger, state, attempt, next_attempt_at,"            \
    " created_at, coalesce(started_at, ''), coalesce(finished_at, ''), coalesce(rows, -1),"        \
    " coalesce(bytes, -1), coalesce(error, ''), coalesce(log_path, ''),"                           \
    " coalesce(requested_by, '')"

static void read_row(sqlite3_stmt *st, void *row)
{
    struct job *j = row;
    j->id = sqlite3_column_int64(st, 0);
    store_col_text(st, 1, j->source, sizeof(j->source));
    store_col_text(st, 2, j->type, sizeof(j->type));
    store_col_text(st, 3, j->tables, sizeof(j->tables));
    store_col_text(st, 4, j->trigger, sizeof(j->trigger));
    store_col_text(st, 5, j->state, sizeof(j->state));
    j->attempt = sqlite3_column_int(st, 6);
    j->next_attempt_at = sqlite3_column_int64(st, 7);
    store_col_text(st, 8, j->created_at, sizeof(j->created_at));
    store_col_text(st, 9, j->started_at, sizeof(j->started_at));
    store_col_text(st, 10, j->finished_at, sizeof(j->finished_at));
    j->rows = sqlite3_column_int64(st, 11);
    j->bytes = sqlite3_column_int64(st, 12);
    store_col_text(st, 13, j->error, sizeof(j->error));
    store_col_text(st, 14, j->log_path, sizeof(j->log_path));
    store_col_text(st, 15, j->requested_by, sizeof(j->requested_by));
}

static const char *opt(const char *s)
{
    return s && s[0] ? s : NULL;
}

struct create_args {
    const struct job *j;
    int64_t id;
};

static enum rc create_tx(sqlite3 *db, void *arg, struct err *err)
{
    struct create_args *a = arg;
    const struct job *j = a->j;
    char now[ISOTIME_SIZE];
    isotime_now(now);
    enum rc rc = store_run(db,
                           "INSERT INTO jobs(source, type, tables, trigger, state, attempt,"
                           " next_attempt_at, created_at, requested_by)"
                           " VALUES (?, ?, ?, ?, 'queued', ?, ?, ?, ?)",
                           (struct store_arg[]){ ARG_TEXT(j->source),
                                                 ARG_TEXT(j->type),
                                                 ARG_TEXT(opt(j->tables)),
                                                 ARG_TEXT(j->trigger),
                                                 ARG_INT(j->attempt > 0 ? j->attempt : 1),
                                                 ARG_INT(j->next_attempt_at),
                                                 ARG_TEXT(now),
                                                 ARG_TEXT(opt(j->requested_by)),
                                                 { 0 } },
                           NULL, err);
    if (!rc)
        a->id = sqlite3_last_insert_rowid(db);
    return rc;
}

enum rc jobs_create(struct store *s, const struct job *j, int64_t *out_id, struct err *err)
{
    struct create_args a = { j, 0 };
    enum rc rc = store_transaction(s, create_tx, &a, err);
    *out_id = rc ? 0 : a.id;
    return rc;
}

enum rc jobs_get(struct store *s, int64_t id, struct job *out, struct err *err)
{
    return store_fetch_one(s, "SELECT " JOB_COLUMNS " FROM jobs WHERE id = ?",
                           (struct store_arg[]){ ARG_INT(id), { 0 } }, read_row, out,
                           "Job not found", err);
}

enum rc jobs_list(struct store *s, const char *source, const char *state, int limit,
                  struct job **out, size_t *out_len, struct err *err)
{
    return store_collect(
        s,
        "SELECT " JOB_COLUMNS " FROM jobs"
        " WHERE (?1 IS NULL OR source = ?1) AND (?2 IS NULL OR state = ?2)"
        " ORDER BY id DESC LIMIT ?3",
        (struct store_arg[]){ ARG_TEXT(source), ARG_TEXT(state), ARG_INT(limit), { 0 } },
        sizeof(struct job), read_row, (void **)out, out_len, err);
}

enum rc jobs_active(struct store *s, const char *source, struct job *out, struct err *err)
{
    return store_fetch_one(s,
                           "SELECT " JOB_COLUMNS " FROM jobs WHERE source = ?"
                           " AND state IN ('queued', 'running') ORDER BY id LIMIT 1",
                           (struct store_arg[]){ ARG_TEXT(source), { 0 } }, read_row, out,
                           "No active job", err);
}

/* Runs one UPDATE in a transaction; RC_CONFLICT with msg when it changed no row. */
static enum rc update_one(struct store *s, const char *sql, const struct store_arg *args,
                          const char *msg, struct err *err)
{
    int changes = 0;
    enum rc rc = store_run_audited(s, sql, args, NULL, &changes, err);
    if (!rc && changes == 0)
        rc = err_set(err, RC_CONFLICT, "%s", msg);
    return rc;
}

enum rc jobs_mark_running(struct store *s, int64_t id, const char *log_path, struct err *err)
{
    char now[ISOTIME_SIZE];
    isotime_now(now);
    return update_one(
        s,
        "UPDATE jobs SET state = 'running', started_at = ?, log_path = ?"
        " WHERE id = ? AND state = 'queued'",
        (struct store_arg[]){ ARG_TEXT(now), ARG_TEXT(opt(log_path)), ARG_INT(id), { 0 } },
        "Job is not queued", err);
}

enum rc jobs_finish(struct store *s, int64_t id, const char *state, int64_t rows, int64_t bytes,
                    const char *error, struct err *err)
{
    char now[ISOTIME_SIZE];
    isotime_now(now);
    struct store_arg nul = { STORE_ARG_NULL, NULL, 0 };
    return update_one(s,
                      "UPDATE jobs SET state = ?, finished_at = ?, rows = ?, bytes = ?, error = ?"
                      " WHERE id = ? AND state IN ('queued', 'running')",
                      (struct store_arg[]){ ARG_TEXT(state),
                                            ARG_TEXT(now),
                                            rows >= 0 ? ARG_INT(rows) : nul,
                                            bytes >= 0 ? ARG_INT(bytes) : nul,
                                            ARG_TEXT(opt(error)),
                                            ARG_INT(id),
                                            { 0 } },
                      "Job has ended already", err);
}

enum rc jobs_requeue(struct store *s, int64_t id, int attempt, int64_t next_attempt_at,
                     const char *error, struct err *err)
{
    return update_one(
        s,
        "UPDATE jobs SET state = 'queued', attempt = ?, next_attempt_at = ?,"
        " error = ?, started_at = NULL WHERE id = ? AND state = 'running'",
        (struct store_arg[]){
            ARG_INT(attempt), ARG_INT(next_attempt_at), ARG_TEXT(opt(error)), ARG_INT(id), { 0 } },
        "Job is not running", err);
}

static void read_time(sqlite3_stmt *st, void *row)
{
    char text[ISOTIME_SIZE];
    time_t t = 0;
    store_col_text(st, 0, text, sizeof(text));
    *(int64_t *)row = isotime_parse(text, &t) ? (int64_t)t : 0;
}

enum rc jobs_last_success(struct store *s, const char *source, int64_t *out_t, struct err *err)
{
    return store_fetch_one(s,
                           "SELECT finished_at FROM jobs WHERE source = ? AND state = 'succeeded'"
                           " ORDER BY id DESC LIMIT 1",
                           (struct store_arg[]){ ARG_TEXT(source), { 0 } }, read_time, out_t,
                           "No successful job", err);
}

enum rc jobs_last_created(struct store *s, const char *source, int64_t *out_t, struct err *err)
{
    return store_fetch_one(
        s, "SELECT created_at FROM jobs WHERE source = ? ORDER BY id DESC LIMIT 1",
        (struct store_arg[]){ ARG_TEXT(source), { 0 } }, read_time, out_t, "No job", err);
}

struct prune_args {
    const char *before;
    int64_t *ids;
    size_t n, cap;
};

static enum rc prune_tx(sqlite3 *db, void *arg, struct err *err)
{
    struct prune_args *a = arg;
    sqlite3_stmt *st = NULL;
    /* the newest job of each source and its newest success stay: the scheduler reads them
     * to know when a source last ran */
    enum rc rc = store_prepare(
        db,
        "DELETE FROM jobs WHERE state IN ('succeeded', 'failed', 'cancelled')"
        " AND finished_at < ?"
        " AND id NOT IN (SELECT max(id) FROM jobs GROUP BY source)"
        " AND id NOT IN (SELECT max(id) FROM jobs WHERE state = 'succeeded' GROUP BY source)"
        " RETURNING id",
        (struct store_arg[]){ ARG_TEXT(a->before), { 0 } }, &st, err);
    int step = SQLITE_ROW;
    while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
        a->ids = xgrow(a->ids, &a->cap, a->n + 1, sizeof(*a->ids));
        a->ids[a->n++] = sqlite3_column_int64(st, 0);
    }
    if (!rc && step != SQLITE_DONE)
        rc = store_sqlite_err(db, err, "pruning jobs");
    sqlite3_finalize(st);
    return rc;
}

enum rc jobs_prune(struct store *s, const char *before, int64_t **out_ids, size_t *out_len,
                   struct err *err)
{
    struct prune_args a = { .before = before };
    enum rc rc = store_transaction(s, prune_tx, &a, err);
    if (rc) {
        free(a.ids);
        a.ids = NULL;
        a.n = 0;
    }
    *out_ids = a.ids;
    *out_len = a.n;
    return rc;
}
