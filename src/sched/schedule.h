/* schedule.h — sync schedules ("every 15m", "every 2h", "daily 05:30[,17:00...]") and when a
 * run is next due. Daily times are wall-clock times in the process's time zone (TZ, set once
 * by `da serve` from instance.timezone before any thread starts). Pure functions: the
 * scheduler's tests drive them with any clock. */
#ifndef DA_SCHED_SCHEDULE_H
#define DA_SCHED_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

#define SCHEDULE_TIMES_MAX 24

struct schedule {
    int every_s;                     /* > 0 for "every" */
    int n_times;                     /* > 0 for "daily" */
    int minutes[SCHEDULE_TIMES_MAX]; /* minutes after local midnight, ascending, unique */
};

/* Parses text (the forms registry_schedule_valid accepts). False when it is not one. */
bool schedule_parse(const char *text, struct schedule *out);

/* When the next run is due, epoch seconds. last_run is when the previous run was started
 * (0: never, then it is due at once: now). "every N": last_run + N. "daily": the first of the
 * day's times whose local wall-clock time is after last_run's (so the hour repeated when DST
 * ends does not run twice, and a time skipped when it starts runs at the first moment after
 * the gap, as mktime normalises it). */
int64_t schedule_next_due(const struct schedule *s, int64_t last_run, int64_t now);

/* The longest gap between two runs (the interval; for daily, the largest gap between its
 * times, 24 h for one time): health calls a source overdue when its last success is older
 * than its next due time plus this. */
int64_t schedule_period_s(const struct schedule *s);

/* True when name is a time zone this machine knows (a file under /usr/share/zoneinfo, or
 * "UTC"), and a safe relative path: letters, digits, '_', '-', '+', '/', no "..". */
bool schedule_timezone_valid(const char *name);

#endif
