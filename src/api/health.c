/* health.c — GET /api/health, for load balancers, monitors and `da status`.
 *
 * Anyone may call it and learns only the overall status and the version. "unhealthy" means
 * the state store does not answer; "degraded" means the server runs but serves no table, or a
 * table is not served (broken extract, missing extension or token) or stale (extracted longer
 * ago than data.stale_after_hours), as the last catalog rebuild recorded in sync_state, or a
 * scheduled source's last successful job is older than its schedule allows (core/jobs.h).
 * Details that describe the data (counts, the tables at fault) are for authenticated admins
 * only. Always 200, so a monitor reads the body rather than guessing from the status. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/api.h"
#include "api/authn.h"
#include "base/isotime.h"
#include "base/log.h"
#include "base/version.h"
#include "core/data_state.h"
#include "core/jobs.h"

/* [{id, source, status, reason}] of the tables not served or stale, for admins. */
static json_t *problems_json(const struct core_data_health *h)
{
    json_t *list = json_array();
    for (size_t i = 0; i < h->n_problems; i++) {
        const struct core_table_problem *t = &h->problems[i];
        json_array_append_new(list, json_pack("{s:s, s:s, s:s, s:s?}", "id", t->id, "source",
                                              t->source, "status", t->status, "reason", t->reason));
    }
    return list;
}

static void get_health(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct err err;
    struct core_data_health h = { 0 };
    const char *status = "healthy";
    if (core_data_health(&app->core, &h, &err) != RC_OK) {
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
    int schema = 0;
    if (api_optional_user(req, app, &p) && strcmp(p.user.role, "admin") == 0 &&
        core_instance_counts(&app->core, &schema, &users, &admins, &err) == RC_OK) {
        json_object_set_new(body, "details",
                            json_pack("{s:i, s:I, s:I, s:i, s:i, s:i, s:o}", "schema_version",
                                      schema, "users", (json_int_t)users, "admins",
                                      (json_int_t)admins, "tables", h.served, "tables_not_served",
                                      h.not_served, "tables_stale", h.stale, "problems",
                                      problems_json(&h)));
        json_t *late = json_array();
        for (size_t i = 0; i < n_overdue; i++) {
            char at[ISOTIME_SIZE] = "";
            if (overdue[i].last_success > 0)
                isotime_format((time_t)overdue[i].last_success, at);
            json_array_append_new(late, json_pack("{s:s, s:s, s:s?}", "source", overdue[i].source,
                                                  "schedule", overdue[i].schedule, "last_success",
                                                  at[0] ? at : NULL));
        }
        json_object_set_new(json_object_get(body, "details"), "sources_overdue", late);
    }
    free(overdue);
    core_data_health_cleanup(&h);
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
