/* scheduler.c — sources, schedules, jobs and retries: see scheduler.h.
 *
 * State: the jobs live in the store (the truth, shared with the API); in memory are only the
 * sources with when each was last started (so a due schedule is not queued twice) and the
 * jobs running now. One mutex guards both; it is held across the store calls and the runner's
 * start (a spawn), never across the runner's poll or on_success (a catalog rebuild). */
#include "sched/scheduler.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/isotime.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/metrics.h"
#include "base/rand.h"
#include "sched/schedule.h"
#include "store/registry_repo.h"

#define TICK_MS         100
#define RELOAD_EVERY_S  10   /* the registry's sources are read again this often */
#define PRUNE_EVERY_S   3600 /* ended jobs past scheduler.keep_jobs_days are deleted this often */
#define BACKOFF_MAX_S   (6 * 3600)
#define QUEUED_SCAN_MAX 1000

struct entry {
    struct sched_source src;
    struct schedule sch;             /* valid when src.schedule[0] */
    char tables[JOB_TABLES_MAX + 1]; /* JSON array for a registry group; "" = all */
    bool from_registry;
    int64_t last_run;     /* when a job of this entry's source was last queued; 0: never */
    int64_t last_success; /* 0: none seen */
    /* a webhook came while a job of this source ran: its run drains only what was queued when
     * it started, so one more run follows it (however many webhooks came) */
    bool follow_up;
};

struct running {
    int64_t id;
    char source[IDENT_MAX_LEN + 1];
    int64_t started; /* epoch seconds */
};

struct scheduler {
    struct sched_options opt;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t thread;
    bool started, stop, wake;
    struct entry *e;
    size_t n_e, n_config; /* the config's entries first, then the registry's */
    struct running *run;
    size_t n_run, cap_run;
    int64_t created_at;
    int64_t next_reload;
    int64_t next_prune; /* touched only by sched_tick's caller */
};

static const char *const registry_types[] = { "keboola", "jira" };

int64_t sched_backoff_s(int base_s, int attempt)
{
    int shift = attempt > 1 ? attempt - 1 : 0;
    if (shift > 20)
        shift = 20;
    int64_t d = (int64_t)(base_s > 0 ? base_s : 1) << shift;
    if (d > BACKOFF_MAX_S)
        d = BACKOFF_MAX_S;
    uint32_t r = 0;
    struct err err;
    if (rand_bytes(&r, sizeof(r), &err) != RC_OK)
        r = (uint32_t)time(NULL);
    return d + (int64_t)(r % (uint32_t)(d / 2 + 1));
}

static void count_outcome(const char *source, const char *outcome)
{
    char labels[160];
    snprintf(labels, sizeof(labels), "source=\"%s\",outcome=\"%s\"", source, outcome);
    metrics_count("da_jobs_total", labels, 1);
}

static int64_t last_created(struct store *st, const char *source)
{
    int64_t t = 0;
    struct err err;
    return jobs_last_created(st, source, &t, &err) == RC_OK ? t : 0;
}

static int64_t last_success(struct store *st, const char *source)
{
    int64_t t = 0;
    struct err err;
    return jobs_last_success(st, source, &t, &err) == RC_OK ? t : 0;
}

static bool registry_type(const char *t)
{
    for (size_t i = 0; i < ARRAY_LEN(registry_types); i++)
        if (strcmp(t, registry_types[i]) == 0)
            return true;
    return false;
}

/* The entry of (source, schedule) among e[from..n), or NULL. */
static struct entry *find_entry(struct entry *e, size_t from, size_t n, const char *source,
                                const char *schedule)
{
    for (size_t i = from; i < n; i++)
        if (strcmp(e[i].src.name, source) == 0 && strcmp(e[i].src.schedule, schedule) == 0)
            return &e[i];
    return NULL;
}

static struct entry *entry_of_source(struct scheduler *s, const char *source)
{
    for (size_t i = 0; i < s->n_e; i++)
        if (strcmp(s->e[i].src.name, source) == 0)
            return &s->e[i];
    return NULL;
}

