/* catalog.c — what analysts and agents browse:
 *   GET /api/catalog/tables              the served tables the caller may read, then, marked
 *                                        "requestable", registered ones they may ask for
 *   GET /api/catalog/tables/{id}         one readable table: description, columns and types,
 *                                        profile, freshness, query mode
 *   GET /api/catalog/tables/{id}/sample  up to ?rows=N (default 10, at most 100) of its rows
 * A table the caller may not read answers 404 like a missing one, except in the list, where
 * registered tables show as requestable (id, name, description only) so access can be asked
 * for. The registry's name and description win over the extract's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/access.h"
#include "api/authn.h"
#include "api/request.h"
#include "base/buf.h"
#include "base/mem.h"
#include "base/parse.h"
#include "core/catalog_read.h"
#include "core/data_state.h"
#include "core/registry.h"

#define SAMPLE_ROWS_DEFAULT 10
#define SAMPLE_ROWS_MAX     100

/* The registry row of id, or NULL (heap; 6 KiB, so not on the stack). */
static struct registry_table *registry_row(struct app *app, const char *id)
{
    struct registry_table *row = xmalloc(sizeof(*row));
    struct err err;
    if (core_registry_get(&app->core, id, row, &err) != RC_OK) {
        free(row);
        return NULL;
    }
    return row;
}

/* The common fields of a served table, registry first. */
static json_t *table_json(const struct catalog_table *t, const struct registry_table *reg)
{
    const char *name = reg && reg->name[0] ? reg->name : t->id;
    const char *desc = reg && reg->description[0] ? reg->description : t->description;
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:I, s:I, s:s?, s:s}", "id", t->id, "name", name,
                     "description", desc ? desc : "", "source", t->source, "query_mode",
                     t->remote ? "remote" : "local", "rows", (json_int_t)t->rows, "size_bytes",
                     (json_int_t)t->size_bytes, "extracted_at",
                     t->extracted_at[0] ? t->extracted_at : NULL, "access", "read");
}

static void list_tables(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct core_listing l;
    struct err err;
    if (!api_require_user(req, app, &p))
        return;
    enum rc rc = core_catalog_list(&app->core, &p.user, false, &l, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        return;
    }
    json_t *tables = json_array();
    for (size_t i = 0; i < l.n_readable; i++)
        json_array_append_new(tables, table_json(l.readable[i].table, l.readable[i].entry));
    for (size_t i = 0; i < l.n_requestable; i++) {
        const struct registry_table *r = l.requestable[i];
        json_array_append_new(tables,
                              json_pack("{s:s, s:s, s:s, s:s}", "id", r->id, "name", r->name,
                                        "description", r->description, "access", "requestable"));
    }
    json_t *body = json_pack("{s:o, s:i, s:i}", "tables", tables, "count", (int)l.n_readable,
                             "requestable", (int)l.n_requestable);
    core_listing_cleanup(&app->core, &l);
    http_respond_json(req, 200, body);
}

static json_t *columns_json(const struct core_column *cols, size_t len)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < len; i++)
        json_array_append_new(arr, json_pack("{s:s, s:s, s:b}", "name", cols[i].name, "type",
                                             cols[i].type, "nullable", cols[i].nullable));
    return arr;
}

static void get_table(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct catalog_gen *g = NULL;
    struct err err = { { 0 } };
    if (!api_require_user(req, app, &p))
        return;
    const struct catalog_table *t =
        api_readable_table(req, app, &p.user, http_req_param(req, "id"), false, &g);
    if (!t)
        return;
    struct registry_table *reg = registry_row(app, t->id);
    struct core_column *cols = NULL;
    size_t n_cols = 0;
    enum rc rc = core_table_columns(g, t->id, &cols, &n_cols, &err);
    if (rc) {
        core_catalog_release(&app->core, g);
        free(reg);
        http_respond_rc(req, rc, &err);
        return;
    }
    json_t *body = table_json(t, reg);
    json_object_set_new(body, "columns", columns_json(cols, n_cols));
    core_columns_free(cols, n_cols);
    json_object_set_new(body, "primary_key",
                        reg && reg->primary_key[0] ? json_string(reg->primary_key) : json_null());
    struct core_profile prof;
    json_t *pj = NULL;
    if (core_table_profile(&app->core, &p.user, t->id, &prof, &err) == RC_OK && prof.json)
        pj = json_loads(prof.json, 0, NULL);
    free(prof.json);
    json_object_set_new(body, "profile", pj ? pj : json_null());
    json_object_set_new(body, "generation", json_integer((json_int_t)g->number));
    core_catalog_release(&app->core, g);
    free(reg);
    http_respond_json(req, 200, body);
}

static void get_sample(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct err err = { { 0 } };
    int64_t rows = SAMPLE_ROWS_DEFAULT;
    if (!api_require_user(req, app, &p))
        return;
    const char *n = http_req_query(req, "rows");
    if (n && !parse_i64(n, 1, SAMPLE_ROWS_MAX, &rows)) {
        http_respond_error(req, 422, "rows must be 1 to %d", SAMPLE_ROWS_MAX);
        return;
    }
    struct buf out;
    buf_init(&out, (size_t)app->core.cfg->query_max_bytes + 256 * 1024);
    enum rc rc = core_catalog_sample(&app->core, &p, http_req_client_ip(req),
                                     http_req_param(req, "id"), rows, &out, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
    } else {
        size_t len = 0;
        char *body = buf_take(&out, &len);
        http_respond_owned(req, 200, "application/json", body, len);
    }
    buf_cleanup(&out);
}

static const struct http_route routes[] = {
    { "GET", "/api/catalog/tables", list_tables },
    { "GET", "/api/catalog/tables/{id}", get_table },
    { "GET", "/api/catalog/tables/{id}/sample", get_sample },
};

const struct http_route *api_catalog_routes(size_t *out_len)
{
    *out_len = ARRAY_LEN(routes);
    return routes;
}
