/* access.c — the HTTP side of who may read which table: grants (/api/admin/permissions),
 * groups and their members (/api/admin/groups), access requests (/api/access-requests) and the
 * audit log viewer (/api/admin/audit). The rules live in core/access.h; these handlers check
 * the caller, read the request and write the answer. routes.c joins api_access_routes into
 * the route table. */
#include "api/access.h"

#include <stdlib.h>
#include <string.h>

#include "api/authn.h"
#include "api/request.h"
#include "core/access.h"

const struct catalog_table *api_readable_table(struct http_req *req, struct app *app,
                                               const struct user *u, const char *id,
                                               bool local_only, struct catalog_gen **out_g)
{
    const struct catalog_table *t = NULL;
    struct err err;
    enum rc rc = core_readable_table(&app->core, u, id, local_only, out_g, &t, &err);
    if (rc)
        http_respond_rc(req, rc, &err);
    return t;
}

/* JSON null counts as absent; anything else must be a string. */
static enum rc optional_string(const json_t *v, const char *field, const char **out,
                               struct err *err)
{
    *out = NULL;
    if (!v || json_is_null(v))
        return RC_OK;
    if (!json_is_string(v))
        return err_set(err, RC_BADVALUE, "%s must be a string", field);
    *out = json_string_value(v);
    return RC_OK;
}

static json_t *nullable(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

/* ------------------------------------------------------------------ grants */

/* Reads {user_id | group, dataset, access?} into g (borrowed from *root). False after an
 * answer. */
static bool grant_body(struct http_req *req, json_t **root, struct core_grant *g)
{
    json_t *user_v = NULL, *group_v = NULL;
    struct err err;
    memset(g, 0, sizeof(*g));
    if (!api_body(req, root, "{s?o, s?o, s:s, s?s}", "user_id", &user_v, "group", &group_v,
                  "dataset", &g->dataset, "access", &g->access))
        return false;
    enum rc rc = optional_string(user_v, "user_id", &g->user_id, &err);
    if (!rc)
        rc = optional_string(group_v, "group", &g->group, &err);
    if (rc)
        http_respond_rc(req, rc, &err);
    return !rc;
}

/* {user_id, group, dataset, access}, the one shape of a grant in answers. */
static json_t *grant_json(const char *user_id, const char *group, const char *dataset)
{
    json_t *o = json_object();
    json_object_set_new(o, "user_id", nullable(user_id));
    json_object_set_new(o, "group", nullable(group));
    json_object_set_new(o, "dataset", json_string(dataset));
    json_object_set_new(o, "access", json_string("read"));
    return o;
}

static void post_permission(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    json_t *root = NULL;
    struct core_grant g;
    struct err err;
    if (api_require_admin(req, app, &p) && grant_body(req, &root, &g)) {
        enum rc rc = core_grant_add(&app->core, &p, http_req_client_ip(req), &g, &err);
        if (rc)
            http_respond_rc(req, rc, &err);
        else
            http_respond_json(req, 201, grant_json(g.user_id, g.group, g.dataset));
    }
    json_decref(root);
}

static void delete_permission(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    json_t *root = NULL;
    struct core_grant g;
    bool removed = false;
    struct err err;
    if (api_require_admin(req, app, &p) && grant_body(req, &root, &g)) {
        enum rc rc = core_grant_remove(&app->core, &p, http_req_client_ip(req), &g, &removed, &err);
        if (rc)
            http_respond_rc(req, rc, &err);
        else
            http_respond_json(req, 200, json_pack("{s:b}", "revoked", removed));
    }
    json_decref(root);
}

static json_t *grants_json(const struct grant *list, size_t len)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < len; i++)
        json_array_append_new(arr,
                              grant_json(list[i].user_id, list[i].group_name, list[i].dataset));
    return arr;
}

static void list_permissions(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct grant *list = NULL;
    size_t len = 0;
    struct err err;
    if (!api_require_admin(req, app, &p))
        return;
    enum rc rc = core_grants_list(&app->core, &list, &len, &err);
    if (rc)
        http_respond_rc(req, rc, &err);
    else
        http_respond_json(req, 200, json_pack("{s:o}", "permissions", grants_json(list, len)));
    free(list);
}

