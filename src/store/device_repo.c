/* device_repo.c — SQL for browser sign-in grants (device_grants) and the token lookup the CLI
 * uses to learn which token it holds. Every state change of a grant is one statement or one
 * transaction, so a poll, an approval and a redemption racing each other see one order. */
#include "store/device_repo.h"

#include <stdio.h>
#include <string.h>

#include "store/store_int.h"

#define GRANT_COLUMNS                                                                              \
    "user_code, client_name, client_ip, created_at, expires_at, interval_s, status,"               \
    " coalesce(user_id, '')"

/* Grants stay this long after expiry, so a late poll hears "expired", not "unknown". */
#define DEVICE_KEEP_EXPIRED_S 3600

static void read_grant(sqlite3_stmt *st, void *row)
{
    struct device_grant *g = row;
    store_col_text(st, 0, g->user_code, sizeof(g->user_code));
    store_col_text(st, 1, g->client_name, sizeof(g->client_name));
    store_col_text(st, 2, g->client_ip, sizeof(g->client_ip));
    store_col_text(st, 3, g->created_at, sizeof(g->created_at));
    g->expires_at = sqlite3_column_int64(st, 4);
    g->interval_s = sqlite3_column_int(st, 5);
    store_col_text(st, 6, g->status, sizeof(g->status));
    store_col_text(st, 7, g->user_id, sizeof(g->user_id));
}

/* Runs a query for at most one grant on db. *out_found says whether there was one. */
static enum rc fetch_grant_on(sqlite3 *db, const char *sql, const struct store_arg *args,
                              struct device_grant *out, bool *out_found, struct err *err)
{
    sqlite3_stmt *st = NULL;
    *out_found = false;
    enum rc rc = store_prepare(db, sql, args, &st, err);
    if (!rc) {
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            read_grant(st, out);
            *out_found = true;
        } else if (step != SQLITE_DONE) {
            rc = store_sqlite_err(db, err, "read device grant");
        }
    }
    sqlite3_finalize(st);
    return rc;
}

/* ---------------------------------------------------------------- create */

struct create_tx {
    const char *device_hash, *user_code, *client_name, *client_ip;
    int64_t now, expires_at;
    int interval_s, max_pending;
};

static enum rc create_tx(sqlite3 *db, void *arg, struct err *err)
{
    struct create_tx *t = arg;
    enum rc rc = store_run(db, "DELETE FROM device_grants WHERE expires_at < ?",
                           (struct store_arg[]){ ARG_INT(t->now - DEVICE_KEEP_EXPIRED_S), { 0 } },
                           NULL, err);
    sqlite3_stmt *st = NULL;
    if (!rc)
        rc = store_prepare(db,
                           "SELECT count(*) FROM device_grants WHERE status = 'pending'"
                           " AND expires_at > ?",
                           (struct store_arg[]){ ARG_INT(t->now), { 0 } }, &st, err);
    if (!rc && sqlite3_step(st) != SQLITE_ROW)
        rc = store_sqlite_err(db, err, "count device grants");
    if (!rc && sqlite3_column_int64(st, 0) >= t->max_pending)
        rc = err_set(err, RC_TOOBIG,
                     "Too many sign-ins are waiting for approval; try again in a "
                     "few minutes");
    sqlite3_finalize(st);
    if (rc)
        return rc;
    char stamp[ISOTIME_SIZE];
    isotime_now(stamp);
    return store_run(db,
                     "INSERT INTO device_grants(device_hash, user_code, client_name, client_ip,"
                     " created_at, expires_at, interval_s) VALUES (?, ?, ?, ?, ?, ?, ?)",
                     (struct store_arg[]){ ARG_TEXT(t->device_hash),
                                           ARG_TEXT(t->user_code),
                                           ARG_TEXT(t->client_name),
                                           ARG_TEXT(t->client_ip),
                                           ARG_TEXT(stamp),
                                           ARG_INT(t->expires_at),
                                           ARG_INT(t->interval_s),
                                           { 0 } },
                     NULL, err);
}

