/* packages.c — named bundles of tables and buckets that users subscribe to in one step
 * (core/sync_selection.h):
 *   GET    /api/packages                     every package as the caller sees it
 *   GET    /api/packages/{name}              one (404 "Package not found")
 *   POST   /api/packages                     admin: create (201)
 *   PUT    /api/packages/{name}              admin: replace the fields given
 *   DELETE /api/packages/{name}              admin: delete, with its subscriptions (204)
 *   POST   /api/packages/{name}/subscribe    subscribe the caller
 *   DELETE /api/packages/{name}/subscribe    unsubscribe the caller
 * A package is shown with the tables the caller may read of it; only an admin sees its
 * definition (which may name private tables and buckets) and its subscriber count. */
#include <stdlib.h>
#include <string.h>

#include "api/authn.h"
#include "api/request.h"
#include "base/mem.h"
#include "core/sync_selection.h"

#define NAMES_MAX 1000 /* entries of a tables or buckets list in a body */

static json_t *names_json(char *const *names, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(names[i]));
    return a;
}

static json_t *package_json(const struct core_package_view *v, bool admin)
{
    json_t *o =
        json_pack("{s:s, s:s, s:b, s:o, s:I}", "name", v->def.name, "description",
                  v->def.description, "subscribed", v->subscribed, "tables",
                  names_json(v->tables, v->n_tables), "size_bytes", (json_int_t)v->size_bytes);
    if (admin) {
        json_object_set_new(o, "definition",
                            json_pack("{s:o, s:o}", "tables",
                                      names_json(v->def.tables, v->def.n_tables), "buckets",
                                      names_json(v->def.buckets, v->def.n_buckets)));
        json_object_set_new(o, "subscribers", json_integer(v->def.subscribers));
        json_object_set_new(o, "created_by",
                            v->def.created_by[0] ? json_string(v->def.created_by) : json_null());
        json_object_set_new(o, "created_at", json_string(v->def.created_at));
        json_object_set_new(o, "updated_at", json_string(v->def.updated_at));
    }
    return o;
}

static bool is_admin(const struct principal *p)
{
    return strcmp(p->user.role, "admin") == 0;
}

/* Answers with one package (name) or all (NULL) as p sees them, with status. */
static void respond_packages(struct http_req *req, struct app *app, const struct principal *p,
                             const char *name, int status)
{
    struct err err = { { 0 } };
    struct sync_tables tables;
    struct core_package_view *v = NULL;
    size_t n = 0;
    enum rc rc = core_sync_tables(&app->core, &p->user, &tables, &err);
    if (!rc)
        rc = core_packages_view(&app->core, &p->user, &tables, name, &v, &n, &err);
    core_sync_tables_free(&tables);
    if (rc) {
        http_respond_rc(req, rc, &err);
        return;
    }
    json_t *body;
    if (name) {
        body = package_json(&v[0], is_admin(p));
    } else {
        json_t *list = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(list, package_json(&v[i], is_admin(p)));
        body = json_pack("{s:o}", "packages", list);
    }
    core_package_views_free(v, n);
    http_respond_json(req, status, body);
}

static void list_packages(struct http_req *req, void *appv)
{
    struct principal p;
    if (api_require_user(req, appv, &p))
        respond_packages(req, appv, &p, NULL, 200);
}

static void get_package(struct http_req *req, void *appv)
{
    struct principal p;
    if (api_require_user(req, appv, &p))
        respond_packages(req, appv, &p, http_req_param(req, "name"), 200);
}

