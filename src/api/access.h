/* access.h — the one read-permission decision of the API, shared by every handler that serves
 * table data or metadata. The handlers of grants, groups, access requests and the audit log
 * live in access.c and are reached through api_access_routes() (api.h). */
#ifndef DA_API_ACCESS_H
#define DA_API_ACCESS_H

#include <stdbool.h>

#include "api/api.h"
#include "base/rc.h"
#include "store/identity.h"

/* The one decision: may u read table_id? Admins read everything; others per
 * store_user_may_read (the table is public, or a grant of the table or of its bucket reaches
 * the user directly or through a group). *out_allowed is false on any failure. */
enum rc api_user_may_read(struct app *app, const struct user *u, const char *table_id,
                          bool *out_allowed, struct err *err) WARN_UNUSED;

/* The same decision as a yes or no (a failure is a no). */
bool api_may_read(struct app *app, const struct user *u, const char *table_id);

struct catalog_gen;
struct catalog_table;

/* The table id, served by the current catalog generation, if u may read it (local_only: and
 * it is a local table with files). The generation is held in *out_g; the caller releases it
 * with catalog_release. Otherwise answers 404 "Table not found" — the same for a table that
 * does not exist and one the caller may not read — and returns NULL. */
const struct catalog_table *api_readable_table(struct http_req *req, struct app *app,
                                               const struct user *u, const char *id,
                                               bool local_only, struct catalog_gen **out_g);

#endif
