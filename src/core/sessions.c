/* sessions.c — credentials and sessions: what a bearer token or cookie value proves, issuing a
 * session JWT at sign-in, and ending sessions (logout, an admin's revocation).
 *
 * A JWT is valid only while its session row is live and its user active. A verified credential
 * is kept in the credential cache (credcache.h) until it expires or the identity version moves;
 * every change that can make a principal wrong (logout, revocation, role change, deactivation,
 * deletion, password change) bumps the version after it commits and before it answers, so it
 * applies on the very next request. Without a cache (commands) every check reads the store. */
#include <stdio.h>
#include <string.h>

#include "auth/jwt.h"
#include "auth/opaque_token.h"
#include "base/hex.h"
#include "base/isotime.h"
#include "base/log.h"
#include "base/metrics.h"
#include "base/sha256.h"
#include "core/audit.h"
#include "core/credcache.h"
#include "core/identity.h"
#include "core/identity_int.h"
#include "store/audit_writer.h"

_Static_assert(RAND_ID_LEN == USER_ID_LEN, "ids are rand_id()s");

#define CREDCACHE_ENTRIES 4096 /* about 3 MB; more live credentials than this re-read */
#define AUDIT_QUEUE_MAX   1024 /* rows waiting for a commit; more callers wait for room */

enum rc core_identity_start(struct core *core, struct err *err)
{
    enum rc rc = audit_writer_start(core->store, AUDIT_QUEUE_MAX, &core->audit_writer, err);
    if (!rc)
        core->credcache = credcache_new(CREDCACHE_ENTRIES);
    return rc;
}

void core_identity_stop(struct core *core)
{
    audit_writer_stop(&core->audit_writer);
    credcache_free(&core->credcache);
}

void identity_changed(struct core *core)
{
    if (core->credcache)
        credcache_bump(core->credcache);
}

/* Records a token's use (at most once a minute per token): with the next audit batch on a
 * server, else in a transaction of its own. A failure is logged, never a reason to refuse. */
static void pat_touch(struct core *core, const char *hash)
{
    char stamp[ISOTIME_SIZE];
    isotime_now(stamp);
    struct err werr;
    enum rc rc = core->audit_writer ? audit_writer_touch_pat(core->audit_writer, hash, stamp, &werr)
                                    : pats_touch(core->store, hash, stamp, &werr);
    if (rc)
        log_warn("auth", "cannot record a token's last use: %s", werr.msg);
}

/* A personal access token, from the store: its user, and its use stamped at most once a
 * minute (a missed stamp is logged, never a reason to refuse the token). */
static enum rc pat_from_store(struct core *core, const char *hash, int64_t now,
                              struct principal *out, int64_t *out_expires, int64_t *out_touched,
                              struct err *err)
{
    int64_t last_used = 0;
    out->via_pat = true;
    enum rc rc = pats_lookup(core->store, hash, now, &out->user, out_expires, &last_used, err);
    if (rc)
        return rc;
    *out_touched = last_used;
    if (!last_used || now - last_used >= PAT_LAST_USED_EVERY_S) {
        pat_touch(core, hash);
        *out_touched = now;
    }
    return RC_OK;
}

/* A session JWT, verified and looked up in the store. */
static enum rc session_from_store(struct core *core, const char *token, int64_t now,
                                  struct principal *out, int64_t *out_expires, struct err *err)
{
    struct jwt_claims claims;
    enum rc rc = jwt_verify(token, core->key.bytes, core->key.len, now, &claims, err);
    if (rc)
        return rc;
    rc = sessions_user(core->store, claims.jti, now, &out->user, err);
    if (!rc && strcmp(out->user.id, claims.sub) != 0)
        rc = err_set(err, RC_UNAUTHORIZED, "session belongs to another user");
    if (!rc) {
        snprintf(out->jti, sizeof(out->jti), "%s", claims.jti);
        *out_expires = claims.exp; /* the session row's expiry too: both are set at issue */
    }
    return rc;
}

