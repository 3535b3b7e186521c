/* access.c — who may read which table, as admins manage it: grants of a table or of a bucket
 * ("<bucket>.*") to a user or a group (/api/admin/permissions), groups and their members
 * (/api/admin/groups), access requests that users file and admins approve or deny
 * (/api/access-requests), and the audit log viewer (/api/admin/audit). Every change is audited
 * by the store in the same transaction (store/access.h). api_user_may_read is the one read
 * decision the other handlers call; routes.c joins api_access_routes into the route table. */
#include "api/access.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/authn.h"
#include "api/request.h"
#include "base/ident.h"
#include "base/isotime.h"
#include "base/mem.h"
#include "base/parse.h"
#include "data/catalog.h"
#include "data/dataplane.h"
#include "store/access.h"

#define AUDIT_LIMIT_DEFAULT 100
#define AUDIT_LIMIT_MAX     1000
#define AUDIT_OFFSET_MAX    1000000000
#define REQUEST_REASON_MAX  1000 /* bytes of an access request's reason */

enum rc api_user_may_read(struct app *app, const struct user *u, const char *table_id,
                          bool *out_allowed, struct err *err)
{
    *out_allowed = false;
    if (strcmp(u->role, "admin") == 0) {
        *out_allowed = true;
        return RC_OK;
    }
    return store_user_may_read(app->core.store, u->id, table_id, out_allowed, err);
}

bool api_may_read(struct app *app, const struct user *u, const char *table_id)
{
    bool allowed = false;
    struct err err;
    return api_user_may_read(app, u, table_id, &allowed, &err) == RC_OK && allowed;
}

const struct catalog_table *api_readable_table(struct http_req *req, struct app *app,
                                               const struct user *u, const char *id,
                                               bool local_only, struct catalog_gen **out_g)
{
    struct catalog *cat = dataplane_catalog(app->core.dataplane);
    *out_g = NULL;
    if (!id || !ident_is_table_id(id) || !api_may_read(app, u, id)) {
        http_respond_error(req, 404, "Table not found");
        return NULL;
    }
    struct catalog_gen *g = catalog_acquire(cat);
    const struct catalog_table *t = catalog_find(g, id);
    if (!t || t->status != CATALOG_OK || (local_only && (t->remote || t->n_files == 0))) {
        catalog_release(cat, g);
        http_respond_error(req, 404, "Table not found");
        return NULL;
    }
    *out_g = g;
    return t;
}

/* Answers a failure: a bad input is 422 here (the body parsed but a value is wrong); the
 * other results keep their one mapping. */
static void respond_rc(struct http_req *req, enum rc rc, const struct err *err)
{
    if (rc == RC_INVALID)
        http_respond_error(req, 422, "%s", err->msg);
    else
        http_respond_rc(req, rc, err);
}

static bool name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

/* True when the first len characters of s are 1..max characters of [A-Za-z0-9_.-]. */
static bool name_valid_len(const char *s, size_t len, size_t max)
{
    if (len == 0 || len > max)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!name_char(s[i]))
            return false;
    return true;
}

static bool group_name_valid(const char *s)
{
    return s && name_valid_len(s, strlen(s), GROUP_NAME_MAX);
}

/* A table id, or a bucket followed by ".*"; *out_bucket tells which. */
static bool dataset_valid(const char *d, bool *out_bucket)
{
    size_t len = strlen(d);
    *out_bucket = len > 2 && strcmp(d + len - 2, ".*") == 0;
    if (*out_bucket)
        len -= 2;
    return name_valid_len(d, len, TABLE_ID_MAX);
}

/* JSON null counts as absent; anything else must be a string. */
static enum rc optional_string(const json_t *v, const char *field, const char **out,
                               struct err *err)
{
    *out = NULL;
    if (!v || json_is_null(v))
        return RC_OK;
    if (!json_is_string(v))
        return err_set(err, RC_INVALID, "%s must be a string", field);
    *out = json_string_value(v);
    return RC_OK;
}

/* ------------------------------------------------------------------ grants */

/* A grant as a request names it, with the group resolved to its id. */
struct grant_req {
    const char *user_id; /* NULL for a group grant */
    const char *group;   /* NULL for a user grant */
    char group_id[USER_ID_LEN + 1];
    const char *dataset;
};

/* Checks {user_id | group, dataset, access?} (borrowed from root) and resolves the user or
 * the group. With table_must_exist, a plain table id must be registered. */