static void user_permissions(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct core_user_access a;
    struct err err;
    if (!api_require_admin(req, app, &p))
        return;
    enum rc rc = core_user_access(&app->core, http_req_param(req, "user_id"), &a, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        return;
    }
    json_t *names = json_array();
    for (size_t i = 0; i < a.n_groups; i++)
        json_array_append_new(names, json_string(a.groups[i]));
    http_respond_json(req, 200,
                      json_pack("{s:s, s:o, s:o}", "user_id", a.user.id, "permissions",
                                grants_json(a.grants, a.n_grants), "groups", names));
    core_user_access_cleanup(&a);
}

/* ------------------------------------------------------------------ groups */

static void post_group(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    json_t *root = NULL;
    const char *name = NULL;
    char id[USER_ID_LEN + 1];
    struct err err;
    if (!api_require_admin(req, app, &p) || !api_body(req, &root, "{s:s}", "name", &name))
        return;
    enum rc rc = core_group_create(&app->core, &p, http_req_client_ip(req), name, id, &err);
    if (rc)
        http_respond_rc(req, rc, &err);
    else
        http_respond_json(req, 201, json_pack("{s:s, s:s}", "id", id, "name", name));
    json_decref(root);
}

static void post_group_member(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    json_t *root = NULL;
    const char *user_id = NULL;
    const char *name = http_req_param(req, "name");
    struct err err;
    if (!api_require_admin(req, app, &p) || !api_body(req, &root, "{s:s}", "user_id", &user_id))
        return;
    enum rc rc =
        core_group_add_member(&app->core, &p, http_req_client_ip(req), name, user_id, &err);
    if (rc)
        http_respond_rc(req, rc, &err);
    else
        http_respond_json(req, 200, json_pack("{s:s, s:s}", "group", name, "user_id", user_id));
    json_decref(root);
}

static void delete_group_member(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct err err;
    if (!api_require_admin(req, app, &p))
        return;
    enum rc rc =
        core_group_remove_member(&app->core, &p, http_req_client_ip(req),
                                 http_req_param(req, "name"), http_req_param(req, "user_id"), &err);
    if (rc)
        http_respond_rc(req, rc, &err);
    else
        http_respond_json(req, 200, json_pack("{s:b}", "removed", true));
}

/* ------------------------------------------------------------------ access requests */

static json_t *request_json(const struct access_request *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(r->id));
    json_object_set_new(o, "user_id", json_string(r->user_id));
    json_object_set_new(o, "user_email", json_string(r->user_email));
    json_object_set_new(o, "table_id", json_string(r->table_id));
    json_object_set_new(o, "reason", json_string(r->reason));
    json_object_set_new(o, "status", json_string(r->status));
    json_object_set_new(o, "reviewed_by", nullable(r->reviewed_by));
    json_object_set_new(o, "reviewed_at", nullable(r->reviewed_at));
    json_object_set_new(o, "created_at", json_string(r->created_at));
    return o;
}

static json_t *requests_json(const struct access_request *list, size_t len)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < len; i++)
        json_array_append_new(arr, request_json(&list[i]));
    return arr;
}

static void post_access_request(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    json_t *root = NULL;
    const char *table_id = NULL, *reason = NULL;
    char id[USER_ID_LEN + 1], table[TABLE_ID_MAX + 1];
    struct err err;
    if (!api_require_user(req, app, &p) ||
        !api_body(req, &root, "{s:s, s?s}", "table_id", &table_id, "reason", &reason))
        return;
    enum rc rc = core_request_create(&app->core, &p, http_req_client_ip(req), table_id, reason, id,
                                     table, &err);
    if (rc)
        http_respond_rc(req, rc, &err);
    else
        http_respond_json(
            req, 201,
            json_pack("{s:s, s:s, s:s}", "id", id, "status", "pending", "table_id", table));
    json_decref(root);
}

