/* test_sched.c — the scheduler: schedules and their next due time (every, daily in a time
 * zone across DST and month ends), the decisions under a fake clock and a fake runner (one
 * run per minute, a slow run coalesced, a failing run retried with growing delays then
 * failed, cancel, recovery after a killed server, core_jobs_request), and the real runner
 * (a child over its memory or time limit is killed and its job failed with a clear error;
 * the child's environment carries no JWT_SECRET_KEY; the final JSON line gives the counts).
 * The binary is also its own job child: `__job` and the little programs below. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "base/fileio.h"
#include "base/mem.h"
#include "core/jobs.h"
#include "helpers.h"
#include "sched/job_child.h"
#include "sched/runner.h"
#include "sched/schedule.h"
#include "sched/scheduler.h"
#include "store/jobs_repo.h"
#include "store/registry_repo.h"
#include "store/store.h"

#define T0 1800000000LL /* 2027-01-15T08:00:00Z */

/* ---- schedules ---- */

static int64_t utc(int y, int mo, int d, int h, int mi)
{
    struct tm tm = {
        .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi
    };
    return (int64_t)timegm(&tm);
}

static void set_tz(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

static void test_parse_forms(void **state)
{
    (void)state;
    struct schedule s;
    assert_true(schedule_parse("every 15m", &s));
    assert_int_equal(s.every_s, 900);
    assert_true(schedule_parse("every 2h", &s));
    assert_int_equal(s.every_s, 7200);
    assert_true(schedule_parse("daily 17:00,05:30,05:30", &s));
    assert_int_equal(s.n_times, 2); /* sorted, duplicates dropped */
    assert_int_equal(s.minutes[0], 5 * 60 + 30);
    assert_int_equal(s.minutes[1], 17 * 60);
    const char *bad[] = { "every 0m",     "every 10081m", "every 5s",     "every m", "daily 24:00",
                          "daily 5:30",   "daily 05:60",  "daily 05:30,", "hourly",  "",
                          "daily 05:30 ", "every 15m " };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        assert_false(schedule_parse(bad[i], &s));
        assert_false(registry_schedule_valid(bad[i])); /* the registry agrees */
    }
    const char *good[] = { "every 1m",    "every 10080m", "every 168h",
                           "daily 00:00", "daily 23:59",  "daily 05:30,17:00" };
    for (size_t i = 0; i < ARRAY_LEN(good); i++) {
        assert_true(schedule_parse(good[i], &s));
        assert_true(registry_schedule_valid(good[i]));
    }
}

static void test_next_due_every(void **state)
{
    (void)state;
    struct schedule s;
    assert_true(schedule_parse("every 15m", &s));
    assert_int_equal(schedule_next_due(&s, 0, T0), T0); /* never ran: now */
    assert_int_equal(schedule_next_due(&s, T0, T0 + 5), T0 + 900);
    assert_int_equal(schedule_period_s(&s), 900);
}

static void test_next_due_daily_utc_month_ends(void **state)
{
    (void)state;
    set_tz("UTC");
    struct schedule s;
    assert_true(schedule_parse("daily 05:30", &s));
    /* after today's time: tomorrow, across a month end, a year end and a leap day */
    assert_int_equal(schedule_next_due(&s, utc(2027, 1, 31, 6, 0), 0), utc(2027, 2, 1, 5, 30));
    assert_int_equal(schedule_next_due(&s, utc(2026, 12, 31, 5, 30), 0), utc(2027, 1, 1, 5, 30));
    assert_int_equal(schedule_next_due(&s, utc(2028, 2, 28, 5, 31), 0), utc(2028, 2, 29, 5, 30));
    assert_int_equal(schedule_next_due(&s, utc(2027, 2, 28, 5, 31), 0), utc(2027, 3, 1, 5, 30));
    /* before today's time: today */
    assert_int_equal(schedule_next_due(&s, utc(2027, 4, 30, 1, 0), 0), utc(2027, 4, 30, 5, 30));
    assert_true(schedule_parse("daily 06:00,18:00", &s));
    assert_int_equal(schedule_next_due(&s, utc(2027, 4, 30, 6, 0), 0), utc(2027, 4, 30, 18, 0));
    assert_int_equal(schedule_next_due(&s, utc(2027, 4, 30, 18, 0), 0), utc(2027, 5, 1, 6, 0));
    assert_int_equal(schedule_period_s(&s), 12 * 3600);
    assert_true(schedule_parse("daily 01:00,05:00", &s));
    assert_int_equal(schedule_period_s(&s), 20 * 3600);
}

