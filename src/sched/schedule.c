/* schedule.c — sync schedules and their next due time: see schedule.h. */
#include "sched/schedule.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool parse_every(const char *s, struct schedule *out)
{
    size_t n = strspn(s, "0123456789");
    if (n == 0 || n > 5 || (s[n] != 'm' && s[n] != 'h') || s[n + 1] != '\0')
        return false;
    long v = strtol(s, NULL, 10);
    if (v < 1 || v > 10080)
        return false;
    out->every_s = (int)(v * (s[n] == 'h' ? 3600 : 60));
    return true;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static bool parse_daily(const char *s, struct schedule *out)
{
    for (;;) {
        if (!is_digit(s[0]) || !is_digit(s[1]) || s[2] != ':' || !is_digit(s[3]) || !is_digit(s[4]))
            return false;
        int hour = (s[0] - '0') * 10 + (s[1] - '0');
        int min = (s[3] - '0') * 10 + (s[4] - '0');
        if (hour > 23 || min > 59 || out->n_times >= SCHEDULE_TIMES_MAX)
            return false;
        out->minutes[out->n_times++] = hour * 60 + min;
        s += 5;
        if (*s == '\0')
            break;
        if (*s != ',')
            return false;
        s++;
    }
    qsort(out->minutes, (size_t)out->n_times, sizeof(int), cmp_int);
    int n = 0;
    for (int i = 0; i < out->n_times; i++)
        if (n == 0 || out->minutes[n - 1] != out->minutes[i])
            out->minutes[n++] = out->minutes[i];
    out->n_times = n;
    return true;
}

bool schedule_parse(const char *text, struct schedule *out)
{
    *out = (struct schedule){ 0 };
    if (!text)
        return false;
    if (strncmp(text, "every ", 6) == 0)
        return parse_every(text + 6, out);
    if (strncmp(text, "daily ", 6) == 0)
        return parse_daily(text + 6, out);
    return false;
}

int64_t schedule_next_due(const struct schedule *s, int64_t last_run, int64_t now)
{
    if (last_run <= 0)
        return now;
    if (s->every_s > 0)
        return last_run + s->every_s;
    time_t t = (time_t)last_run;
    struct tm last;
    localtime_r(&t, &last);
    int last_min = last.tm_hour * 60 + last.tm_min;
    /* wall-clock order: (day, minute) after (last's day, last's minute) */
    for (int day = 0; day <= 2; day++) {
        for (int i = 0; i < s->n_times; i++) {
            if (day == 0 && s->minutes[i] <= last_min)
                continue;
            struct tm tm = { 0 };
            tm.tm_year = last.tm_year;
            tm.tm_mon = last.tm_mon;
            tm.tm_mday = last.tm_mday + day; /* mktime carries into the next month */
            tm.tm_hour = s->minutes[i] / 60;
            tm.tm_min = s->minutes[i] % 60;
            tm.tm_isdst = -1;
            time_t due = mktime(&tm);
            if (due != (time_t)-1 && (int64_t)due > last_run)
                return (int64_t)due;
        }
    }
    return last_run + 86400; /* not reached: a day always has its times */
}

int64_t schedule_period_s(const struct schedule *s)
{
    if (s->every_s > 0)
        return s->every_s;
    if (s->n_times <= 1)
        return 86400;
    int gap = s->minutes[0] + 1440 - s->minutes[s->n_times - 1];
    for (int i = 1; i < s->n_times; i++)
        if (s->minutes[i] - s->minutes[i - 1] > gap)
            gap = s->minutes[i] - s->minutes[i - 1];
    return (int64_t)gap * 60;
}

bool schedule_timezone_valid(const char *name)
{
    if (!name || !*name || strlen(name) > 128 || name[0] == '/' || strstr(name, ".."))
        return false;
    for (const char *p = name; *p; p++)
        if (!(is_digit(*p) || (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              strchr("_-+/", *p)))
            return false;
    if (strcmp(name, "UTC") == 0)
        return true;
    char path[256];
    snprintf(path, sizeof(path), "/usr/share/zoneinfo/%s", name);
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}