enum rc core_principal_from_token(struct core *core, const char *token, struct principal *out,
                                  struct err *err)
{
    int64_t now = clock_now_s();
    memset(out, 0, sizeof(*out));
    bool is_pat = strncmp(token, PAT_PREFIX, strlen(PAT_PREFIX)) == 0;
    if (is_pat && !opaque_token_well_formed(token, PAT_PREFIX))
        return err_set(err, RC_UNAUTHORIZED, "malformed personal access token");
    /* The cache key is the SHA-256 of the whole token: an entry answers only the exact token
     * that was verified, and the token itself is never kept. */
    unsigned char key[SHA256_LEN];
    char hash[SHA256_HEX_LEN + 1];
    sha256(token, strlen(token), key);
    hex_encode(key, SHA256_LEN, hash);
    struct credcache *cache = core->credcache;
    bool touch_due = false;
    if (cache &&
        credcache_get(cache, key, now, PAT_LAST_USED_EVERY_S, out, is_pat ? &touch_due : NULL)) {
        metrics_count("da_credential_cache_total", "result=\"hit\"", 1);
        if (touch_due)
            pat_touch(core, hash);
        return RC_OK;
    }
    /* read before the store: a change that commits after this read bumps past it */
    uint64_t version = cache ? credcache_version(cache) : 0;
    int64_t expires = 0, touched = now;
    enum rc rc = is_pat ? pat_from_store(core, hash, now, out, &expires, &touched, err)
                        : session_from_store(core, token, now, out, &expires, err);
    if (cache) {
        metrics_count("da_credential_cache_total", "result=\"miss\"", 1);
        if (!rc)
            credcache_put(cache, key, out, expires, touched, version);
    }
    return rc;
}

enum rc core_session_issue(struct core *core, const char *from, const struct user *u,
                           const char *method, char **out_token, struct err *err)
{
    struct jwt_claims c = { 0 };
    snprintf(c.sub, sizeof(c.sub), "%s", u->id);
    snprintf(c.email, sizeof(c.email), "%s", u->email);
    snprintf(c.role, sizeof(c.role), "%s", u->role);
    c.iat = clock_now_s();
    c.exp = c.iat + SESSION_LIFETIME_S;
    rand_id(c.jti);
    *out_token = NULL;
    struct principal actor = { .user = *u };
    struct audit_entry audit = core_audit_entry(from, &actor, "login", u->email, "ok", method);
    enum rc rc = sessions_create(core->store, c.jti, u->id, c.exp, from, method, &audit, err);
    if (!rc)
        rc = jwt_sign(&c, core->key.bytes, core->key.len, out_token, err);
    return rc;
}

enum rc core_logout(struct core *core, const char *from, const struct principal *actor,
                    struct err *err)
{
    if (!actor->jti[0])
        return err_set(err, RC_INVALID, "no session to end: this is a personal access token");
    struct audit_entry audit =
        core_audit_entry(from, actor, "logout", actor->user.email, "ok", NULL);
    enum rc rc = sessions_revoke(core->store, actor->user.id, actor->jti, &audit, NULL, err);
    identity_changed(core);
    return rc;
}

enum rc core_sessions_list(struct core *core, const struct principal *actor, const char *user_id,
                           struct session_info **out, size_t *out_len, struct err *err)
{
    enum rc rc = identity_require_admin(actor, err);
    if (!rc)
        rc = sessions_list(core->store, user_id, clock_now_s(), out, out_len, err);
    return rc;
}

enum rc core_sessions_revoke(struct core *core, const char *from, const struct principal *actor,
                             const char *user_id, const char *jti, int *out_count, struct err *err)
{
    enum rc rc = identity_require_admin(actor, err);
    if (rc)
        return rc;
    struct audit_entry audit =
        core_audit_entry(from, actor, "session.revoke", user_id, "ok", jti ? jti : "all");
    rc = sessions_revoke(core->store, user_id, jti, &audit, out_count, err);
    identity_changed(core);
    return rc;
}
