/* jobs.h — connector jobs as the surfaces see them: trigger a sync (admins; audited), list
 * and show jobs (admins; a job with the end of its log), cancel one (admins; audited), and
 * core_jobs_request for the server's own callers (the Jira webhook) that wakes the scheduler
 * without a user. The scheduler (sched/scheduler.h) decides and runs; this is its door. */
#ifndef DA_CORE_JOBS_H
#define DA_CORE_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/rc.h"
#include "core/core.h"
#include "core/principal.h"
#include "sched/scheduler.h"
#include "store/jobs_repo.h"

#define CORE_JOBS_LIST_MAX 1000  /* the most jobs one list returns */
#define CORE_JOBS_LOG_TAIL 16384 /* bytes of a job's log shown with it */

/* Queues a job of source (NULL: of every known source) as p, trigger "manual"; tables
 * (registry ids, only with a source) narrow it. A source that has a job queued or running
 * already gets that job's id (coalesced). *out_ids (caller frees) gets the job ids.
 * RC_FORBIDDEN for a non-admin, RC_NOTFOUND "Unknown source", RC_BADVALUE naming the field,
 * RC_CONFLICT when the server runs no scheduler. */
enum rc core_jobs_trigger(struct core *core, const struct principal *p, const char *from,
                          const char *source, const char *const *tables, size_t n_tables,
                          int64_t **out_ids, size_t *out_n, struct err *err) WARN_UNUSED;

/* The same for the server itself (webhooks): no principal, trigger "webhook" or another
 * trigger name; one source. */
enum rc core_jobs_request(struct core *core, const char *source, const char *const *tables,
                          size_t n_tables, const char *trigger, int64_t *out_job_id,
                          struct err *err) WARN_UNUSED;

/* Newest first (limit 1..CORE_JOBS_LIST_MAX), filtered when source/state are not NULL.
 * RC_FORBIDDEN for a non-admin, RC_BADVALUE for an unknown state or a bad limit. The caller
 * frees *out. */
enum rc core_jobs_list(struct core *core, const struct principal *p, const char *source,
                       const char *state, int limit, struct job **out, size_t *out_len,
                       struct err *err) WARN_UNUSED;

/* One job and the end of its log (*out_log heap, "" when none; the data folder's path
 * redacted). RC_FORBIDDEN, RC_NOTFOUND "Job not found". */
enum rc core_jobs_show(struct core *core, const struct principal *p, int64_t id, struct job *out,
                       char **out_log, struct err *err) WARN_UNUSED;

/* Cancels job id (a running one's process is killed). RC_FORBIDDEN, RC_NOTFOUND, RC_CONFLICT
 * when it has ended already. */
enum rc core_jobs_cancel(struct core *core, const struct principal *p, const char *from, int64_t id,
                         struct err *err) WARN_UNUSED;

/* The scheduled sources overdue now (for health). The caller frees *out; none without a
 * scheduler. */
void core_jobs_overdue(struct core *core, struct sched_overdue **out, size_t *out_len);

#endif