static enum rc grant_req_check(struct app *app, json_t *user_v, json_t *group_v,
                               const char *dataset, const char *access, bool table_must_exist,
                               struct grant_req *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    out->dataset = dataset;
    bool bucket = false;
    struct user u;
    struct table_entry t;
    enum rc rc = optional_string(user_v, "user_id", &out->user_id, err);
    if (!rc)
        rc = optional_string(group_v, "group", &out->group, err);
    if (rc)
        return rc;
    if (!out->user_id == !out->group)
        return err_set(err, RC_INVALID, "exactly one of user_id and group is required");
    if (access && strcmp(access, "read") != 0)
        return err_set(err, RC_INVALID, "access must be 'read'");
    if (!dataset_valid(dataset, &bucket))
        return err_set(err, RC_INVALID,
                       "dataset: a table id or '<bucket>.*' of 1 to %d characters from"
                       " [A-Za-z0-9_.-]",
                       TABLE_ID_MAX);
    if (out->group && !group_name_valid(out->group))
        return err_set(err, RC_INVALID, "group: 1 to %d characters from [A-Za-z0-9_.-]",
                       GROUP_NAME_MAX);
    if (out->user_id) {
        rc = users_get(app->core.store, out->user_id, &u, err);
        if (rc == RC_NOTFOUND)
            return err_set(err, RC_NOTFOUND, "User not found");
    } else {
        rc = groups_find(app->core.store, out->group, out->group_id, err);
    }
    if (rc)
        return rc;
    if (table_must_exist && !bucket) {
        rc = tables_get(app->core.store, dataset, &t, err);
        if (rc == RC_NOTFOUND)
            return err_set(err, RC_NOTFOUND, "Table '%s' not found", dataset);
    }
    return rc;
}

/* {user_id, group, dataset, access}, the one shape of a grant in answers. */
static json_t *grant_json(const char *user_id, const char *group, const char *dataset)
{
    json_t *o = json_object();
    json_object_set_new(o, "user_id", user_id && *user_id ? json_string(user_id) : json_null());
    json_object_set_new(o, "group", group && *group ? json_string(group) : json_null());
    json_object_set_new(o, "dataset", json_string(dataset));
    json_object_set_new(o, "access", json_string("read"));
    return o;
}

static void grant_detail(const struct grant_req *g, char *out, size_t size)
{
    if (g->user_id)
        snprintf(out, size, "user=%s", g->user_id);
    else
        snprintf(out, size, "group=%s", g->group);
}

static void post_permission(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    json_t *root = NULL, *user_v = NULL, *group_v = NULL;
    const char *dataset = NULL, *access = NULL;
    struct grant_req g;
    char detail[128];
    struct err err;
    if (!api_require_admin(req, app, &p) ||
        !api_body(req, &root, "{s?o, s?o, s:s, s?s}", "user_id", &user_v, "group", &group_v,
                  "dataset", &dataset, "access", &access))
        return;
    enum rc rc = grant_req_check(app, user_v, group_v, dataset, access, true, &g, &err);
    if (rc)
        goto out;
    grant_detail(&g, detail, sizeof(detail));
    struct audit_entry audit = api_audit_entry(req, &p, "grant.add", g.dataset, "ok", detail);
    rc = grants_add(app->core.store, g.user_id, g.user_id ? NULL : g.group_id, g.dataset,
                    p.user.email, &audit, &err);
    if (rc)
        goto out;
    http_respond_json(req, 201, grant_json(g.user_id, g.group, g.dataset));
out:
    if (rc)
        respond_rc(req, rc, &err);
    json_decref(root);
}

/* Whether the grant exists, so that a revocation of nothing leaves no audit record. */
static enum rc grant_exists(struct app *app, const struct grant_req *g, bool *out_exists,
                            struct err *err)
{
    struct grant *list = NULL;
    size_t len = 0;
    *out_exists = false;
    enum rc rc = grants_list(app->core.store, g->user_id, &list, &len, err);
    for (size_t i = 0; !rc && i < len && !*out_exists; i++) {
        const struct grant *x = &list[i];
        *out_exists = strcmp(x->dataset, g->dataset) == 0 &&
                      (g->user_id ? strcmp(x->user_id, g->user_id) == 0
                                  : strcmp(x->group_name, g->group) == 0);
    }
    free(list);
    return rc;
}

