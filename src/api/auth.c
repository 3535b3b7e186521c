/* auth.c — sign-in and session endpoints: password login (/auth/token for scripts,
 * /auth/password/login for browsers), password setup through a one-time link, logout, the
 * first admin's bootstrap code, and /api/me. Magic links and Google sign-in are in signin.c.
 *
 * Rules that hold for every path: no token without the right credential; an unknown user
 * and a wrong password get the same answer after the same work; every attempt is rate
 * limited per address and per account and audited; one-time secrets are stored only as
 * hashes, spent atomically, and travel in URL fragments, which never reach a server log. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/authn.h"
#include "api/pages.h"
#include "auth/opaque_token.h"
#include "auth/password.h"
#include "base/log.h"
#include "base/mem.h"
#include "store/access.h"

#define SETUP_PREFIX     "da_setup_"
#define SETUP_LIFETIME_S (7 * 24 * 3600)

/* ---------------------------------------------------------------- password login */

/* Checks email and password with the same work and the same answer for every failure.
 * False after answering (401 or 429). */
static bool check_password(struct http_req *req, struct app *app, const char *email,
                           const char *password, struct user *out)
{
    if (!api_rate_limit(req, app, email))
        return false;
    struct err err;
    char *hash = NULL;
    enum rc rc = users_get_by_email(app->core.store, email, out, &hash, &err);
    bool ok = false;
    if (rc != RC_OK && rc != RC_NOTFOUND) {
        /* the store did not answer: that says nothing about the password */
        log_error("auth", "login lookup: %s", err.msg);
        http_respond_rc(req, RC_BUSY, &err);
        return false;
    }
    if (rc == RC_OK && hash)
        ok = password_verify(hash, password, &err) == RC_OK;
    else
        password_verify_dummy(password); /* the same time as a real check */
    free(hash);
    if (ok && !out->active)
        ok = false;
    if (!ok) {
        api_audit(app, req, NULL, "login", email, "failed", "password");
        http_respond_error(req, 401, "Invalid email or password");
    }
    return ok;
}

void api_answer_session(struct http_req *req, struct app *app, const struct user *u,
                        const char *method, bool set_cookie, bool with_user_id, const char *message)
{
    struct err err;
    char *token = NULL;
    enum rc rc = api_issue_session(app, req, u, method, &token, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        return;
    }
    if (set_cookie)
        api_set_session_cookie(req, app, token);
    json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "access_token", token, "token_type", "bearer",
                             "email", u->email, "role", u->role);
    if (with_user_id)
        json_object_set_new(body, "user_id", json_string(u->id));
    if (message)
        json_object_set_new(body, "message", json_string(message));
    mem_wipe(token, strlen(token));
    free(token);
    http_respond_json(req, 200, body);
}

/* Scripts use /auth/token (answer with user_id, no cookie); browsers /auth/password/login
 * (the answer sets the cookie). */
static void password_login(struct http_req *req, struct app *app, bool browser)
{
    json_t *root = NULL;
    const char *email = NULL, *password = NULL;
    struct user u;
    /* no password is a wrong password (401 after the same work), as the original API did */
    if (!api_body(req, &root, "{s:s, s?s}", "email", &email, "password", &password))
        return;
    if (check_password(req, app, email, password ? password : "", &u))
        api_answer_session(req, app, &u, "password", browser, !browser, NULL);
    json_decref(root);
}

static void post_token(struct http_req *req, void *app)
{
    password_login(req, app, false);
}

static void post_password_login(struct http_req *req, void *app)
{
    password_login(req, app, true);
}

/* ---------------------------------------------------------------- password setup */

enum rc api_setup_link_new(struct app *app, const char *user_id, char **out_url, struct err *err)
{
    char *token = NULL;
    char hash[SHA256_HEX_LEN + 1];
    *out_url = NULL;
    enum rc rc = opaque_token_new(SETUP_PREFIX, &token, hash, err);
    if (!rc)
        rc = one_time_create(app->core.store, hash, "setup", user_id, api_now() + SETUP_LIFETIME_S,
                             err);
    if (!rc)
        *out_url = xasprintf("%s/auth/password/setup#token=%s", app->core.cfg->public_url, token);
    opaque_token_free(token);
    return rc;
}

