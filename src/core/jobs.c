/* jobs.c — connector jobs for the surfaces: see jobs.h. */
#include "core/jobs.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/fileio.h"
#include "base/isotime.h"
#include "base/mem.h"
#include "base/redact.h"
#include "core/audit.h"

static enum rc need_admin(const struct principal *p, struct err *err)
{
    if (!p || strcmp(p->user.role, "admin") != 0)
        return err_set(err, RC_FORBIDDEN, "Admin role required");
    return RC_OK;
}

static enum rc need_sched(const struct core *core, struct err *err)
{
    if (!core->sched)
        return err_set(err, RC_CONFLICT, "This server runs no scheduler");
    return RC_OK;
}

enum rc core_jobs_trigger(struct core *core, const struct principal *p, const char *from,
                          const char *source, const char *const *tables, size_t n_tables,
                          int64_t **out_ids, size_t *out_n, struct err *err)
{
    *out_ids = NULL;
    *out_n = 0;
    enum rc rc = need_admin(p, err);
    if (!rc)
        rc = need_sched(core, err);
    if (!rc && source && !ident_valid(source))
        rc = err_set(err, RC_BADVALUE, "source: must be a source name ([A-Za-z_][A-Za-z0-9_]*)");
    if (!rc && !source && n_tables > 0)
        rc = err_set(err, RC_BADVALUE, "tables: name the source they belong to");
    if (rc) {
        core_audit(core, from, p, "sync.trigger", source ? source : "*", "denied", err->msg);
        return rc;
    }
    struct sched_source *srcs = NULL;
    size_t n_srcs = 0;
    if (source) {
        srcs = xcalloc(1, sizeof(*srcs));
        snprintf(srcs[0].name, sizeof(srcs[0].name), "%s", source);
        n_srcs = 1;
    } else {
        sched_sources(core->sched, &srcs, &n_srcs);
    }
    int64_t *ids = xcalloc(n_srcs + 1, sizeof(*ids));
    size_t n = 0;
    for (size_t i = 0; i < n_srcs && !rc; i++) {
        bool dup = false; /* a source with several schedules is listed once per schedule */
        for (size_t k = 0; k < i; k++)
            dup = dup || strcmp(srcs[k].name, srcs[i].name) == 0;
        if (dup)
            continue;
        int64_t id = 0;
        rc = sched_request(core->sched, srcs[i].name, tables, n_tables, "manual", p->user.email,
                           clock_now_s(), &id, NULL, err);
        if (!rc)
            ids[n++] = id;
    }
    char detail[96];
    snprintf(detail, sizeof(detail), "%zu job(s)", n);
    core_audit(core, from, p, "sync.trigger", source ? source : "*", rc ? "error" : "ok",
               rc ? err->msg : detail);
    free(srcs);
    if (rc) {
        free(ids);
        return rc;
    }
    *out_ids = ids;
    *out_n = n;
    return RC_OK;
}

enum rc core_jobs_request(struct core *core, const char *source, const char *const *tables,
                          size_t n_tables, const char *trigger, int64_t *out_job_id,
                          struct err *err)
{
    *out_job_id = 0;
    enum rc rc = need_sched(core, err);
    if (rc)
        return rc;
    if (!source || !ident_valid(source))
        return err_set(err, RC_BADVALUE, "source: must be a source name");
    static const char *const triggers[] = { "schedule", "manual", "webhook", "startup" };
    bool known = false;
    for (size_t i = 0; i < ARRAY_LEN(triggers); i++)
        known = known || (trigger && strcmp(trigger, triggers[i]) == 0);
    if (!known)
        return err_set(err, RC_BADVALUE, "trigger: must be schedule, manual, webhook or startup");
    return sched_request(core->sched, source, tables, n_tables, trigger, NULL, clock_now_s(),
                         out_job_id, NULL, err);
}

static bool state_valid(const char *s)
{
    static const char *const states[] = { "queued", "running", "succeeded", "failed", "cancelled" };
    for (size_t i = 0; i < ARRAY_LEN(states); i++)
        if (strcmp(s, states[i]) == 0)
            return true;
    return false;
}

enum rc core_jobs_list(struct core *core, const struct principal *p, const char *source,
                       const char *state, int limit, struct job **out, size_t *out_len,
                       struct err *err)
{
    *out = NULL;
    *out_len = 0;
    enum rc rc = need_admin(p, err);
    if (rc)
        return rc;
    if (source && !ident_valid(source))
        return err_set(err, RC_BADVALUE, "source: must be a source name");
    if (state && !state_valid(state))
        return err_set(err, RC_BADVALUE,
                       "state: must be queued, running, succeeded, failed or cancelled");
    if (limit < 1 || limit > CORE_JOBS_LIST_MAX)
        return err_set(err, RC_BADVALUE, "limit: must be 1-%d", CORE_JOBS_LIST_MAX);
    return jobs_list(core->store, source, state, limit, out, out_len, err);
}

enum rc core_jobs_show(struct core *core, const struct principal *p, int64_t id, struct job *out,
                       char **out_log, struct err *err)
{
    *out_log = NULL;
    enum rc rc = need_admin(p, err);
    if (!rc)
        rc = jobs_get(core->store, id, out, err);
    if (rc)
        return rc;
    char *data = NULL;
    size_t len = 0;
    struct err inner;
    if (!out->log_path[0] || file_read_all(out->log_path, 1u << 30, &data, &len, &inner) != RC_OK) {
        *out_log = xstrdup("");
        return RC_OK;
    }
    size_t from = len > CORE_JOBS_LOG_TAIL ? len - CORE_JOBS_LOG_TAIL : 0;
    const char *nl = from ? memchr(data + from, '\n', len - from) : NULL;
    if (nl)
        from = (size_t)(nl + 1 - data);
    size_t size = len - from + 1;
    char *redacted = xmalloc(size + 64);
    redact_paths(data + from, core->data_dir, redacted, size + 64);
    free(data);
    *out_log = redacted;
    return RC_OK;
}

enum rc core_jobs_cancel(struct core *core, const struct principal *p, const char *from, int64_t id,
                         struct err *err)
{
    char target[32];
    snprintf(target, sizeof(target), "job %lld", (long long)id);
    enum rc rc = need_admin(p, err);
    if (!rc)
        rc = need_sched(core, err);
    if (!rc)
        rc = sched_cancel(core->sched, id, err);
    core_audit(core, from, p, "job.cancel", target, rc ? "error" : "ok", rc ? err->msg : NULL);
    return rc;
}

void core_jobs_overdue(struct core *core, struct sched_overdue **out, size_t *out_len)
{
    *out = NULL;
    *out_len = 0;
    if (core->sched)
        sched_overdue_list(core->sched, clock_now_s(), out, out_len);
}
