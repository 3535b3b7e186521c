/* discover.h — discovery of a source's tables for admins: what a connector can see in the
 * remote system (tables, columns and their types, rows, last change), marked with whether the
 * registry already has each one, so admins register tables in one step. */
#ifndef DA_CORE_DISCOVER_H
#define DA_CORE_DISCOVER_H

#include <jansson.h>

#include "base/compat.h"
#include "base/rc.h"
#include "core/core.h"

/* The tables of source (only "keboola" so far: RC_NOTFOUND for others) as a JSON array (the
 * caller decrefs *out): the connector's fields (see connectors/keboola.h) plus "registered":
 * the registry id of the row that has it as source_table, or null. Errors of the remote system
 * are RC_IO with its message (never a token). */
enum rc core_discover_tables(struct core *core, const char *source, json_t **out,
                             struct err *err) WARN_UNUSED;

#endif
