/* syncsel_repo.c — SQL for sync switches, table modes, packages and subscriptions. */
#include "store/syncsel_repo.h"

#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "store/store_int.h"

/* ---------------------------------------------------------------- one user's selection */

static void read_switch(sqlite3_stmt *st, void *row)
{
    struct syncsel_switch *w = row;
    store_col_text(st, 0, w->kind, sizeof(w->kind));
    store_col_text(st, 1, w->name, sizeof(w->name));
    w->is_default = sqlite3_column_int(st, 2) != 0;
    w->enabled = sqlite3_column_int(st, 3) != 0;
    store_col_text(st, 4, w->updated_at, sizeof(w->updated_at));
}

static void read_item(sqlite3_stmt *st, void *row)
{
    struct syncsel_item *it = row;
    store_col_text(st, 0, it->package, sizeof(it->package));
    store_col_text(st, 1, it->kind, sizeof(it->kind));
    store_col_text(st, 2, it->name, sizeof(it->name));
}

static void read_name(sqlite3_stmt *st, void *row)
{
    const unsigned char *t = sqlite3_column_text(st, 0);
    *(char **)row = xstrdup(t ? (const char *)t : "");
}

static void read_flag(sqlite3_stmt *st, void *row)
{
    *(bool *)row = sqlite3_column_int(st, 0) != 0;
}

enum rc syncsel_load(struct store *s, const char *user_id, struct syncsel_user *out,
                     struct err *err)
{
    memset(out, 0, sizeof(*out));
    const struct store_arg args[] = { ARG_TEXT(user_id), { 0 } };
    enum rc rc = store_fetch_one(s,
                                 "SELECT table_mode = 'explicit' FROM sync_prefs"
                                 " WHERE user_id = ?",
                                 args, read_flag, &out->explicit_mode, "", err);
    if (rc == RC_NOTFOUND)
        rc = RC_OK;
    if (!rc)
        rc = store_collect(s,
                           "SELECT kind, name, origin = 'default', enabled, updated_at"
                           " FROM sync_switches WHERE user_id = ? ORDER BY kind, name, origin DESC",
                           args, sizeof(*out->switches), read_switch, (void **)&out->switches,
                           &out->n_switches, err);
    if (!rc)
        rc = store_collect(s,
                           "SELECT i.package, i.kind, i.name FROM package_subscriptions p"
                           " JOIN package_items i ON i.package = p.package WHERE p.user_id = ?"
                           " ORDER BY i.package, i.kind, i.name",
                           args, sizeof(*out->items), read_item, (void **)&out->items,
                           &out->n_items, err);
    if (!rc)
        rc = store_collect(s,
                           "SELECT package FROM package_subscriptions WHERE user_id = ?"
                           " ORDER BY package",
                           args, sizeof(char *), read_name, (void **)&out->subscribed,
                           &out->n_subscribed, err);
    if (rc)
        syncsel_user_cleanup(out);
    return rc;
}

void syncsel_user_cleanup(struct syncsel_user *u)
{
    free(u->switches);
    free(u->items);
    for (size_t i = 0; i < u->n_subscribed; i++)
        free(u->subscribed[i]);
    free(u->subscribed);
    memset(u, 0, sizeof(*u));
}

struct apply_tx {
    const char *user_id;
    const struct syncsel_change *c;
    const struct syncsel_op *defaults;
    size_t n_defaults;
    const struct audit_entry *audit;
};

static enum rc apply_tx(sqlite3 *db, void *arg, struct err *err)
{
    struct apply_tx *t = arg;
    char now[ISOTIME_SIZE];
    isotime_now(now);
    enum rc rc = RC_OK;
    if (t->c->table_mode)
        rc = store_run(db,
                       "INSERT INTO sync_prefs(user_id, table_mode, updated_at) VALUES (?, ?, ?)"
                       " ON CONFLICT(user_id) DO UPDATE SET table_mode = excluded.table_mode,"
                       " updated_at = excluded.updated_at",
                       (struct store_arg[]){
                           ARG_TEXT(t->user_id), ARG_TEXT(t->c->table_mode), ARG_TEXT(now), { 0 } },
                       NULL, err);
    for (size_t i = 0; !rc && i < t->c->n_ops; i++) {
        const struct syncsel_op *op = &t->c->ops[i];
        rc = store_run(db,
                       "INSERT INTO sync_switches(user_id, kind, name, origin, enabled, updated_at)"
                       " VALUES (?, ?, ?, 'user', ?, ?) ON CONFLICT DO UPDATE SET"
                       " enabled = excluded.enabled, updated_at = excluded.updated_at",
                       (struct store_arg[]){ ARG_TEXT(t->user_id),
                                             ARG_TEXT(op->kind),
                                             ARG_TEXT(op->name),
                                             ARG_INT(op->enabled),
                                             ARG_TEXT(now),
                                             { 0 } },
                       NULL, err);
        if (!rc && strcmp(op->kind, "bucket") == 0)
            rc = store_run(db,
                           "DELETE FROM sync_switches WHERE user_id = ? AND kind = 'table'"
                           " AND origin = 'user' AND name IN"
                           " (SELECT id FROM table_registry WHERE bucket = ?)",
                           (struct store_arg[]){ ARG_TEXT(t->user_id), ARG_TEXT(op->name), { 0 } },
                           NULL, err);
    }
    if (!rc)
        rc = store_audit_in_tx(db, t->audit, err);
    return rc;
}

