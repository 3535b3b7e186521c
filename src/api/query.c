/* query.c — POST /api/query {sql, limit?, format?}: governed SQL for people and agents.
 *
 * The SQL guard decides on DuckDB's parse tree which tables the query reads and refuses the
 * query (403, naming the table) unless the caller may read every one of them; the engine runs
 * it on the current catalog generation within the limits of query.* and cancels it when its
 * time is up or its client has gone. The answer is {columns, types, rows, row_count,
 * truncated, truncated_by} (result.h says how values are typed), CSV when the body says
 * "format": "csv" or the request sends Accept: text/csv, or a Parquet file for "format":
 * "parquet" (row count and truncation in X-DA-* headers). Every query lands in the audit log
 * with its outcome, tables and row count. The rules are core/query.h; this file reads the
 * request and writes the answer. */
#include "core/query.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/authn.h"
#include "api/request.h"
#include "base/mem.h"

#define HEADER_SLACK       (256 * 1024) /* room for the column names and types around the rows */
#define PARQUET_MEDIA_TYPE "application/vnd.apache.parquet"

static bool client_gone(void *ctx)
{
    return http_req_client_gone(ctx);
}

static int outcome_status(enum query_outcome_kind k)
{
    switch (k) {
    case QUERY_OK:
        return 200;
    case QUERY_BAD_SQL:
        return 400;
    case QUERY_FORBIDDEN:
        return 403;
    case QUERY_TOO_MANY:
        return 429;
    case QUERY_TIMEOUT:
        return 504; /* not 408: that means the client was slow, and proxies retry it */
    case QUERY_CANCELLED:
        return 400;
    case QUERY_MEMORY:
        return 422;
    case QUERY_CRASHED:
        return 500;
    case QUERY_SHUTDOWN:
        return 503;
    }
    return 500;
}

/* The result format from the body's "format" or else the Accept header; false after answering
 * 422 for an unknown format. */
static bool wanted_format(struct http_req *req, const char *format, enum result_format *out)
{
    static const struct {
        const char *name, *media_type;
        enum result_format fmt;
    } formats[] = {
        { "parquet", PARQUET_MEDIA_TYPE, RESULT_PARQUET },
        { "csv", "text/csv", RESULT_CSV },
        { "json", "application/json", RESULT_JSON },
    };
    const char *accept = http_req_header(req, "Accept");
    *out = RESULT_JSON;
    for (size_t i = 0; i < ARRAY_LEN(formats); i++) {
        if (format ? strcasecmp(format, formats[i].name) == 0
                   : accept && strstr(accept, formats[i].media_type) != NULL) {
            *out = formats[i].fmt;
            return true;
        }
    }
    if (format) {
        http_respond_error(req, 422, "format must be parquet, csv or json");
        return false;
    }
    return true;
}

/* The row count and truncation, as headers: CSV and Parquet have no place for them. */
static void set_result_headers(struct http_req *req, const struct result_stats *st)
{
    char rows[24];
    snprintf(rows, sizeof(rows), "%lld", (long long)st->rows);
    http_set_header(req, "X-DA-Row-Count", rows);
    http_set_header(req, "X-DA-Truncated", st->truncated ? "true" : "false");
    if (st->truncated_by)
        http_set_header(req, "X-DA-Truncated-By", st->truncated_by);
}

/* Sends the Parquet result file. */
static void send_parquet(struct http_req *req, struct query_outcome *o)
{
    set_result_headers(req, &o->stats);
    http_set_header(req, "Content-Disposition", "attachment; filename=\"result.parquet\"");
    int fd = o->parquet_fd;
    o->parquet_fd = -1; /* http_respond_fd owns it now */
    http_respond_fd(req, 200, PARQUET_MEDIA_TYPE, fd, 0, (uint64_t)o->stats.bytes);
}

static void post_query(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    json_t *root = NULL;
    const char *sql = NULL, *format = NULL;
    json_int_t limit = 0;
    struct query_outcome o = { .parquet_fd = -1 };
    struct buf out;
    struct err err = { { 0 } };
    buf_init(&out, (size_t)app->core.cfg->query_max_bytes + HEADER_SLACK);
    if (!api_require_user(req, app, &p) ||
        !api_body(req, &root, "{s:s, s?I, s?s}", "sql", &sql, "limit", &limit, "format", &format))
        goto out;
    struct core_query q = { .sql = sql, .limit = limit, .gone = client_gone, .gone_ctx = req };
    if (!wanted_format(req, format, &q.format))
        goto out;
    enum rc rc = core_query_run(&app->core, &p, http_req_client_ip(req), &q, &out, &o, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        goto out;
    }
    if (o.kind != QUERY_OK) {
        char shown[sizeof(o.message)]; /* clients never see server paths */
        core_query_message(&app->core, &o, shown, sizeof(shown));
        if (o.kind == QUERY_CRASHED)
            http_respond_error(req, 500, "%s (request id %s)", shown, http_req_id(req));
        else
            http_respond_error(req, outcome_status(o.kind), "%s", shown);
        goto out;
    }
    if (q.format == RESULT_PARQUET) {
        send_parquet(req, &o);
        goto out;
    }
    if (q.format == RESULT_CSV)
        set_result_headers(req, &o.stats);
    size_t len = 0;
    char *body = buf_take(&out, &len);
    http_respond_owned(req, 200,
                       q.format == RESULT_CSV ? "text/csv; charset=utf-8" : "application/json",
                       body, len);
out:
    query_outcome_cleanup(&o);
    buf_cleanup(&out);
    json_decref(root);
}

static const struct http_route routes[] = {
    { "POST", "/api/query", post_query },
};

const struct http_route *api_query_routes(size_t *out_len)
{
    *out_len = ARRAY_LEN(routes);
    return routes;
}
