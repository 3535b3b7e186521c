/* health.c — GET /api/health, for load balancers, monitors and `da status`.
 *
 * Anyone may call it and learns only the overall status and the version. "unhealthy" means
 * the state store does not answer; "degraded" means the server runs but has no data to serve
 * (no extract folder with an extract.duckdb). Details that describe the data (counts, stale
 * tables) are for admins only and arrive with authentication. Always 200, so a monitor reads
 * the body rather than guessing from the status. */
#include <dirent.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

#include "api/api.h"
#include "base/fileio.h"
#include "base/ident.h"
#include "base/isotime.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/version.h"

/* Counts extract folders that hold an extract.duckdb and have a safe name. */
static int count_extracts(const char *extracts_dir)
{
    DIR *d = opendir(extracts_dir);
    if (!d)
        return 0;
    int n = 0;
    for (struct dirent *e = readdir(d); e; e = readdir(d)) {
        if (!ident_valid(e->d_name))
            continue;
        char *db = xasprintf("%s/%s/extract.duckdb", extracts_dir, e->d_name);
        n += file_exists(db);
        free(db);
    }
    closedir(d);
    return n;
}

void api_health(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct err err;
    const char *status = "healthy";
    if (store_ping(app->store, &err) != RC_OK) {
        log_error("health", "state store: %s", err.msg);
        status = "unhealthy";
    } else if (count_extracts(app->extracts_dir) == 0) {
        status = "degraded";
    }
    char now[ISOTIME_SIZE];
    isotime_now(now);
    http_respond_json(req, 200,
                      json_pack("{s:s, s:s, s:s}", "status", status, "version", DA_VERSION,
                                "timestamp", now));
}