static void post_password_setup(struct http_req *req, void *appv)
{
    struct app *app = appv;
    json_t *root = NULL;
    const char *token = NULL, *password = NULL, *email = NULL;
    char user_id[USER_ID_LEN + 1];
    char hash[SHA256_HEX_LEN + 1];
    char *phc = NULL;
    struct user u;
    struct err err;
    if (!api_body(req, &root, "{s:s, s:s, s?s}", "token", &token, "password", &password, "email",
                  &email))
        return;
    if (!api_rate_limit(req, app, NULL))
        goto out;
    /* the policy first, so a weak password does not spend the link */
    if (password_check_policy(password, &err) != RC_OK) {
        http_respond_error(req, 422, "%s", err.msg);
        goto out;
    }
    opaque_token_hash(token, hash);
    /* Every check before the link is spent, so a request that fails one (an e-mail that does
     * not match, for one) cannot burn the user's link; the spending itself is atomic and only
     * for the user checked. */
    enum rc rc = RC_UNAUTHORIZED;
    if (opaque_token_well_formed(token, SETUP_PREFIX))
        rc = one_time_peek(app->core.store, hash, "setup", api_now(), user_id, &err);
    if (!rc)
        rc = users_get(app->core.store, user_id, &u, &err);
    if (!rc && (!u.active || (email && strcasecmp(email, u.email) != 0)))
        rc = RC_UNAUTHORIZED;
    if (!rc)
        rc = password_hash(password, &phc, &err);
    if (!rc)
        rc = one_time_consume_for(app->core.store, hash, "setup", u.id, api_now(), &err);
    if (rc == RC_BUSY) {
        http_respond_rc(req, rc, &err);
        goto out;
    }
    if (rc == RC_UNAUTHORIZED || rc == RC_NOTFOUND) {
        api_audit(app, req, NULL, "password.setup", email, "failed", "invalid link");
        http_respond_error(req, 400, "Invalid or expired setup link");
        goto out;
    }
    struct principal actor = { .user = u };
    struct audit_entry audit = api_audit_entry(req, &actor, "password.set", u.email, "ok", NULL);
    if (!rc)
        rc = users_set_password(app->core.store, u.id, phc, &audit, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        goto out;
    }
    api_answer_session(req, app, &u, "password_setup", true, false, "Password set successfully");
out:
    free(phc);
    json_decref(root);
}

/* ---------------------------------------------------------------- logout and me */

static void post_logout(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    if (!api_require_user(req, app, &p))
        return;
    api_clear_session_cookie(req, app);
    if (!p.jti[0]) {
        http_respond_error(req, 400,
                           "A personal access token is revoked with DELETE /api/tokens/{id}");
        return;
    }
    struct err err;
    struct audit_entry audit = api_audit_entry(req, &p, "logout", p.user.email, "ok", NULL);
    enum rc rc = sessions_revoke(app->core.store, p.user.id, p.jti, &audit, NULL, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        return;
    }
    http_respond_json(req, 200, json_pack("{s:s}", "status", "logged_out"));
}

static void get_me(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    if (!api_require_user(req, app, &p))
        return;
    char **groups = NULL;
    size_t len = 0;
    struct err err;
    enum rc rc = groups_of_user(app->core.store, p.user.id, &groups, &len, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        return;
    }
    json_t *body = api_user_json(&p.user);
    json_t *list = json_array();
    for (size_t i = 0; i < len; i++) {
        json_array_append_new(list, json_string(groups[i]));
        free(groups[i]);
    }
    free(groups);
    json_object_set_new(body, "groups", list);
    json_object_set_new(body, "auth",
                        json_string(p.via_pat      ? "token"
                                    : p.via_cookie ? "cookie"
                                                   : "bearer"));
    http_respond_json(req, 200, body);
}

/* ---------------------------------------------------------------- bootstrap */

static void post_bootstrap(struct http_req *req, void *appv)
{
    struct app *app = appv;
    json_t *root = NULL;
    const char *code = NULL, *email = NULL, *password = NULL, *name = NULL;
    char user_id[USER_ID_LEN + 1], hash[SHA256_HEX_LEN + 1];
    char *phc = NULL;
    struct err err;
    if (!api_body(req, &root, "{s:s, s:s, s:s, s?s}", "code", &code, "email", &email, "password",
                  &password, "name", &name))
        return;
    if (!api_rate_limit(req, app, NULL))
        goto out;
    struct user u = { .active = true };
    enum rc rc = api_user_fill(&u, email, name, "admin", &err);
    if (!rc)
        rc = password_check_policy(password, &err);
    if (rc) {
        http_respond_error(req, 422, "%s", err.msg);
        goto out;
    }
    opaque_token_hash(code, hash);
    if (!opaque_token_well_formed(code, BOOTSTRAP_PREFIX) ||
        one_time_consume(app->core.store, hash, "bootstrap", api_now(), user_id, &err) != RC_OK) {
        api_audit(app, req, NULL, "bootstrap", email, "failed", "invalid code");
        http_respond_error(req, 403, "Invalid or expired bootstrap code");
        goto out;
    }
    api_new_id(u.id);
    rc = password_hash(password, &phc, &err);
    struct principal actor = { .user = u };
    struct audit_entry audit = api_audit_entry(req, &actor, "bootstrap", u.email, "ok", NULL);
    if (!rc)
        rc = users_create_first_admin(app->core.store, &u, phc, &audit, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        goto out;
    }
    log_warn("auth", "bootstrap: %s is now the first admin", u.email);
    api_answer_session(req, app, &u, "bootstrap", false, true, NULL);
out:
    free(phc);
    json_decref(root);
}

/* ---------------------------------------------------------------- routes */

static const struct http_route routes[] = {
    { "POST", "/auth/token", post_token },
    { "POST", "/auth/password/login", post_password_login },
    { "GET", "/auth/password/setup", api_page_password_setup },
    { "POST", "/auth/password/setup", post_password_setup },
    { "POST", "/auth/logout", post_logout },
    { "POST", "/auth/bootstrap", post_bootstrap },
    { "GET", "/auth/assets/auth.js", api_asset_auth_js },
    { "GET", "/api/me", get_me },
};

const struct http_route *api_auth_routes(size_t *out_len)
{
    *out_len = ARRAY_LEN(routes);
    return routes;
}
