/* registry_repo.c — SQL for the table registry (store/registry_repo.h): create, read, update and
 * delete rows, the delete taking with it everything keyed by the table id; plus the two value
 * rules of a row that are more than a length (sync schedule, primary key). */
#include "store/registry_repo.h"

#include <string.h>

#include "store/store_int.h"

#define AT(f)       offsetof(struct registry_table, f)
#define TEXT_MAX(f) (sizeof(((struct registry_table *)0)->f) - 1) /* tied to the array size */

static const struct registry_field fields[REG_FIELD_COUNT] = {
    [REG_BUCKET] = { "bucket", REGISTRY_TEXT, AT(bucket), TEXT_MAX(bucket), false },
    [REG_DESCRIPTION] = { "description", REGISTRY_TEXT, AT(description), TEXT_MAX(description),
                          false },
    [REG_FOLDER] = { "folder", REGISTRY_TEXT, AT(folder), TEXT_MAX(folder), false },
    [REG_IS_PUBLIC] = { "is_public", REGISTRY_BOOL, AT(is_public), 0, true },
    [REG_NAME] = { "name", REGISTRY_TEXT, AT(name), TEXT_MAX(name), true },
    [REG_PRIMARY_KEY] = { "primary_key", REGISTRY_TEXT, AT(primary_key), TEXT_MAX(primary_key),
                          false },
    [REG_PROFILE_AFTER_SYNC] = { "profile_after_sync", REGISTRY_BOOL, AT(profile_after_sync), 0,
                                 true },
    [REG_QUERY_MODE] = { "query_mode", REGISTRY_TEXT, AT(query_mode), TEXT_MAX(query_mode), true },
    [REG_SOURCE_TABLE] = { "source_table", REGISTRY_TEXT, AT(source_table), TEXT_MAX(source_table),
                           false },
    [REG_SOURCE_TYPE] = { "source_type", REGISTRY_TEXT, AT(source_type), TEXT_MAX(source_type),
                          false },
    [REG_SYNC_SCHEDULE] = { "sync_schedule", REGISTRY_TEXT, AT(sync_schedule),
                            TEXT_MAX(sync_schedule), false },
    [REG_SYNC_STRATEGY] = { "sync_strategy", REGISTRY_TEXT, AT(sync_strategy),
                            TEXT_MAX(sync_strategy), true },
};

const struct registry_field *registry_fields(void)
{
    return fields;
}

/* "" is stored as NULL: an optional field that is empty is unset. */
static const char *opt(const char *s)
{
    return s[0] ? s : NULL;
}

#define ROW_COLUMNS                                                                                \
    "id, name, source_type, bucket, source_table, sync_strategy, query_mode, sync_schedule,"       \
    " profile_after_sync, primary_key, folder, description, registered_by, is_public,"             \
    " registered_at, updated_at"

static void read_row(sqlite3_stmt *st, void *row)
{
    struct registry_table *t = row;
    store_col_text(st, 0, t->id, sizeof(t->id));
    store_col_text(st, 1, t->name, sizeof(t->name));
    store_col_text(st, 2, t->source_type, sizeof(t->source_type));
    store_col_text(st, 3, t->bucket, sizeof(t->bucket));
    store_col_text(st, 4, t->source_table, sizeof(t->source_table));
    store_col_text(st, 5, t->sync_strategy, sizeof(t->sync_strategy));
    store_col_text(st, 6, t->query_mode, sizeof(t->query_mode));
    store_col_text(st, 7, t->sync_schedule, sizeof(t->sync_schedule));
    t->profile_after_sync = sqlite3_column_int(st, 8) != 0;
    store_col_text(st, 9, t->primary_key, sizeof(t->primary_key));
    store_col_text(st, 10, t->folder, sizeof(t->folder));
    store_col_text(st, 11, t->description, sizeof(t->description));
    store_col_text(st, 12, t->registered_by, sizeof(t->registered_by));
    t->is_public = sqlite3_column_int(st, 13) != 0;
    store_col_text(st, 14, t->registered_at, sizeof(t->registered_at));
    store_col_text(st, 15, t->updated_at, sizeof(t->updated_at));
}

