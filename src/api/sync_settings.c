/* sync_settings.c — the caller's sync selection (core/sync_selection.h), in da's spelling and
 * the original's:
 *   GET  /api/settings                      every readable local table with its state, the
 *                                           caller's switches, packages and permissions
 *   PUT  /api/settings/dataset              switch one table or bucket
 *   GET  /api/sync/settings                 the original: switches and enabled tables
 *   POST /api/sync/settings                 the original: {datasets: {name: bool}}
 *   GET  /api/sync/table-subscriptions      the original: table_mode and table switches
 *   POST /api/sync/table-subscriptions      the original: {table_mode, tables: {name: bool}}
 * A name the caller may not read is refused the same way whether it exists or not. Bodies are
 * checked here by hand rather than by api_body's format, because a malformed one is a 400
 * (the original's answer), not api_body's 422. */
#include <stdlib.h>
#include <string.h>

#include "api/authn.h"
#include "api/request.h"
#include "base/mem.h"
#include "core/sync_selection.h"

#define BATCH_MAX 1000 /* names in one batch body */

/* {table, enabled, enabled_by[, package]} */
static json_t *state_json(const struct sync_state *s)
{
    json_t *o = json_pack("{s:s, s:b, s:s}", "table", s->t->id, "enabled", s->enabled, "enabled_by",
                          sync_by_name(s->by));
    if (s->by == SYNC_BY_PACKAGE)
        json_object_set_new(o, "package", json_string(s->package));
    return o;
}

/* The caller's readable tables and their states; false after answering. */
static bool load_view(struct http_req *req, struct app *app, const struct principal *p,
                      struct sync_tables *tables, struct core_sync_view *view)
{
    struct err err = { { 0 } };
    enum rc rc = core_sync_tables(&app->core, &p->user, tables, &err);
    if (!rc)
        rc = core_sync_resolve(&app->core, &p->user, tables, view, &err);
    if (rc) {
        core_sync_tables_free(tables);
        http_respond_rc(req, rc, &err);
        return false;
    }
    return true;
}

/* The caller's own switches (kind "table" only when tables_only), in the original's row
 * shape when original, else {kind, dataset, enabled, updated_at}. */
static json_t *switches_json(const struct principal *p, const struct core_sync_view *v,
                             bool original, bool tables_only)
{
    json_t *a = json_array();
    for (size_t i = 0; i < v->sel.n_switches; i++) {
        const struct syncsel_switch *w = &v->sel.switches[i];
        if (w->is_default || (tables_only && strcmp(w->kind, "table") != 0))
            continue;
        if (original)
            json_array_append_new(a,
                                  json_pack("{s:s, s:s, s:b, s:s, s:n, s:s}", "user_id", p->user.id,
                                            "dataset", w->name, "enabled", w->enabled, "table_mode",
                                            v->sel.explicit_mode ? "explicit" : "all", "tables",
                                            "updated_at", w->updated_at));
        else
            json_array_append_new(a, json_pack("{s:s, s:s, s:b, s:s}", "kind", w->kind, "dataset",
                                               w->name, "enabled", w->enabled, "updated_at",
                                               w->updated_at));
    }
    return a;
}

/* GET /api/settings */
static void get_settings(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct sync_tables tables;
    struct core_sync_view v;
    if (!api_require_user(req, app, &p) || !load_view(req, app, &p, &tables, &v))
        return;
    json_t *settings = json_array(), *permissions = json_array(), *packages = json_array();
    for (size_t i = 0; i < v.n; i++) {
        const struct sync_state *s = &v.states[i];
        json_t *o = state_json(s);
        json_object_set_new(o, "dataset", json_string(s->t->id));
        json_object_set_new(o, "bucket", s->t->bucket[0] ? json_string(s->t->bucket) : json_null());
        json_object_set_new(o, "size_bytes", json_integer(s->t->size_bytes));
        json_object_set_new(o, "rows", json_integer(s->t->rows));
        json_array_append_new(settings, o);
        json_array_append_new(permissions, json_pack("{s:s, s:s, s:s}", "user_id", p.user.id,
                                                     "dataset", s->t->id, "access", "read"));
    }
    for (size_t i = 0; i < v.sel.n_subscribed; i++)
        json_array_append_new(packages, json_string(v.sel.subscribed[i]));
    json_t *body = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "user_id", p.user.id, "table_mode",
                             v.sel.explicit_mode ? "explicit" : "all", "sync_settings", settings,
                             "choices", switches_json(&p, &v, false, false), "packages", packages,
                             "permissions", permissions);
    core_sync_view_cleanup(&v);
    core_sync_tables_free(&tables);
    http_respond_json(req, 200, body);
}