enum rc device_grants_create(struct store *s, const char *device_hash, const char *user_code,
                             const char *client_name, const char *client_ip, int64_t now,
                             int64_t expires_at, int interval_s, int max_pending, struct err *err)
{
    struct create_tx t = { device_hash, user_code,  client_name, client_ip ? client_ip : "",
                           now,         expires_at, interval_s,  max_pending };
    return store_transaction(s, create_tx, &t, err);
}

/* ---------------------------------------------------------------- the browser side */

enum rc device_grants_pending(struct store *s, const char *user_code, int64_t now,
                              struct device_grant *out, struct err *err)
{
    return store_fetch_one(s,
                           "SELECT " GRANT_COLUMNS " FROM device_grants WHERE user_code = ?"
                           " AND status = 'pending' AND expires_at > ?",
                           (struct store_arg[]){ ARG_TEXT(user_code), ARG_INT(now), { 0 } },
                           read_grant, out, "Unknown or expired code", err);
}

struct decide_tx {
    const char *user_code, *user_id;
    bool approve;
    int64_t now;
    const struct audit_entry *audit;
    struct device_grant *out;
};

static enum rc decide_tx(sqlite3 *db, void *arg, struct err *err)
{
    struct decide_tx *t = arg;
    char stamp[ISOTIME_SIZE];
    isotime_now(stamp);
    bool found = false;
    /* the UPDATE checks and changes in one step, so a grant is decided once */
    enum rc rc = fetch_grant_on(
        db,
        "UPDATE device_grants SET status = ?, user_id = ?, decided_at = ? WHERE user_code = ?"
        " AND status = 'pending' AND expires_at > ? RETURNING " GRANT_COLUMNS,
        (struct store_arg[]){ ARG_TEXT(t->approve ? "approved" : "denied"),
                              ARG_TEXT(t->user_id),
                              ARG_TEXT(stamp),
                              ARG_TEXT(t->user_code),
                              ARG_INT(t->now),
                              { 0 } },
        t->out, &found, err);
    if (!rc && !found)
        rc = err_set(err, RC_NOTFOUND, "Unknown or expired code");
    if (!rc)
        rc = store_audit_in_tx(db, t->audit, err);
    return rc;
}

enum rc device_grants_decide(struct store *s, const char *user_code, const char *user_id,
                             bool approve, int64_t now, const struct audit_entry *audit,
                             struct device_grant *out, struct err *err)
{
    struct device_grant ignored;
    struct decide_tx t = { user_code, user_id, approve, now, audit, out ? out : &ignored };
    return store_transaction(s, decide_tx, &t, err);
}

/* ---------------------------------------------------------------- the CLI side */

struct poll_tx {
    const char *device_hash;
    int64_t now_ms;
    int slack_ms, slow_down_s, max_interval_s;
    enum device_poll state;
    struct device_grant *out;
};

static enum rc poll_tx(sqlite3 *db, void *arg, struct err *err)
{
    struct poll_tx *t = arg;
    sqlite3_stmt *st = NULL;
    enum rc rc = store_prepare(db,
                               "SELECT " GRANT_COLUMNS ", last_poll_ms FROM device_grants"
                               " WHERE device_hash = ?",
                               (struct store_arg[]){ ARG_TEXT(t->device_hash), { 0 } }, &st, err);
    bool found = false, polled = false;
    int64_t last_ms = 0;
    if (!rc) {
        int step = sqlite3_step(st);
        if (step == SQLITE_ROW) {
            read_grant(st, t->out);
            polled = sqlite3_column_type(st, 8) != SQLITE_NULL;
            last_ms = sqlite3_column_int64(st, 8);
            found = true;
        } else if (step != SQLITE_DONE) {
            rc = store_sqlite_err(db, err, "read device grant");
        }
    }
    sqlite3_finalize(st);
    if (rc || !found) {
        t->state = DEVICE_POLL_UNKNOWN;
        return rc;
    }
    bool too_fast =
        polled && t->now_ms - last_ms < (int64_t)t->out->interval_s * 1000 - t->slack_ms;
    if (too_fast) {
        t->out->interval_s += t->slow_down_s;
        if (t->out->interval_s > t->max_interval_s)
            t->out->interval_s = t->max_interval_s;
    }
    /* every poll counts, the fast ones too: a client that hammers never gets ahead */
    rc = store_run(
        db,
        "UPDATE device_grants SET last_poll_ms = ?, interval_s = ?"
        " WHERE device_hash = ?",
        (struct store_arg[]){
            ARG_INT(t->now_ms), ARG_INT(t->out->interval_s), ARG_TEXT(t->device_hash), { 0 } },
        NULL, err);
    if (rc)
        return rc;
    if (strcmp(t->out->status, "used") == 0)
        t->state = DEVICE_POLL_USED;
    else if (t->now_ms / 1000 >= t->out->expires_at)
        t->state = DEVICE_POLL_EXPIRED;
    else if (too_fast)
        t->state = DEVICE_POLL_SLOW_DOWN;
    else if (strcmp(t->out->status, "approved") == 0)
        t->state = DEVICE_POLL_APPROVED;
    else if (strcmp(t->out->status, "denied") == 0)
        t->state = DEVICE_POLL_DENIED;
    else
        t->state = DEVICE_POLL_PENDING;
    return RC_OK;
}

