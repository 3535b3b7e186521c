/* discover.c — GET /api/admin/discover-tables?source=keboola: the tables a connector sees in
 * the remote system, for admins registering them (core/discover.h). A failure of the remote
 * system is a 502 with its message (never a token), not the caller's 401. */
#include "core/discover.h"

#include <string.h>

#include "api/api.h"
#include "api/authn.h"
#include "api/request.h"

static void discover_tables(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct err err = { { 0 } };
    if (!api_require_admin(req, app, &p))
        return;
    const char *source = http_req_query(req, "source");
    if (!source || !*source) {
        http_respond_error(req, 422, "Give the source: ?source=keboola");
        return;
    }
    json_t *tables = NULL;
    enum rc rc = core_discover_tables(&app->core, source, &tables, &err);
    if (rc == RC_IO)
        http_respond_error(req, 502, "%s", err.msg);
    else if (rc)
        http_respond_rc(req, rc, &err);
    else
        http_respond_json(req, 200,
                          json_pack("{s:s, s:i, s:o}", "source", source, "count",
                                    (int)json_array_size(tables), "tables", tables));
}

static const struct http_route routes[] = {
    { "GET", "/api/admin/discover-tables", discover_tables },
};

const struct http_route *api_discover_routes(size_t *out_len)
{
    *out_len = ARRAY_LEN(routes);
    return routes;
}
