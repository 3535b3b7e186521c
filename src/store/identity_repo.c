/* identity_repo.c — SQL for users, sessions, personal access tokens, one-time tokens and the
 * audit log. Mutations that need an audit record write it in the same transaction. */
#include "store/identity_repo.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/isotime.h"
#include "base/log.h"
#include "base/mem.h"
#include "store/store_int.h"

#define USER_COLUMNS                                                                               \
    "u.id, u.email, u.name, u.role, u.km_admin, u.active, u.password_hash IS NOT NULL,"            \
    " u.created_at, u.updated_at"

static void read_user(sqlite3_stmt *st, int col, struct user *u)
{
    store_col_text(st, col, u->id, sizeof(u->id));
    store_col_text(st, col + 1, u->email, sizeof(u->email));
    store_col_text(st, col + 2, u->name, sizeof(u->name));
    store_col_text(st, col + 3, u->role, sizeof(u->role));
    u->km_admin = sqlite3_column_int(st, col + 4) != 0;
    u->active = sqlite3_column_int(st, col + 5) != 0;
    u->has_password = sqlite3_column_int(st, col + 6) != 0;
    store_col_text(st, col + 7, u->created_at, sizeof(u->created_at));
    store_col_text(st, col + 8, u->updated_at, sizeof(u->updated_at));
}

static char *lowercase(const char *s)
{
    char *l = xstrdup(s);
    for (char *p = l; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    return l;
}

/* Fails with RC_CONFLICT when no active admin would remain. Runs inside the transaction. */
static enum rc require_an_admin(sqlite3 *db, struct err *err)
{
    sqlite3_stmt *st = NULL;
    enum rc rc = store_prepare(db, "SELECT count(*) FROM users WHERE role = 'admin' AND active = 1",
                               NULL, &st, err);
    if (!rc && sqlite3_step(st) != SQLITE_ROW)
        rc = store_sqlite_err(db, err, "count admins");
    if (!rc && sqlite3_column_int64(st, 0) == 0)
        rc = err_set(err, RC_CONFLICT,
                     "the last active admin cannot be removed, deactivated "
                     "or demoted; make another user admin first");
    sqlite3_finalize(st);
    return rc;
}

/* Turns "no row changed" into RC_NOTFOUND. */
static enum rc changed_or_notfound(enum rc rc, int changes, const char *what, struct err *err)
{
    if (!rc && changes == 0)
        return err_set(err, RC_NOTFOUND, "%s not found", what);
    return rc;
}

/* ---------------------------------------------------------------- users */

struct create_user_tx {
    const struct user *u;
    const char *hash;
    const struct audit_entry *audit;
    bool only_first_admin;
};

static enum rc create_user_tx(sqlite3 *db, void *arg, struct err *err)
{
    struct create_user_tx *t = arg;
    if (t->only_first_admin && require_an_admin(db, err) == RC_OK)
        return err_set(err, RC_FORBIDDEN, "Bootstrap disabled: an admin exists already");
    char now[ISOTIME_SIZE];
    isotime_now(now);
    char *norm = lowercase(t->u->email);
    enum rc rc = store_run(
        db,
        "INSERT INTO users(id, email, email_norm, name, role, km_admin, active, password_hash,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (struct store_arg[]){ ARG_TEXT(t->u->id),
                              ARG_TEXT(t->u->email),
                              ARG_TEXT(norm),
                              ARG_TEXT(t->u->name),
                              ARG_TEXT(t->u->role),
                              ARG_INT(t->u->km_admin),
                              ARG_INT(t->u->active),
                              ARG_TEXT(t->hash),
                              ARG_TEXT(now),
                              ARG_TEXT(now),
                              { 0 } },
        NULL, err);
    free(norm);
    if (rc == RC_CONFLICT)
        return err_set(err, RC_CONFLICT, "User with this email already exists");
    if (!rc)
        rc = store_audit_in_tx(db, t->audit, err);
    return rc;
}

enum rc users_create(struct store *s, const struct user *u, const char *password_hash,
                     const struct audit_entry *audit, struct err *err)
{
    struct create_user_tx t = { u, password_hash, audit, false };
    return store_transaction(s, create_user_tx, &t, err);
}

enum rc users_create_first_admin(struct store *s, const struct user *u, const char *password_hash,
                                 const struct audit_entry *audit, struct err *err)
{
    struct create_user_tx t = { u, password_hash, audit, true };
    return store_transaction(s, create_user_tx, &t, err);
}