/* Appends id to the JSON array text in out (cap bytes); false when it does not fit. */
static bool tables_add(char *out, size_t cap, const char *id)
{
    size_t len = strlen(out);
    if (len == 0) {
        int n = snprintf(out, cap, "[\"%s\"]", id);
        if (n < 0 || (size_t)n >= cap) {
            out[0] = '\0';
            return false;
        }
        return true;
    }
    /* "[...]" -> "[...,"id"]": the closing bracket is overwritten */
    int n = snprintf(out + len - 1, cap - (len - 1), ",\"%s\"]", id);
    if (n < 0 || (size_t)n >= cap - (len - 1)) {
        out[len - 1] = ']';
        out[len] = '\0';
        return false;
    }
    return true;
}

/* Logs a store failure that the scheduler cannot do more about (the next tick tries again). */
static void warn_rc(enum rc rc, const struct err *err)
{
    if (rc && rc != RC_CONFLICT)
        log_warn("sched", "state store: %s", err->msg);
}

/* Rebuilds the registry's entries (keboola, jira: one per source and schedule), keeping what
 * is known of the ones that stay. Called with the lock held. */
static void reload_registry(struct scheduler *s)
{
    struct registry_table *rows = NULL;
    size_t n = 0;
    struct err err;
    if (!s->opt.use_registry)
        return;
    if (registry_list(s->opt.store, &rows, &n, &err) != RC_OK) {
        log_warn("sched", "cannot read the table registry: %s", err.msg);
        return;
    }
    struct entry *fresh = NULL;
    size_t n_fresh = 0, cap = 0;
    for (size_t i = 0; i < n; i++) {
        const struct registry_table *t = &rows[i];
        if (!registry_type(t->source_type))
            continue;
        struct schedule sch;
        const char *schedule = t->sync_schedule;
        if (schedule[0] && !schedule_parse(schedule, &sch))
            schedule = ""; /* the registry refuses these; an old row runs on request only */
        struct entry *g = find_entry(fresh, 0, n_fresh, t->source_type, schedule);
        if (!g) {
            fresh = xgrow(fresh, &cap, n_fresh + 1, sizeof(*fresh));
            g = &fresh[n_fresh++];
            *g = (struct entry){ .from_registry = true };
            snprintf(g->src.name, sizeof(g->src.name), "%.64s", t->source_type);
            snprintf(g->src.type, sizeof(g->src.type), "%.64s", t->source_type);
            snprintf(g->src.schedule, sizeof(g->src.schedule), "%.127s", schedule);
            if (schedule[0])
                (void)schedule_parse(schedule, &g->sch);
        }
        if (!tables_add(g->tables, sizeof(g->tables), t->id))
            log_warn("sched", "source %s: too many tables for one job; %s runs with the next",
                     t->source_type, t->id);
    }
    /* a group that holds every table of its source extracts "all" */
    for (size_t i = 0; i < n_fresh; i++) {
        bool alone = true;
        for (size_t j = 0; j < n_fresh; j++)
            if (j != i && strcmp(fresh[i].src.name, fresh[j].src.name) == 0)
                alone = false;
        if (alone)
            fresh[i].tables[0] = '\0';
        struct entry *old =
            find_entry(s->e, s->n_config, s->n_e, fresh[i].src.name, fresh[i].src.schedule);
        if (old) {
            fresh[i].last_run = old->last_run;
            fresh[i].last_success = old->last_success;
        } else {
            fresh[i].last_run = last_created(s->opt.store, fresh[i].src.name);
            fresh[i].last_success = last_success(s->opt.store, fresh[i].src.name);
        }
    }
    free(rows);
    s->e = xrealloc(s->e, (s->n_config + n_fresh + 1) * sizeof(*s->e));
    if (n_fresh)
        memcpy(s->e + s->n_config, fresh, n_fresh * sizeof(*fresh));
    s->n_e = s->n_config + n_fresh;
    free(fresh);
}

static bool is_running(const struct scheduler *s, const char *source)
{
    for (size_t i = 0; i < s->n_run; i++)
        if (strcmp(s->run[i].source, source) == 0)
            return true;
    return false;
}

