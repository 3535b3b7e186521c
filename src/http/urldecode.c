/* urldecode.c — percent-decoding in place (see urldecode.h). */
#include "http/urldecode.h"

#include "base/hex.h"

size_t url_unescape_keeping_nul(char *s)
{
    char *out = s;
    for (const char *in = s; *in;) {
        /* in[1] is read only when in[0] is '%', in[2] only when in[1] is a hex digit: never
         * past the terminating NUL */
        int hi = in[0] == '%' ? hex_value((unsigned char)in[1]) : -1;
        int lo = hi >= 0 ? hex_value((unsigned char)in[2]) : -1;
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
