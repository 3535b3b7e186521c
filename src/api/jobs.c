/* jobs.c — connector jobs over HTTP (admins only), an adapter over core/jobs.h:
 *   POST /api/sync/trigger {source?, tables?}   queue a job (of every source without one):
 *                                               202 {job_ids: [...]}
 *   GET  /api/jobs?source=&state=&limit=        newest first (limit 1-1000, default 50)
 *   GET  /api/jobs/{id}                          one job with the end of its log
 *   POST /api/jobs/{id}/cancel                   kill it (running) or drop it (queued)
 * docs/API.md has the shapes. */
#include "core/jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/authn.h"
#include "api/request.h"
#include "base/parse.h"

#define TRIGGER_TABLES_MAX 64

static json_t *text_or_null(const char *s)
{
    return s[0] ? json_string(s) : json_null();
}

static json_t *count_or_null(int64_t v)
{
    return v >= 0 ? json_integer((json_int_t)v) : json_null();
}

static json_t *job_json(const struct job *j)
{
    json_t *tables = j->tables[0] ? json_loads(j->tables, 0, NULL) : NULL;
    char next[ISOTIME_SIZE] = "";
    if (strcmp(j->state, "queued") == 0 && j->next_attempt_at > 0)
        isotime_format((time_t)j->next_attempt_at, next);
    json_t *o = json_object();
    json_object_set_new(o, "id", json_integer((json_int_t)j->id));
    json_object_set_new(o, "source", json_string(j->source));
    json_object_set_new(o, "type", json_string(j->type));
    json_object_set_new(o, "tables", tables ? tables : json_null());
    json_object_set_new(o, "trigger", json_string(j->trigger));
    json_object_set_new(o, "state", json_string(j->state));
    json_object_set_new(o, "attempt", json_integer(j->attempt));
    json_object_set_new(o, "next_attempt_at", text_or_null(next));
    json_object_set_new(o, "created_at", json_string(j->created_at));
    json_object_set_new(o, "started_at", text_or_null(j->started_at));
    json_object_set_new(o, "finished_at", text_or_null(j->finished_at));
    json_object_set_new(o, "rows", count_or_null(j->rows));
    json_object_set_new(o, "bytes", count_or_null(j->bytes));
    json_object_set_new(o, "error", text_or_null(j->error));
    json_object_set_new(o, "requested_by", text_or_null(j->requested_by));
    return o;
}

static void post_trigger(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    json_t *root = NULL, *tables_v = NULL, *source_v = NULL;
    const char *source = NULL;
    const char *tables[TRIGGER_TABLES_MAX];
    size_t n = 0;
    struct err err = { { 0 } };
    if (!api_require_admin(req, app, &p))
        return;
    if (http_req_body(req).len > 0 &&
        !api_body(req, &root, "{s?o, s?o}", "source", &source_v, "tables", &tables_v))
        return;
    if (source_v && !json_is_null(source_v) && !json_is_string(source_v)) {
        http_respond_error(req, 422, "source must be a source name (a string)");
        goto out;
    }
    source = source_v ? json_string_value(source_v) : NULL;
    if (tables_v && !json_is_null(tables_v)) {
        size_t i;
        json_t *t;
        if (!json_is_array(tables_v) || json_array_size(tables_v) > TRIGGER_TABLES_MAX) {
            http_respond_error(req, 422, "tables must be a list of at most %d table ids",
                               TRIGGER_TABLES_MAX);
            goto out;
        }
        json_array_foreach(tables_v, i, t)
        {
            if (!json_is_string(t)) {
                http_respond_error(req, 422, "tables must be a list of table ids (strings)");
                goto out;
            }
            tables[n++] = json_string_value(t);
        }
    }
    int64_t *ids = NULL;
    size_t n_ids = 0;
    enum rc rc = core_jobs_trigger(&app->core, &p, http_req_client_ip(req), source, tables, n, &ids,
                                   &n_ids, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        goto out;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n_ids; i++)
        json_array_append_new(arr, json_integer((json_int_t)ids[i]));
    free(ids);
    http_respond_json(req, 202, json_pack("{s:o}", "job_ids", arr));
out:
    json_decref(root);
}

static void get_jobs(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct err err = { { 0 } };
    if (!api_require_admin(req, app, &p))
        return;
    const char *source = http_req_query(req, "source");
    const char *state = http_req_query(req, "state");
    const char *limit_s = http_req_query(req, "limit");
    int64_t limit = 50;
    if (limit_s && !parse_i64(limit_s, 1, CORE_JOBS_LIST_MAX, &limit)) {
        http_respond_error(req, 422, "limit must be an integer 1-%d", CORE_JOBS_LIST_MAX);
        return;
    }
    struct job *jobs = NULL;
    size_t n = 0;
    enum rc rc = core_jobs_list(&app->core, &p, source && *source ? source : NULL,
                                state && *state ? state : NULL, (int)limit, &jobs, &n, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(arr, job_json(&jobs[i]));
    free(jobs);
    http_respond_json(req, 200, json_pack("{s:o, s:i}", "jobs", arr, "count", (int)n));
}

/* The {id} of the path, or false after a 404. */
static bool path_id(struct http_req *req, int64_t *out)
{
    const char *s = http_req_param(req, "id");
    if (!s || !parse_i64(s, 1, INT64_MAX, out)) {
        http_respond_error(req, 404, "Job not found");
        return false;
    }
    return true;
}

static void get_job(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct err err = { { 0 } };
    int64_t id = 0;
    if (!api_require_admin(req, app, &p) || !path_id(req, &id))
        return;
    struct job j;
    char *log = NULL;
    enum rc rc = core_jobs_show(&app->core, &p, id, &j, &log, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        return;
    }
    json_t *o = job_json(&j);
    json_object_set_new(o, "log_tail", json_string(log));
    free(log);
    http_respond_json(req, 200, o);
}

static void post_cancel(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct err err = { { 0 } };
    int64_t id = 0;
    if (!api_require_admin(req, app, &p) || !path_id(req, &id))
        return;
    enum rc rc = core_jobs_cancel(&app->core, &p, http_req_client_ip(req), id, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        return;
    }
    struct job j;
    if (jobs_get(app->core.store, id, &j, &err) != RC_OK) {
        http_respond_rc(req, RC_DB, &err);
        return;
    }
    http_respond_json(req, 200, job_json(&j));
}

static const struct http_route routes[] = {
    { "POST", "/api/sync/trigger", post_trigger },
    { "GET", "/api/jobs", get_jobs },
    { "GET", "/api/jobs/{id}", get_job },
    { "POST", "/api/jobs/{id}/cancel", post_cancel },
};

const struct http_route *api_jobs_routes(size_t *out_len)
{
    *out_len = ARRAY_LEN(routes);
    return routes;
}
