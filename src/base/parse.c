/* parse.c — strict integer, boolean and size parsing. */
#include "base/parse.h"

#include <errno.h>
#include <stdlib.h>
#include <strings.h>

bool parse_i64(const char *s, int64_t min, int64_t max, int64_t *out_v)
{
    if (!s || !*s || *s == ' ' || *s == '\t' || *s == '+')
        return false;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || v < min || v > max)
        return false;
    *out_v = v;
    return true;
}

bool parse_bool(const char *s, bool *out_v)
{
    static const char *yes[] = { "true", "yes", "on", "1" };
    static const char *no[] = { "false", "no", "off", "0" };
    for (int i = 0; i < 4; i++) {
        if (strcasecmp(s, yes[i]) == 0) {
            *out_v = true;
            return true;
        }
        if (strcasecmp(s, no[i]) == 0) {
            *out_v = false;
            return true;
        }
    }
    return false;
}

/* The units of parse_size: one letter is a power of 1024, as df and du print them. */
static const struct {
    const char *unit;
    int64_t factor;
} size_units[] = {
    { "", 1 },          { "b", 1 },           { "bytes", 1 },
    { "k", 1LL << 10 }, { "kib", 1LL << 10 }, { "kb", 1000 },
    { "m", 1LL << 20 }, { "mib", 1LL << 20 }, { "mb", 1000000 },
    { "g", 1LL << 30 }, { "gib", 1LL << 30 }, { "gb", 1000000000 },
    { "t", 1LL << 40 }, { "tib", 1LL << 40 }, { "tb", 1000000000000LL },
};

bool parse_size(const char *s, int64_t *out_v)
{
    if (!s || *s < '0' || *s > '9')
        return false; /* no sign, no space, no "inf" or "nan" */
    int64_t whole = 0;
    for (; *s >= '0' && *s <= '9'; s++) {
        if (whole > (INT64_MAX - (*s - '0')) / 10)
            return false;
        whole = whole * 10 + (*s - '0');
    }
    /* a fraction, exact to nine digits: integers only, so "1.1GB" is 1100000000 */
    int64_t frac = 0, frac_scale = 1;
    if (*s == '.') {
        s++;
        if (*s < '0' || *s > '9')
            return false;
        for (; *s >= '0' && *s <= '9'; s++)
            if (frac_scale < 1000000000) {
                frac = frac * 10 + (*s - '0');
                frac_scale *= 10;
            }
    }
    if (*s == ' ')
        s++;
    for (size_t i = 0; i < sizeof(size_units) / sizeof(size_units[0]); i++) {
        int64_t f = size_units[i].factor;
        if (strcasecmp(s, size_units[i].unit) != 0)
            continue;
        if (whole > INT64_MAX / f)
            return false;
        /* frac * f / frac_scale, exactly and without overflow: with f = q * frac_scale + r,
         * it is q * frac + r * frac / frac_scale, and r, frac < 10^9 */
        int64_t part = f / frac_scale * frac + f % frac_scale * frac / frac_scale;
        if (whole * f > INT64_MAX - part)
            return false;
        *out_v = whole * f + part;
        return true;
    }
    return false;
}