/* Reads one user with a query that selects USER_COLUMNS (and optionally the hash after). */
static enum rc get_user(struct store *s, const char *sql, const char *key, struct user *out,
                        char **out_hash, struct err *err)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    if (out_hash)
        *out_hash = NULL;
    enum rc rc = store_conn_acquire(s, &db, err);
    if (rc)
        return rc;
    rc = store_prepare(db, sql, (struct store_arg[]){ ARG_TEXT(key), { 0 } }, &st, err);
    if (rc)
        goto out;
    int step = sqlite3_step(st);
    if (step == SQLITE_DONE) {
        rc = err_set(err, RC_NOTFOUND, "User not found");
        goto out;
    }
    if (step != SQLITE_ROW) {
        rc = store_sqlite_err(db, err, "read user");
        goto out;
    }
    read_user(st, 0, out);
    if (out_hash && sqlite3_column_type(st, 9) != SQLITE_NULL)
        *out_hash = xstrdup((const char *)sqlite3_column_text(st, 9));
out:
    sqlite3_finalize(st);
    store_conn_release(s, db);
    return rc;
}

enum rc users_get(struct store *s, const char *id, struct user *out, struct err *err)
{
    return get_user(s, "SELECT " USER_COLUMNS " FROM users u WHERE u.id = ?", id, out, NULL, err);
}

enum rc users_get_by_email(struct store *s, const char *email, struct user *out, char **out_hash,
                           struct err *err)
{
    char *norm = lowercase(email);
    enum rc rc = get_user(s,
                          "SELECT " USER_COLUMNS ", u.password_hash FROM users u"
                          " WHERE u.email_norm = ?",
                          norm, out, out_hash, err);
    free(norm);
    return rc;
}

static void read_user_row(sqlite3_stmt *st, void *row)
{
    read_user(st, 0, row);
}

enum rc users_list(struct store *s, struct user **out_users, size_t *out_len, struct err *err)
{
    return store_collect(s, "SELECT " USER_COLUMNS " FROM users u ORDER BY u.email_norm", NULL,
                         sizeof(**out_users), read_user_row, (void **)out_users, out_len, err);
}

enum rc users_count(struct store *s, int64_t *out_total, int64_t *out_admins, struct err *err)
{
    sqlite3 *db = NULL;
    sqlite3_stmt *st = NULL;
    enum rc rc = store_conn_acquire(s, &db, err);
    if (rc)
        return rc;
    rc = store_prepare(db,
                       "SELECT count(*), count(*) FILTER (WHERE role = 'admin'"
                       " AND active = 1) FROM users",
                       NULL, &st, err);
    if (!rc && sqlite3_step(st) != SQLITE_ROW)
        rc = store_sqlite_err(db, err, "count users");
    if (!rc) {
        *out_total = sqlite3_column_int64(st, 0);
        *out_admins = sqlite3_column_int64(st, 1);
    }
    sqlite3_finalize(st);
    store_conn_release(s, db);
    return rc;
}

struct update_user_tx {
    const char *id, *name, *role;
    int active, km_admin;
    const char *hash; /* users_set_password */
    bool set_hash;
    const struct audit_entry *audit;
};

static enum rc update_user_tx(sqlite3 *db, void *arg, struct err *err)
{
    struct update_user_tx *t = arg;
    char now[ISOTIME_SIZE];
    isotime_now(now);
    int changes = 0;
    enum rc rc =
        store_run(db,
                  "UPDATE users SET name = coalesce(?, name), role = coalesce(?, role),"
                  " active = CASE WHEN ? < 0 THEN active ELSE ? END,"
                  " km_admin = CASE WHEN ? < 0 THEN km_admin ELSE ? END,"
                  " password_hash = CASE WHEN ? THEN ? ELSE password_hash END, updated_at = ?"
                  " WHERE id = ?",
                  (struct store_arg[]){ ARG_TEXT(t->name),
                                        ARG_TEXT(t->role),
                                        ARG_INT(t->active),
                                        ARG_INT(t->active),
                                        ARG_INT(t->km_admin),
                                        ARG_INT(t->km_admin),
                                        ARG_INT(t->set_hash),
                                        ARG_TEXT(t->hash),
                                        ARG_TEXT(now),
                                        ARG_TEXT(t->id),
                                        { 0 } },
                  &changes, err);
    rc = changed_or_notfound(rc, changes, "User", err);
    if (!rc)
        rc = require_an_admin(db, err);
    /* Deactivation ends every credential for good, in the same transaction: a session or a
     * token that only waited for the flag to come back would revive on reactivation. */
    const struct store_arg who[] = { ARG_TEXT(now), ARG_TEXT(t->id), { 0 } };
    if (!rc && t->active == 0)
        rc = store_run(db,
                       "UPDATE sessions SET revoked_at = ? WHERE user_id = ?"
                       " AND revoked_at IS NULL",
                       who, NULL, err);
    if (!rc && t->active == 0)
        rc = store_run(db,
                       "UPDATE personal_tokens SET revoked_at = ? WHERE user_id = ?"
                       " AND revoked_at IS NULL",
                       who, NULL, err);
    if (!rc)
        rc = store_audit_in_tx(db, t->audit, err);
    return rc;
}