/* Reads an array of non-empty strings into a heap list; false after a 400. */
static bool read_names(struct http_req *req, json_t *a, const char *field, char ***out,
                       size_t *out_n)
{
    if (!json_is_array(a) || json_array_size(a) > NAMES_MAX) {
        http_respond_error(req, 400, "%s must be a list of at most %d names", field, NAMES_MAX);
        return false;
    }
    size_t n = json_array_size(a);
    char **names = xcalloc(n + 1, sizeof(char *));
    for (size_t i = 0; i < n; i++) {
        json_t *s = json_array_get(a, i);
        if (!json_is_string(s) || json_string_length(s) == 0 ||
            json_string_length(s) > SYNCSEL_NAME_MAX ||
            strlen(json_string_value(s)) != json_string_length(s)) {
            for (size_t k = 0; k < i; k++)
                free(names[k]);
            free(names);
            http_respond_error(req, 400, "%s[%zu] must be a name of 1 to %d bytes", field, i,
                               SYNCSEL_NAME_MAX);
            return false;
        }
        names[i] = xstrdup(json_string_value(s));
    }
    *out = names;
    *out_n = n;
    return true;
}

/* Fills p from a create (name required) or update body; *out_change gets which fields were
 * given. False after a 400 (p's lists are then freed). */
static bool read_package(struct http_req *req, json_t *root, bool create, struct package *p,
                         struct package_change *out_change)
{
    const char *key;
    json_t *val;
    memset(out_change, 0, sizeof(*out_change));
    json_object_foreach(root, key, val)
    {
        bool ok = true;
        if (strcmp(key, "name") == 0 && create) {
            ok = json_is_string(val) && json_string_length(val) <= PACKAGE_NAME_MAX;
            if (ok)
                snprintf(p->name, sizeof(p->name), "%s", json_string_value(val));
        } else if (strcmp(key, "description") == 0) {
            ok = json_is_string(val) && json_string_length(val) < PACKAGE_DESC_MAX;
            if (ok)
                snprintf(p->description, sizeof(p->description), "%s", json_string_value(val));
            out_change->set_description = ok;
        } else if (strcmp(key, "tables") == 0) {
            if (!read_names(req, val, "tables", &p->tables, &p->n_tables)) {
                package_cleanup(p);
                return false;
            }
            out_change->set_tables = true;
        } else if (strcmp(key, "buckets") == 0) {
            if (!read_names(req, val, "buckets", &p->buckets, &p->n_buckets)) {
                package_cleanup(p);
                return false;
            }
            out_change->set_buckets = true;
        } else {
            package_cleanup(p);
            http_respond_error(req, 400, "unknown field '%.64s'", key);
            return false;
        }
        if (!ok) {
            package_cleanup(p);
            http_respond_error(req, 400, "%s must be a string of at most %d bytes", key,
                               strcmp(key, "name") == 0 ? PACKAGE_NAME_MAX : PACKAGE_DESC_MAX - 1);
            return false;
        }
    }
    if (create && !json_object_get(root, "name")) {
        package_cleanup(p);
        http_respond_error(req, 400, "name is required");
        return false;
    }
    out_change->v = p;
    return true;
}

/* The body as an object; false after answering. */
static bool body_object(struct http_req *req, json_t **out_root)
{
    json_t *any = NULL;
    if (!api_body(req, out_root, "o", &any))
        return false;
    if (!json_is_object(*out_root)) {
        json_decref(*out_root);
        http_respond_error(req, 400, "the body must be a JSON object");
        return false;
    }
    return true;
}

static void create_package(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    json_t *root = NULL;
    struct package pkg = { 0 };
    struct package_change c;
    struct err err = { { 0 } };
    if (!api_require_admin(req, app, &p) || !body_object(req, &root))
        return;
    if (!read_package(req, root, true, &pkg, &c)) {
        json_decref(root);
        return;
    }
    json_decref(root);
    enum rc rc = core_package_create(&app->core, &p, http_req_client_ip(req), &pkg, &err);
    package_cleanup(&pkg);
    if (rc)
        http_respond_rc(req, rc, &err);
    else
        respond_packages(req, app, &p, pkg.name, 201);
}

