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

bool ident_table_id(const char *name, char out[IDENT_MAX_LEN + 1])
{
    out[0] = '\0';
    if (!name)
        return false;
    const char *start = name, *end = name + strlen(name);
    while (start < end && (*start == ' ' || *start == '\t'))
        start++;
    while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    size_t len = (size_t)(end - start);
    if (len == 0 || len > IDENT_MAX_LEN)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = start[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        else if (c == ' ' || c == '-')
            c = '_';
        out[i] = c;
    }
    out[len] = '\0';
    if (!ident_valid(out)) {
        out[0] = '\0';
        return false;
    }
    return true;
}

bool ident_is_table_id(const char *s)
{
    if (!ident_valid(s))
        return false;
    for (; *s; s++)
        if (*s >= 'A' && *s <= 'Z')
            return false;
    return true;
}
