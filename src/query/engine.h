/* engine.h — the governed query: one SQL text of one caller, checked by the SQL guard against
 * what the caller may read, run on the catalog generation current when it starts, within the
 * limits of instance.yaml (rows, bytes, time, queries per user), and encoded for the wire.
 *
 * Time limits and cancellation: a watchdog thread interrupts (duck_interrupt) every query past
 * its deadline, and every query whose client has gone away (checked every 200 ms through the
 * request's gone() callback), so a slow or abandoned query never holds a worker for long and
 * the server stays responsive. */
#ifndef DA_QUERY_ENGINE_H
#define DA_QUERY_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/compat.h"
#include "base/rc.h"
#include "query/guard.h"
#include "query/result.h"

struct catalog;
struct query_engine;

struct query_engine_options {
    struct catalog *catalog;
    int timeout_s;      /* per query */
    int default_rows;   /* when the request gives no limit */
    int max_rows;       /* the most a request may ask for */
    int64_t max_bytes;  /* of encoded rows */
    int max_concurrent; /* per user */
};

struct query_request {
    const char *user_id;  /* for the per-user cap */
    const char *sql;
    int64_t limit;        /* 0: the default; above max_rows: capped at max_rows */
    enum result_format format;
    struct guard_policy policy;
    bool (*gone)(void *ctx); /* true when the client has disconnected; may be NULL */
    void *gone_ctx;
};

/* How a query ended, for the answer, the audit log and the metrics. */
enum query_outcome_kind {
    QUERY_OK,
    QUERY_BAD_SQL,   /* 400: the guard's verdict or the engine's error */
    QUERY_FORBIDDEN, /* 403 */
    QUERY_TOO_MANY,  /* 429: the caller runs max_concurrent queries already */
    QUERY_TIMEOUT,   /* 408 with a message naming the limit */
    QUERY_CANCELLED, /* the client went away */
};

struct query_outcome {
    enum query_outcome_kind kind;
    char message[512];        /* for every kind but QUERY_OK; names the table, construct or limit */
    struct result_stats stats;
    struct guard_result guard; /* tables read, for the audit log; cleaned by query_outcome_cleanup */
    int64_t duration_us;
    uint64_t generation;      /* of the catalog the query ran on */
    int parquet_fd;           /* RESULT_PARQUET and QUERY_OK: the result file, open and already
                               * unlinked (nothing to clean up on disk); -1 otherwise. Closed
                               * by query_outcome_cleanup unless the caller takes it (sets -1). */
};

void query_outcome_cleanup(struct query_outcome *o);

enum rc query_engine_start(const struct query_engine_options *opt, struct query_engine **out,
                           struct err *err) WARN_UNUSED;

/* Stops the watchdog. Call after the last query has returned. */
void query_engine_stop(struct query_engine **e);

/* Runs req, appending the encoded result to out when the outcome is QUERY_OK (or, for
 * RESULT_PARQUET, writing it to a file in the catalog's results folder: o->parquet_fd). A refusal or a
 * failing query is an outcome, not an error: RC_OK with o->kind saying what happened. An
 * error (RC_DB, RC_INTERNAL) is the engine itself failing. */
enum rc query_run(struct query_engine *e, const struct query_request *req, struct buf *out,
                  struct query_outcome *o, struct err *err) WARN_UNUSED;

#endif