static void update_package(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    json_t *root = NULL;
    struct package pkg = { 0 };
    struct package_change c;
    struct err err = { { 0 } };
    const char *name = http_req_param(req, "name");
    if (!api_require_admin(req, app, &p) || !body_object(req, &root))
        return;
    if (!read_package(req, root, false, &pkg, &c)) {
        json_decref(root);
        return;
    }
    json_decref(root);
    enum rc rc = core_package_update(&app->core, &p, http_req_client_ip(req), name, &c, &err);
    package_cleanup(&pkg);
    if (rc)
        http_respond_rc(req, rc, &err);
    else
        respond_packages(req, app, &p, name, 200);
}

static void delete_package(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct err err = { { 0 } };
    if (!api_require_admin(req, app, &p))
        return;
    enum rc rc = core_package_delete(&app->core, &p, http_req_client_ip(req),
                                     http_req_param(req, "name"), &err);
    if (rc)
        http_respond_rc(req, rc, &err);
    else
        http_respond_empty(req, 204);
}

/* POST and DELETE /api/packages/{name}/subscribe: the answer lists the caller's readable
 * tables of the package with their states afterwards. */
static void subscribe(struct http_req *req, struct app *app, bool on)
{
    struct principal p;
    struct err err = { { 0 } };
    const char *name = http_req_param(req, "name");
    if (!api_require_user(req, app, &p))
        return;
    struct sync_tables tables = { 0 };
    struct core_package_view *pv = NULL;
    size_t n_pv = 0;
    struct core_sync_view v = { 0 };
    enum rc rc = core_package_subscribe(&app->core, &p, http_req_client_ip(req), name, on, &err);
    if (!rc)
        rc = core_sync_tables(&app->core, &p.user, &tables, &err);
    if (!rc)
        rc = core_packages_view(&app->core, &p.user, &tables, name, &pv, &n_pv, &err);
    if (!rc)
        rc = core_sync_resolve(&app->core, &p.user, &tables, &v, &err);
    if (rc) {
        core_package_views_free(pv, n_pv);
        core_sync_tables_free(&tables);
        http_respond_rc(req, rc, &err);
        return;
    }
    json_t *states = json_array();
    for (size_t i = 0; i < v.n; i++) {
        const struct sync_state *s = &v.states[i];
        bool covered = false;
        for (size_t k = 0; !covered && k < pv[0].n_tables; k++)
            covered = strcmp(pv[0].tables[k], s->t->id) == 0;
        if (!covered)
            continue;
        json_t *o = json_pack("{s:s, s:b, s:s}", "table", s->t->id, "enabled", s->enabled,
                              "enabled_by", sync_by_name(s->by));
        if (s->by == SYNC_BY_PACKAGE)
            json_object_set_new(o, "package", json_string(s->package));
        json_array_append_new(states, o);
    }
    json_t *body =
        json_pack("{s:s, s:b, s:o}", "package", pv[0].def.name, "subscribed", on, "tables", states);
    core_sync_view_cleanup(&v);
    core_package_views_free(pv, n_pv);
    core_sync_tables_free(&tables);
    http_respond_json(req, 200, body);
}

static void post_subscribe(struct http_req *req, void *appv)
{
    subscribe(req, appv, true);
}

static void delete_subscribe(struct http_req *req, void *appv)
{
    subscribe(req, appv, false);
}

static const struct http_route routes[] = {
    { "GET", "/api/packages", list_packages },
    { "POST", "/api/packages", create_package },
    { "GET", "/api/packages/{name}", get_package },
    { "PUT", "/api/packages/{name}", update_package },
    { "DELETE", "/api/packages/{name}", delete_package },
    { "POST", "/api/packages/{name}/subscribe", post_subscribe },
    { "DELETE", "/api/packages/{name}/subscribe", delete_subscribe },
};

const struct http_route *api_packages_routes(size_t *out_len)
{
    *out_len = ARRAY_LEN(routes);
    return routes;
}