enum rc users_update(struct store *s, const char *id, const char *name, const char *role,
                     int active, int km_admin, const struct audit_entry *audit, struct err *err)
{
    struct update_user_tx t = { id, name, role, active, km_admin, NULL, false, audit };
    return store_transaction(s, update_user_tx, &t, err);
}

enum rc users_set_password(struct store *s, const char *id, const char *password_hash,
                           const struct audit_entry *audit, struct err *err)
{
    struct update_user_tx t = { id, NULL, NULL, -1, -1, password_hash, true, audit };
    return store_transaction(s, update_user_tx, &t, err);
}

struct delete_user_tx {
    const char *id;
    const struct audit_entry *audit;
};

static enum rc delete_user_tx(sqlite3 *db, void *arg, struct err *err)
{
    struct delete_user_tx *t = arg;
    int changes = 0;
    enum rc rc = store_run(db, "DELETE FROM users WHERE id = ?",
                           (struct store_arg[]){ ARG_TEXT(t->id), { 0 } }, &changes, err);
    rc = changed_or_notfound(rc, changes, "User", err);
    if (!rc)
        rc = require_an_admin(db, err);
    if (!rc)
        rc = store_audit_in_tx(db, t->audit, err);
    return rc;
}

enum rc users_delete(struct store *s, const char *id, const struct audit_entry *audit,
                     struct err *err)
{
    struct delete_user_tx t = { id, audit };
    return store_transaction(s, delete_user_tx, &t, err);
}

/* ---------------------------------------------------------------- sessions */

enum rc sessions_create(struct store *s, const char *jti, const char *user_id, int64_t expires_at,
                        const char *ip, const char *method, const struct audit_entry *audit,
                        struct err *err)
{
    char now[ISOTIME_SIZE];
    isotime_now(now);
    return store_run_audited(
        s,
        "INSERT INTO sessions(jti, user_id, created_at, expires_at, ip, method)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (struct store_arg[]){ ARG_TEXT(jti),
                              ARG_TEXT(user_id),
                              ARG_TEXT(now),
                              ARG_INT(expires_at),
                              ARG_TEXT(ip ? ip : ""),
                              ARG_TEXT(method),
                              { 0 } },
        audit, NULL, err);
}

/* Reads the one active user a lookup query selects, or RC_UNAUTHORIZED. */
static enum rc active_user(struct store *s, const char *sql, const struct store_arg *args,
                           struct user *out, struct err *err)
{
    enum rc rc = store_fetch_one(s, sql, args, read_user_row, out, "no live credential", err);
    return rc == RC_NOTFOUND ? RC_UNAUTHORIZED : rc;
}

enum rc sessions_user(struct store *s, const char *jti, int64_t now, struct user *out,
                      struct err *err)
{
    return active_user(s,
                       "SELECT " USER_COLUMNS " FROM sessions x JOIN users u ON u.id = x.user_id"
                       " WHERE x.jti = ? AND x.revoked_at IS NULL AND x.expires_at > ?"
                       " AND u.active = 1",
                       (struct store_arg[]){ ARG_TEXT(jti), ARG_INT(now), { 0 } }, out, err);
}

enum rc sessions_revoke(struct store *s, const char *user_id, const char *jti,
                        const struct audit_entry *audit, int *out_count, struct err *err)
{
    char now[ISOTIME_SIZE];
    isotime_now(now);
    int changes = 0;
    enum rc rc = store_run_audited(
        s,
        "UPDATE sessions SET revoked_at = ? WHERE user_id = ?"
        " AND (? IS NULL OR jti = ?) AND revoked_at IS NULL",
        (struct store_arg[]){
            ARG_TEXT(now), ARG_TEXT(user_id), ARG_TEXT(jti), ARG_TEXT(jti), { 0 } },
        audit, &changes, err);
    if (jti) /* one named session that is not there is an error; "all of none" is not */
        rc = changed_or_notfound(rc, changes, "Session", err);
    if (out_count)
        *out_count = rc ? 0 : changes;
    return rc;
}