enum rc registry_create(struct store *s, const struct registry_table *t,
                        const struct audit_entry *audit, struct err *err)
{
    char now[ISOTIME_SIZE];
    isotime_now(now);
    int changes = 0;
    /* DO NOTHING on the id alone, so only a duplicate id reads as "already registered" */
    enum rc rc = store_run_audited(
        s,
        "INSERT INTO table_registry(" ROW_COLUMNS ")"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL) ON CONFLICT(id) DO NOTHING",
        (struct store_arg[]){ ARG_TEXT(t->id),
                              ARG_TEXT(t->name),
                              ARG_TEXT(opt(t->source_type)),
                              ARG_TEXT(opt(t->bucket)),
                              ARG_TEXT(opt(t->source_table)),
                              ARG_TEXT(t->sync_strategy),
                              ARG_TEXT(t->query_mode),
                              ARG_TEXT(opt(t->sync_schedule)),
                              ARG_INT(t->profile_after_sync),
                              ARG_TEXT(opt(t->primary_key)),
                              ARG_TEXT(opt(t->folder)),
                              ARG_TEXT(opt(t->description)),
                              ARG_TEXT(opt(t->registered_by)),
                              ARG_INT(t->is_public),
                              ARG_TEXT(now),
                              { 0 } },
        audit, &changes, err);
    if (!rc && changes == 0)
        return err_set(err, RC_CONFLICT, "Table '%s' already registered", t->id);
    return rc;
}

enum rc registry_get(struct store *s, const char *id, struct registry_table *out, struct err *err)
{
    return store_fetch_one(s, "SELECT " ROW_COLUMNS " FROM table_registry WHERE id = ?",
                           (struct store_arg[]){ ARG_TEXT(id), { 0 } }, read_row, out,
                           "Table not found", err);
}

enum rc registry_list(struct store *s, struct registry_table **out, size_t *out_len,
                      struct err *err)
{
    return store_collect(s, "SELECT " ROW_COLUMNS " FROM table_registry ORDER BY name, id", NULL,
                         sizeof(**out), read_row, (void **)out, out_len, err);
}

/* ---------------------------------------------------------------- update */

struct update_tx {
    const char *id;
    const struct registry_change *c;
    const struct audit_entry *audit;
    struct registry_table row;
};

/* Reads row id on db, the transaction's own connection (store_fetch_one would borrow
 * another one and read outside the transaction). */
static enum rc read_in_tx(sqlite3 *db, const char *id, struct registry_table *out, struct err *err)
{
    sqlite3_stmt *st = NULL;
    enum rc rc = store_prepare(db, "SELECT " ROW_COLUMNS " FROM table_registry WHERE id = ?",
                               (struct store_arg[]){ ARG_TEXT(id), { 0 } }, &st, err);
    if (!rc) {
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            read_row(st, out);
        else if (step == SQLITE_DONE)
            rc = err_set(err, RC_NOTFOUND, "Table not found");
        else
            rc = store_sqlite_err(db, err, "read table");
    }
    sqlite3_finalize(st);
    return rc;
}

/* Copies the given fields of c into t. */
static void apply_change(struct registry_table *t, const struct registry_change *c)
{
    for (size_t i = 0; i < REG_FIELD_COUNT; i++) {
        if (!(c->given & (1u << i)))
            continue;
        const struct registry_field *f = &fields[i];
        size_t size = f->kind == REGISTRY_TEXT ? f->max + 1 : sizeof(bool);
        memcpy((char *)t + f->offset, (const char *)&c->v + f->offset, size);
    }
}

static enum rc update_tx(sqlite3 *db, void *arg, struct err *err)
{
    struct update_tx *u = arg;
    struct registry_table *t = &u->row;
    enum rc rc = read_in_tx(db, u->id, t, err);
    if (rc)
        return rc;
    apply_change(t, u->c);
    if (u->c->check && (rc = u->c->check(t, err)))
        return rc;
    isotime_now(t->updated_at);
    rc = store_run(db,
                   "UPDATE table_registry SET name = ?, source_type = ?, bucket = ?,"
                   " source_table = ?, sync_strategy = ?, query_mode = ?, sync_schedule = ?,"
                   " profile_after_sync = ?, primary_key = ?, folder = ?, description = ?,"
                   " is_public = ?, updated_at = ? WHERE id = ?",
                   (struct store_arg[]){ ARG_TEXT(t->name),
                                         ARG_TEXT(opt(t->source_type)),
                                         ARG_TEXT(opt(t->bucket)),
                                         ARG_TEXT(opt(t->source_table)),
                                         ARG_TEXT(t->sync_strategy),
                                         ARG_TEXT(t->query_mode),
                                         ARG_TEXT(opt(t->sync_schedule)),
                                         ARG_INT(t->profile_after_sync),
                                         ARG_TEXT(opt(t->primary_key)),
                                         ARG_TEXT(opt(t->folder)),
                                         ARG_TEXT(opt(t->description)),
                                         ARG_INT(t->is_public),
                                         ARG_TEXT(t->updated_at),
                                         ARG_TEXT(u->id),
                                         { 0 } },
                   NULL, err);
    if (!rc)
        rc = store_audit_in_tx(db, u->audit, err);
    return rc;
}