enum rc syncsel_apply(struct store *s, const char *user_id, const struct syncsel_change *c,
                      const struct audit_entry *audit, struct err *err)
{
    struct apply_tx t = { user_id, c, NULL, 0, audit };
    enum rc rc = store_transaction(s, apply_tx, &t, err);
    if (rc == RC_CONFLICT) /* the foreign key: no such user */
        return err_set(err, RC_NOTFOUND, "User not found");
    return rc;
}

static enum rc defaults_tx(sqlite3 *db, void *arg, struct err *err)
{
    struct apply_tx *t = arg;
    char now[ISOTIME_SIZE];
    isotime_now(now);
    enum rc rc = RC_OK;
    for (size_t i = 0; !rc && i < t->n_defaults; i++)
        rc = store_run(db,
                       "INSERT INTO sync_switches(user_id, kind, name, origin, enabled, updated_at)"
                       " VALUES (?, 'table', ?, 'default', ?, ?) ON CONFLICT DO NOTHING",
                       (struct store_arg[]){ ARG_TEXT(t->user_id),
                                             ARG_TEXT(t->defaults[i].name),
                                             ARG_INT(t->defaults[i].enabled),
                                             ARG_TEXT(now),
                                             { 0 } },
                       NULL, err);
    return rc;
}

enum rc syncsel_record_defaults(struct store *s, const char *user_id, const struct syncsel_op *ops,
                                size_t n, struct err *err)
{
    if (n == 0)
        return RC_OK;
    struct apply_tx t = { user_id, NULL, ops, n, NULL };
    enum rc rc = store_transaction(s, defaults_tx, &t, err);
    if (rc == RC_CONFLICT)
        return err_set(err, RC_NOTFOUND, "User not found");
    return rc;
}

/* ---------------------------------------------------------------- packages */

void package_cleanup(struct package *p)
{
    for (size_t i = 0; i < p->n_tables; i++)
        free(p->tables[i]);
    free(p->tables);
    for (size_t i = 0; i < p->n_buckets; i++)
        free(p->buckets[i]);
    free(p->buckets);
    p->tables = p->buckets = NULL;
    p->n_tables = p->n_buckets = 0;
}

void packages_free(struct package *list, size_t n)
{
    for (size_t i = 0; list && i < n; i++)
        package_cleanup(&list[i]);
    free(list);
}

static void read_package(sqlite3_stmt *st, void *row)
{
    struct package *p = row;
    memset(p, 0, sizeof(*p));
    store_col_text(st, 0, p->name, sizeof(p->name));
    store_col_text(st, 1, p->description, sizeof(p->description));
    store_col_text(st, 2, p->created_by, sizeof(p->created_by));
    store_col_text(st, 3, p->created_at, sizeof(p->created_at));
    store_col_text(st, 4, p->updated_at, sizeof(p->updated_at));
    p->subscribers = sqlite3_column_int64(st, 5);
}

#define PACKAGE_COLUMNS                                                                            \
    "SELECT name, description, coalesce(created_by, ''), created_at, updated_at,"                  \
    " (SELECT count(*) FROM package_subscriptions s WHERE s.package = p.name) FROM packages p"

