/* catalog.c — what analysts and agents browse:
 *   GET /api/catalog/tables              the served tables the caller may read, then, marked
 *                                        "requestable", registered ones they may ask for
 *   GET /api/catalog/tables/{id}         one readable table: description, columns and types,
 *                                        profile, freshness, query mode
 *   GET /api/catalog/tables/{id}/sample  up to ?rows=N (default 10, at most 100) of its rows
 * A table the caller may not read answers 404 like a missing one, except in the list, where
 * registered tables show as requestable (id, name, description only) so access can be asked
 * for. The registry's name and description win over the extract's. */
#include "data/catalog.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/access.h"
#include "api/authn.h"
#include "api/request.h"
#include "base/buf.h"
#include "base/ident.h"
#include "base/mem.h"
#include "base/parse.h"
#include "data/dataplane.h"
#include "data/duck.h"
#include "query/result.h"
#include "store/datastate.h"
#include "store/registry.h"

#define SAMPLE_ROWS_DEFAULT 10
#define SAMPLE_ROWS_MAX     100

/* The registry row of id, or NULL (heap; 6 KiB, so not on the stack). */
static struct registry_table *registry_row(struct app *app, const char *id)
{
    struct registry_table *row = xmalloc(sizeof(*row));
    struct err err;
    if (registry_get(app->core.store, id, row, &err) != RC_OK) {
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
    struct registry_table *regs = NULL;
    size_t n_regs = 0;
    struct err err;
    if (!api_require_user(req, app, &p))
        return;
    if (registry_list(app->core.store, &regs, &n_regs, &err) != RC_OK) {
        http_respond_rc(req, RC_DB, &err);
        return;
    }
    struct catalog *cat = dataplane_catalog(app->core.dataplane);
    struct catalog_gen *g = catalog_acquire(cat);
    json_t *tables = json_array();
    int readable = 0, requestable = 0;
    for (size_t i = 0; i < g->n_tables; i++) {
        const struct catalog_table *t = &g->tables[i];
        if (t->status != CATALOG_OK || !api_may_read(app, &p.user, t->id))
            continue;
        const struct registry_table *reg = NULL;
        for (size_t r = 0; r < n_regs && !reg; r++)
            if (strcmp(regs[r].id, t->id) == 0)
                reg = &regs[r];
        json_array_append_new(tables, table_json(t, reg));
        readable++;
    }
    for (size_t r = 0; r < n_regs; r++) {
        const struct catalog_table *t = catalog_find(g, regs[r].id);
        if (!t || t->status != CATALOG_OK || api_may_read(app, &p.user, regs[r].id))
            continue;
        json_array_append_new(tables, json_pack("{s:s, s:s, s:s, s:s}", "id", regs[r].id, "name",
                                                regs[r].name, "description", regs[r].description,
                                                "access", "requestable"));
        requestable++;
    }
    catalog_release(cat, g);
    free(regs);
    http_respond_json(req, 200,
                      json_pack("{s:o, s:i, s:i}", "tables", tables, "count", readable,
                                "requestable", requestable));
}

struct columns_ctx {
    json_t *columns;
};

static enum rc add_column(void *ctx, int ncols, const char *const *vals, struct err *err)
{
    (void)err;
    (void)ncols;
    struct columns_ctx *c = ctx;
    json_array_append_new(c->columns, json_pack("{s:s, s:s, s:b}", "name", vals[0] ? vals[0] : "",
                                                "type", vals[1] ? vals[1] : "", "nullable",
                                                vals[2] && strcmp(vals[2], "YES") == 0));
    return RC_OK;
}

/* The columns of t as DuckDB binds its view. */
static enum rc describe(struct catalog_gen *g, const char *id, json_t **out, struct err *err)
{
    struct duck *conn = NULL;
    struct buf sql;
    struct columns_ctx c = { json_array() };
    buf_init(&sql, 256);
    enum rc rc = buf_append_str(&sql, "SELECT column_name, column_type, \"null\" FROM"
                                      " (DESCRIBE main.");
    if (!rc)
        rc = duck_sql_quote_ident(&sql, id);
    if (!rc)
        rc = buf_append_str(&sql, ")");
    if (!rc)
        rc = catalog_connect(g, &conn, err);
    if (!rc)
        rc = duck_query_rows(conn, buf_cstr(&sql), add_column, &c, err);
    duck_close(&conn);
    buf_cleanup(&sql);
    if (rc)
        json_decref(c.columns);
    else
        *out = c.columns;
    return rc;
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
    json_t *body = table_json(t, reg), *columns = NULL;
    enum rc rc = describe(g, t->id, &columns, &err);
    if (rc) {
        json_decref(body);
        catalog_release(dataplane_catalog(app->core.dataplane), g);
        free(reg);
        http_respond_rc(req, rc, &err);
        return;
    }
    json_object_set_new(body, "columns", columns);
    json_object_set_new(body, "primary_key",
                        reg && reg->primary_key[0] ? json_string(reg->primary_key) : json_null());
    char *profile = NULL;
    char extracted_at[ISOTIME_SIZE], profiled_at[ISOTIME_SIZE];
    json_t *pj = NULL;
    if (profiles_get(app->core.store, t->id, &profile, extracted_at, profiled_at, &err) == RC_OK)
        pj = json_loads(profile, 0, NULL);
    free(profile);
    json_object_set_new(body, "profile", pj ? pj : json_null());
    json_object_set_new(body, "generation", json_integer((json_int_t)g->number));
    catalog_release(dataplane_catalog(app->core.dataplane), g);
    free(reg);
    http_respond_json(req, 200, body);
}

static void get_sample(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct catalog_gen *g = NULL;
    struct err err = { { 0 } };
    int64_t rows = SAMPLE_ROWS_DEFAULT;
    if (!api_require_user(req, app, &p))
        return;
    const char *n = http_req_query(req, "rows");
    if (n && !parse_i64(n, 1, SAMPLE_ROWS_MAX, &rows)) {
        http_respond_error(req, 422, "rows must be 1 to %d", SAMPLE_ROWS_MAX);
        return;
    }
    const struct catalog_table *t =
        api_readable_table(req, app, &p.user, http_req_param(req, "id"), false, &g);
    if (!t)
        return;
    struct duck *conn = NULL;
    struct buf sql, out;
    struct result_stats st;
    struct result_limits lim = { rows, app->core.cfg->query_max_bytes };
    buf_init(&sql, 256);
    buf_init(&out, (size_t)app->core.cfg->query_max_bytes + 256 * 1024);
    enum rc rc = buf_append_str(&sql, "SELECT * FROM main.");
    if (!rc)
        rc = duck_sql_quote_ident(&sql, t->id);
    if (!rc)
        rc = catalog_connect(g, &conn, &err);
    if (!rc)
        rc = result_run(conn, buf_cstr(&sql), RESULT_JSON, &lim, &out, &st, &err);
    duck_close(&conn);
    catalog_release(dataplane_catalog(app->core.dataplane), g);
    api_audit(app, req, &p, "catalog.sample", http_req_param(req, "id"), rc ? "error" : "ok", NULL);
    if (rc) {
        http_respond_rc(req, rc == RC_DB ? RC_INTERNAL : rc, &err);
    } else {
        size_t len = 0;
        char *body = buf_take(&out, &len);
        http_respond_owned(req, 200, "application/json", body, len);
    }
    buf_cleanup(&sql);
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