/* The request body as an object; false after a 400 (or api_body's 415). The caller
 * json_decrefs *out_root. */
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

/* Refuses (400) any key of o not in the NULL-terminated list allowed. */
static bool only_keys(struct http_req *req, json_t *o, const char *const *allowed)
{
    const char *key;
    json_t *val;
    json_object_foreach(o, key, val)
    {
        bool known = false;
        for (size_t i = 0; !known && allowed[i]; i++)
            known = strcmp(key, allowed[i]) == 0;
        if (!known) {
            http_respond_error(req, 400, "unknown field '%.64s'", key);
            return false;
        }
    }
    return true;
}

/* PUT /api/settings/dataset {dataset|bucket, enabled} */
static void put_dataset(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    json_t *root = NULL;
    struct err err = { { 0 } };
    if (!api_require_user(req, app, &p) || !body_object(req, &root))
        return;
    static const char *const keys[] = { "dataset", "bucket", "enabled", NULL };
    json_t *dataset = json_object_get(root, "dataset"), *bucket = json_object_get(root, "bucket");
    json_t *enabled = json_object_get(root, "enabled");
    json_t *name = dataset ? dataset : bucket;
    if (!only_keys(req, root, keys)) {
        json_decref(root);
        return;
    }
    if ((dataset && bucket) || !json_is_string(name) || json_string_length(name) == 0 ||
        !json_is_boolean(enabled)) {
        json_decref(root);
        http_respond_error(req, 400,
                           "the body must be {\"dataset\": \"<table or bucket>\", \"enabled\":"
                           " true|false} or {\"bucket\": \"<bucket>\", \"enabled\": true|false}");
        return;
    }
    struct sync_tables tables;
    struct core_sync_view v;
    bool is_bucket = false;
    enum rc rc = core_sync_tables(&app->core, &p.user, &tables, &err);
    if (!rc)
        rc = core_sync_switch(&app->core, &p, http_req_client_ip(req), &tables,
                              json_string_value(name), bucket != NULL, json_is_true(enabled),
                              &is_bucket, &v, &err);
    if (rc) {
        core_sync_tables_free(&tables);
        json_decref(root);
        http_respond_rc(req, rc, &err);
        return;
    }
    const char *n = json_string_value(name);
    json_t *affected = json_array();
    for (size_t i = 0; i < v.n; i++)
        if (is_bucket ? strcmp(v.states[i].t->bucket, n) == 0 : strcmp(v.states[i].t->id, n) == 0)
            json_array_append_new(affected, state_json(&v.states[i]));
    json_t *body =
        json_pack("{s:s, s:s, s:b, s:o}", "dataset", n, "kind", is_bucket ? "bucket" : "table",
                  "enabled", json_is_true(enabled), "tables", affected);
    core_sync_view_cleanup(&v);
    core_sync_tables_free(&tables);
    json_decref(root);
    http_respond_json(req, 200, body);
}

/* GET /api/sync/settings (the original's spelling) */
static void get_sync_settings(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct sync_tables tables;
    struct core_sync_view v;
    if (!api_require_user(req, app, &p) || !load_view(req, app, &p, &tables, &v))
        return;
    json_t *enabled = json_array();
    for (size_t i = 0; i < v.n; i++)
        if (v.states[i].enabled)
            json_array_append_new(enabled, json_string(v.states[i].t->id));
    json_t *body = json_pack("{s:s, s:o, s:o}", "user_id", p.user.id, "settings",
                             switches_json(&p, &v, true, false), "enabled_datasets", enabled);
    core_sync_view_cleanup(&v);
    core_sync_tables_free(&tables);
    http_respond_json(req, 200, body);
}

/* GET /api/sync/table-subscriptions (the original's spelling) */
static void get_table_subscriptions(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct sync_tables tables;
    struct core_sync_view v;
    if (!api_require_user(req, app, &p) || !load_view(req, app, &p, &tables, &v))
        return;
    json_t *body = json_pack("{s:s, s:s, s:o}", "user_id", p.user.id, "table_mode",
                             v.sel.explicit_mode ? "explicit" : "all", "subscriptions",
                             switches_json(&p, &v, true, true));
    core_sync_view_cleanup(&v);
    core_sync_tables_free(&tables);
    http_respond_json(req, 200, body);
}

/* Reads a {name: bool} object (NULL: empty) into items (borrowing the names from it); false
 * after a 400. The caller frees *out_items. */