static void read_session(sqlite3_stmt *st, void *row)
{
    struct session_info *i = row;
    store_col_text(st, 0, i->jti, sizeof(i->jti));
    store_col_text(st, 1, i->method, sizeof(i->method));
    store_col_text(st, 2, i->ip, sizeof(i->ip));
    store_col_text(st, 3, i->created_at, sizeof(i->created_at));
    i->expires_at = sqlite3_column_int64(st, 4);
}

enum rc sessions_list(struct store *s, const char *user_id, int64_t now, struct session_info **out,
                      size_t *out_len, struct err *err)
{
    return store_collect(s,
                         "SELECT jti, method, ip, created_at, expires_at FROM sessions"
                         " WHERE user_id = ? AND revoked_at IS NULL AND expires_at > ?"
                         " ORDER BY created_at DESC",
                         (struct store_arg[]){ ARG_TEXT(user_id), ARG_INT(now), { 0 } },
                         sizeof(**out), read_session, (void **)out, out_len, err);
}

/* ---------------------------------------------------------------- personal access tokens */

enum rc pats_create(struct store *s, const char *id, const char *user_id, const char *name,
                    const char *token_hash, int64_t expires_at, const struct audit_entry *audit,
                    struct err *err)
{
    char now[ISOTIME_SIZE];
    isotime_now(now);
    return store_run_audited(
        s,
        "INSERT INTO personal_tokens(id, user_id, name, token_hash, created_at,"
        " expires_at) VALUES (?, ?, ?, ?, ?, ?)",
        (struct store_arg[]){ ARG_TEXT(id),
                              ARG_TEXT(user_id),
                              ARG_TEXT(name),
                              ARG_TEXT(token_hash),
                              ARG_TEXT(now),
                              ARG_INT(expires_at),
                              { 0 } },
        audit, NULL, err);
}

/* A PAT's user, the token's expiry and when it was last used (for the once-a-minute stamp). */
struct pat_user_row {
    struct user user;
    int64_t expires_at;
    char last_used_at[ISOTIME_SIZE];
};

static void read_pat_user(sqlite3_stmt *st, void *row)
{
    struct pat_user_row *r = row;
    read_user(st, 0, &r->user);
    r->expires_at = sqlite3_column_int64(st, 9);
    store_col_text(st, 10, r->last_used_at, sizeof(r->last_used_at));
}

enum rc pats_lookup(struct store *s, const char *token_hash, int64_t now, struct user *out,
                    int64_t *out_expires_at, int64_t *out_last_used, struct err *err)
{
    struct pat_user_row row;
    enum rc rc = store_fetch_one(s,
                                 "SELECT " USER_COLUMNS ", t.expires_at,"
                                 " coalesce(t.last_used_at, '')"
                                 " FROM personal_tokens t JOIN users u ON u.id = t.user_id"
                                 " WHERE t.token_hash = ? AND t.revoked_at IS NULL"
                                 " AND t.expires_at > ? AND u.active = 1",
                                 (struct store_arg[]){ ARG_TEXT(token_hash), ARG_INT(now), { 0 } },
                                 read_pat_user, &row, "no live credential", err);
    if (rc == RC_NOTFOUND)
        return RC_UNAUTHORIZED;
    if (rc)
        return rc;
    *out = row.user;
    *out_expires_at = row.expires_at;
    time_t used = 0;
    *out_last_used = row.last_used_at[0] && isotime_parse(row.last_used_at, &used) ? used : 0;
    return RC_OK;
}

enum rc pats_touch(struct store *s, const char *token_hash, const char *stamp, struct err *err)
{
    return store_run_audited(s, "UPDATE personal_tokens SET last_used_at = ? WHERE token_hash = ?",
                             (struct store_arg[]){ ARG_TEXT(stamp), ARG_TEXT(token_hash), { 0 } },
                             NULL, NULL, err);
}

