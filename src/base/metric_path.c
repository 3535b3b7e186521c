/* metric_path.c — see metric_path.h. */
#include "base/metric_path.h"

#include <string.h>

bool metric_part_valid(const char *s, size_t len)
{
    if (!s || len == 0 || len > METRIC_PART_MAX)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!((s[i] >= 'a' && s[i] <= 'z') || s[i] == '_'))
            return false;
    return true;
}

bool metric_path_valid(const char *s)
{
    if (!s)
        return false;
    const char *slash = strchr(s, '/');
    if (!slash || !metric_part_valid(s, (size_t)(slash - s)))
        return false;
    const char *name = slash + 1;
    size_t len = strlen(name);
    if (len < 5 || memcmp(name + len - 4, ".yml", 4) != 0)
        return false;
    return metric_part_valid(name, len - 4);
}
