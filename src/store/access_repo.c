/* access_repo.c — SQL for table visibility, groups, grants and access requests, and the query
 * that decides whether a user may read a table. */
#include "store/access_repo.h"

#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "store/store_int.h"

/* ---------------------------------------------------------------- tables */

enum rc tables_register(struct store *s, const struct table_entry *t, const char *registered_by,
                        const struct audit_entry *audit, struct err *err)
{
    char now[ISOTIME_SIZE];
    isotime_now(now);
    enum rc rc = store_run_audited(
        s,
        "INSERT INTO table_registry(id, name, source_type, bucket, query_mode, description,"
        " registered_by, is_public, registered_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (struct store_arg[]){ ARG_TEXT(t->id),
                              ARG_TEXT(t->name),
                              ARG_TEXT(t->source_type[0] ? t->source_type : NULL),
                              ARG_TEXT(t->bucket[0] ? t->bucket : NULL),
                              ARG_TEXT(t->query_mode[0] ? t->query_mode : "local"),
                              ARG_TEXT(t->description),
                              ARG_TEXT(registered_by),
                              ARG_INT(t->is_public),
                              ARG_TEXT(now),
                              { 0 } },
        audit, NULL, err);
    if (rc == RC_CONFLICT)
        return err_set(err, RC_CONFLICT, "Table '%s' already registered", t->id);
    return rc;
}

static void read_table(sqlite3_stmt *st, void *row)
{
    struct table_entry *t = row;
    store_col_text(st, 0, t->id, sizeof(t->id));
    store_col_text(st, 1, t->name, sizeof(t->name));
    store_col_text(st, 2, t->source_type, sizeof(t->source_type));
    store_col_text(st, 3, t->bucket, sizeof(t->bucket));
    store_col_text(st, 4, t->query_mode, sizeof(t->query_mode));
    store_col_text(st, 5, t->description, sizeof(t->description));
    t->is_public = sqlite3_column_int(st, 6) != 0;
}

enum rc tables_get(struct store *s, const char *id, struct table_entry *out, struct err *err)
{
    return store_fetch_one(s,
                           "SELECT id, name, source_type, bucket, query_mode, description,"
                           " is_public FROM table_registry WHERE id = ?",
                           (struct store_arg[]){ ARG_TEXT(id), { 0 } }, read_table, out,
                           "Table not found", err);
}

/* ---------------------------------------------------------------- groups */

enum rc groups_create(struct store *s, const char *id, const char *name,
                      const struct audit_entry *audit, struct err *err)
{
    char now[ISOTIME_SIZE];
    isotime_now(now);
    enum rc rc = store_run_audited(
        s, "INSERT INTO groups(id, name, created_at) VALUES (?, ?, ?)",
        (struct store_arg[]){ ARG_TEXT(id), ARG_TEXT(name), ARG_TEXT(now), { 0 } }, audit, NULL,
        err);
    if (rc == RC_CONFLICT)
        return err_set(err, RC_CONFLICT, "Group '%s' already exists", name);
    return rc;
}

static void read_id(sqlite3_stmt *st, void *row)
{
    store_col_text(st, 0, row, USER_ID_LEN + 1);
}

enum rc groups_find(struct store *s, const char *name, char out_id[USER_ID_LEN + 1],
                    struct err *err)
{
    return store_fetch_one(s, "SELECT id FROM groups WHERE name = ?",
                           (struct store_arg[]){ ARG_TEXT(name), { 0 } }, read_id, out_id,
                           "Group not found", err);
}

enum rc groups_add_member(struct store *s, const char *group_id, const char *user_id,
                          const struct audit_entry *audit, struct err *err)
{
    enum rc rc = store_run_audited(
        s, "INSERT INTO group_members(group_id, user_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
        (struct store_arg[]){ ARG_TEXT(group_id), ARG_TEXT(user_id), { 0 } }, audit, NULL, err);
    if (rc == RC_CONFLICT) /* a foreign key: the user or the group does not exist */
        return err_set(err, RC_NOTFOUND, "User or group not found");
    return rc;
}

enum rc groups_remove_member(struct store *s, const char *group_id, const char *user_id,
                             const struct audit_entry *audit, struct err *err)
{
    int changes = 0;
    enum rc rc = store_run_audited(
        s, "DELETE FROM group_members WHERE group_id = ? AND user_id = ?",
        (struct store_arg[]){ ARG_TEXT(group_id), ARG_TEXT(user_id), { 0 } }, audit, &changes, err);
    if (!rc && changes == 0)
        return err_set(err, RC_NOTFOUND, "User is not a member of that group");
    return rc;
}

static void read_name(sqlite3_stmt *st, void *row)
{
    *(char **)row = xstrdup((const char *)sqlite3_column_text(st, 0));
}