static void test_next_due_daily_across_dst(void **state)
{
    (void)state;
    set_tz("Europe/Prague");
    struct schedule s;
    /* wall-clock 09:00 stays 09:00: 08:00Z in winter (CET), 07:00Z after the change */
    assert_true(schedule_parse("daily 09:00", &s));
    assert_int_equal(schedule_next_due(&s, utc(2026, 3, 28, 8, 0), 0), utc(2026, 3, 29, 7, 0));
    assert_int_equal(schedule_next_due(&s, utc(2026, 10, 24, 7, 0), 0), utc(2026, 10, 25, 8, 0));
    /* 02:30 does not exist on 2026-03-29 (02:00 -> 03:00): it runs once, just after the gap */
    assert_true(schedule_parse("daily 02:30", &s));
    int64_t spring = schedule_next_due(&s, utc(2026, 3, 28, 1, 30), 0);
    assert_true(spring > utc(2026, 3, 29, 0, 59) && spring <= utc(2026, 3, 29, 1, 30));
    assert_int_equal(schedule_next_due(&s, spring, 0), utc(2026, 3, 30, 0, 30));
    /* 02:30 happens twice on 2026-10-25 (03:00 -> 02:00): it runs once */
    int64_t fall = schedule_next_due(&s, utc(2026, 10, 24, 0, 30), 0);
    assert_true(fall == utc(2026, 10, 25, 0, 30) || fall == utc(2026, 10, 25, 1, 30));
    assert_int_equal(schedule_next_due(&s, utc(2026, 10, 25, 0, 30), 0),
                     utc(2026, 10, 26, 1, 30)); /* not the second 02:30 of the same day */
    assert_int_equal(schedule_next_due(&s, utc(2026, 10, 25, 1, 30), 0), utc(2026, 10, 26, 1, 30));
    set_tz("UTC");
}

static void test_timezone_names(void **state)
{
    (void)state;
    assert_true(schedule_timezone_valid("UTC"));
    assert_true(schedule_timezone_valid("Europe/Prague"));
    assert_false(schedule_timezone_valid("Mars/Olympus"));
    assert_false(schedule_timezone_valid("../../etc/passwd"));
    assert_false(schedule_timezone_valid("/etc/localtime"));
    assert_false(schedule_timezone_valid("Europe/Prague;rm"));
    assert_false(schedule_timezone_valid(""));
}

/* ---- the scheduler with a fake clock and a fake runner ---- */

struct fake {
    int64_t started[64];
    int n_started;
    int64_t cancelled[8];
    int n_cancelled;
};

static enum rc fake_start(void *ctx, const struct job *j, const struct sched_source *src,
                          struct err *err)
{
    (void)src;
    (void)err;
    struct fake *f = ctx;
    assert_true(f->n_started < 64);
    f->started[f->n_started++] = j->id;
    return RC_OK;
}

static void fake_cancel(void *ctx, int64_t id)
{
    struct fake *f = ctx;
    f->cancelled[f->n_cancelled++] = id;
}

