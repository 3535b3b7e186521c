/* ident.c — the safe-identifier check. Written by hand rather than with regex(3): it is the
 * gate in front of SQL, so it must not depend on the locale. */
#include "base/ident.h"

#include <string.h>

static bool ident_start(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

static bool ident_char(char c)
{
    return ident_start(c) || (c >= '0' && c <= '9');
}

bool ident_valid_len(const char *s, size_t len)
{
    if (!s || len == 0 || len > IDENT_MAX_LEN || !ident_start(s[0]))
        return false;
    for (size_t i = 1; i < len; i++)
        if (!ident_char(s[i]))
            return false;
    return true;
}

bool ident_valid(const char *s)
{
    return s && ident_valid_len(s, strlen(s));
}
