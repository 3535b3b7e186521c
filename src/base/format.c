/* format.c — quantities in words (see format.h). */
#include "base/format.h"

#include <stdio.h>

#include "base/compat.h"

void format_bytes(uint64_t bytes, char out[FORMAT_BYTES_MAX])
{
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
    if (bytes < 1024) {
        snprintf(out, FORMAT_BYTES_MAX, "%llu B", (unsigned long long)bytes);
        return;
    }
    double v = (double)bytes / 1024;
    size_t u = 0;
    while (v >= 1024 && u + 1 < ARRAY_LEN(units)) {
        v /= 1024;
        u++;
    }
    snprintf(out, FORMAT_BYTES_MAX, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
}