static void delete_permission(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    json_t *root = NULL, *user_v = NULL, *group_v = NULL;
    const char *dataset = NULL, *access = NULL;
    struct grant_req g;
    char detail[128];
    bool removed = false;
    struct err err;
    if (!api_require_admin(req, app, &p) ||
        !api_body(req, &root, "{s?o, s?o, s:s, s?s}", "user_id", &user_v, "group", &group_v,
                  "dataset", &dataset, "access", &access))
        return;
    /* a grant may outlive its table: revoking it must not need the table */
    enum rc rc = grant_req_check(app, user_v, group_v, dataset, access, false, &g, &err);
    if (!rc)
        rc = grant_exists(app, &g, &removed, &err);
    if (rc || !removed)
        goto out;
    grant_detail(&g, detail, sizeof(detail));
    struct audit_entry audit = api_audit_entry(req, &p, "grant.remove", g.dataset, "ok", detail);
    rc = grants_remove(app->core.store, g.user_id, g.user_id ? NULL : g.group_id, g.dataset, &audit,
                       &removed, &err);
out:
    if (rc)
        respond_rc(req, rc, &err);
    else
        http_respond_json(req, 200, json_pack("{s:b}", "revoked", removed));
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
    enum rc rc = grants_list(app->core.store, NULL, &list, &len, &err);
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
    struct user u;
    struct grant *list = NULL;
    size_t len = 0, groups_len = 0;
    char **groups = NULL;
    struct err err;
    if (!api_require_admin(req, app, &p))
        return;
    enum rc rc = users_get(app->core.store, http_req_param(req, "user_id"), &u, &err);
    if (rc == RC_NOTFOUND)
        rc = err_set(&err, RC_NOTFOUND, "User not found");
    if (!rc)
        rc = grants_list(app->core.store, u.id, &list, &len, &err);
    if (!rc)
        rc = groups_of_user(app->core.store, u.id, &groups, &groups_len, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        goto out;
    }
    json_t *names = json_array();
    for (size_t i = 0; i < groups_len; i++)
        json_array_append_new(names, json_string(groups[i]));
    http_respond_json(req, 200,
                      json_pack("{s:s, s:o, s:o}", "user_id", u.id, "permissions",
                                grants_json(list, len), "groups", names));
out:
    for (size_t i = 0; i < groups_len; i++)
        free(groups[i]);
    free(groups);
    free(list);
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
    enum rc rc = RC_OK;
    if (!api_require_admin(req, app, &p) || !api_body(req, &root, "{s:s}", "name", &name))
        return;
    if (!group_name_valid(name)) {
        rc = err_set(&err, RC_INVALID, "name: 1 to %d characters from [A-Za-z0-9_.-]",
                     GROUP_NAME_MAX);
        goto out;
    }
    api_new_id(id);
    struct audit_entry audit = api_audit_entry(req, &p, "group.create", name, "ok", NULL);
    rc = groups_create(app->core.store, id, name, &audit, &err);
    if (!rc)
        http_respond_json(req, 201, json_pack("{s:s, s:s}", "id", id, "name", name));
out:
    if (rc)
        respond_rc(req, rc, &err);
    json_decref(root);
}

/* The group of the path, by name: RC_NOTFOUND when there is none (or the name is impossible). */
static enum rc path_group(struct http_req *req, struct app *app, char out_id[USER_ID_LEN + 1],
                          struct err *err)
{
    const char *name = http_req_param(req, "name");
    if (!group_name_valid(name))
        return err_set(err, RC_NOTFOUND, "Group not found");
    return groups_find(app->core.store, name, out_id, err);
}

static void post_group_member(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    json_t *root = NULL;
    const char *user_id = NULL;
    const char *name = http_req_param(req, "name");
    char group_id[USER_ID_LEN + 1];
    struct user u;
    struct err err;
    if (!api_require_admin(req, app, &p) || !api_body(req, &root, "{s:s}", "user_id", &user_id))
        return;
    enum rc rc = path_group(req, app, group_id, &err);
    if (!rc) {
        rc = users_get(app->core.store, user_id, &u, &err);
        if (rc == RC_NOTFOUND)
            rc = err_set(&err, RC_NOTFOUND, "User not found");
    }
    if (rc)
        goto out;
    struct audit_entry audit = api_audit_entry(req, &p, "group.member.add", name, "ok", u.id);
    rc = groups_add_member(app->core.store, group_id, u.id, &audit, &err);
    if (!rc)
        http_respond_json(req, 200, json_pack("{s:s, s:s}", "group", name, "user_id", u.id));
out:
    if (rc)
        respond_rc(req, rc, &err);
    json_decref(root);
}

/* Whether user_id is in the group called name, so that removing a non-member is a 404 that
 * leaves no audit record. */