/* Marks every entry of source as run at now (a queued job is the due run of all of them). */
static void set_last_run(struct scheduler *s, const char *source, int64_t now)
{
    for (size_t i = 0; i < s->n_e; i++)
        if (strcmp(s->e[i].src.name, source) == 0)
            s->e[i].last_run = now;
}

static enum rc queue_job(struct scheduler *s, const struct entry *en, const char *tables,
                         const char *trigger, const char *requested_by, int attempt, int64_t at,
                         int64_t *out_id, struct err *err)
{
    struct job j = { .attempt = attempt, .next_attempt_at = at };
    snprintf(j.source, sizeof(j.source), "%s", en->src.name);
    snprintf(j.type, sizeof(j.type), "%s", en->src.type);
    snprintf(j.tables, sizeof(j.tables), "%s", tables ? tables : "");
    snprintf(j.trigger, sizeof(j.trigger), "%s", trigger);
    snprintf(j.requested_by, sizeof(j.requested_by), "%s", requested_by ? requested_by : "");
    return jobs_create(s->opt.store, &j, out_id, err);
}

/* Recovers from a server that was killed: its unfinished jobs fail, and are retried. Both
 * lists are read before anything changes, so a retry queued here is not taken for one of
 * them. */
static enum rc recover(struct scheduler *s, int64_t now, struct err *err)
{
    struct job *running = NULL, *queued = NULL;
    size_t n_running = 0, n_queued = 0;
    enum rc rc =
        jobs_list(s->opt.store, NULL, "running", QUEUED_SCAN_MAX, &running, &n_running, err);
    if (!rc)
        rc = jobs_list(s->opt.store, NULL, "queued", QUEUED_SCAN_MAX, &queued, &n_queued, err);
    for (size_t i = 0; i < n_running + n_queued && !rc; i++) {
        const struct job *j = i < n_running ? &running[i] : &queued[i - n_running];
        rc = jobs_finish(s->opt.store, j->id, "failed", -1, -1,
                         "the server stopped before the job ended", err);
        if (rc == RC_CONFLICT)
            rc = RC_OK;
        if (rc)
            break;
        count_outcome(j->source, "failed");
        if (j->attempt >= s->opt.max_attempts) {
            log_warn("sched", "job %lld of %s: the server stopped during it; no attempts left",
                     (long long)j->id, j->source);
            continue;
        }
        struct job again = *j;
        again.attempt = j->attempt + 1;
        again.next_attempt_at = now;
        snprintf(again.trigger, sizeof(again.trigger), "startup");
        int64_t id = 0;
        rc = jobs_create(s->opt.store, &again, &id, err);
        if (!rc)
            log_info("sched",
                     "job %lld of %s: the server stopped during it; retried as job %lld "
                     "(attempt %d)",
                     (long long)j->id, j->source, (long long)id, again.attempt);
    }
    free(running);
    free(queued);
    return rc;
}

