/* query.c — the governed query (see query.h). */
#include "core/query.h"

#include <stdio.h>
#include <string.h>

#include "base/metrics.h"
#include "base/redact.h"
#include "core/access.h"
#include "core/audit.h"
#include "data/catalog.h"
#include "data/dataplane.h"

/* What the guard's table callback needs to decide for this principal. */
struct reader {
    struct core *core;
    const struct user *user;
};

static enum guard_access table_access(void *ctx, const char *id)
{
    struct reader *r = ctx;
    struct catalog *cat = dataplane_catalog(r->core->dataplane);
    struct catalog_gen *g = catalog_acquire(cat);
    const struct catalog_table *t = catalog_find(g, id);
    bool served = t && t->status == CATALOG_OK;
    catalog_release(cat, g);
    if (!served)
        return GUARD_NO_SUCH_TABLE;
    return core_can_read(r->core, r->user, id) ? GUARD_READABLE : GUARD_NOT_READABLE;
}

const char *core_query_outcome_name(enum query_outcome_kind k)
{
    static const char *const names[] = {
        [QUERY_OK] = "ok",
        [QUERY_BAD_SQL] = "bad_sql",
        [QUERY_FORBIDDEN] = "forbidden",
        [QUERY_TOO_MANY] = "too_many",
        [QUERY_TIMEOUT] = "timeout",
        [QUERY_CANCELLED] = "cancelled",
        [QUERY_MEMORY] = "memory",
        [QUERY_CRASHED] = "crashed",
        [QUERY_SHUTDOWN] = "shutdown",
    };
    return (size_t)k < ARRAY_LEN(names) && names[k] ? names[k] : "unknown";
}

/* One audit record per query (what it read, how it ended, how many rows), and its metrics.
 * The record's rc: a query that cannot be put on record is not answered. */
static enum rc audit_query(struct core *core, const char *from, const struct principal *p,
                           const struct query_outcome *o)
{
    struct buf tables;
    buf_init(&tables, 4096);
    for (size_t i = 0; i < o->guard.n_tables; i++)
        if (buf_printf(&tables, "%s%s", i ? "," : "", o->guard.tables[i]))
            break;
    char detail[640];
    if (o->kind == QUERY_OK)
        snprintf(detail, sizeof(detail), "rows=%lld%s ms=%.1f", (long long)o->stats.rows,
                 o->stats.truncated ? " truncated" : "", (double)o->duration_us / 1000.0);
    else
        snprintf(detail, sizeof(detail), "%s", o->message);
    const char *name = core_query_outcome_name(o->kind);
    enum rc rc = core_audit(core, from, p, "query", buf_cstr(&tables), name, detail);
    buf_cleanup(&tables);
    char labels[48];
    snprintf(labels, sizeof(labels), "outcome=\"%s\"", name);
    metrics_count("da_queries_total", labels, 1);
    metrics_observe("da_query_duration_seconds", NULL, (double)o->duration_us / 1e6);
    metrics_count("da_query_rows_total", NULL, (double)o->stats.rows);
    return rc;
}

enum rc core_query_run(struct core *core, const struct principal *p, const char *from,
                       const struct core_query *q, struct buf *out, struct query_outcome *o,
                       struct err *err)
{
    if (!q->sql || !*q->sql || strlen(q->sql) > GUARD_SQL_MAX)
        return err_set(err, RC_BADVALUE, "sql must be 1 to %d bytes", GUARD_SQL_MAX);
    if (q->limit < 0)
        return err_set(err, RC_BADVALUE, "limit must not be negative");
    struct reader reader = { core, &p->user };
    struct query_request req = {
        .user_id = p->user.id,
        .sql = q->sql,
        .limit = q->limit,
        .format = q->format,
        .policy = { .admin = strcmp(p->user.role, "admin") == 0,
                    .table = table_access,
                    .ctx = &reader },
        .gone = q->gone,
        .gone_ctx = q->gone_ctx,
    };
    enum rc rc = query_run(core->engine, &req, out, o, err);
    if (!rc && audit_query(core, from, p, o) != RC_OK) {
        /* governed means on record: no answer leaves without its audit row */
        out->len = 0;
        rc = err_set(err, RC_BUSY,
                     "the audit log cannot be written now; the answer is withheld,"
                     " try again");
    }
    return rc;
}

void core_query_message(const struct core *core, const struct query_outcome *o, char *out,
                        size_t size)
{
    redact_paths(o->message, core->data_dir, out, size);
}
