/* str.h — borrowed string slices: a pointer and a length, never owning, never assumed to be
 * NUL-terminated. */
#ifndef DA_BASE_STR_H
#define DA_BASE_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct str {
    const char *ptr;
    size_t len;
};

#define STRLIT(s) ((struct str){ (s), sizeof(s) - 1 })

static inline struct str str_from(const char *s)
{
    return (struct str){ s, s ? strlen(s) : 0 };
}

static inline bool str_eq(struct str a, struct str b)
{
    return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static inline bool str_eq_cstr(struct str a, const char *b)
{
    return str_eq(a, str_from(b));
}

#endif
