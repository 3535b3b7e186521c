/* users.c — user administration: list, create (with a password or a one-time setup link),
 * change name/role/active/km_admin, delete, setup links, and the sessions of a user. Admins
 * only. The last active admin can be neither removed, deactivated nor demoted: the store
 * checks that inside the same transaction as the change. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/authn.h"
#include "auth/password.h"
#include "base/mem.h"

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

enum rc api_user_fill(struct user *u, const char *email, const char *name, const char *role,
                      struct err *err)
{
    if (!email || !email_valid(email))
        return err_set(err, RC_INVALID, "email: '%.64s' is not a valid e-mail address",
                       email ? email : "");
    if (!role_valid(role))
        return err_set(err, RC_INVALID, "role: must be admin, analyst or viewer (got '%.16s')",
                       role);
    if (name && !name_valid(name))
        return err_set(err, RC_INVALID, "name: at most %d characters, no control characters",
                       USER_NAME_MAX);
    snprintf(u->email, sizeof(u->email), "%s", email);
    if (name && *name)
        snprintf(u->name, sizeof(u->name), "%s", name);
    else
        snprintf(u->name, sizeof(u->name), "%.*s", (int)(strchr(email, '@') - email), email);
    snprintf(u->role, sizeof(u->role), "%s", role);
    return RC_OK;
}

static void list_users(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    if (!api_require_admin(req, app, &p))
        return;
    struct user *users = NULL;
    size_t len = 0;
    struct err err;
    enum rc rc = users_list(app->core.store, &users, &len, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < len; i++)
        json_array_append_new(list, api_user_json(&users[i]));
    free(users);
    http_respond_json(req, 200, list);
}

static void create_user(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    json_t *root = NULL;
    const char *email = NULL, *name = NULL, *role = "analyst", *password = NULL;
    int km_admin = 0;
    char *phc = NULL, *setup_url = NULL;
    struct err err;
    if (!api_require_admin(req, app, &p) ||
        !api_body(req, &root, "{s:s, s?s, s?s, s?s, s?b}", "email", &email, "name", &name, "role",
                  &role, "password", &password, "km_admin", &km_admin))
        return;
    struct user u = { .active = true, .km_admin = km_admin != 0 };
    enum rc rc = api_user_fill(&u, email, name, role, &err);
    if (!rc && password)
        rc = password_check_policy(password, &err);
    if (rc) {
        http_respond_error(req, 422, "%s", err.msg);
        goto out;
    }
    api_new_id(u.id);
    if (password)
        rc = password_hash(password, &phc, &err);
    struct audit_entry audit = api_audit_entry(req, &p, "user.create", u.email, "ok", u.role);
    if (!rc)
        rc = users_create(app->core.store, &u, phc, &audit, &err);
    if (!rc && !password)
        rc = api_setup_link_new(app, u.id, &setup_url, &err);
    if (!rc)
        rc = users_get(app->core.store, u.id, &u, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        goto out;
    }
    json_t *body = api_user_json(&u);
    if (setup_url)
        json_object_set_new(body, "setup_url", json_string(setup_url));
    http_respond_json(req, 201, body);
out:
    free(phc);
    free(setup_url);
    json_decref(root);
}

static void update_user(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    json_t *root = NULL;
    const char *name = NULL, *role = NULL;
    int active = -1, km_admin = -1;
    struct err err;
    const char *id = http_req_param(req, "id");
    if (!api_require_admin(req, app, &p) ||
        !api_body(req, &root, "{s?s, s?s, s?b, s?b}", "name", &name, "role", &role, "active",
                  &active, "km_admin", &km_admin))
        return;
    struct user u;
    enum rc rc = RC_OK;
    if (role && !role_valid(role))
        rc = err_set(&err, RC_INVALID, "role: must be admin, analyst or viewer");
    else if (name && (!*name || !name_valid(name)))
        rc = err_set(&err, RC_INVALID, "name: 1 to %d characters, no control characters",
                     USER_NAME_MAX);
    if (rc) {
        http_respond_error(req, 422, "%s", err.msg);
        goto out;
    }
    char detail[128];
    snprintf(detail, sizeof(detail), "%s%s%s%s%s", name ? "name " : "", role ? "role=" : "",
             role ? role : "",
             active == 0   ? " deactivated"
             : active == 1 ? " activated"
                           : "",
             km_admin >= 0 ? " km_admin" : "");
    struct audit_entry audit = api_audit_entry(req, &p, "user.update", id, "ok", detail);
    /* deactivation revokes the user's sessions and tokens in the same transaction */
    rc = users_update(app->core.store, id, name, role, active, km_admin, &audit, &err);
    if (!rc)
        rc = users_get(app->core.store, id, &u, &err);
    if (rc)
        http_respond_rc(req, rc, &err);
    else
        http_respond_json(req, 200, api_user_json(&u));
