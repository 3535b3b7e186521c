/* hex.c — hexadecimal encoding and decoding (see hex.h). */
#include "base/hex.h"

int hex_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void hex_encode(const unsigned char *data, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < len; i++) {
        out[2 * i] = digits[data[i] >> 4];
        out[2 * i + 1] = digits[data[i] & 15];
    }
    out[2 * len] = '\0';
}

void hex_byte_upper(unsigned char c, char out[2])
{
    static const char digits[] = "0123456789ABCDEF";
    out[0] = digits[c >> 4];
    out[1] = digits[c & 15];
}

static int digit(char c, bool lower_only)
{
    if (lower_only && c >= 'A' && c <= 'F')
        return -1;
    return hex_value((unsigned char)c);
}

bool hex_decode(const char *in, size_t len, unsigned char *out, bool lower_only)
{
    for (size_t i = 0; i < len; i++) {
        int hi = digit(in[2 * i], lower_only);
        if (hi < 0)
            return false;
        int lo = digit(in[2 * i + 1], lower_only);
        if (lo < 0)
            return false;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}

long hex_u16(const char *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int d = hex_value((unsigned char)p[i]);
        if (d < 0)
            return -1;
        v = v << 4 | d;
    }
    return v;
}