enum rc groups_of_user(struct store *s, const char *user_id, char ***out_names, size_t *out_len,
                       struct err *err)
{
    return store_collect(s,
                         "SELECT g.name FROM group_members m JOIN groups g ON g.id = m.group_id"
                         " WHERE m.user_id = ? ORDER BY g.name",
                         (struct store_arg[]){ ARG_TEXT(user_id), { 0 } }, sizeof(char *),
                         read_name, (void **)out_names, out_len, err);
}

/* ---------------------------------------------------------------- grants */

enum rc grants_add(struct store *s, const char *user_id, const char *group_id, const char *dataset,
                   const char *created_by, const struct audit_entry *audit, struct err *err)
{
    char now[ISOTIME_SIZE];
    isotime_now(now);
    enum rc rc =
        store_run_audited(s,
                          "INSERT INTO grants(user_id, group_id, dataset, created_at, created_by)"
                          " VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                          (struct store_arg[]){ ARG_TEXT(user_id),
                                                ARG_TEXT(group_id),
                                                ARG_TEXT(dataset),
                                                ARG_TEXT(now),
                                                ARG_TEXT(created_by),
                                                { 0 } },
                          audit, NULL, err);
    if (rc == RC_CONFLICT) /* a foreign key: the user or the group does not exist */
        return err_set(err, RC_NOTFOUND, "%s not found", user_id ? "User" : "Group");
    return rc;
}

enum rc grants_remove(struct store *s, const char *user_id, const char *group_id,
                      const char *dataset, const struct audit_entry *audit, bool *out_removed,
                      struct err *err)
{
    int changes = 0;
    enum rc rc = store_run_audited(
        s, "DELETE FROM grants WHERE dataset = ? AND user_id IS ? AND group_id IS ?",
        (struct store_arg[]){ ARG_TEXT(dataset), ARG_TEXT(user_id), ARG_TEXT(group_id), { 0 } },
        audit, &changes, err);
    *out_removed = changes > 0;
    return rc;
}

static void read_grant(sqlite3_stmt *st, void *row)
{
    struct grant *g = row;
    store_col_text(st, 0, g->user_id, sizeof(g->user_id));
    store_col_text(st, 1, g->group_name, sizeof(g->group_name));
    store_col_text(st, 2, g->dataset, sizeof(g->dataset));
    store_col_text(st, 3, g->access, sizeof(g->access));
}

enum rc grants_list(struct store *s, const char *user_id, struct grant **out, size_t *out_len,
                    struct err *err)
{
    return store_collect(s,
                         "SELECT coalesce(x.user_id, ''), coalesce(g.name, ''), x.dataset,"
                         " x.access FROM grants x LEFT JOIN groups g ON g.id = x.group_id"
                         " WHERE ?1 IS NULL OR x.user_id = ?1"
                         " ORDER BY x.user_id, g.name, x.dataset",
                         (struct store_arg[]){ ARG_TEXT(user_id), { 0 } }, sizeof(**out),
                         read_grant, (void **)out, out_len, err);
}

enum rc store_user_may_read(struct store *s, const char *user_id, const char *table_id,
                            bool *out_allowed, struct err *err)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    *out_allowed = false;
    enum rc rc = store_conn_acquire(s, &db, err);
    if (rc)
        return rc;
    rc = store_prepare(
        db,
        "SELECT EXISTS (SELECT 1 FROM table_registry t WHERE t.id = ?2 AND (t.is_public = 1"
        " OR EXISTS (SELECT 1 FROM grants g WHERE (g.user_id = ?1 OR g.group_id IN"
        "   (SELECT group_id FROM group_members WHERE user_id = ?1))"
        "   AND (g.dataset = t.id OR (coalesce(t.bucket, '') <> ''"
        "        AND g.dataset = t.bucket || '.*')))))",
        (struct store_arg[]){ ARG_TEXT(user_id), ARG_TEXT(table_id), { 0 } }, &st, err);
    if (!rc && sqlite3_step(st) != SQLITE_ROW)
        rc = store_sqlite_err(db, err, "check access");
    *out_allowed = !rc && sqlite3_column_int(st, 0) == 1;
    sqlite3_finalize(st);
    store_conn_release(s, db);
    return rc;
}

/* ---------------------------------------------------------------- access requests */

struct request_tx {
    const char *id, *user_id, *table_id, *reason, *reviewer;
    bool approve;
    const struct audit_entry *audit;
};