out:
    json_decref(root);
}

static void delete_user(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct err err;
    if (!api_require_admin(req, app, &p))
        return;
    const char *id = http_req_param(req, "id");
    struct audit_entry audit = api_audit_entry(req, &p, "user.delete", id, "ok", NULL);
    enum rc rc = users_delete(app->core.store, id, &audit, &err);
    if (rc)
        http_respond_rc(req, rc, &err);
    else
        http_respond_bytes(req, 204, "application/json", "", 0);
}

static void post_setup_link(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct user u;
    struct err err;
    char *url = NULL;
    if (!api_require_admin(req, app, &p))
        return;
    const char *id = http_req_param(req, "id");
    enum rc rc = users_get(app->core.store, id, &u, &err);
    if (!rc)
        rc = api_setup_link_new(app, u.id, &url, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        return;
    }
    api_audit(app, req, &p, "user.setup_link", u.email, "ok", NULL);
    http_respond_json(req, 200, json_pack("{s:s, s:s}", "user_id", u.id, "setup_url", url));
    free(url);
}

static void list_sessions(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct session_info *list = NULL;
    size_t len = 0;
    struct err err;
    if (!api_require_admin(req, app, &p))
        return;
    enum rc rc =
        sessions_list(app->core.store, http_req_param(req, "id"), api_now(), &list, &len, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < len; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s, s:I}", "id", list[i].jti,
                                             "method", list[i].method, "ip", list[i].ip,
                                             "created_at", list[i].created_at, "expires_at",
                                             (json_int_t)list[i].expires_at));
    free(list);
    http_respond_json(req, 200, json_pack("{s:o}", "sessions", arr));
}

static void revoke_sessions(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct err err;
    int n = 0;
    if (!api_require_admin(req, app, &p))
        return;
    const char *id = http_req_param(req, "id");
    const char *jti = http_req_param(req, "jti"); /* NULL: all of them */
    struct audit_entry audit =
        api_audit_entry(req, &p, "session.revoke", id, "ok", jti ? jti : "all");
    enum rc rc = sessions_revoke(app->core.store, id, jti, &audit, &n, &err);
    if (rc)
        http_respond_rc(req, rc, &err);
    else
        http_respond_json(req, 200, json_pack("{s:i}", "revoked", n));
}

static const struct http_route routes[] = {
    { "GET", "/api/users", list_users },
    { "POST", "/api/users", create_user },
    { "PATCH", "/api/users/{id}", update_user },
    { "DELETE", "/api/users/{id}", delete_user },
    { "POST", "/api/users/{id}/setup-link", post_setup_link },
    { "GET", "/api/users/{id}/sessions", list_sessions },
    { "DELETE", "/api/users/{id}/sessions", revoke_sessions },
    { "DELETE", "/api/users/{id}/sessions/{jti}", revoke_sessions },
};

const struct http_route *api_users_routes(size_t *out_len)
{
    *out_len = ARRAY_LEN(routes);
    return routes;
}