enum rc registry_update(struct store *s, const char *id, const struct registry_change *c,
                        const struct audit_entry *audit, struct registry_table *out,
                        struct err *err)
{
    struct update_tx u = { .id = id, .c = c, .audit = audit };
    enum rc rc = store_transaction(s, update_tx, &u, err);
    if (!rc && out)
        *out = u.row;
    return rc;
}

/* ---------------------------------------------------------------- delete */

struct delete_tx {
    const char *id;
    const struct audit_entry *audit;
};

static enum rc delete_tx(sqlite3 *db, void *arg, struct err *err)
{
    struct delete_tx *d = arg;
    /* what is keyed by the id goes with the row; a bucket grant ("<bucket>.*") stays */
    static const char *const dependents[] = {
        "DELETE FROM grants WHERE dataset = ?",
        "DELETE FROM sync_state WHERE table_id = ?",
        "DELETE FROM table_profiles WHERE table_id = ?",
        "DELETE FROM access_requests WHERE table_id = ? AND status = 'pending'",
    };
    const struct store_arg args[] = { ARG_TEXT(d->id), { 0 } };
    int changes = 0;
    enum rc rc = store_run(db, "DELETE FROM table_registry WHERE id = ?", args, &changes, err);
    if (!rc && changes == 0)
        return err_set(err, RC_NOTFOUND, "Table not found");
    for (size_t i = 0; !rc && i < ARRAY_LEN(dependents); i++)
        rc = store_run(db, dependents[i], args, NULL, err);
    if (!rc)
        rc = store_audit_in_tx(db, d->audit, err);
    return rc;
}

enum rc registry_delete(struct store *s, const char *id, const struct audit_entry *audit,
                        struct err *err)
{
    struct delete_tx d = { id, audit };
    return store_transaction(s, delete_tx, &d, err);
}

/* ---------------------------------------------------------------- value rules */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* "<N>m" or "<N>h", N from 1 to 10080. */
static bool every_valid(const char *s)
{
    size_t n = strspn(s, "0123456789");
    if (n == 0 || n > 5 || (s[n] != 'm' && s[n] != 'h') || s[n + 1] != '\0')
        return false;
    long v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v >= 1 && v <= 10080;
}

/* "HH:MM[,HH:MM...]" with hours 00-23 and minutes 00-59. */
static bool daily_valid(const char *s)
{
    for (;;) {
        if (!is_digit(s[0]) || !is_digit(s[1]) || s[2] != ':' || !is_digit(s[3]) || !is_digit(s[4]))
            return false;
        int hour = (s[0] - '0') * 10 + (s[1] - '0');
        int min = (s[3] - '0') * 10 + (s[4] - '0');
        if (hour > 23 || min > 59)
            return false;
        s += 5;
        if (*s == '\0')
            return true;
        if (*s != ',')
            return false;
        s++;
    }
}

bool registry_schedule_valid(const char *s)
{
    if (!s)
        return false;
    if (strncmp(s, "every ", 6) == 0)
        return every_valid(s + 6);
    if (strncmp(s, "daily ", 6) == 0)
        return daily_valid(s + 6);
    return false;
}

static bool blank(char c)
{
    return c == ' ' || c == '\t';
}

enum rc registry_primary_key_norm(const char *in, char out[REGISTRY_TEXT_MAX + 1], struct err *err)
{
    size_t len = 0;
    out[0] = '\0';
    for (const char *p = in;; p++) {
        const char *a = p, *b = p + strcspn(p, ",");
        p = b;
        while (a < b && blank(*a))
            a++;
        while (b > a && blank(b[-1]))
            b--;
        size_t n = (size_t)(b - a);
        if (n == 0) {
            out[0] = '\0';
            return err_set(err, RC_BADVALUE, "primary_key: a column name is empty");
        }
        if (len + (len ? 1 : 0) + n > REGISTRY_TEXT_MAX) {
            out[0] = '\0';
            return err_set(err, RC_BADVALUE, "primary_key: at most %d bytes", REGISTRY_TEXT_MAX);
        }
        if (len)
            out[len++] = ',';
        memcpy(out + len, a, n);
        len += n;
        out[len] = '\0';
        if (*p == '\0')
            return RC_OK;
    }
}
