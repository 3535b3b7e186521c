/* query.h — the governed query as one call: run this SQL as this principal within the
 * instance's limits. The SQL guard names every table the query reads and the query is refused
 * unless the principal may read each one (core_can_read); the engine runs it in a query
 * worker on the current catalog generation within query.* (rows, bytes, time, memory, queries
 * per user); every query, refused or not, leaves one "query" audit row with its outcome, the
 * tables it read and its row count, and counts in the metrics. The HTTP API, the coming MCP
 * server and the script runner all call core_query_run and render the outcome their way. */
#ifndef DA_CORE_QUERY_H
#define DA_CORE_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/compat.h"
#include "base/rc.h"
#include "core/core.h"
#include "core/principal.h"
#include "query/engine.h"

/* What to run. Strings borrowed. */
struct core_query {
    const char *sql;           /* 1 to GUARD_SQL_MAX bytes */
    int64_t limit;             /* rows; 0: query.default_rows; capped at query.max_rows */
    enum result_format format; /* JSON, CSV (into out) or Parquet (o->parquet_fd) */
    /* The cancellation hook, polled while the query runs: true when whoever asked no longer
     * wants the answer (a client that went away), which ends the query (QUERY_CANCELLED).
     * NULL: never. */
    bool (*gone)(void *ctx);
    void *gone_ctx;
};

/* Runs q as p (from: where the call came from, for the audit row). The encoded result is
 * appended to out (sized by the caller: query.max_bytes plus room for the column header)
 * when o->kind is QUERY_OK, or for Parquet left in o->parquet_fd. A query refused or failed is
 * an outcome, not an error: RC_OK with o->kind and o->message saying what happened. Errors:
 * RC_BADVALUE for an empty or too long sql or a negative limit (nothing is audited then),
 * the engine failing itself (RC_DB, RC_INTERNAL), or RC_BUSY when the audit row cannot be
 * written (the answer is withheld: out is emptied). The caller cleans o with
 * query_outcome_cleanup, also after an error. */
enum rc core_query_run(struct core *core, const struct principal *p, const char *from,
                       const struct core_query *q, struct buf *out, struct query_outcome *o,
                       struct err *err) WARN_UNUSED;

/* The outcome's stable name ("ok", "bad_sql", "forbidden", ...), as the audit log and the
 * metrics record it. */
const char *core_query_outcome_name(enum query_outcome_kind k);

/* o->message as a caller may see it: paths inside the data folder are redacted. */
void core_query_message(const struct core *core, const struct query_outcome *o, char *out,
                        size_t size);

#endif
