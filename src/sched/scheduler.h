/* scheduler.h — the scheduler of connector runs inside `da serve`. It knows the sources (the
 * `sources:` list of instance.yaml, and the registry's tables with a sync_schedule grouped by
 * source), turns due schedules and requests (manual, webhook) into jobs (store/jobs_repo.h),
 * runs at most one job per source at a time through a runner (runner.h: a child process),
 * retries a failed job with exponential backoff and jitter up to max_attempts, then leaves it
 * failed. Every decision is made by sched_tick(now) and sched_job_ended(now), which take the
 * time as an argument, so the tests drive them with a fake clock and a fake runner; the thread
 * of sched_start only calls them with the real clock. Safe from any thread. */
#ifndef DA_SCHED_SCHEDULER_H
#define DA_SCHED_SCHEDULER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/rc.h"
#include "config/config.h"
#include "store/jobs_repo.h"

struct store;
struct scheduler;

/* A source as the scheduler runs it. */
struct sched_source {
    char name[IDENT_MAX_LEN + 1];
    char type[IDENT_MAX_LEN + 1];
    char schedule[128]; /* "" when it runs on request only */
    char from[1024];    /* files: the folder; "" otherwise */
};

/* How a job ended, as the runner saw it. */
struct job_outcome {
    bool ok;
    bool cancelled;
    int64_t rows, bytes; /* -1 when unknown */
    double duration_s;
    char error[JOB_ERROR_MAX + 1]; /* why it failed; "" when ok */
};

/* What runs the jobs. start is called by sched_tick with the job already marked running;
 * cancel asks it to end a running job (its end is still reported); poll (the scheduler
 * thread, every 100 ms) reports ended jobs through sched_job_ended. */
struct sched_runner {
    enum rc (*start)(void *ctx, const struct job *j, const struct sched_source *src,
                     struct err *err);
    void (*cancel)(void *ctx, int64_t job_id);
    void (*poll)(void *ctx, struct scheduler *s);
    void *ctx;
};

struct sched_options {
    struct store *store;
    const struct config_source *sources; /* from instance.yaml; copied */
    size_t n_sources;
    bool use_registry; /* also schedule the registry's tables (keboola, jira) */
    int max_attempts;  /* tries before a job stays failed; 0: 3 */
    int backoff_base_s;
    const char *jobs_dir; /* the logs: <jobs_dir>/<id>.log is recorded on the job; NULL: none */
    int keep_jobs_days;   /* ended jobs older are pruned with their logs, hourly; 0: never */
    struct sched_runner runner;
    /* when a job succeeded, before its row says so, outside the scheduler's lock (the catalog
     * rebuild of source) */
    void (*on_success)(void *ctx, const char *source);
    void *on_success_ctx;
};

/* Checks every schedule (an error names the source), then marks the jobs a killed server left
 * queued or running as failed ("the server stopped before the job ended") and queues a
 * startup retry of each that has attempts left. The caller frees *out with sched_free. */
enum rc sched_new(const struct sched_options *opt, int64_t now, struct scheduler **out,
                  struct err *err) WARN_UNUSED;

/* Stops the thread (if started) and frees s. The jobs' processes are the runner's: free the
 * runner after this (runner_free kills what still runs; the next start retries those jobs).
 * Accepts NULL or a pointer to NULL. */
void sched_free(struct scheduler **s);

/* Starts the thread that calls the runner's poll and sched_tick with the real clock. */
enum rc sched_start(struct scheduler *s, struct err *err) WARN_UNUSED;

/* The decisions at time now: queue a job for every source whose schedule is due (or, when it
 * has a job queued or running, coalesce: the due run is that job), then start queued jobs
 * whose time has come, one per source. */
void sched_tick(struct scheduler *s, int64_t now);

/* A running job ended: succeeded (after on_success); or failed and queued again at now + backoff
 * (attempt < max); or failed for good; a cancelled job stays cancelled. */
void sched_job_ended(struct scheduler *s, int64_t job_id, const struct job_outcome *o, int64_t now);

/* Queues a job of source now (tables: registry ids to extract, NULL/0 for all) and wakes the
 * thread. When source already has a job queued or running, that job's id is returned and
 * *out_coalesced (may be NULL) is true. RC_NOTFOUND "Unknown source" when no such source;
 * RC_BADVALUE naming the table when a table is not one of the source's. */
enum rc sched_request(struct scheduler *s, const char *source, const char *const *tables,
                      size_t n_tables, const char *trigger, const char *requested_by, int64_t now,
                      int64_t *out_id, bool *out_coalesced, struct err *err) WARN_UNUSED;

/* Cancels job id: a queued one at once, a running one by killing its process. RC_NOTFOUND,
 * or RC_CONFLICT when it has ended already. */
enum rc sched_cancel(struct scheduler *s, int64_t job_id, struct err *err) WARN_UNUSED;

/* The sources known now (config and registry), a copy the caller frees. */
void sched_sources(struct scheduler *s, struct sched_source **out, size_t *out_len);

/* A scheduled source whose last success is older than its schedule allows. */
struct sched_overdue {
    char source[IDENT_MAX_LEN + 1];
    char schedule[128];
    int64_t last_success; /* 0: never */
};

/* The scheduled sources overdue at now: no success since next_due(last success) + the
 * schedule's period (a source that never succeeded counts from the scheduler's start).
 * The caller frees *out. */
void sched_overdue_list(struct scheduler *s, int64_t now, struct sched_overdue **out,
                        size_t *out_len);

/* The delay before attempt + 1 after attempt failed: base * 2^(attempt-1), at most 6 h, plus
 * a random jitter of up to half of it. */
int64_t sched_backoff_s(int base_s, int attempt);

#endif