enum rc pats_user(struct store *s, const char *token_hash, int64_t now, struct user *out,
                  struct err *err)
{
    int64_t expires_at = 0, last_used = 0;
    enum rc rc = pats_lookup(s, token_hash, now, out, &expires_at, &last_used, err);
    if (rc)
        return rc;
    /* last_used_at says "in use lately", not "this second": stamped at most once a minute, so
     * a script's every request is not a durable (fsync'd) write queued on the write lock */
    if (last_used && now - last_used < PAT_LAST_USED_EVERY_S)
        return RC_OK;
    char stamp[ISOTIME_SIZE];
    isotime_now(stamp);
    struct err werr;
    if (pats_touch(s, token_hash, stamp, &werr) != RC_OK)
        log_warn("store", "cannot record a token's last use: %s", werr.msg);
    return RC_OK; /* the credential is good; a missed stamp is not a reason to refuse it */
}

static void read_pat(sqlite3_stmt *st, void *row)
{
    struct pat_info *p = row;
    store_col_text(st, 0, p->id, sizeof(p->id));
    store_col_text(st, 1, p->name, sizeof(p->name));
    store_col_text(st, 2, p->created_at, sizeof(p->created_at));
    p->expires_at = sqlite3_column_int64(st, 3);
    store_col_text(st, 4, p->last_used_at, sizeof(p->last_used_at));
    p->revoked = sqlite3_column_int(st, 5) != 0;
}

enum rc pats_list(struct store *s, const char *user_id, struct pat_info **out, size_t *out_len,
                  struct err *err)
{
    return store_collect(s,
                         "SELECT id, name, created_at, expires_at, last_used_at,"
                         " revoked_at IS NOT NULL FROM personal_tokens WHERE user_id = ?"
                         " ORDER BY created_at DESC, id",
                         (struct store_arg[]){ ARG_TEXT(user_id), { 0 } }, sizeof(**out), read_pat,
                         (void **)out, out_len, err);
}

enum rc pats_revoke(struct store *s, const char *user_id, const char *id,
                    const struct audit_entry *audit, struct err *err)
{
    char now[ISOTIME_SIZE];
    isotime_now(now);
    int changes = 0;
    enum rc rc = store_run_audited(
        s,
        "UPDATE personal_tokens SET revoked_at = ? WHERE id = ?"
        " AND user_id = ? AND revoked_at IS NULL",
        (struct store_arg[]){ ARG_TEXT(now), ARG_TEXT(id), ARG_TEXT(user_id), { 0 } }, audit,
        &changes, err);
    return changed_or_notfound(rc, changes, "Token", err);
}

/* ---------------------------------------------------------------- one-time tokens */

enum rc one_time_create(struct store *s, const char *token_hash, const char *purpose,
                        const char *user_id, int64_t expires_at, struct err *err)
{
    char now[ISOTIME_SIZE];
    isotime_now(now);
    return store_run_audited(s,
                             "INSERT INTO one_time_tokens(token_hash, purpose, user_id,"
                             " created_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                             (struct store_arg[]){ ARG_TEXT(token_hash),
                                                   ARG_TEXT(purpose),
                                                   ARG_TEXT(user_id),
                                                   ARG_TEXT(now),
                                                   ARG_INT(expires_at),
                                                   { 0 } },
                             NULL, NULL, err);
}

struct consume_tx {
    const char *token_hash, *purpose, *expect_user_id;
    int64_t now;
    char *out_user_id;
};

static enum rc consume_tx(sqlite3 *db, void *arg, struct err *err)
{
    struct consume_tx *t = arg;
    char stamp[ISOTIME_SIZE];
    isotime_now(stamp);
    sqlite3_stmt *st = NULL;
    /* One UPDATE both checks and spends the token, so it can be used once only; with
     * expect_user_id, a token of another user is neither spent nor accepted. */
    enum rc rc = store_prepare(db,
                               "UPDATE one_time_tokens SET used_at = ? WHERE token_hash = ?"
                               " AND purpose = ? AND used_at IS NULL AND expires_at > ?"
                               " AND (? IS NULL OR user_id = ?)"
                               " RETURNING coalesce(user_id, '')",
                               (struct store_arg[]){ ARG_TEXT(stamp),
                                                     ARG_TEXT(t->token_hash),
                                                     ARG_TEXT(t->purpose),
                                                     ARG_INT(t->now),
                                                     ARG_TEXT(t->expect_user_id),
                                                     ARG_TEXT(t->expect_user_id),
                                                     { 0 } },
                               &st, err);
    if (!rc) {
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW)
            store_col_text(st, 0, t->out_user_id, USER_ID_LEN + 1);
        else if (step == SQLITE_DONE)
            rc = err_set(err, RC_UNAUTHORIZED, "invalid, used or expired token");
        else
            rc = store_sqlite_err(db, err, "spend token");
        if (step == SQLITE_ROW && sqlite3_step(st) != SQLITE_DONE)
            rc = store_sqlite_err(db, err, "spend token");
    }
    sqlite3_finalize(st);
    return rc;
}

