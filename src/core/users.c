/* users.c — the rules of user accounts: what a valid e-mail, name and role are, creating a
 * user (by an admin, by startup seeding), changing, deactivating and deleting one, and the
 * one-time password setup link. The last active admin can be neither removed, deactivated nor
 * demoted: the store checks that inside the same transaction as the change. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/opaque_token.h"
#include "auth/password.h"
#include "base/isotime.h"
#include "base/mem.h"
#include "core/audit.h"
#include "core/identity.h"
#include "core/identity_int.h"

#define SETUP_PREFIX     "da_setup_"
#define SETUP_LIFETIME_S (7 * 24 * 3600)

enum rc identity_require_admin(const struct principal *actor, struct err *err)
{
    if (actor && strcmp(actor->user.role, "admin") != 0)
        return err_set(err, RC_FORBIDDEN, "Requires role admin");
    return RC_OK;
}

static bool email_valid(const char *e)
{
    size_t len = strlen(e);
    const char *at = strchr(e, '@');
    if (len < 3 || len > USER_EMAIL_MAX || !at || at == e || strchr(at + 1, '@'))
        return false;
    const char *dot = strrchr(at, '.');
    if (!dot || dot == at + 1 || !dot[1])
        return false;
    for (const char *p = e; *p; p++)
        if ((unsigned char)*p <= ' ' || strchr("<>()[]\\,;:\"", *p))
            return false;
    return true;
}

static bool name_valid(const char *n)
{
    for (const char *p = n; *p; p++)
        if ((unsigned char)*p < ' ' || *p == 0x7f)
            return false;
    return strlen(n) <= USER_NAME_MAX;
}

static bool role_valid(const char *r)
{
    return strcmp(r, "admin") == 0 || strcmp(r, "analyst") == 0 || strcmp(r, "viewer") == 0;
}

enum rc core_user_fill(struct user *u, const char *email, const char *name, const char *role,
                       struct err *err)
{
    if (!email || !email_valid(email))
        return err_set(err, RC_BADVALUE, "email: '%.64s' is not a valid e-mail address",
                       email ? email : "");
    if (!role || !role_valid(role))
        return err_set(err, RC_BADVALUE, "role: must be admin, analyst or viewer (got '%.16s')",
                       role ? role : "");
    if (name && !name_valid(name))
        return err_set(err, RC_BADVALUE, "name: at most %d characters, no control characters",
                       USER_NAME_MAX);
    snprintf(u->email, sizeof(u->email), "%s", email);
    if (name && *name)
        snprintf(u->name, sizeof(u->name), "%s", name);
    else
        snprintf(u->name, sizeof(u->name), "%.*s", (int)(strchr(email, '@') - email), email);
    snprintf(u->role, sizeof(u->role), "%s", role);
    return RC_OK;
}

enum rc core_password_policy(const char *password, struct err *err)
{
    enum rc rc = password_check_policy(password, err);
    return rc == RC_INVALID ? RC_BADVALUE : rc;
}

enum rc core_user_check(const struct user_new *in, struct err *err)
{
    struct user u;
    enum rc rc = core_user_fill(&u, in->email, in->name, in->role, err);
    if (!rc && in->password)
        rc = core_password_policy(in->password, err);
    return rc;
}

/* Validates in and fills a new active user with a fresh id; *out_phc gets the password's
 * hash (NULL without a password; freed by the caller). RC_BADVALUE before any work when a
 * field or the password is refused. */
static enum rc user_prepare(const struct user_new *in, struct user *u, char **out_phc,
                            struct err *err)
{
    *out_phc = NULL;
    memset(u, 0, sizeof(*u));
    u->active = true;
    u->km_admin = in->km_admin;
    enum rc rc = core_user_check(in, err);
    if (!rc)
        rc = core_user_fill(u, in->email, in->name, in->role, err);
    if (rc)
        return rc;
    rand_id(u->id);
    if (in->password)
        rc = password_hash(in->password, out_phc, err);
    return rc;
}

