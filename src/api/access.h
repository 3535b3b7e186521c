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

#endif
