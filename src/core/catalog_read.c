/* catalog_read.c — the catalog as a reader sees it (see catalog_read.h). */
#include "core/catalog_read.h"

#include <stdlib.h>
#include <string.h>

#include "base/ident.h"
#include "base/mem.h"
#include "core/access.h"
#include "core/audit.h"
#include "data/dataplane.h"
#include "data/duck.h"
#include "data/result.h"

static struct catalog *catalog_of(struct core *core)
{
    return dataplane_catalog(core->dataplane);
}

void core_catalog_release(struct core *core, struct catalog_gen *g)
{
    if (g)
        catalog_release(catalog_of(core), g);
}

enum rc core_readable_table(struct core *core, const struct user *u, const char *id,
                            bool local_only, struct catalog_gen **out_g,
                            const struct catalog_table **out_t, struct err *err)
{
    *out_g = NULL;
    *out_t = NULL;
    if (!id || !ident_is_table_id(id) || !core_can_read(core, u, id))
        return err_set(err, RC_NOTFOUND, "Table not found");
    struct catalog_gen *g = catalog_acquire(catalog_of(core));
    const struct catalog_table *t = catalog_find(g, id);
    if (!t || t->status != CATALOG_OK || (local_only && (t->remote || t->n_files == 0))) {
        catalog_release(catalog_of(core), g);
        return err_set(err, RC_NOTFOUND, "Table not found");
    }
    *out_g = g;
    *out_t = t;
    return RC_OK;
}

enum rc core_catalog_list(struct core *core, const struct user *u, bool local_only,
                          struct core_listing *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    if (!local_only) {
        enum rc rc = registry_list(core->store, &out->regs, &out->n_regs, err);
        if (rc)
            return rc;
    }
    struct catalog_gen *g = catalog_acquire(catalog_of(core));
    out->gen = g;
    out->readable = xcalloc(g->n_tables ? g->n_tables : 1, sizeof(*out->readable));
    out->requestable = xcalloc(out->n_regs ? out->n_regs : 1, sizeof(*out->requestable));
    for (size_t i = 0; i < g->n_tables; i++) {
        const struct catalog_table *t = &g->tables[i];
        if (t->status != CATALOG_OK || (local_only && (t->remote || t->n_files == 0)) ||
            !core_can_read(core, u, t->id))
            continue;
        const struct registry_table *entry = NULL;
        for (size_t r = 0; r < out->n_regs && !entry; r++)
            if (strcmp(out->regs[r].id, t->id) == 0)
                entry = &out->regs[r];
        out->readable[out->n_readable++] = (struct core_listed_table){ t, entry };
    }
    for (size_t r = 0; r < out->n_regs; r++) {
        const struct catalog_table *t = catalog_find(g, out->regs[r].id);
        if (!t || t->status != CATALOG_OK || core_can_read(core, u, out->regs[r].id))
            continue;
        out->requestable[out->n_requestable++] = &out->regs[r];
    }
    return RC_OK;
}

void core_listing_cleanup(struct core *core, struct core_listing *l)
{
    core_catalog_release(core, l->gen);
    free(l->regs);
    free(l->readable);
    free(l->requestable);
    memset(l, 0, sizeof(*l));
}

struct columns_ctx {
    struct core_column *cols;
    size_t len, cap;
};

static enum rc add_column(void *ctx, int ncols, const char *const *vals, struct err *err)
{
    (void)err;
    (void)ncols;
    struct columns_ctx *c = ctx;
    c->cols = xgrow(c->cols, &c->cap, c->len + 1, sizeof(*c->cols));
    c->cols[c->len++] = (struct core_column){
        .name = xstrdup(vals[0] ? vals[0] : ""),
        .type = xstrdup(vals[1] ? vals[1] : ""),
        .nullable = vals[2] && strcmp(vals[2], "YES") == 0,
    };
    return RC_OK;
}

enum rc core_table_columns(struct catalog_gen *g, const char *id, struct core_column **out,
                           size_t *out_len, struct err *err)
{
    struct duck *conn = NULL;
    struct buf sql;
    struct columns_ctx c = { NULL, 0 };
    *out = NULL;
    *out_len = 0;
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
    if (rc) {
        core_columns_free(c.cols, c.len);
        return rc;
    }
    *out = c.cols;
    *out_len = c.len;
    return RC_OK;
}

void core_columns_free(struct core_column *cols, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        free(cols[i].name);
        free(cols[i].type);
    }
    free(cols);
}

enum rc core_catalog_sample(struct core *core, const struct principal *p, const char *from,
                            const char *id, int64_t rows, struct buf *out, struct err *err)
{
    struct catalog_gen *g = NULL;
    const struct catalog_table *t = NULL;
    enum rc rc = core_readable_table(core, &p->user, id, false, &g, &t, err);
    if (rc)
        return rc;
    struct duck *conn = NULL;
    struct buf sql;
    struct result_stats st;
    struct result_limits lim = { rows, core->cfg->query_max_bytes };
    buf_init(&sql, 256);
    rc = buf_append_str(&sql, "SELECT * FROM main.");
    if (!rc)
        rc = duck_sql_quote_ident(&sql, t->id);
    if (!rc)
        rc = catalog_connect(g, &conn, err);
    if (!rc)
        rc = result_run(conn, buf_cstr(&sql), RESULT_JSON, &lim, out, &st, err);
    duck_close(&conn);
    catalog_release(catalog_of(core), g);
    buf_cleanup(&sql);
    core_audit(core, from, p, "catalog.sample", id, rc ? "error" : "ok", NULL);
    return rc;
}
