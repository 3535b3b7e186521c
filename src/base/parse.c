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
