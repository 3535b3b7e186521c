/* isotime.c — formatting and parsing of UTC ISO-8601 timestamps, and a monotonic clock. */
#include "base/isotime.h"

#include <stdio.h>
#include <string.h>

void isotime_now(char out[ISOTIME_SIZE])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    struct tm tm;
    gmtime_r(&ts.tv_sec, &tm);
    size_t n = strftime(out, ISOTIME_SIZE, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, ISOTIME_SIZE - n, ".%03dZ", (int)(ts.tv_nsec / 1000000));
}

void isotime_format(time_t t, char out[ISOTIME_SIZE])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    if (strftime(out, ISOTIME_SIZE, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        out[0] = '\0'; /* only for years beyond 9999 */
}

/* Reads exactly n decimal digits at *p. */
static bool read_digits(const char **p, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        char c = (*p)[i];
        if (c < '0' || c > '9')
            return false;
        v = v * 10 + (c - '0');
    }
    *p += n;
    *out = v;
    return true;
}

static bool expect(const char **p, char c)
{
    if (**p != c)
        return false;
    (*p)++;
    return true;
}

bool isotime_parse(const char *s, time_t *out_t)
{
    const char *p = s;
    int year, mon, day, hour, min, sec;
    if (!read_digits(&p, 4, &year) || !expect(&p, '-') || !read_digits(&p, 2, &mon) ||
        !expect(&p, '-') || !read_digits(&p, 2, &day))
        return false;
    if (*p != 'T' && *p != ' ')
        return false;
    p++;
    if (!read_digits(&p, 2, &hour) || !expect(&p, ':') || !read_digits(&p, 2, &min) ||
        !expect(&p, ':') || !read_digits(&p, 2, &sec))
        return false;
    if (*p == '.') {
        p++;
        if (*p < '0' || *p > '9')
            return false;
        while (*p >= '0' && *p <= '9')
            p++;
    }
    if (*p == 'Z')
        p++;
    else if (strcmp(p, "+00:00") == 0)
        p += 6;
    if (*p)
        return false;
    if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
        return false;
    struct tm tm = { .tm_year = year - 1900,
                     .tm_mon = mon - 1,
                     .tm_mday = day,
                     .tm_hour = hour,
                     .tm_min = min,
                     .tm_sec = sec };
    time_t t = timegm(&tm);
    /* timegm normalises 31 February into March: refuse dates that moved */
    struct tm back;
    gmtime_r(&t, &back);
    if (back.tm_mday != day || back.tm_mon != mon - 1)
        return false;
    *out_t = t;
    return true;
}

int64_t clock_now_s(void)
{
    return (int64_t)time(NULL);
}

int64_t clock_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct timespec clock_after_us(clockid_t clock, int64_t us)
{
    if (us < 0)
        us = 0;
    struct timespec ts;
    clock_gettime(clock, &ts);
    ts.tv_sec += (time_t)(us / 1000000);
    ts.tv_nsec += (long)(us % 1000000) * 1000;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}
