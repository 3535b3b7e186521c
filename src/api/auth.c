/* auth.c — sign-in and session endpoints: password login (/auth/token for scripts,
 * /auth/password/login for browsers), password setup through a one-time link, logout, the
 * first admin's bootstrap code, and /api/me. Magic links and Google sign-in are in signin.c.
 *
 * The rules (the same answer after the same work for an unknown user and a wrong password,
 * one-time secrets stored only as hashes and spent atomically, every attempt audited) are the
 * domain layer's (core/identity.h). Here: every attempt is rate limited per address and per
 * account, and one-time secrets travel in POST bodies from URL fragments, which never reach a
 * server log. */
#include <stdlib.h>

#include "api/authn.h"
#include "api/pages.h"
#include "api/request.h"
#include "base/log.h"
#include "core/access.h"
#include "core/identity.h"

/* ---------------------------------------------------------------- password login */

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
    if (!api_rate_limit(req, app, email))
        goto out;
    struct err err;
    enum rc rc =
        core_password_sign_in(&app->core, http_req_client_ip(req), email, password, &u, &err);
    if (rc)
        http_respond_rc(req, rc, &err);
    else
        api_answer_session(req, app, &u, "password", browser, !browser, NULL);
out:
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

static void post_password_setup(struct http_req *req, void *appv)
{
    struct app *app = appv;
    json_t *root = NULL;
    const char *token = NULL, *password = NULL, *email = NULL;
    struct user u;
    struct err err;
    if (!api_body(req, &root, "{s:s, s:s, s?s}", "token", &token, "password", &password, "email",
                  &email))
        return;
    if (!api_rate_limit(req, app, NULL))
        goto out;
    enum rc rc =
        core_password_setup(&app->core, http_req_client_ip(req), token, password, email, &u, &err);
    if (rc)
        http_respond_rc(req, rc, &err);
    else
        api_answer_session(req, app, &u, "password_setup", true, false,
                           "Password set successfully");
out:
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
    enum rc rc = core_logout(&app->core, http_req_client_ip(req), &p, &err);
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
    enum rc rc = core_groups_of(&app->core, p.user.id, &groups, &len, &err);
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
    struct user u;
    struct err err;
    if (!api_body(req, &root, "{s:s, s:s, s:s, s?s}", "code", &code, "email", &email, "password",
                  &password, "name", &name))
        return;
    if (!api_rate_limit(req, app, NULL))
        goto out;
    struct user_new in = { .email = email, .name = name, .role = "admin", .password = password };
    enum rc rc =
        core_first_admin_create(&app->core, http_req_client_ip(req), code, &in, NULL, &u, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        goto out;
    }
    log_warn("auth", "bootstrap: %s is now the first admin", u.email);
    api_answer_session(req, app, &u, "bootstrap", false, true, NULL);
out:
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