struct fixture {
    char *dir;
    struct store *st;
    struct fake fake;
    struct scheduler *s;
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    struct err err;
    f->dir = test_tmpdir();
    char *path = xasprintf("%s/system.sqlite", f->dir);
    int rc = store_open(path, 2, &f->st, &err);
    free(path);
    *state = f;
    return rc;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    sched_free(&f->s);
    store_close(&f->st);
    test_rm_rf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

static void make_sched(struct fixture *f, const char *schedule, int max_attempts, int base_s,
                       int64_t now)
{
    struct config_source src = { .name = (char *)"shop",
                                 .type = (char *)"files",
                                 .schedule = (char *)schedule,
                                 .from = (char *)"/nowhere" };
    struct sched_options o = {
        .store = f->st,
        .sources = &src,
        .n_sources = 1,
        .max_attempts = max_attempts,
        .backoff_base_s = base_s,
        .runner = { .start = fake_start, .cancel = fake_cancel, .ctx = &f->fake },
    };
    struct err err;
    sched_free(&f->s);
    assert_int_equal(sched_new(&o, now, &f->s, &err), RC_OK);
}

static struct job get_job(struct fixture *f, int64_t id)
{
    struct job j;
    struct err err;
    assert_int_equal(jobs_get(f->st, id, &j, &err), RC_OK);
    return j;
}

static size_t job_count(struct fixture *f)
{
    struct job *jobs = NULL;
    size_t n = 0;
    struct err err;
    assert_int_equal(jobs_list(f->st, NULL, NULL, 1000, &jobs, &n, &err), RC_OK);
    free(jobs);
    return n;
}

static void end_job(struct fixture *f, int64_t id, bool ok, const char *error, int64_t now)
{
    struct job_outcome o = { .ok = ok, .rows = ok ? 10 : -1, .bytes = ok ? 100 : -1 };
    snprintf(o.error, sizeof(o.error), "%s", error ? error : "");
    sched_job_ended(f->s, id, &o, now);
}

static void test_due_every_minute_runs_once_a_minute(void **state)
{
    struct fixture *f = *state;
    make_sched(f, "every 1m", 3, 60, T0);
    /* a tick every 10 s for ten minutes; each run takes 5 s */
    for (int64_t t = T0; t < T0 + 600; t += 5) {
        sched_tick(f->s, t);
        if (f->fake.n_started > 0) {
            struct job j = get_job(f, f->fake.started[f->fake.n_started - 1]);
            if (strcmp(j.state, "running") == 0 && t >= T0 + 5)
                end_job(f, j.id, true, NULL, t);
        }
    }
    assert_int_equal(f->fake.n_started, 10);
    assert_int_equal(job_count(f), 10);
    struct job j = get_job(f, f->fake.started[9]);
    assert_string_equal(j.state, "succeeded");
    assert_string_equal(j.trigger, "schedule");
    assert_int_equal(j.rows, 10);
}

static void test_slow_run_is_coalesced(void **state)
{
    struct fixture *f = *state;
    make_sched(f, "every 1m", 3, 60, T0);
    for (int64_t t = T0; t <= T0 + 300; t += 10)
        sched_tick(f->s, t); /* the first run never ends in these five minutes */
    assert_int_equal(f->fake.n_started, 1);
    assert_int_equal(job_count(f), 1); /* nothing queued behind it either */
    /* a request meanwhile is the same job */
    int64_t id = 0;
    bool coalesced = false;
    struct err err;
    assert_int_equal(sched_request(f->s, "shop", NULL, 0, "manual", "a@example.com", T0 + 301, &id,
                                   &coalesced, &err),
                     RC_OK);
    assert_true(coalesced);
    assert_int_equal(id, f->fake.started[0]);
    end_job(f, f->fake.started[0], true, NULL, T0 + 305);
    for (int64_t t = T0 + 310; t <= T0 + 420; t += 10)
        sched_tick(f->s, t);
    assert_int_equal(f->fake.n_started, 2); /* one more run, not the five that were due */
    assert_int_equal(job_count(f), 2);
}

/* A webhook's event is queued durably, but a connector run drains only what was queued when it
 * started: an event that arrives while a run is going needs one more run after it, while a
 * burst of them still needs only one. */
static void test_webhook_during_a_run_gets_one_more_run(void **state)
{
    struct fixture *f = *state;
    make_sched(f, NULL, 3, 10, T0); /* on request only */
    struct err err;
    int64_t first = 0, id = 0;
    assert_int_equal(sched_request(f->s, "shop", NULL, 0, "webhook", NULL, T0, &first, NULL, &err),
                     RC_OK);
    sched_tick(f->s, T0);
    assert_int_equal(f->fake.n_started, 1);
    for (int i = 0; i < 50; i++) { /* the burst arrives while it runs */
        bool coalesced = false;
        assert_int_equal(
            sched_request(f->s, "shop", NULL, 0, "webhook", NULL, T0 + 1, &id, &coalesced, &err),
            RC_OK);
        assert_true(coalesced);
    }
    end_job(f, first, true, NULL, T0 + 2);
    for (int64_t t = T0 + 2; t <= T0 + 30; t++)
        sched_tick(f->s, t);
    assert_int_equal(f->fake.n_started, 2); /* one follow-up for the whole burst */
    struct job next = get_job(f, f->fake.started[1]);
    assert_true(next.id != first);
    assert_string_equal(next.trigger, "webhook");
    end_job(f, next.id, true, NULL, T0 + 31);
    for (int64_t t = T0 + 31; t <= T0 + 90; t++)
        sched_tick(f->s, t);
    assert_int_equal(f->fake.n_started, 2); /* and nothing after it */
    /* a manual request during a run is still the same run, with no follow-up */
    assert_int_equal(
        sched_request(f->s, "shop", NULL, 0, "manual", NULL, T0 + 91, &first, NULL, &err), RC_OK);
    sched_tick(f->s, T0 + 91);
    assert_int_equal(sched_request(f->s, "shop", NULL, 0, "manual", NULL, T0 + 92, &id, NULL, &err),
                     RC_OK);
    assert_int_equal(id, first);
    end_job(f, first, true, NULL, T0 + 93);
    for (int64_t t = T0 + 93; t <= T0 + 150; t++)
        sched_tick(f->s, t);
    assert_int_equal(f->fake.n_started, 3);
}

static void test_failing_run_backs_off_then_fails(void **state)
{
    struct fixture *f = *state;
    make_sched(f, NULL, 3, 10, T0); /* on request only */
    int64_t id = 0;
    struct err err;
    assert_int_equal(sched_request(f->s, "shop", NULL, 0, "manual", NULL, T0, &id, NULL, &err),
                     RC_OK);
    int64_t failed_at[3] = { 0 }, started_at[3] = { 0 };
    int attempt = 0;
    for (int64_t t = T0; t < T0 + 4 * 3600; t++) {
        int before = f->fake.n_started;
        sched_tick(f->s, t);
        if (f->fake.n_started > before) {
            assert_int_equal(f->fake.started[f->fake.n_started - 1], id); /* the same row */
            assert_true(attempt < 3);
            started_at[attempt] = t;
            failed_at[attempt] = t + 1;
            end_job(f, id, false, "boom", t + 1);
            attempt++;
        }
    }
    assert_int_equal(attempt, 3);
    int64_t d1 = started_at[1] - failed_at[0], d2 = started_at[2] - failed_at[1];
    assert_true(d1 >= 10 && d1 <= 16);
    assert_true(d2 >= 20 && d2 <= 31);
    assert_true(d2 > d1);
    struct job j = get_job(f, id);
    assert_string_equal(j.state, "failed");
    assert_int_equal(j.attempt, 3);
    assert_string_equal(j.error, "boom");
    assert_int_equal(job_count(f), 1);
    /* the next request starts afresh */
    int64_t id2 = 0;
    assert_int_equal(
        sched_request(f->s, "shop", NULL, 0, "manual", NULL, T0 + 5 * 3600, &id2, NULL, &err),
        RC_OK);
    assert_true(id2 != id);
}

static void test_backoff_grows_with_jitter(void **state)
{
    (void)state;
    for (int i = 0; i < 50; i++) {
        int64_t a = sched_backoff_s(60, 1), b = sched_backoff_s(60, 2), c = sched_backoff_s(60, 3);
        assert_true(a >= 60 && a <= 90);
        assert_true(b >= 120 && b <= 180);
        assert_true(c >= 240 && c <= 360);
    }
    assert_true(sched_backoff_s(60, 30) <= 6 * 3600 + 3 * 3600); /* capped */
}

static size_t overdue_count(struct fixture *f, int64_t now)
{
    struct sched_overdue *o = NULL;
    size_t n = 0;
    sched_overdue_list(f->s, now, &o, &n);
    free(o);
    return n;
}

static void test_overdue_sources_for_health(void **state)
{
    struct fixture *f = *state;
    make_sched(f, "every 1m", 3, 60, T0);
    /* never succeeded: counted from the scheduler's start; due at +60, allowed one period */
    assert_int_equal(overdue_count(f, T0 + 100), 0);
    assert_int_equal(overdue_count(f, T0 + 121), 1);
    sched_tick(f->s, T0 + 121);
    end_job(f, f->fake.started[0], true, NULL, T0 + 130);
    assert_int_equal(overdue_count(f, T0 + 131), 0);
    assert_int_equal(overdue_count(f, T0 + 130 + 120), 0);
    assert_int_equal(overdue_count(f, T0 + 130 + 121), 1);
    /* a source without a schedule is never overdue */
    make_sched(f, NULL, 3, 60, T0);
    assert_int_equal(overdue_count(f, T0 + 86400 * 30), 0);
}

static void test_cancel_queued_and_running(void **state)
{
    struct fixture *f = *state;
    make_sched(f, NULL, 3, 10, T0);
    int64_t id = 0;
    struct err err;
    assert_int_equal(sched_request(f->s, "shop", NULL, 0, "manual", NULL, T0, &id, NULL, &err),
                     RC_OK);
    assert_int_equal(sched_cancel(f->s, id, &err), RC_OK);
    assert_string_equal(get_job(f, id).state, "cancelled");
    sched_tick(f->s, T0 + 1);
    assert_int_equal(f->fake.n_started, 0); /* never started */
    assert_int_equal(sched_cancel(f->s, id, &err), RC_CONFLICT);
    assert_int_equal(sched_cancel(f->s, 9999, &err), RC_NOTFOUND);

    assert_int_equal(sched_request(f->s, "shop", NULL, 0, "manual", NULL, T0 + 2, &id, NULL, &err),
                     RC_OK);
    sched_tick(f->s, T0 + 2);
    assert_int_equal(f->fake.n_started, 1);
    assert_int_equal(sched_cancel(f->s, id, &err), RC_OK);
    assert_int_equal(f->fake.n_cancelled, 1);
    assert_int_equal(f->fake.cancelled[0], id);
    /* the runner reports the killed child; the job stays cancelled, no retry */
    end_job(f, id, false, "killed", T0 + 3);
    assert_string_equal(get_job(f, id).state, "cancelled");
    for (int64_t t = T0 + 3; t < T0 + 100; t++)
        sched_tick(f->s, t);
    assert_int_equal(f->fake.n_started, 1);
}

static void test_startup_recovers_jobs_of_a_killed_server(void **state)
{
    struct fixture *f = *state;
    make_sched(f, NULL, 3, 10, T0);
    int64_t id = 0;
    struct err err;
    assert_int_equal(sched_request(f->s, "shop", NULL, 0, "manual", NULL, T0, &id, NULL, &err),
                     RC_OK);
    sched_tick(f->s, T0);
    assert_string_equal(get_job(f, id).state, "running");
    /* the server is killed here; a new one starts */
    f->fake.n_started = 0;
    make_sched(f, NULL, 3, 10, T0 + 100);
    struct job old = get_job(f, id);
    assert_string_equal(old.state, "failed");
    assert_string_equal(old.error, "the server stopped before the job ended");
    struct job *jobs = NULL;
    size_t n = 0;
    assert_int_equal(jobs_list(f->st, "shop", "queued", 10, &jobs, &n, &err), RC_OK);
    assert_int_equal(n, 1);
    assert_string_equal(jobs[0].trigger, "startup");
    assert_int_equal(jobs[0].attempt, 2);
    int64_t retry = jobs[0].id;
    free(jobs);
    sched_tick(f->s, T0 + 100);
    assert_int_equal(f->fake.n_started, 1);
    assert_int_equal(f->fake.started[0], retry);
    /* the last attempt's run killed too: failed, not retried */
    make_sched(f, NULL, 2, 10, T0 + 200);
    assert_string_equal(get_job(f, retry).state, "failed");
    assert_int_equal(jobs_list(f->st, "shop", "queued", 10, &jobs, &n, &err), RC_OK);
    free(jobs);
    assert_int_equal(n, 0);
}

static void test_core_jobs_request_for_webhooks(void **state)
{
    struct fixture *f = *state;
    make_sched(f, NULL, 3, 10, T0);
    struct core core = { .store = f->st, .sched = f->s, .data_dir = f->dir };
    struct err err;
    int64_t id = 0, again = 0;
    assert_int_equal(core_jobs_request(&core, "shop", NULL, 0, "webhook", &id, &err), RC_OK);
    assert_string_equal(get_job(f, id).trigger, "webhook");
    /* a burst of webhooks is one job */
    assert_int_equal(core_jobs_request(&core, "shop", NULL, 0, "webhook", &again, &err), RC_OK);
    assert_int_equal(again, id);
    assert_int_equal(core_jobs_request(&core, "nope", NULL, 0, "webhook", &again, &err),
                     RC_NOTFOUND);
    assert_int_equal(core_jobs_request(&core, "shop", NULL, 0, "cron", &again, &err), RC_BADVALUE);
    assert_int_equal(core_jobs_request(&core, "../x", NULL, 0, "webhook", &again, &err),
                     RC_BADVALUE);
    const char *tables[] = { "orders" };
    assert_int_equal(core_jobs_request(&core, "shop", tables, 1, "webhook", &again, &err),
                     RC_BADVALUE); /* a files source extracts every table */
    /* the surfaces' trigger is for admins */
    struct principal analyst = { 0 };
    snprintf(analyst.user.role, sizeof(analyst.user.role), "analyst");
    int64_t *ids = NULL;
    size_t n = 0;
    assert_int_equal(core_jobs_trigger(&core, &analyst, "test", "shop", NULL, 0, &ids, &n, &err),
                     RC_FORBIDDEN);
    struct principal admin = { 0 };
    snprintf(admin.user.role, sizeof(admin.user.role), "admin");
    assert_int_equal(core_jobs_trigger(&core, &admin, "test", "shop", NULL, 0, &ids, &n, &err),
                     RC_OK);
    assert_int_equal(n, 1);
    assert_int_equal(ids[0], id); /* coalesced with the webhook's */
    free(ids);
}

/* A job of source that ended in state, with its log. */
static int64_t ended_job(struct fixture *f, const char *source, const char *state)
{
    struct job j = { .attempt = 1 };
    snprintf(j.source, sizeof(j.source), "%s", source);
    snprintf(j.type, sizeof(j.type), "files");
    snprintf(j.trigger, sizeof(j.trigger), "manual");
    int64_t id = 0;
    struct err err;
    assert_int_equal(jobs_create(f->st, &j, &id, &err), RC_OK);
    assert_int_equal(jobs_mark_running(f->st, id, "", &err), RC_OK);
    assert_int_equal(jobs_finish(f->st, id, state, -1, -1, NULL, &err), RC_OK);
    char *log = xasprintf("%s/jobs/%lld.log", f->dir, (long long)id);
    assert_int_equal(file_write_atomic(log, "log\n", 4, 0600, &err), RC_OK);
    free(log);
    return id;
}

static bool job_kept(struct fixture *f, int64_t id)
{
    struct job j;
    struct err err;
    char *log = xasprintf("%s/jobs/%lld.log", f->dir, (long long)id);
    bool row = jobs_get(f->st, id, &j, &err) == RC_OK, file = file_exists(log);
    free(log);
    assert_true(row == file); /* a row and its log go together */
    return row;
}

static void test_old_jobs_are_pruned_with_their_logs(void **state)
{
    struct fixture *f = *state;
    struct err err;
    char *jobs_dir = xasprintf("%s/jobs", f->dir);
    assert_int_equal(file_mkdir_p(jobs_dir, 0700, &err), RC_OK);
    int64_t s1 = ended_job(f, "shop", "succeeded"), f2 = ended_job(f, "shop", "failed");
    int64_t s3 = ended_job(f, "shop", "succeeded"), f4 = ended_job(f, "shop", "failed");
    int64_t f5 = ended_job(f, "shop", "failed"), c6 = ended_job(f, "crm", "cancelled");
    struct sched_options o = {
        .store = f->st,
        .jobs_dir = jobs_dir,
        .keep_jobs_days = 30,
        .runner = { .start = fake_start, .cancel = fake_cancel, .ctx = &f->fake },
    };
    int64_t now = (int64_t)time(NULL);
    assert_int_equal(sched_new(&o, now, &f->s, &err), RC_OK);
    sched_tick(f->s, now + 29 * 86400); /* within the 30 days: all stay */
    assert_int_equal(job_count(f), 6);
    sched_free(&f->s);
    assert_int_equal(sched_new(&o, now, &f->s, &err), RC_OK);
    sched_tick(f->s, now + 31 * 86400);
    /* gone: old ended jobs; kept: the newest success of shop (the scheduler's "last run"),
     * the newest job of each source */
    assert_false(job_kept(f, s1));
    assert_false(job_kept(f, f2));
    assert_false(job_kept(f, f4));
    assert_true(job_kept(f, s3));
    assert_true(job_kept(f, f5));
    assert_true(job_kept(f, c6));
    free(jobs_dir);
}

/* ---- the real runner: child processes ---- */

static struct runner *make_runner(struct fixture *f, int64_t mem, int timeout_s)
{
    char *jobs = xasprintf("%s/jobs", f->dir);
    struct runner_options ro = { .data_dir = f->dir,
                                 .jobs_dir = jobs,
                                 .memory_limit = mem,
                                 .timeout_s = timeout_s,
                                 .log_max_kib = 4 };
    struct runner *r = NULL;
    struct err err;
    assert_int_equal(runner_new(&ro, &r, &err), RC_OK);
    free(jobs);
    return r;
}

/* Runs args as job of type under r and waits (polling as the scheduler thread does) until
 * it has ended; returns the job row. */
static struct job run_child(struct fixture *f, struct runner *r, const char *type,
                            const char *const *args)
{
    make_sched(f, NULL, 1, 10, T0);
    int64_t id = 0;
    struct err err;
    assert_int_equal(sched_request(f->s, "shop", NULL, 0, "manual", NULL, T0, &id, NULL, &err),
                     RC_OK);
    char *log = xasprintf("%s/jobs/%lld.log", f->dir, (long long)id);
    assert_int_equal(jobs_mark_running(f->st, id, log, &err), RC_OK);
    free(log);
    assert_int_equal(runner_spawn(r, id, (char *const *)args, type, &err), RC_OK);
    struct sched_runner ops = runner_ops(r);
    for (int i = 0; i < 6000; i++) { /* a guard against a hang, not a timing assertion */
        ops.poll(ops.ctx, f->s);
        struct job j = get_job(f, id);
        if (strcmp(j.state, "running") != 0)
            return j;
        usleep(20000);
    }
    fail_msg("the job did not end");
    return get_job(f, id);
}

static void test_runner_kills_a_child_over_its_memory_limit(void **state)
{
    struct fixture *f = *state;
    struct runner *r = make_runner(f, 64LL << 20, 0);
    const char *args[] = { "hog", "256", NULL };
    struct job j = run_child(f, r, "files", args);
    assert_string_equal(j.state, "failed");
    assert_non_null(strstr(j.error, "scheduler.job_memory_limit"));
    runner_free(&r);
}

static void test_runner_kills_a_child_past_its_time_limit(void **state)
{
    struct fixture *f = *state;
    struct runner *r = make_runner(f, 0, 1);
    const char *args[] = { "sleeper", NULL };
    struct job j = run_child(f, r, "files", args);
    assert_string_equal(j.state, "failed");
    assert_non_null(strstr(j.error, "scheduler.job_timeout_s (1 s)"));
    runner_free(&r);
}

static void test_runner_reads_counts_error_and_keeps_secrets_out(void **state)
{
    struct fixture *f = *state;
    setenv("JWT_SECRET_KEY", "the-signing-key-0123456789abcdef0123", 1);
    setenv("KEBOOLA_STORAGE_TOKEN", "kbc-token", 1);
    setenv("JIRA_API_TOKEN", "jira-token", 1);
    struct runner *r = make_runner(f, 1LL << 30, 60);
    const char *args[] = { "env", NULL };
    struct job j = run_child(f, r, "keboola", args);
    assert_string_equal(j.state, "succeeded");
    assert_int_equal(j.rows, 7);
    assert_int_equal(j.bytes, 4096);
    char *log = NULL;
    size_t len = 0;
    struct err err;
    assert_int_equal(file_read_all(j.log_path, 1 << 20, &log, &len, &err), RC_OK);
    assert_non_null(strstr(log, "KEBOOLA_STORAGE_TOKEN=kbc-token"));
    assert_non_null(strstr(log, "PATH="));
    assert_null(strstr(log, "JWT_SECRET_KEY"));
    assert_null(strstr(log, "jira-token")); /* another connector's secret */
    free(log);

    const char *fail_args[] = { "fail", NULL };
    j = run_child(f, r, "files", fail_args);
    assert_string_equal(j.state, "failed");
    assert_string_equal(j.error, "da extract files: cannot open /nowhere: No such file");
    const char *silent_args[] = { "silent", NULL };
    j = run_child(f, r, "files", silent_args); /* not the runner's own first line */
    assert_string_equal(j.error, "the connector exited with status 1");
    runner_free(&r);

    char **env = runner_environment("jira");
    bool jira = false;
    for (char **v = env; *v; v++) {
        assert_null(strstr(*v, "JWT_SECRET_KEY"));
        assert_null(strstr(*v, "KEBOOLA_STORAGE_TOKEN"));
        jira = jira || strcmp(*v, "JIRA_API_TOKEN=jira-token") == 0;
    }
    assert_true(jira);
    runner_environment_free(env);
    unsetenv("JWT_SECRET_KEY");
    unsetenv("KEBOOLA_STORAGE_TOKEN");
    unsetenv("JIRA_API_TOKEN");
}

static void test_runner_keeps_the_end_of_a_long_log(void **state)
{
    struct fixture *f = *state;
    struct runner *r = make_runner(f, 0, 60); /* log_max_kib 4 */
    const char *args[] = { "chatty", NULL };
    struct job j = run_child(f, r, "files", args);
    assert_string_equal(j.state, "succeeded");
    struct stat st;
    assert_int_equal(stat(j.log_path, &st), 0);
    assert_true(st.st_size <= 4096 + 200); /* the kept end plus the closing line */
    char *log = NULL;
    size_t len = 0;
    struct err err;
    assert_int_equal(file_read_all(j.log_path, 1 << 20, &log, &len, &err), RC_OK);
    assert_non_null(strstr(log, "line 9999\n"));
    assert_null(strstr(log, "line 10\n"));
    free(log);
    runner_free(&r);
}

/* The programs the runner's tests start (through __job, as the server starts connectors). */
static int child_program(int argc, char **argv)
{
    const char *what = argv[1];
    if (strcmp(what, "hog") == 0 && argc > 2) {
        size_t mb = (size_t)strtoul(argv[2], NULL, 10);
        volatile char *p = malloc(mb << 20); /* volatile: the writes are not optimised away */
        if (!p)
            return 3;
        for (size_t i = 0; i < (mb << 20); i += 4096)
            p[i] = 1;
        for (;;)
            pause();
    }
    if (strcmp(what, "sleeper") == 0)
        for (;;)
            pause();
    if (strcmp(what, "env") == 0) {
        extern char **environ;
        for (char **v = environ; *v; v++)
            printf("%s\n", *v);
        printf("{\"tables\": 1, \"rows\": 7, \"bytes\": 4096}\n");
        return 0;
    }
    if (strcmp(what, "fail") == 0) {
        fprintf(stderr, "reading /nowhere\nda extract files: cannot open /nowhere: No such file\n");
        return 1;
    }
    if (strcmp(what, "silent") == 0)
        return 1;
    if (strcmp(what, "chatty") == 0) {
        for (int i = 0; i < 10000; i++)
            fprintf(stderr, "line %d\n", i);
        printf("{\"tables\": 1, \"rows\": 1, \"bytes\": 1}\n");
        return 0;
    }
    return 2;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], JOB_CHILD_COMMAND) == 0)
        return job_child_main(argc - 1, argv + 1);
    if (argc > 1 && strcmp(argv[0], "da") == 0)
        return child_program(argc, argv);
    set_tz("UTC");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_forms),
        cmocka_unit_test(test_next_due_every),
        cmocka_unit_test(test_next_due_daily_utc_month_ends),
        cmocka_unit_test(test_next_due_daily_across_dst),
        cmocka_unit_test(test_timezone_names),
        cmocka_unit_test_setup_teardown(test_due_every_minute_runs_once_a_minute, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_run_is_coalesced, setup, teardown),
        cmocka_unit_test_setup_teardown(test_webhook_during_a_run_gets_one_more_run, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_failing_run_backs_off_then_fails, setup, teardown),
        cmocka_unit_test(test_backoff_grows_with_jitter),
        cmocka_unit_test_setup_teardown(test_overdue_sources_for_health, setup, teardown),
        cmocka_unit_test_setup_teardown(test_cancel_queued_and_running, setup, teardown),
        cmocka_unit_test_setup_teardown(test_startup_recovers_jobs_of_a_killed_server, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_core_jobs_request_for_webhooks, setup, teardown),
        cmocka_unit_test_setup_teardown(test_old_jobs_are_pruned_with_their_logs, setup, teardown),
        cmocka_unit_test_setup_teardown(test_runner_kills_a_child_over_its_memory_limit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_runner_kills_a_child_past_its_time_limit, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_runner_reads_counts_error_and_keeps_secrets_out, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_runner_keeps_the_end_of_a_long_log, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