enum rc device_grants_poll(struct store *s, const char *device_hash, int64_t now_ms, int slack_ms,
                           int slow_down_s, int max_interval_s, enum device_poll *out_state,
                           struct device_grant *out, struct err *err)
{
    struct poll_tx t = { device_hash,         now_ms, slack_ms, slow_down_s, max_interval_s,
                         DEVICE_POLL_UNKNOWN, out };
    memset(out, 0, sizeof(*out));
    enum rc rc = store_transaction(s, poll_tx, &t, err);
    *out_state = rc ? DEVICE_POLL_UNKNOWN : t.state;
    return rc;
}

struct redeem_tx {
    const char *device_hash;
    int64_t now;
    const char *pat_id, *pat_hash;
    int64_t pat_expires;
    const struct audit_entry *audit;
};

static enum rc redeem_tx(sqlite3 *db, void *arg, struct err *err)
{
    struct redeem_tx *t = arg;
    struct device_grant g;
    bool found = false;
    enum rc rc = fetch_grant_on(
        db,
        "UPDATE device_grants SET status = 'used' WHERE device_hash = ?"
        " AND status = 'approved' AND expires_at > ? RETURNING " GRANT_COLUMNS,
        (struct store_arg[]){ ARG_TEXT(t->device_hash), ARG_INT(t->now), { 0 } }, &g, &found, err);
    if (!rc && !found)
        rc = err_set(err, RC_CONFLICT, "This sign-in is not approved or was used already");
    char stamp[ISOTIME_SIZE];
    isotime_now(stamp);
    if (!rc)
        rc = store_run(db,
                       "INSERT INTO personal_tokens(id, user_id, name, token_hash, created_at,"
                       " expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                       (struct store_arg[]){ ARG_TEXT(t->pat_id),
                                             ARG_TEXT(g.user_id),
                                             ARG_TEXT(g.client_name),
                                             ARG_TEXT(t->pat_hash),
                                             ARG_TEXT(stamp),
                                             ARG_INT(t->pat_expires),
                                             { 0 } },
                       NULL, err);
    if (!rc)
        rc = store_audit_in_tx(db, t->audit, err);
    return rc;
}

enum rc device_grants_redeem(struct store *s, const char *device_hash, int64_t now,
                             const char *pat_id, const char *pat_hash, int64_t pat_expires,
                             const struct audit_entry *audit, struct err *err)
{
    struct redeem_tx t = { device_hash, now, pat_id, pat_hash, pat_expires, audit };
    return store_transaction(s, redeem_tx, &t, err);
}

/* ---------------------------------------------------------------- tokens */

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

enum rc pats_get_by_hash(struct store *s, const char *token_hash, struct pat_info *out,
                         struct err *err)
{
    return store_fetch_one(s,
                           "SELECT id, name, created_at, expires_at, last_used_at,"
                           " revoked_at IS NOT NULL FROM personal_tokens WHERE token_hash = ?",
                           (struct store_arg[]){ ARG_TEXT(token_hash), { 0 } }, read_pat, out,
                           "Token not found", err);
}
