/* health.c — GET /api/health, for load balancers, monitors and `da status`.
 *
 * Anyone may call it and learns only the overall status and the version. "unhealthy" means
 * the state store does not answer; "degraded" means the server runs but serves no table, or a
 * table is not served (broken extract, missing extension or token) or stale (extracted longer
 * ago than data.stale_after_hours), as the last catalog rebuild recorded in sync_state, or a
 * scheduled source's last successful job is older than its schedule allows (core/jobs.h).
 * Details that describe the data (counts, the tables at fault) are for authenticated admins
 * only. Always 200, so a monitor reads the body rather than guessing from the status. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/api.h"
#include "api/authn.h"
#include "base/fileio.h"
#include "base/ident.h"
#include "base/isotime.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/version.h"
#include "core/jobs.h"
#include "data/demo.h"
#include "store/datastate_repo.h"

/* What the last catalog rebuild recorded: tables served, not served, and stale. */
struct data_health {
    int served;
    int not_served;
    int stale;
    json_t *problems; /* for admins: [{id, status, reason}] of tables not served or stale */
};

static enum rc read_data_health(struct app *app, struct data_health *h, struct err *err)
{
    struct sync_state_row *rows = NULL;
    size_t n = 0;
    *h = (struct data_health){ .problems = json_array() };
    enum rc rc = sync_state_list(app->core.store, &rows, &n, err);
    if (rc)
        return rc;
    time_t now = time(NULL), at = 0;
    int64_t stale_s = (int64_t)app->core.cfg->stale_after_hours * 3600;
    for (size_t i = 0; i < n; i++) {
        const struct sync_state_row *r = &rows[i];
        bool ok = strcmp(r->status, "ok") == 0;
        /* remote tables are live, and the demo data is made once on purpose: for neither
         * does the extraction time say anything about freshness */
        bool stale = ok && strcmp(r->query_mode, "local") == 0 &&
                     strcmp(r->source, DEMO_SOURCE_NAME) != 0 &&
                     isotime_parse(r->extracted_at, &at) && now - at > stale_s;
        h->served += ok;
        h->not_served += !ok;
        h->stale += stale;
        if (!ok || stale)
            json_array_append_new(h->problems,
                                  json_pack("{s:s, s:s, s:s, s:s?}", "id", r->table_id, "source",
                                            r->source, "status", stale ? "stale" : r->status,
                                            "reason", stale ? r->extracted_at : r->error));
    }
    free(rows);
    return RC_OK;
}

static void get_health(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct err err;
    struct data_health h = { 0 };
    const char *status = "healthy";
    if (store_ping(app->core.store, &err) != RC_OK || read_data_health(app, &h, &err) != RC_OK) {
        log_error("health", "state store: %s", err.msg);
        status = "unhealthy";
    } else if (h.served == 0 || h.not_served > 0 || h.stale > 0) {
        status = "degraded";
    }
    struct sched_overdue *overdue = NULL;
    size_t n_overdue = 0;
    core_jobs_overdue(&app->core, &overdue, &n_overdue);
    if (n_overdue > 0 && strcmp(status, "healthy") == 0)
        status = "degraded";
    char now[ISOTIME_SIZE];
    isotime_now(now);
    json_t *body =
        json_pack("{s:s, s:s, s:s}", "status", status, "version", DA_VERSION, "timestamp", now);
    struct principal p;
    int64_t users = 0, admins = 0;
    if (api_optional_user(req, app, &p) && strcmp(p.user.role, "admin") == 0 &&
        users_count(app->core.store, &users, &admins, &err) == RC_OK) {
        json_object_set_new(body, "details",
                            json_pack("{s:i, s:I, s:I, s:i, s:i, s:i, s:O}", "schema_version",
                                      store_schema_version(app->core.store), "users",
                                      (json_int_t)users, "admins", (json_int_t)admins, "tables",
                                      h.served, "tables_not_served", h.not_served, "tables_stale",
                                      h.stale, "problems", h.problems));
        json_t *late = json_array();
        for (size_t i = 0; i < n_overdue; i++) {
            char at[ISOTIME_SIZE] = "";
            if (overdue[i].last_success > 0)
                isotime_format((time_t)overdue[i].last_success, at);
            json_array_append_new(late, json_pack("{s:s, s:s, s:s?}", "source",
                                                  overdue[i].source, "schedule",
                                                  overdue[i].schedule, "last_success",
                                                  at[0] ? at : NULL));
        }
        json_object_set_new(json_object_get(body, "details"), "sources_overdue", late);
    }
    free(overdue);
    json_decref(h.problems);
    http_respond_json(req, 200, body);
}

static const struct http_route routes[] = {
    { "GET", "/api/health", get_health },
};

const struct http_route *api_health_routes(size_t *out_len)
{
    *out_len = ARRAY_LEN(routes);
    return routes;
}