/* Fills the item lists of p. */
static enum rc read_items(struct store *s, struct package *p, struct err *err)
{
    enum rc rc = store_collect(
        s, "SELECT name FROM package_items WHERE package = ? AND kind = 'table' ORDER BY name",
        (struct store_arg[]){ ARG_TEXT(p->name), { 0 } }, sizeof(char *), read_name,
        (void **)&p->tables, &p->n_tables, err);
    if (!rc)
        rc = store_collect(
            s, "SELECT name FROM package_items WHERE package = ? AND kind = 'bucket' ORDER BY name",
            (struct store_arg[]){ ARG_TEXT(p->name), { 0 } }, sizeof(char *), read_name,
            (void **)&p->buckets, &p->n_buckets, err);
    return rc;
}

enum rc packages_list(struct store *s, struct package **out, size_t *out_len, struct err *err)
{
    struct package *list = NULL;
    size_t n = 0;
    enum rc rc = store_collect(s, PACKAGE_COLUMNS " ORDER BY name", (struct store_arg[]){ { 0 } },
                               sizeof(*list), read_package, (void **)&list, &n, err);
    for (size_t i = 0; !rc && i < n; i++)
        rc = read_items(s, &list[i], err);
    if (rc) {
        packages_free(list, n);
        return rc;
    }
    *out = list;
    *out_len = n;
    return RC_OK;
}

enum rc packages_get(struct store *s, const char *name, struct package *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    enum rc rc = store_fetch_one(s, PACKAGE_COLUMNS " WHERE name = ?",
                                 (struct store_arg[]){ ARG_TEXT(name), { 0 } }, read_package, out,
                                 "Package not found", err);
    if (!rc)
        rc = read_items(s, out, err);
    if (rc)
        package_cleanup(out);
    return rc;
}

/* Replaces the items of one kind of package name with names. */
static enum rc put_items(sqlite3 *db, const char *name, const char *kind, char *const *names,
                         size_t n, struct err *err)
{
    enum rc rc =
        store_run(db, "DELETE FROM package_items WHERE package = ? AND kind = ?",
                  (struct store_arg[]){ ARG_TEXT(name), ARG_TEXT(kind), { 0 } }, NULL, err);
    for (size_t i = 0; !rc && i < n; i++)
        rc = store_run(
            db,
            "INSERT INTO package_items(package, kind, name) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (struct store_arg[]){ ARG_TEXT(name), ARG_TEXT(kind), ARG_TEXT(names[i]), { 0 } }, NULL,
            err);
    return rc;
}

struct package_tx {
    const char *name;
    const struct package *p;
    const struct package_change *c;
    const char *user_id;
    bool subscribe;
    const struct audit_entry *audit;
};

static enum rc create_tx(sqlite3 *db, void *arg, struct err *err)
{
    struct package_tx *t = arg;
    char now[ISOTIME_SIZE];
    isotime_now(now);
    enum rc rc =
        store_run(db,
                  "INSERT INTO packages(name, description, created_by, created_at,"
                  " updated_at) VALUES (?, ?, ?, ?, ?)",
                  (struct store_arg[]){ ARG_TEXT(t->p->name),
                                        ARG_TEXT(t->p->description),
                                        ARG_TEXT(t->p->created_by[0] ? t->p->created_by : NULL),
                                        ARG_TEXT(now),
                                        ARG_TEXT(now),
                                        { 0 } },
                  NULL, err);
    if (rc == RC_CONFLICT)
        return err_set(err, RC_CONFLICT, "Package '%s' already exists", t->p->name);
    if (!rc)
        rc = put_items(db, t->p->name, "table", t->p->tables, t->p->n_tables, err);
    if (!rc)
        rc = put_items(db, t->p->name, "bucket", t->p->buckets, t->p->n_buckets, err);
    if (!rc)
        rc = store_audit_in_tx(db, t->audit, err);
    return rc;
}

enum rc packages_create(struct store *s, const struct package *p, const struct audit_entry *audit,
                        struct err *err)
{
    struct package_tx t = { .p = p, .audit = audit };
    return store_transaction(s, create_tx, &t, err);
}

static enum rc update_tx(sqlite3 *db, void *arg, struct err *err)
{
    struct package_tx *t = arg;
    const struct package_change *c = t->c;
    char now[ISOTIME_SIZE];
    isotime_now(now);
    int changes = 0;
    enum rc rc = store_run(db,
                           "UPDATE packages SET updated_at = ?, description = CASE WHEN ? THEN ?"
                           " ELSE description END WHERE name = ?",
                           (struct store_arg[]){ ARG_TEXT(now),
                                                 ARG_INT(c->set_description),
                                                 ARG_TEXT(c->v->description),
                                                 ARG_TEXT(t->name),
                                                 { 0 } },
                           &changes, err);
    if (!rc && changes == 0)
        return err_set(err, RC_NOTFOUND, "Package not found");
    if (!rc && c->set_tables)
        rc = put_items(db, t->name, "table", c->v->tables, c->v->n_tables, err);
    if (!rc && c->set_buckets)
        rc = put_items(db, t->name, "bucket", c->v->buckets, c->v->n_buckets, err);
    if (!rc)
        rc = store_audit_in_tx(db, t->audit, err);
    return rc;
}

