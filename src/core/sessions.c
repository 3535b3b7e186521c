/* sessions.c — credentials and sessions: what a bearer token or cookie value proves, issuing a
 * session JWT at sign-in, and ending sessions (logout, an admin's revocation).
 *
 * A JWT is valid only while its session row is live and its user active, and the user (with
 * the role) is read from the store on every check, so logout, revocation, deactivation and
 * role changes apply on the very next request. */
#include <stdio.h>
#include <string.h>

#include "auth/jwt.h"
#include "auth/opaque_token.h"
#include "base/isotime.h"
#include "core/audit.h"
#include "core/identity.h"
#include "core/identity_int.h"

_Static_assert(RAND_ID_LEN == USER_ID_LEN, "ids are rand_id()s");

enum rc core_principal_from_token(struct core *core, const char *token, struct principal *out,
                                  struct err *err)
{
    int64_t now = clock_now_s();
    memset(out, 0, sizeof(*out));
    if (strncmp(token, PAT_PREFIX, strlen(PAT_PREFIX)) == 0) {
        if (!opaque_token_well_formed(token, PAT_PREFIX))
            return err_set(err, RC_UNAUTHORIZED, "malformed personal access token");
        char hash[SHA256_HEX_LEN + 1];
        opaque_token_hash(token, hash);
        out->via_pat = true;
        return pats_user(core->store, hash, now, &out->user, err);
    }
    struct jwt_claims claims;
    enum rc rc = jwt_verify(token, core->key.bytes, core->key.len, now, &claims, err);
    if (rc)
        return rc;
    rc = sessions_user(core->store, claims.jti, now, &out->user, err);
    if (!rc && strcmp(out->user.id, claims.sub) != 0)
        rc = err_set(err, RC_UNAUTHORIZED, "session belongs to another user");
    if (!rc)
        snprintf(out->jti, sizeof(out->jti), "%s", claims.jti);
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
    return sessions_revoke(core->store, actor->user.id, actor->jti, &audit, NULL, err);
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
    return sessions_revoke(core->store, user_id, jti, &audit, out_count, err);
}
