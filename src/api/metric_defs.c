/* metric_defs.c — the company's business metric definitions (core/metric_defs.h), for any
 * signed-in user:
 *   GET /api/catalog/metrics                     {metrics: [{area, name, path, title?,
 *                                                description?}], count}, sorted by path
 *   GET /api/catalog/metrics/{area}/{name}.yml   the definition parsed to JSON; with
 *                                                ?format=yaml the file itself, byte for byte
 *                                                (what `da sync` copies into the sync folder)
 * A path that breaks the rule answers 400 naming it, a missing file 404. The one-segment route
 * exists so that a path without its area (or with an encoded slash) gets that 400 (or its
 * file, when the decoded path is valid) rather than the router's bare 404. */
#include "core/metric_defs.h"

#include <stdio.h>
#include <string.h>

#include "api/api.h"
#include "api/authn.h"
#include "base/mem.h"

static void list_defs(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    if (!api_require_user(req, app, &p))
        return;
    struct metric_def_entry *defs = NULL;
    size_t len = 0;
    struct err err = { { 0 } };
    enum rc rc = core_metric_defs_list(&app->core, &defs, &len, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < len; i++) {
        const struct metric_def_entry *e = &defs[i];
        json_t *o = json_pack("{s:s, s:s, s:s}", "area", e->area, "name", e->name, "path", e->path);
        /* json_string is NULL for text that is not UTF-8; set_new then drops it */
        if (e->title)
            json_object_set_new(o, "title", json_string(e->title));
        if (e->description)
            json_object_set_new(o, "description", json_string(e->description));
        json_array_append_new(arr, o);
    }
    metric_def_entries_free(defs, len);
    http_respond_json(req, 200, json_pack("{s:o, s:I}", "metrics", arr, "count", (json_int_t)len));
}

static void get_def(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    if (!api_require_user(req, app, &p))
        return;
    const char *area = http_req_param(req, "area");
    const char *file = http_req_param(req, "file");
    char path[METRIC_PATH_MAX + 2];
    int n = area ? snprintf(path, sizeof(path), "%s/%s", area, file)
                 : snprintf(path, sizeof(path), "%s", http_req_param(req, "path"));
    if (n < 0 || (size_t)n >= sizeof(path) || !metric_path_valid(path)) {
        http_respond_error(req, 400, "invalid metric path: it must be %s", METRIC_PATH_RULE);
        return;
    }
    const char *format = http_req_query(req, "format");
    if (format && strcmp(format, "yaml") != 0 && strcmp(format, "json") != 0) {
        http_respond_error(req, 400, "format must be json (the default) or yaml");
        return;
    }
    struct err err = { { 0 } };
    if (format && strcmp(format, "yaml") == 0) {
        char *data = NULL;
        size_t len = 0;
        enum rc rc = core_metric_def_read(&app->core, path, &data, &len, &err);
        if (rc) {
            http_respond_rc(req, rc, &err);
            return;
        }
        http_respond_owned(req, 200, "application/yaml; charset=utf-8", data, len);
        return;
    }
    json_t *def = NULL;
    enum rc rc = core_metric_def_load(&app->core, path, &def, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        return;
    }
    http_respond_json(req, 200, def);
}

static const struct http_route routes[] = {
    { "GET", "/api/catalog/metrics", list_defs },
    { "GET", "/api/catalog/metrics/{path}", get_def },
    { "GET", "/api/catalog/metrics/{area}/{file}", get_def },
};

const struct http_route *api_metric_defs_routes(size_t *out_len)
{
    *out_len = ARRAY_LEN(routes);
    return routes;
}