static enum rc is_member(struct app *app, const char *user_id, const char *name, bool *out_member,
                         struct err *err)
{
    char **groups = NULL;
    size_t len = 0;
    *out_member = false;
    enum rc rc = groups_of_user(app->core.store, user_id, &groups, &len, err);
    for (size_t i = 0; i < len; i++) {
        *out_member = *out_member || strcmp(groups[i], name) == 0;
        free(groups[i]);
    }
    free(groups);
    return rc;
}

static void delete_group_member(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    const char *name = http_req_param(req, "name");
    const char *user_id = http_req_param(req, "user_id");
    char group_id[USER_ID_LEN + 1];
    bool member = false;
    struct err err;
    if (!api_require_admin(req, app, &p))
        return;
    enum rc rc = path_group(req, app, group_id, &err);
    if (!rc)
        rc = is_member(app, user_id, name, &member, &err);
    if (!rc && !member)
        rc = err_set(&err, RC_NOTFOUND, "User is not a member of that group");
    if (!rc) {
        struct audit_entry audit =
            api_audit_entry(req, &p, "group.member.remove", name, "ok", user_id);
        rc = groups_remove_member(app->core.store, group_id, user_id, &audit, &err);
    }
    if (rc)
        respond_rc(req, rc, &err);
    else
        http_respond_json(req, 200, json_pack("{s:b}", "removed", true));
}

/* ------------------------------------------------------------------ access requests */

static json_t *nullable(const char *s)
{
    return s && *s ? json_string(s) : json_null();
}

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
    char id[USER_ID_LEN + 1];
    struct table_entry t;
    bool may_read = false;
    struct err err;
    enum rc rc = RC_OK;
    if (!api_require_user(req, app, &p) ||
        !api_body(req, &root, "{s:s, s?s}", "table_id", &table_id, "reason", &reason))
        return;
    if (!*table_id || strlen(table_id) > TABLE_ID_MAX) {
        rc = err_set(&err, RC_INVALID, "table_id: 1 to %d characters", TABLE_ID_MAX);
        goto out;
    }
    if (reason && strlen(reason) > REQUEST_REASON_MAX) {
        rc = err_set(&err, RC_INVALID, "reason: at most %d bytes", REQUEST_REASON_MAX);
        goto out;
    }
    rc = tables_get(app->core.store, table_id, &t, &err);
    if (rc == RC_NOTFOUND)
        rc = err_set(&err, RC_NOTFOUND, "Table '%s' not found", table_id);
    if (!rc)
        rc = api_user_may_read(app, &p.user, t.id, &may_read, &err);
    if (!rc && may_read)
        rc = err_set(&err, RC_CONFLICT, "You can already read this table");
    if (rc)
        goto out;
    api_new_id(id);
    struct audit_entry audit = api_audit_entry(req, &p, "access_request.create", t.id, "ok", id);
    rc = requests_create(app->core.store, id, p.user.id, t.id, reason ? reason : "", &audit, &err);
    if (!rc)
        http_respond_json(
            req, 201,
            json_pack("{s:s, s:s, s:s}", "id", id, "status", "pending", "table_id", t.id));
out:
    if (rc)
        respond_rc(req, rc, &err);
    json_decref(root);
}

static void my_access_requests(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct access_request *list = NULL;
    size_t len = 0;
    struct err err;
    if (!api_require_user(req, app, &p))
        return;
    enum rc rc = requests_list(app->core.store, p.user.id, &list, &len, &err);
    if (rc)
        http_respond_rc(req, rc, &err);
    else
        http_respond_json(req, 200, json_pack("{s:o}", "requests", requests_json(list, len)));
    free(list);
}

static void pending_access_requests(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct access_request *list = NULL;
    size_t len = 0;
    struct err err;
    if (!api_require_admin(req, app, &p))
        return;
    enum rc rc = requests_list(app->core.store, NULL, &list, &len, &err);
    if (rc)
        http_respond_rc(req, rc, &err);
    else
        http_respond_json(req, 200,
                          json_pack("{s:o, s:I}", "requests", requests_json(list, len), "count",
                                    (json_int_t)len));
    free(list);
}

/* What a pending request asks for, "table=<id> user=<email>", for the audit record; "" when
 * it is not pending (the decision then fails with 404 anyway). */
static enum rc request_detail(struct app *app, const char *id, char *out, size_t size,
                              struct err *err)
{
    struct access_request *list = NULL;
    size_t len = 0;
    out[0] = '\0';
    enum rc rc = requests_list(app->core.store, NULL, &list, &len, err);
    for (size_t i = 0; !rc && i < len; i++)
        if (strcmp(list[i].id, id) == 0)
            snprintf(out, size, "table=%s user=%s", list[i].table_id, list[i].user_email);
    free(list);
    return rc;
}