enum rc sched_new(const struct sched_options *opt, int64_t now, struct scheduler **out,
                  struct err *err)
{
    *out = NULL;
    struct scheduler *s = xcalloc(1, sizeof(*s));
    s->opt = *opt;
    s->opt.sources = NULL;
    s->opt.n_sources = 0;
    s->opt.jobs_dir = opt->jobs_dir ? xstrdup(opt->jobs_dir) : NULL;
    if (s->opt.max_attempts <= 0)
        s->opt.max_attempts = 3;
    if (s->opt.backoff_base_s <= 0)
        s->opt.backoff_base_s = 60;
    s->created_at = now;
    s->e = xcalloc(opt->n_sources + 1, sizeof(*s->e));
    enum rc rc = RC_OK;
    for (size_t i = 0; i < opt->n_sources && !rc; i++) {
        const struct config_source *cs = &opt->sources[i];
        struct entry *en = &s->e[s->n_config++];
        snprintf(en->src.name, sizeof(en->src.name), "%s", cs->name);
        snprintf(en->src.type, sizeof(en->src.type), "%s", cs->type);
        if (cs->schedule && strlen(cs->schedule) >= sizeof(en->src.schedule))
            rc = err_set(err, RC_INVALID, "sources: %s: schedule is too long", cs->name);
        else if (cs->schedule)
            snprintf(en->src.schedule, sizeof(en->src.schedule), "%s", cs->schedule);
        if (!rc && cs->from && strlen(cs->from) >= sizeof(en->src.from))
            rc = err_set(err, RC_INVALID, "sources: %s: from is too long", cs->name);
        else if (cs->from)
            snprintf(en->src.from, sizeof(en->src.from), "%s", cs->from);
        if (!rc && en->src.schedule[0] && !schedule_parse(en->src.schedule, &en->sch))
            rc = err_set(err, RC_INVALID,
                         "sources: %s: schedule '%.64s' is not 'every <N>m', 'every <N>h' or "
                         "'daily HH:MM[,HH:MM...]'",
                         cs->name, en->src.schedule);
        if (!rc) {
            en->last_run = last_created(opt->store, en->src.name);
            en->last_success = last_success(opt->store, en->src.name);
            if (en->last_success > 0) {
                char labels[96];
                snprintf(labels, sizeof(labels), "source=\"%s\"", en->src.name);
                metrics_set("da_source_last_success_timestamp_seconds", labels,
                            (double)en->last_success);
            }
        }
    }
    s->n_e = s->n_config;
    pthread_mutex_init(&s->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (!rc)
        rc = recover(s, now, err);
    if (rc) {
        sched_free(&s);
        return rc;
    }
    reload_registry(s);
    s->next_reload = now + RELOAD_EVERY_S;
    *out = s;
    return RC_OK;
}

/* Starts the queued jobs whose time has come, oldest first, one per source. Lock held. */
static void start_queued(struct scheduler *s, int64_t now)
{
    struct job *jobs = NULL;
    size_t n = 0;
    struct err err;
    if (jobs_list(s->opt.store, NULL, "queued", QUEUED_SCAN_MAX, &jobs, &n, &err) != RC_OK) {
        log_warn("sched", "cannot read the queued jobs: %s", err.msg);
        return;
    }
    for (size_t k = n; k-- > 0;) { /* the list is newest first */
        const struct job *j = &jobs[k];
        if (j->next_attempt_at > now || is_running(s, j->source))
            continue;
        struct entry *en = entry_of_source(s, j->source);
        if (!en) {
            warn_rc(jobs_finish(s->opt.store, j->id, "failed", -1, -1,
                                "the source is no longer configured", &err),
                    &err);
            count_outcome(j->source, "failed");
            continue;
        }
        char log_path[JOB_PATH_MAX + 1] = "";
        if (s->opt.jobs_dir)
            snprintf(log_path, sizeof(log_path), "%.400s/%lld.log", s->opt.jobs_dir,
                     (long long)j->id);
        if (jobs_mark_running(s->opt.store, j->id, log_path, &err) != RC_OK)
            continue; /* cancelled meanwhile */
        struct job started = *j;
        snprintf(started.state, sizeof(started.state), "running");
        s->run = xgrow(s->run, &s->cap_run, s->n_run + 1, sizeof(*s->run));
        struct running *r = &s->run[s->n_run++];
        *r = (struct running){ .id = j->id, .started = now };
        snprintf(r->source, sizeof(r->source), "%s", j->source);
        enum rc rc = s->opt.runner.start(s->opt.runner.ctx, &started, &en->src, &err);
        if (rc) {
            s->n_run--;
            log_warn("sched", "job %lld of %s cannot start: %s", (long long)j->id, j->source,
                     err.msg);
            warn_rc(jobs_finish(s->opt.store, j->id, "failed", -1, -1, err.msg, &err), &err);
            count_outcome(j->source, "failed");
            continue;
        }
        log_info("sched", "job %lld of %s started (%s, attempt %d)", (long long)j->id, j->source,
                 j->trigger, j->attempt);
    }
    free(jobs);
}

/* Deletes the ended jobs older than keep_jobs_days and their logs, so a server that runs for
 * years keeps a bounded history. Runs without the lock: it touches no scheduler state. */
static void prune_jobs(struct scheduler *s, int64_t now)
{
    if (s->opt.keep_jobs_days <= 0 || now < s->next_prune)
        return;
    s->next_prune = now + PRUNE_EVERY_S;
    char before[ISOTIME_SIZE];
    isotime_format((time_t)(now - (int64_t)s->opt.keep_jobs_days * 86400), before);
    int64_t *ids = NULL;
    size_t n = 0;
    struct err err;
    if (jobs_prune(s->opt.store, before, &ids, &n, &err) != RC_OK) {
        log_warn("sched", "cannot prune old jobs: %s", err.msg);
        return;
    }
    for (size_t i = 0; s->opt.jobs_dir && i < n; i++) {
        char path[JOB_PATH_MAX + 1];
        snprintf(path, sizeof(path), "%.400s/%lld.log", s->opt.jobs_dir, (long long)ids[i]);
        unlink(path); /* the path is made from the id: never a path read back from the store */
    }
    if (n)
        log_info("sched", "pruned %zu jobs that ended before %s", n, before);
    free(ids);
}

void sched_tick(struct scheduler *s, int64_t now)
{
    prune_jobs(s, now);
    pthread_mutex_lock(&s->mu);
    if (now >= s->next_reload) {
        reload_registry(s);
        s->next_reload = now + RELOAD_EVERY_S;
    }
    for (size_t i = 0; i < s->n_e; i++) {
        struct entry *en = &s->e[i];
        if (!en->src.schedule[0] || now < schedule_next_due(&en->sch, en->last_run, now))
            continue;
        struct job active;
        struct err err;
        enum rc rc = jobs_active(s->opt.store, en->src.name, &active, &err);
        if (rc == RC_OK) {
            /* coalesced: the job queued or running is this due run */
            set_last_run(s, en->src.name, now);
            log_debug("sched", "%s is due while job %lld is %s: coalesced", en->src.name,
                      (long long)active.id, active.state);
            continue;
        }
        if (rc != RC_NOTFOUND)
            continue;
        int64_t id = 0;
        if (queue_job(s, en, en->tables, "schedule", NULL, 1, now, &id, &err) != RC_OK) {
            log_warn("sched", "cannot queue a job of %s: %s", en->src.name, err.msg);
            continue;
        }
        set_last_run(s, en->src.name, now);
    }
    start_queued(s, now);
    pthread_mutex_unlock(&s->mu);
}

/* The run a webhook asked for while source's job ran, unless a job of source is queued
 * already (a retry drains the queue too). Called with the lock held. */
static void queue_follow_up(struct scheduler *s, const char *source, int64_t now)
{
    struct entry *en = entry_of_source(s, source);
    if (!en || !en->follow_up)
        return;
    en->follow_up = false;
    struct job active;
    struct err err;
    int64_t id = 0;
    if (jobs_active(s->opt.store, source, &active, &err) == RC_OK)
        return;
    warn_rc(queue_job(s, en, "", "webhook", NULL, 1, now, &id, &err), &err);
}

void sched_job_ended(struct scheduler *s, int64_t job_id, const struct job_outcome *o, int64_t now)
{
    struct err err;
    struct job j;
    /* the catalog takes the new extract before the job says succeeded, so whoever sees
     * "succeeded" can query the new data; the job stays in s->run meanwhile (one per source) */
    if (o->ok && s->opt.on_success && jobs_get(s->opt.store, job_id, &j, &err) == RC_OK &&
        strcmp(j.state, "running") == 0)
        s->opt.on_success(s->opt.on_success_ctx, j.source);
    pthread_mutex_lock(&s->mu);
    for (size_t i = 0; i < s->n_run; i++)
        if (s->run[i].id == job_id) {
            s->run[i] = s->run[--s->n_run];
            break;
        }
    if (jobs_get(s->opt.store, job_id, &j, &err) != RC_OK) {
        pthread_mutex_unlock(&s->mu);
        log_warn("sched", "job %lld ended but cannot be read: %s", (long long)job_id, err.msg);
        return;
    }
    char labels[96];
    snprintf(labels, sizeof(labels), "source=\"%s\"", j.source);
    metrics_observe("da_job_duration_seconds", labels, o->duration_s);
    if (strcmp(j.state, "cancelled") == 0 || o->cancelled) {
        warn_rc(jobs_finish(s->opt.store, job_id, "cancelled", -1, -1, "cancelled", &err), &err);
        count_outcome(j.source, "cancelled");
        log_info("sched", "job %lld of %s cancelled", (long long)job_id, j.source);
    } else if (o->ok) {
        if (jobs_finish(s->opt.store, job_id, "succeeded", o->rows, o->bytes, NULL, &err))
            log_warn("sched", "job %lld: %s", (long long)job_id, err.msg);
        for (size_t i = 0; i < s->n_e; i++)
            if (strcmp(s->e[i].src.name, j.source) == 0)
                s->e[i].last_success = now;
        count_outcome(j.source, "succeeded");
        metrics_set("da_source_last_success_timestamp_seconds", labels, (double)now);
        log_info("sched", "job %lld of %s succeeded: %lld rows, %lld bytes in %.1fs",
                 (long long)job_id, j.source, (long long)o->rows, (long long)o->bytes,
                 o->duration_s);
    } else if (j.attempt < s->opt.max_attempts) {
        int64_t delay = sched_backoff_s(s->opt.backoff_base_s, j.attempt);
        warn_rc(jobs_requeue(s->opt.store, job_id, j.attempt + 1, now + delay, o->error, &err),
                &err);
        count_outcome(j.source, "retried");
        log_warn("sched", "job %lld of %s failed (attempt %d of %d): %s; retry in %llds",
                 (long long)job_id, j.source, j.attempt, s->opt.max_attempts, o->error,
                 (long long)delay);
    } else {
        warn_rc(jobs_finish(s->opt.store, job_id, "failed", o->rows, o->bytes, o->error, &err),
                &err);
        count_outcome(j.source, "failed");
        log_error("sched", "job %lld of %s failed after %d attempts: %s", (long long)job_id,
                  j.source, j.attempt, o->error);
    }
    queue_follow_up(s, j.source, now);
    s->wake = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
}

/* The tables of a request as a JSON array, each checked against the registry rows of the
 * source. */
static enum rc request_tables(struct scheduler *s, const struct entry *en,
                              const char *const *tables, size_t n, char out[JOB_TABLES_MAX + 1],
                              struct err *err)
{
    out[0] = '\0';
    if (n == 0)
        return RC_OK;
    if (!en->from_registry)
        return err_set(err, RC_BADVALUE, "tables: source %s extracts all of its tables",
                       en->src.name);
    for (size_t i = 0; i < n; i++) {
        struct registry_table t;
        struct err inner;
        if (!tables[i] || !ident_is_table_id(tables[i]) ||
            registry_get(s->opt.store, tables[i], &t, &inner) != RC_OK ||
            strcmp(t.source_type, en->src.type) != 0)
            return err_set(err, RC_BADVALUE, "tables: '%.64s' is not a registered table of %s",
                           tables[i] ? tables[i] : "", en->src.name);
        if (!tables_add(out, JOB_TABLES_MAX + 1, tables[i]))
            return err_set(err, RC_BADVALUE, "tables: too many for one job");
    }
    return RC_OK;
}

enum rc sched_request(struct scheduler *s, const char *source, const char *const *tables,
                      size_t n_tables, const char *trigger, const char *requested_by, int64_t now,
                      int64_t *out_id, bool *out_coalesced, struct err *err)
{
    *out_id = 0;
    if (out_coalesced)
        *out_coalesced = false;
    pthread_mutex_lock(&s->mu);
    enum rc rc = RC_OK;
    struct entry *en = entry_of_source(s, source);
    if (!en) {
        reload_registry(s); /* a table registered a moment ago */
        en = entry_of_source(s, source);
    }
    char list[JOB_TABLES_MAX + 1];
    struct job active;
    if (!en)
        rc = err_set(err, RC_NOTFOUND, "Unknown source");
    if (!rc)
        rc = request_tables(s, en, tables, n_tables, list, err);
    if (!rc && jobs_active(s->opt.store, source, &active, err) == RC_OK) {
        *out_id = active.id;
        if (out_coalesced)
            *out_coalesced = true;
        if (strcmp(trigger, "webhook") == 0 && strcmp(active.state, "running") == 0)
            en->follow_up = true;
    } else if (!rc) {
        rc = queue_job(s, en, list, trigger, requested_by, 1, now, out_id, err);
        if (!rc)
            set_last_run(s, source, now);
    }
    s->wake = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return rc;
}

enum rc sched_cancel(struct scheduler *s, int64_t job_id, struct err *err)
{
    struct job j;
    pthread_mutex_lock(&s->mu);
    enum rc rc = jobs_get(s->opt.store, job_id, &j, err);
    bool running = !rc && strcmp(j.state, "running") == 0;
    if (!rc && strcmp(j.state, "queued") != 0 && !running)
        rc = err_set(err, RC_CONFLICT, "Job has ended already (%s)", j.state);
    if (!rc)
        rc = jobs_finish(s->opt.store, job_id, "cancelled", -1, -1, "cancelled", err);
    if (!rc && running)
        s->opt.runner.cancel(s->opt.runner.ctx, job_id);
    else if (!rc)
        count_outcome(j.source, "cancelled");
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void sched_sources(struct scheduler *s, struct sched_source **out, size_t *out_len)
{
    pthread_mutex_lock(&s->mu);
    *out = xcalloc(s->n_e + 1, sizeof(**out));
    size_t n = 0;
    for (size_t i = 0; i < s->n_e; i++)
        (*out)[n++] = s->e[i].src;
    *out_len = n;
    pthread_mutex_unlock(&s->mu);
}

void sched_overdue_list(struct scheduler *s, int64_t now, struct sched_overdue **out,
                        size_t *out_len)
{
    pthread_mutex_lock(&s->mu);
    *out = xcalloc(s->n_e + 1, sizeof(**out));
    size_t n = 0;
    for (size_t i = 0; i < s->n_e; i++) {
        const struct entry *en = &s->e[i];
        if (!en->src.schedule[0])
            continue;
        int64_t base = en->last_success ? en->last_success : s->created_at;
        if (now <= schedule_next_due(&en->sch, base, now) + schedule_period_s(&en->sch))
            continue;
        struct sched_overdue *o = &(*out)[n++];
        snprintf(o->source, sizeof(o->source), "%s", en->src.name);
        snprintf(o->schedule, sizeof(o->schedule), "%s", en->src.schedule);
        o->last_success = en->last_success;
    }
    *out_len = n;
    pthread_mutex_unlock(&s->mu);
}

static void *thread_main(void *arg)
{
    struct scheduler *s = arg;
    pthread_mutex_lock(&s->mu);
    while (!s->stop) {
        pthread_mutex_unlock(&s->mu);
        if (s->opt.runner.poll)
            s->opt.runner.poll(s->opt.runner.ctx, s);
        sched_tick(s, clock_now_s());
        pthread_mutex_lock(&s->mu);
        if (!s->wake && !s->stop) {
            struct timespec until = clock_after_us(CLOCK_MONOTONIC, TICK_MS * 1000);
            pthread_cond_timedwait(&s->cv, &s->mu, &until);
        }
        s->wake = false;
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

enum rc sched_start(struct scheduler *s, struct err *err)
{
    if (pthread_create(&s->thread, NULL, thread_main, s) != 0)
        return err_set(err, RC_IO, "cannot start the scheduler thread");
    s->started = true;
    return RC_OK;
}

void sched_free(struct scheduler **sp)
{
    struct scheduler *s = sp ? *sp : NULL;
    if (!s)
        return;
    if (s->started) {
        pthread_mutex_lock(&s->mu);
        s->stop = true;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
        pthread_join(s->thread, NULL);
    }
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free((char *)s->opt.jobs_dir);
    free(s->e);
    free(s->run);
    free(s);
    *sp = NULL;
}