static enum rc create_request_tx(sqlite3 *db, void *arg, struct err *err)
{
    struct request_tx *t = arg;
    char now[ISOTIME_SIZE];
    isotime_now(now);
    int changes = 0;
    enum rc rc = store_run(db,
                           "INSERT INTO access_requests(id, user_id, table_id, reason, status,"
                           " created_at) SELECT ?, ?, id, ?, 'pending', ? FROM table_registry"
                           " WHERE id = ?",
                           (struct store_arg[]){ ARG_TEXT(t->id),
                                                 ARG_TEXT(t->user_id),
                                                 ARG_TEXT(t->reason),
                                                 ARG_TEXT(now),
                                                 ARG_TEXT(t->table_id),
                                                 { 0 } },
                           &changes, err);
    if (rc == RC_CONFLICT)
        return err_set(err, RC_CONFLICT, "You already have a pending request for this table");
    if (!rc && changes == 0)
        return err_set(err, RC_NOTFOUND, "Table '%s' not found", t->table_id);
    if (!rc)
        rc = store_audit_in_tx(db, t->audit, err);
    return rc;
}

enum rc requests_create(struct store *s, const char *id, const char *user_id, const char *table_id,
                        const char *reason, const struct audit_entry *audit, struct err *err)
{
    struct request_tx t = { id, user_id, table_id, reason, NULL, false, audit };
    return store_transaction(s, create_request_tx, &t, err);
}

static void read_request(sqlite3_stmt *st, void *row)
{
    struct access_request *r = row;
    store_col_text(st, 0, r->id, sizeof(r->id));
    store_col_text(st, 1, r->user_id, sizeof(r->user_id));
    store_col_text(st, 2, r->user_email, sizeof(r->user_email));
    store_col_text(st, 3, r->table_id, sizeof(r->table_id));
    store_col_text(st, 4, r->reason, sizeof(r->reason));
    store_col_text(st, 5, r->status, sizeof(r->status));
    store_col_text(st, 6, r->reviewed_by, sizeof(r->reviewed_by));
    store_col_text(st, 7, r->reviewed_at, sizeof(r->reviewed_at));
    store_col_text(st, 8, r->created_at, sizeof(r->created_at));
}

enum rc requests_list(struct store *s, const char *user_id, struct access_request **out,
                      size_t *out_len, struct err *err)
{
    return store_collect(
        s,
        "SELECT r.id, r.user_id, u.email, r.table_id, r.reason, r.status,"
        " coalesce(r.reviewed_by, ''), coalesce(r.reviewed_at, ''), r.created_at"
        " FROM access_requests r JOIN users u ON u.id = r.user_id"
        " WHERE (?1 IS NOT NULL AND r.user_id = ?1) OR (?1 IS NULL AND r.status = 'pending')"
        " ORDER BY r.created_at DESC, r.id",
        (struct store_arg[]){ ARG_TEXT(user_id), { 0 } }, sizeof(**out), read_request, (void **)out,
        out_len, err);
}

static enum rc decide_request_tx(sqlite3 *db, void *arg, struct err *err)
{
    struct request_tx *t = arg;
    char now[ISOTIME_SIZE];
    isotime_now(now);
    sqlite3_stmt *st = NULL;
    enum rc rc = store_prepare(db,
                               "UPDATE access_requests SET status = ?, reviewed_by = ?,"
                               " reviewed_at = ? WHERE id = ? AND status = 'pending'"
                               " RETURNING user_id, table_id",
                               (struct store_arg[]){ ARG_TEXT(t->approve ? "approved" : "denied"),
                                                     ARG_TEXT(t->reviewer),
                                                     ARG_TEXT(now),
                                                     ARG_TEXT(t->id),
                                                     { 0 } },
                               &st, err);
    char user_id[USER_ID_LEN + 1] = "", table_id[TABLE_ID_MAX + 1] = "";
    if (!rc) {
        int step = sqlite3_step(st);
        if (step == SQLITE_DONE) {
            rc = err_set(err, RC_NOTFOUND, "Request not found or already processed");
        } else if (step != SQLITE_ROW) {
            rc = store_sqlite_err(db, err, "decide request");
        } else {
            store_col_text(st, 0, user_id, sizeof(user_id));
            store_col_text(st, 1, table_id, sizeof(table_id));
            if (sqlite3_step(st) != SQLITE_DONE)
                rc = store_sqlite_err(db, err, "decide request");
        }
    }
    sqlite3_finalize(st);
    /* approval grants exactly the table asked for, to exactly the user who asked */
    if (!rc && t->approve)
        rc = store_run(db,
                       "INSERT INTO grants(user_id, dataset, created_at, created_by)"
                       " VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING",
                       (struct store_arg[]){ ARG_TEXT(user_id),
                                             ARG_TEXT(table_id),
                                             ARG_TEXT(now),
                                             ARG_TEXT(t->reviewer),
                                             { 0 } },
                       NULL, err);
    if (!rc)
        rc = store_audit_in_tx(db, t->audit, err);
    return rc;
}

enum rc requests_decide(struct store *s, const char *id, bool approve, const char *reviewer_email,
                        const struct audit_entry *audit, struct err *err)
{
    struct request_tx t = { id, NULL, NULL, NULL, reviewer_email, approve, audit };
    return store_transaction(s, decide_request_tx, &t, err);
}