enum rc core_user_create(struct core *core, const char *from, const struct principal *actor,
                         const struct user_new *in, const char *detail, struct user *out,
                         char **out_setup_url, struct err *err)
{
    struct user u;
    char *phc = NULL;
    if (out_setup_url)
        *out_setup_url = NULL;
    enum rc rc = identity_require_admin(actor, err);
    if (!rc)
        rc = user_prepare(in, &u, &phc, err);
    struct audit_entry audit =
        core_audit_entry(from, actor, "user.create", u.email, "ok", detail ? detail : u.role);
    if (!rc)
        rc = users_create(core->store, &u, phc, &audit, err);
    if (!rc && !in->password && out_setup_url)
        rc = core_setup_link_new(core, u.id, out_setup_url, err);
    if (!rc && out)
        rc = users_get(core->store, u.id, out, err);
    free(phc);
    return rc;
}

enum rc core_user_update(struct core *core, const char *from, const struct principal *actor,
                         const char *id, const char *name, const char *role, int active,
                         int km_admin, struct user *out, struct err *err)
{
    enum rc rc = identity_require_admin(actor, err);
    if (rc)
        return rc;
    if (role && !role_valid(role))
        return err_set(err, RC_BADVALUE, "role: must be admin, analyst or viewer");
    if (name && (!*name || !name_valid(name)))
        return err_set(err, RC_BADVALUE, "name: 1 to %d characters, no control characters",
                       USER_NAME_MAX);
    char detail[128];
    snprintf(detail, sizeof(detail), "%s%s%s%s%s", name ? "name " : "", role ? "role=" : "",
             role ? role : "",
             active == 0   ? " deactivated"
             : active == 1 ? " activated"
                           : "",
             km_admin >= 0 ? " km_admin" : "");
    struct audit_entry audit = core_audit_entry(from, actor, "user.update", id, "ok", detail);
    /* deactivation revokes the user's sessions and tokens in the same transaction */
    rc = users_update(core->store, id, name, role, active, km_admin, &audit, err);
    core_access_changed(core);
    identity_changed(core);
    if (!rc && out)
        rc = users_get(core->store, id, out, err);
    return rc;
}

enum rc core_user_delete(struct core *core, const char *from, const struct principal *actor,
                         const char *id, struct err *err)
{
    enum rc rc = identity_require_admin(actor, err);
    if (rc)
        return rc;
    struct audit_entry audit = core_audit_entry(from, actor, "user.delete", id, "ok", NULL);
    rc = users_delete(core->store, id, &audit, err);
    core_access_changed(core);
    identity_changed(core);
    return rc;
}

enum rc core_users_list(struct core *core, const struct principal *actor, struct user **out,
                        size_t *out_len, struct err *err)
{
    enum rc rc = identity_require_admin(actor, err);
    if (!rc)
        rc = users_list(core->store, out, out_len, err);
    return rc;
}

enum rc core_setup_link_new(struct core *core, const char *user_id, char **out_url, struct err *err)
{
    char *token = NULL;
    char hash[SHA256_HEX_LEN + 1];
    *out_url = NULL;
    enum rc rc = opaque_token_new(SETUP_PREFIX, &token, hash, err);
    if (!rc)
        rc = one_time_create(core->store, hash, "setup", user_id, clock_now_s() + SETUP_LIFETIME_S,
                             err);
    if (!rc)
        *out_url = xasprintf("%s/auth/password/setup#token=%s", core->cfg->public_url, token);
    opaque_token_free(token);
    return rc;
}

enum rc core_setup_link_issue(struct core *core, const char *from, const struct principal *actor,
                              const char *user_id, struct user *out, char **out_url,
                              struct err *err)
{
    struct user u;
    *out_url = NULL;
    enum rc rc = identity_require_admin(actor, err);
    if (!rc)
        rc = users_get(core->store, user_id, &u, err);
    if (!rc)
        rc = core_setup_link_new(core, u.id, out_url, err);
    if (rc)
        return rc;
    core_audit(core, from, actor, "user.setup_link", u.email, "ok", NULL);
    if (out)
        *out = u;
    return RC_OK;
}
