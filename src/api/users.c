/* users.c — user administration over HTTP: list, create (with a password or a one-time setup
 * link), change name/role/active/km_admin, delete, setup links, and the sessions of a user.
 * Admins only. The rules are the domain layer's (core/identity.h); this adapts them to
 * requests and JSON. */
#include <stdlib.h>

#include "api/authn.h"
#include "api/request.h"
#include "core/identity.h"

static void list_users(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    if (!api_require_admin(req, app, &p))
        return;
    struct user *users = NULL;
    size_t len = 0;
    struct err err;
    enum rc rc = core_users_list(&app->core, &p, &users, &len, &err);
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
    char *setup_url = NULL;
    struct err err;
    if (!api_require_admin(req, app, &p) ||
        !api_body(req, &root, "{s:s, s?s, s?s, s?s, s?b}", "email", &email, "name", &name, "role",
                  &role, "password", &password, "km_admin", &km_admin))
        return;
    struct user_new in = { email, name, role, password, km_admin != 0 };
    struct user u;
    enum rc rc =
        core_user_create(&app->core, http_req_client_ip(req), &p, &in, NULL, &u, &setup_url, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        goto out;
    }
    json_t *body = api_user_json(&u);
    if (setup_url)
        json_object_set_new(body, "setup_url", json_string(setup_url));
    http_respond_json(req, 201, body);
out:
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
    enum rc rc = core_user_update(&app->core, http_req_client_ip(req), &p, id, name, role, active,
                                  km_admin, &u, &err);
    if (rc)
        http_respond_rc(req, rc, &err);
    else
        http_respond_json(req, 200, api_user_json(&u));
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
    enum rc rc = core_user_delete(&app->core, http_req_client_ip(req), &p, id, &err);
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
    enum rc rc = core_setup_link_issue(&app->core, http_req_client_ip(req), &p, id, &u, &url, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        return;
    }
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
    enum rc rc = core_sessions_list(&app->core, &p, http_req_param(req, "id"), &list, &len, &err);
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
    enum rc rc = core_sessions_revoke(&app->core, http_req_client_ip(req), &p, id, jti, &n, &err);
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