enum rc one_time_consume(struct store *s, const char *token_hash, const char *purpose, int64_t now,
                         char out_user_id[USER_ID_LEN + 1], struct err *err)
{
    struct consume_tx t = { token_hash, purpose, NULL, now, out_user_id };
    return store_transaction(s, consume_tx, &t, err);
}

enum rc one_time_consume_for(struct store *s, const char *token_hash, const char *purpose,
                             const char *user_id, int64_t now, struct err *err)
{
    char got[USER_ID_LEN + 1];
    struct consume_tx t = { token_hash, purpose, user_id, now, got };
    return store_transaction(s, consume_tx, &t, err);
}

static void read_one_time(sqlite3_stmt *st, void *row)
{
    store_col_text(st, 0, row, USER_ID_LEN + 1);
}

enum rc one_time_peek(struct store *s, const char *token_hash, const char *purpose, int64_t now,
                      char out_user_id[USER_ID_LEN + 1], struct err *err)
{
    enum rc rc = store_fetch_one(
        s,
        "SELECT coalesce(user_id, '') FROM one_time_tokens"
        " WHERE token_hash = ? AND purpose = ? AND used_at IS NULL"
        " AND expires_at > ?",
        (struct store_arg[]){ ARG_TEXT(token_hash), ARG_TEXT(purpose), ARG_INT(now), { 0 } },
        read_one_time, out_user_id, "invalid, used or expired token", err);
    return rc == RC_NOTFOUND ? RC_UNAUTHORIZED : rc;
}

/* ---------------------------------------------------------------- audit */

static enum rc audit_tx(sqlite3 *db, void *arg, struct err *err)
{
    return store_audit_in_tx(db, arg, err);
}

enum rc audit_write(struct store *s, const struct audit_entry *e, struct err *err)
{
    return store_transaction(s, audit_tx, (void *)e, err);
}

#define AUDIT_WHERE                                                                                \
    " WHERE (?1 IS NULL OR action = ?1) AND (?2 IS NULL OR actor_id = ?2)"                         \
    " AND (?3 IS NULL OR at >= ?3) AND (?4 IS NULL OR at < ?4)"

static void read_audit(sqlite3_stmt *st, void *row)
{
    struct audit_row *r = row;
    r->id = sqlite3_column_int64(st, 0);
    store_col_text(st, 1, r->at, sizeof(r->at));
    store_col_text(st, 2, r->actor_id, sizeof(r->actor_id));
    store_col_text(st, 3, r->actor_email, sizeof(r->actor_email));
    store_col_text(st, 4, r->action, sizeof(r->action));
    store_col_text(st, 5, r->target, sizeof(r->target));
    store_col_text(st, 6, r->ip, sizeof(r->ip));
    store_col_text(st, 7, r->result, sizeof(r->result));
    store_col_text(st, 8, r->detail, sizeof(r->detail));
}

static void read_count(sqlite3_stmt *st, void *row)
{
    *(int64_t *)row = sqlite3_column_int64(st, 0);
}

enum rc audit_list(struct store *s, const struct audit_filter *f, struct audit_row **out,
                   size_t *out_len, int64_t *out_total, struct err *err)
{
    *out = NULL;
    *out_len = 0;
    const struct store_arg args[] = { ARG_TEXT(f->action),
                                      ARG_TEXT(f->actor_id),
                                      ARG_TEXT(f->since),
                                      ARG_TEXT(f->until),
                                      ARG_INT(f->limit),
                                      ARG_INT(f->offset),
                                      { 0 } };
    const struct store_arg filter_only[] = { args[0], args[1], args[2], args[3], { 0 } };
    enum rc rc = store_fetch_one(s, "SELECT count(*) FROM audit_log" AUDIT_WHERE, filter_only,
                                 read_count, out_total, "no count", err);
    if (!rc)
        rc = store_collect(s,
                           "SELECT id, at, actor_id, actor_email, action, target, ip, result,"
                           " detail FROM audit_log" AUDIT_WHERE
                           " ORDER BY id DESC LIMIT ?5 OFFSET ?6",
                           args, sizeof(**out), read_audit, (void **)out, out_len, err);
    return rc;
}
