/* parse.c — strict integer and boolean parsing. */
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

bool parse_size(const char *s, int64_t *out_v)
{
    static const struct {
        const char *unit;
        double mul;
    } units[] = { { "", 1 },
                  { "B", 1 },
                  { "KB", 1e3 },
                  { "MB", 1e6 },
                  { "GB", 1e9 },
                  { "TB", 1e12 },
                  { "KiB", 1024.0 },
                  { "MiB", 1048576.0 },
                  { "GiB", 1073741824.0 },
                  { "TiB", 1099511627776.0 } };
    if (!s || (*s < '0' || *s > '9'))
        return false; /* no sign, no space, no "inf" or "nan" */
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (errno || end == s)
        return false;
    if (*end == ' ')
        end++;
    for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (strcasecmp(end, units[i].unit) != 0)
            continue;
        double b = v * units[i].mul;
        if (!(b >= 0 && b <= 4611686018427387904.0))
            return false;
        *out_v = (int64_t)b;
        return true;
    }
    return false;
}
