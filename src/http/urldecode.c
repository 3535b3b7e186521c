/* urldecode.c — percent-decoding in place (see urldecode.h). */
#include "http/urldecode.h"

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

size_t url_unescape_keeping_nul(char *s)
{
    char *out = s;
    for (const char *in = s; *in;) {
        /* in[1] is read only when in[0] is '%', in[2] only when in[1] is a hex digit: never
         * past the terminating NUL */
        int hi = in[0] == '%' ? hex_value(in[1]) : -1;
        int lo = hi >= 0 ? hex_value(in[2]) : -1;
        if (lo >= 0 && (hi | lo) != 0) {
            *out++ = (char)(hi * 16 + lo);
            in += 3;
        } else {
            *out++ = *in++;
        }
    }
    *out = '\0';
    return (size_t)(out - s);
}