/* GET /api/access-requests/my (mine) and /pending (admins). */
static void list_access_requests(struct http_req *req, struct app *app, bool mine)
{
    struct principal p;
    struct access_request *list = NULL;
    size_t len = 0;
    struct err err;
    if (!(mine ? api_require_user(req, app, &p) : api_require_admin(req, app, &p)))
        return;
    enum rc rc = core_requests_list(&app->core, &p, mine, &list, &len, &err);
    if (rc)
        http_respond_rc(req, rc, &err);
    else if (mine)
        http_respond_json(req, 200, json_pack("{s:o}", "requests", requests_json(list, len)));
    else
        http_respond_json(req, 200,
                          json_pack("{s:o, s:I}", "requests", requests_json(list, len), "count",
                                    (json_int_t)len));
    free(list);
}

static void my_access_requests(struct http_req *req, void *appv)
{
    list_access_requests(req, appv, true);
}

static void pending_access_requests(struct http_req *req, void *appv)
{
    list_access_requests(req, appv, false);
}

static void decide(struct http_req *req, struct app *app, bool approve)
{
    struct principal p;
    const char *id = http_req_param(req, "id");
    struct err err;
    if (!api_require_admin(req, app, &p))
        return;
    enum rc rc = core_request_decide(&app->core, &p, http_req_client_ip(req), id, approve, &err);
    if (rc)
        http_respond_rc(req, rc, &err);
    else
        http_respond_json(
            req, 200, json_pack("{s:s, s:s}", "status", approve ? "approved" : "denied", "id", id));
}

static void approve_access_request(struct http_req *req, void *appv)
{
    decide(req, appv, true);
}

static void deny_access_request(struct http_req *req, void *appv)
{
    decide(req, appv, false);
}

/* ------------------------------------------------------------------ audit log */

static json_t *audit_row_json(const struct audit_row *r)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer(r->id));
    json_object_set_new(o, "at", json_string(r->at));
    json_object_set_new(o, "actor_id", nullable(r->actor_id));
    json_object_set_new(o, "actor_email", nullable(r->actor_email));
    json_object_set_new(o, "action", json_string(r->action));
    json_object_set_new(o, "target", nullable(r->target));
    json_object_set_new(o, "ip", nullable(r->ip));
    json_object_set_new(o, "result", json_string(r->result));
    json_object_set_new(o, "detail", nullable(r->detail));
    return o;
}

static void get_audit(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct core_audit_page page;
    struct err err;
    if (!api_require_admin(req, app, &p))
        return;
    struct core_audit_query q = {
        .limit = http_req_query(req, "limit"),
        .offset = http_req_query(req, "offset"),
        .since = http_req_query(req, "since"),
        .until = http_req_query(req, "until"),
        .action = http_req_query(req, "action"),
        .actor_id = http_req_query(req, "actor_id"),
    };
    enum rc rc = core_audit_read(&app->core, &q, &page, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        free(page.rows);
        return;
    }
    json_t *entries = json_array();
    for (size_t i = 0; i < page.len; i++)
        json_array_append_new(entries, audit_row_json(&page.rows[i]));
    http_respond_json(req, 200,
                      json_pack("{s:o, s:I, s:I, s:I}", "entries", entries, "total",
                                (json_int_t)page.total, "limit", (json_int_t)page.limit, "offset",
                                (json_int_t)page.offset));
    free(page.rows);
}

/* ------------------------------------------------------------------ routes */

static const struct http_route routes[] = {
    { "GET", "/api/admin/permissions", list_permissions },
    { "POST", "/api/admin/permissions", post_permission },
    { "DELETE", "/api/admin/permissions", delete_permission },
    { "GET", "/api/admin/permissions/{user_id}", user_permissions },
    { "POST", "/api/admin/groups", post_group },
    { "POST", "/api/admin/groups/{name}/members", post_group_member },
    { "DELETE", "/api/admin/groups/{name}/members/{user_id}", delete_group_member },
    { "POST", "/api/access-requests", post_access_request },
    { "GET", "/api/access-requests/my", my_access_requests },
    { "GET", "/api/access-requests/pending", pending_access_requests },
    { "POST", "/api/access-requests/{id}/approve", approve_access_request },
    { "POST", "/api/access-requests/{id}/deny", deny_access_request },
    { "GET", "/api/admin/audit", get_audit },
};

const struct http_route *api_access_routes(size_t *out_len)
{
    *out_len = ARRAY_LEN(routes);
    return routes;
}