static bool read_batch(struct http_req *req, json_t *map, const char *field,
                       struct sync_batch_item **out_items, size_t *out_n)
{
    *out_items = NULL;
    *out_n = 0;
    if (!map)
        return true;
    if (!json_is_object(map) || json_object_size(map) > BATCH_MAX) {
        http_respond_error(req, 400,
                           "%s must be an object of at most %d names: {\"<name>\": "
                           "true|false}",
                           field, BATCH_MAX);
        return false;
    }
    struct sync_batch_item *items = xcalloc(json_object_size(map) + 1, sizeof(*items));
    size_t n = 0;
    const char *key;
    json_t *val;
    json_object_foreach(map, key, val)
    {
        if (!json_is_boolean(val)) {
            free(items);
            http_respond_error(req, 400, "%s.%.64s must be true or false", field, key);
            return false;
        }
        items[n++] = (struct sync_batch_item){ key, json_is_true(val), false };
    }
    *out_items = items;
    *out_n = n;
    return true;
}

/* The two original batch forms: POST /api/sync/settings (tables_only false) and POST
 * /api/sync/table-subscriptions (true). */
static void post_batch(struct http_req *req, struct app *app, bool table_subscriptions)
{
    struct principal p;
    json_t *root = NULL;
    struct err err = { { 0 } };
    if (!api_require_user(req, app, &p) || !body_object(req, &root))
        return;
    static const char *const settings_keys[] = { "datasets", NULL };
    static const char *const subs_keys[] = { "table_mode", "tables", NULL };
    json_t *map = json_object_get(root, table_subscriptions ? "tables" : "datasets");
    json_t *mode = json_object_get(root, "table_mode");
    const char *field = table_subscriptions ? "tables" : "datasets";
    struct sync_batch_item *items = NULL;
    size_t n = 0;
    if (!only_keys(req, root, table_subscriptions ? subs_keys : settings_keys)) {
        json_decref(root);
        return;
    }
    if (!table_subscriptions && !map) {
        json_decref(root);
        http_respond_error(req, 400, "datasets is required: {\"datasets\": {\"<name>\": true}}");
        return;
    }
    if (mode && (!json_is_string(mode) || (strcmp(json_string_value(mode), "all") != 0 &&
                                           strcmp(json_string_value(mode), "explicit") != 0))) {
        json_decref(root);
        http_respond_error(req, 400, "table_mode must be \"all\" or \"explicit\"");
        return;
    }
    if (!read_batch(req, map, field, &items, &n)) {
        json_decref(root);
        return;
    }
    /* the original stores table_mode on every call of this route, "all" when not given */
    const char *table_mode = table_subscriptions ? (mode ? json_string_value(mode) : "all") : NULL;
    struct sync_tables tables;
    size_t stored = 0;
    enum rc rc = core_sync_tables(&app->core, &p.user, &tables, &err);
    if (!rc)
        rc = core_sync_batch(&app->core, &p, http_req_client_ip(req), &tables, table_mode,
                             table_subscriptions, items, n, &stored, &err);
    core_sync_tables_free(&tables);
    if (rc) {
        free(items);
        json_decref(root);
        http_respond_rc(req, rc, &err);
        return;
    }
    json_t *body;
    if (table_subscriptions) {
        json_t *errors = json_object();
        for (size_t i = 0; i < n; i++)
            if (items[i].refused)
                json_object_set_new(errors, items[i].name, json_string("no permission"));
        body = json_pack("{s:s, s:I, s:o}", "table_mode", table_mode, "updated", (json_int_t)stored,
                         "errors", errors);
    } else {
        json_t *updated = json_object();
        for (size_t i = 0; i < n; i++)
            json_object_set_new(updated, items[i].name,
                                items[i].refused ? json_pack("{s:s}", "error", "no permission")
                                                 : json_pack("{s:b}", "enabled", items[i].enabled));
        body = json_pack("{s:o}", "updated", updated);
    }
    free(items);
    json_decref(root);
    http_respond_json(req, 200, body);
}

static void post_sync_settings(struct http_req *req, void *appv)
{
    post_batch(req, appv, false);
}

static void post_table_subscriptions(struct http_req *req, void *appv)
{
    post_batch(req, appv, true);
}

static const struct http_route routes[] = {
    { "GET", "/api/settings", get_settings },
    { "PUT", "/api/settings/dataset", put_dataset },
    { "GET", "/api/sync/settings", get_sync_settings },
    { "POST", "/api/sync/settings", post_sync_settings },
    { "GET", "/api/sync/table-subscriptions", get_table_subscriptions },
    { "POST", "/api/sync/table-subscriptions", post_table_subscriptions },
};

const struct http_route *api_sync_settings_routes(size_t *out_len)
{
    *out_len = ARRAY_LEN(routes);
    return routes;
}
