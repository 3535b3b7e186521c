/* access.h — the HTTP answer to "no such table" for the handlers that serve table data or
 * metadata. The read rules are core/access.h and core/catalog_read.h; the handlers of grants,
 * groups, access requests and the audit log live in access.c and are reached through
 * api_access_routes() (api.h). */
#ifndef DA_API_ACCESS_H
#define DA_API_ACCESS_H

#include <stdbool.h>

#include "api/api.h"
#include "core/catalog_read.h"

/* core_readable_table for the handlers: the table, its generation held in *out_g (release
 * with core_catalog_release), or NULL after answering 404 "Table not found" — the same for a
 * table that does not exist and one the caller may not read — or the status of another
 * failure. */
const struct catalog_table *api_readable_table(struct http_req *req, struct app *app,
                                               const struct user *u, const char *id,
                                               bool local_only, struct catalog_gen **out_g);

#endif
