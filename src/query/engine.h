/* engine.h — the governed query: one SQL text of one caller, checked by the SQL guard against
 * what the caller may read, run on the catalog generation current when it starts, within the
 * limits of instance.yaml (rows, bytes, time, memory, queries per user), and encoded for the
 * wire.
 *
 * The server only checks: the guard parses in the server, and the query runs in a query
 * worker process (worker.h) from a small supervised pool. A query past its deadline (in any
 * phase: parse, bind, optimize, execute), past its memory budget, or whose client has gone
 * away, is ended by killing its worker with SIGKILL; the worker is replaced, and the server
 * and every other query carry on. The calling thread watches its own worker (poll on its
 * socket every few tens of milliseconds), so no lock is held while it checks the client, and
 * a deadline or cancel cannot be lost. */
#ifndef DA_QUERY_ENGINE_H
#define DA_QUERY_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/compat.h"
#include "base/rc.h"
#include "data/result.h"
#include "query/guard.h"

struct catalog;
struct query_engine;

struct query_engine_options {
    struct catalog *catalog;
    int timeout_s;                 /* per query */
    int default_rows;              /* when the request gives no limit */
    int max_rows;                  /* the most a request may ask for */
    int64_t max_bytes;             /* of encoded rows */
    int max_concurrent;            /* per user */
    int workers;                   /* query worker processes at most (query.workers) */
    const char *memory_limit;      /* query.memory_limit ("4GB"): each worker's budget, see below */
    const char *worker_exe;        /* the binary to start as a worker; NULL: /proc/self/exe */
    const char *const *worker_env; /* NULL-terminated names of variables a worker also gets
                                    * (tests); the others are not passed (see engine.c) */
    size_t verdict_entries, verdict_bytes; /* the guard's parse cache; 0: the defaults of
                                            * verdict_cache.h */
};

/* A worker's resident memory may reach memory_limit plus a quarter plus 256 MiB (DuckDB's own
 * allocations beyond its buffer manager, the libraries); past that it is killed. */
int64_t query_worker_budget(int64_t memory_limit);

/* Reads a DuckDB size such as "4GB", "512 MiB" or "1000000" (bytes); false when it is not one. */
bool query_parse_size(const char *text, int64_t *out);

struct query_request {
    const char *user_id; /* for the per-user cap */
    const char *sql;
    int64_t limit; /* 0: the default; above max_rows: capped at max_rows */
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
    QUERY_TIMEOUT,   /* 504 with a message naming query.timeout_s */
    QUERY_CANCELLED, /* the client went away */
    QUERY_MEMORY,    /* 422: past query.memory_limit */
    QUERY_CRASHED,   /* 500: its worker died for another reason */
    QUERY_SHUTDOWN,  /* 503: the server is stopping */
};

struct query_outcome {
    enum query_outcome_kind kind;
    char message[512]; /* for every kind but QUERY_OK; names the table, construct or limit */
    struct result_stats stats;
    struct guard_result
        guard; /* tables read, for the audit log; cleaned by query_outcome_cleanup */
    int64_t duration_us;
    uint64_t generation; /* of the catalog the query ran on */
    int parquet_fd;      /* RESULT_PARQUET and QUERY_OK: the result file, open and already
                          * unlinked (nothing to clean up on disk); -1 otherwise. Closed
                          * by query_outcome_cleanup unless the caller takes it (sets -1). */
};

void query_outcome_cleanup(struct query_outcome *o);

enum rc query_engine_start(const struct query_engine_options *opt, struct query_engine **out,
                           struct err *err) WARN_UNUSED;

/* Starts stopping: kills every worker, so that each query still running returns at once
 * (QUERY_SHUTDOWN), and refuses new ones. Safe to call from any thread, more than once. */
void query_engine_shutdown(struct query_engine *e);

/* Shuts down (if not yet) and frees the engine. Call after the last query has returned. */
void query_engine_stop(struct query_engine **e);

/* Runs req, appending the encoded result to out when the outcome is QUERY_OK (or, for
 * RESULT_PARQUET, writing it to a file in the catalog's results folder: o->parquet_fd). A refusal
 * or a failing query is an outcome, not an error: RC_OK with o->kind saying what happened. An error
 * (RC_DB, RC_INTERNAL) is the engine itself failing. */
enum rc query_run(struct query_engine *e, const struct query_request *req, struct buf *out,
                  struct query_outcome *o, struct err *err) WARN_UNUSED;

#endif