static void decide(struct http_req *req, struct app *app, bool approve)
{
    struct principal p;
    const char *id = http_req_param(req, "id");
    char detail[TABLE_ID_MAX + USER_EMAIL_MAX + 16];
    struct err err;
    if (!api_require_admin(req, app, &p))
        return;
    enum rc rc = request_detail(app, id, detail, sizeof(detail), &err);
    if (!rc) {
        const char *action = approve ? "access_request.approve" : "access_request.deny";
        struct audit_entry audit = api_audit_entry(req, &p, action, id, "ok", detail);
        rc = requests_decide(app->core.store, id, approve, p.user.email, &audit, &err);
    }
    if (rc)
        respond_rc(req, rc, &err);
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

/* A since/until bound as the store compares it: "YYYY-MM-DDTHH:MM:SS[.fff]" in UTC without a
 * zone letter, so that a bound is a prefix of the stored "...SS.mmmZ" of the same instant and
 * string order is time order. False when s is not an ISO time. */
static bool audit_bound(const char *s, char out[ISOTIME_SIZE])
{
    time_t t;
    if (!isotime_parse(s, &t))
        return false;
    char whole[ISOTIME_SIZE];
    isotime_format(t, whole);
    const char *frac = strchr(s, '.');
    size_t digits = frac ? strspn(frac + 1, "0123456789") : 0;
    if (digits > 9)
        digits = 9;
    snprintf(out, ISOTIME_SIZE, "%.19s%s%.*s", whole, digits ? "." : "", (int)digits,
             digits ? frac + 1 : "");
    return true;
}

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

/* Reads the query of GET /api/admin/audit into f (borrowing from req and the bound buffers). */
static enum rc audit_filter_read(const struct http_req *req, struct audit_filter *f,
                                 char since[ISOTIME_SIZE], char until[ISOTIME_SIZE],
                                 struct err *err)
{
    const char *limit = http_req_query(req, "limit");
    const char *offset = http_req_query(req, "offset");
    const char *s = http_req_query(req, "since");
    const char *u = http_req_query(req, "until");
    const char *action = http_req_query(req, "action");
    const char *actor_id = http_req_query(req, "actor_id");
    *f = (struct audit_filter){ .action = action && *action ? action : NULL,
                                .actor_id = actor_id && *actor_id ? actor_id : NULL,
                                .limit = AUDIT_LIMIT_DEFAULT };
    if (limit && !parse_i64(limit, 1, AUDIT_LIMIT_MAX, &f->limit))
        return err_set(err, RC_INVALID, "limit: an integer from 1 to %d", AUDIT_LIMIT_MAX);
    if (offset && !parse_i64(offset, 0, AUDIT_OFFSET_MAX, &f->offset))
        return err_set(err, RC_INVALID, "offset: an integer from 0 to %d", AUDIT_OFFSET_MAX);
    if (s && !audit_bound(s, since))
        return err_set(err, RC_INVALID, "since: an ISO-8601 UTC time (YYYY-MM-DDTHH:MM:SSZ)");
    if (u && !audit_bound(u, until))
        return err_set(err, RC_INVALID, "until: an ISO-8601 UTC time (YYYY-MM-DDTHH:MM:SSZ)");
    f->since = s ? since : NULL;
    f->until = u ? until : NULL;
    return RC_OK;
}

static void get_audit(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct audit_filter f;
    char since[ISOTIME_SIZE], until[ISOTIME_SIZE];
    struct audit_row *rows = NULL;
    size_t len = 0;
    int64_t total = 0;
    struct err err;
    if (!api_require_admin(req, app, &p))
        return;
    enum rc rc = audit_filter_read(req, &f, since, until, &err);
    if (!rc)
        rc = audit_list(app->core.store, &f, &rows, &len, &total, &err);
    if (rc)
        goto out;
    json_t *entries = json_array();
    for (size_t i = 0; i < len; i++)
        json_array_append_new(entries, audit_row_json(&rows[i]));
    http_respond_json(req, 200,
                      json_pack("{s:o, s:I, s:I, s:I}", "entries", entries, "total",
                                (json_int_t)total, "limit", (json_int_t)f.limit, "offset",
                                (json_int_t)f.offset));
out:
    if (rc)
        respond_rc(req, rc, &err);
    free(rows);
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