enum rc packages_update(struct store *s, const char *name, const struct package_change *c,
                        const struct audit_entry *audit, struct err *err)
{
    struct package_tx t = { .name = name, .c = c, .audit = audit };
    return store_transaction(s, update_tx, &t, err);
}

static enum rc delete_tx(sqlite3 *db, void *arg, struct err *err)
{
    struct package_tx *t = arg;
    int changes = 0;
    enum rc rc = store_run(db, "DELETE FROM packages WHERE name = ?",
                           (struct store_arg[]){ ARG_TEXT(t->name), { 0 } }, &changes, err);
    if (!rc && changes == 0)
        return err_set(err, RC_NOTFOUND, "Package not found");
    if (!rc)
        rc = store_audit_in_tx(db, t->audit, err);
    return rc;
}

enum rc packages_delete(struct store *s, const char *name, const struct audit_entry *audit,
                        struct err *err)
{
    struct package_tx t = { .name = name, .audit = audit };
    return store_transaction(s, delete_tx, &t, err);
}

static enum rc subscribe_tx(sqlite3 *db, void *arg, struct err *err)
{
    struct package_tx *t = arg;
    sqlite3_stmt *st = NULL;
    enum rc rc = store_prepare(db, "SELECT 1 FROM packages WHERE name = ?",
                               (struct store_arg[]){ ARG_TEXT(t->name), { 0 } }, &st, err);
    int step = rc ? SQLITE_ERROR : sqlite3_step(st);
    sqlite3_finalize(st);
    if (!rc && step == SQLITE_DONE)
        return err_set(err, RC_NOTFOUND, "Package not found");
    if (!rc && step != SQLITE_ROW)
        rc = store_sqlite_err(db, err, "find package");
    char now[ISOTIME_SIZE];
    isotime_now(now);
    const struct store_arg who[] = { ARG_TEXT(t->user_id), ARG_TEXT(t->name), { 0 } };
    if (!rc && t->subscribe) {
        rc = store_run(
            db,
            "INSERT INTO package_subscriptions(user_id, package, created_at)"
            " VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (struct store_arg[]){ ARG_TEXT(t->user_id), ARG_TEXT(t->name), ARG_TEXT(now), { 0 } },
            NULL, err);
        if (!rc)
            rc = store_run(db,
                           "DELETE FROM sync_switches WHERE user_id = ?1 AND kind = 'table'"
                           " AND origin = 'user' AND (name IN (SELECT name FROM package_items"
                           "  WHERE package = ?2 AND kind = 'table') OR name IN (SELECT r.id"
                           "  FROM table_registry r JOIN package_items i ON i.kind = 'bucket'"
                           "  AND i.name = r.bucket WHERE i.package = ?2))",
                           who, NULL, err);
    } else if (!rc) {
        rc = store_run(db, "DELETE FROM package_subscriptions WHERE user_id = ? AND package = ?",
                       who, NULL, err);
    }
    if (!rc)
        rc = store_audit_in_tx(db, t->audit, err);
    return rc;
}

enum rc packages_subscribe(struct store *s, const char *user_id, const char *name, bool subscribe,
                           const struct audit_entry *audit, struct err *err)
{
    struct package_tx t = {
        .name = name, .user_id = user_id, .subscribe = subscribe, .audit = audit
    };
    enum rc rc = store_transaction(s, subscribe_tx, &t, err);
    if (rc == RC_CONFLICT)
        return err_set(err, RC_NOTFOUND, "User not found");
    return rc;
}

enum rc syncsel_bucket_registered(struct store *s, const char *bucket, bool *out, struct err *err)
{
    *out = false;
    return store_fetch_one(s, "SELECT EXISTS (SELECT 1 FROM table_registry WHERE bucket = ?)",
                           (struct store_arg[]){ ARG_TEXT(bucket), { 0 } }, read_flag, out, "",
                           err);
}
