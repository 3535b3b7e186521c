/* redact.c — see redact.h. One pass over the message, copying into a bounded buffer: the
 * replacement is longer than a short folder's path (/d -> <data>), so rewriting in place, as
 * this code once did, overflowed a fixed buffer. */
#include "base/redact.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/utf8.h"

/* Appends len bytes of s at out[*at], if they fit with the NUL after them. */
static bool put(char *out, size_t size, size_t *at, const char *s, size_t len)
{
    if (len >= size - *at)
        return false;
    memcpy(out + *at, s, len);
    *at += len;
    return true;
}

/* The length of the UTF-8 sequence at p (1 for ASCII and stray bytes), so that a cut message
 * never ends inside a character. */
static size_t seq_len(const char *p)
{
    uint32_t cp;
    size_t n = utf8_decode((const unsigned char *)p, strnlen(p, UTF8_SEQ_MAX), &cp);
    return n ? n : 1;
}

void redact_paths(const char *msg, const char *dir, char *out, size_t size)
{
    char *real = dir && *dir ? realpath(dir, NULL) : NULL;
    const char *paths[2] = { real, dir };
    size_t lens[2] = { real ? strlen(real) : 0, dir ? strlen(dir) : 0 };
    size_t at = 0;
    for (const char *p = msg ? msg : ""; *p;) {
        size_t hit = 0; /* the longest spelling that occurs at p */
        for (size_t i = 0; i < 2; i++)
            if (lens[i] > hit && strncmp(p, paths[i], lens[i]) == 0)
                hit = lens[i];
        size_t n = hit ? hit : seq_len(p);
        if (hit ? !put(out, size, &at, "<data>", 6) : !put(out, size, &at, p, n))
            break;
        p += n;
    }
    out[at] = '\0';
    free(real);
}
