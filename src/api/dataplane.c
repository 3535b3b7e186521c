/* dataplane.c — the HTTP side of the data plane:
 *   POST /api/admin/rebuild {"source": NAME}     rebuild the catalog now (admin; no body or no
 *                                                source: every source), answering what it did
 *   GET  /api/admin/catalog                      the current generation: every table with its
 *                                                status and the reason when not served (admin)
 *   GET  /api/catalog/profile/{table}            a table's profile, to callers who may read it
 *   POST /api/catalog/profile/{table}/refresh    profile it again now (admin)
 * A profile holds aggregates only (no sample rows), and a caller who may not read a table
 * gets the same 404 as for a table that does not exist, so profiles reveal nothing. */
#include "data/dataplane.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/authn.h"
#include "api/request.h"
#include "base/ident.h"
#include "base/mem.h"
#include "core/data_state.h"

static json_t *strings_json(char *const *items, size_t n)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, json_string(items[i]));
    return arr;
}

static void post_rebuild(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    json_t *root = NULL;
    const char *source = NULL;
    struct err err = { { 0 } };
    if (!api_require_admin(req, app, &p))
        return;
    if (http_req_body(req).len > 0 && !api_body(req, &root, "{s?s}", "source", &source))
        return;
    if (source && !ident_valid(source)) {
        http_respond_error(req, 422,
                           "source must be a safe identifier"
                           " ([A-Za-z_][A-Za-z0-9_]{0,63})");
        goto out;
    }
    struct catalog_rebuild_stats stats;
    enum rc rc = dataplane_rebuild(app->core.dataplane, source, &stats, &err);
    api_audit(app, req, &p, "catalog.rebuild", source ? source : "*", rc ? "error" : "ok",
              rc ? err.msg : NULL);
    if (rc) {
        http_respond_rc(req, rc, &err);
        goto out;
    }
    http_respond_json(req, 200,
                      json_pack("{s:I, s:s?, s:i, s:i, s:i, s:i, s:i, s:f, s:o}", "generation",
                                (json_int_t)stats.generation, "source", source, "sources",
                                stats.sources, "sources_checked", stats.sources_checked, "tables",
                                stats.tables_ok, "tables_unavailable", stats.tables_unavailable,
                                "tables_error", stats.tables_error, "duration_ms",
                                (double)stats.duration_us / 1000.0, "problems",
                                strings_json(stats.problems, stats.n_problems)));
    catalog_rebuild_stats_cleanup(&stats);
out:
    json_decref(root);
}

static void get_catalog_state(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    if (!api_require_admin(req, app, &p))
        return;
    struct catalog *c = dataplane_catalog(app->core.dataplane);
    struct catalog_gen *g = catalog_acquire(c);
    json_t *tables = json_array();
    for (size_t i = 0; i < g->n_tables; i++) {
        const struct catalog_table *t = &g->tables[i];
        json_array_append_new(
            tables,
            json_pack("{s:s, s:s, s:s, s:s, s:s?, s:I, s:I, s:s?, s:i}", "id", t->id, "source",
                      t->source, "query_mode", t->remote ? "remote" : "local", "status",
                      catalog_status_str(t->status), "reason", t->reason, "rows",
                      (json_int_t)t->rows, "size_bytes", (json_int_t)t->size_bytes, "extracted_at",
                      t->extracted_at[0] ? t->extracted_at : NULL, "files", (int)t->n_files));
    }
    json_t *body =
        json_pack("{s:I, s:s, s:o, s:o, s:o}", "generation", (json_int_t)g->number, "built_at",
                  g->built_at, "sources", strings_json(g->sources, g->n_sources), "tables", tables,
                  "problems", strings_json(g->problems, g->n_problems));
    catalog_release(c, g);
    http_respond_json(req, 200, body);
}

static void get_profile(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    const char *id = http_req_param(req, "table");
    struct core_profile prof;
    struct err err;
    if (!api_require_user(req, app, &p))
        return;
    enum rc rc = core_table_profile(&app->core, &p.user, id, &prof, &err);
    if (rc == RC_NOTFOUND) {
        http_respond_error(req, 404, "Table not found");
        return;
    }
    if (rc) {
        http_respond_rc(req, rc, &err);
        return;
    }
    if (!prof.json) {
        http_respond_error(req, 404, "Table %s has no profile yet", id);
        return;
    }
    json_t *profile = json_loads(prof.json, 0, NULL);
    free(prof.json);
    if (!json_is_object(profile)) {
        json_decref(profile);
        http_respond_error(req, 500, "stored profile of %s is not valid JSON", id);
        return;
    }
    json_object_set_new(profile, "table_id", json_string(id));
    json_object_set_new(profile, "extracted_at",
                        prof.extracted_at[0] ? json_string(prof.extracted_at) : json_null());
    json_object_set_new(profile, "profiled_at", json_string(prof.profiled_at));
    http_respond_json(req, 200, profile);
}

static void refresh_profile(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    const char *id = http_req_param(req, "table");
    struct err err;
    if (!api_require_admin(req, app, &p))
        return;
    if (!ident_is_table_id(id) || dataplane_profile(app->core.dataplane, id, &err) != RC_OK) {
        http_respond_error(req, 404, "No local table %s is served", id);
        return;
    }
    api_audit(app, req, &p, "profile.refresh", id, "ok", NULL);
    http_respond_json(req, 202, json_pack("{s:s, s:s}", "table_id", id, "status", "queued"));
}

static const struct http_route routes[] = {
    { "POST", "/api/admin/rebuild", post_rebuild },
    { "GET", "/api/admin/catalog", get_catalog_state },
    { "GET", "/api/catalog/profile/{table}", get_profile },
    { "POST", "/api/catalog/profile/{table}/refresh", refresh_profile },
};

const struct http_route *api_dataplane_routes(size_t *out_len)
{
    *out_len = ARRAY_LEN(routes);
    return routes;
}
