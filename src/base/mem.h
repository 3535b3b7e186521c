/* mem.h — allocation that never returns NULL: out of memory prints a message and aborts, as
 * servers like Redis and h2o do, which removes a whole class of untested error paths. */
#ifndef DA_BASE_MEM_H
#define DA_BASE_MEM_H

#include <stddef.h>

#include "base/compat.h"

/* All return memory that the caller frees with free(). */
void *xmalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t len);
char *xasprintf(const char *fmt, ...) PRINTF_FMT(1, 2);

/* The one growable-array step: returns p (an array of *cap elements of elem_size bytes)
 * with room for at least need elements, doubling *cap (from 8) so that n appends cost
 * O(n). p is returned as is when it has room; a size that overflows aborts like xrealloc.
 * Use: a = xgrow(a, &cap, n + 1, sizeof(*a)); a[n++] = x; */
void *xgrow(void *p, size_t *cap, size_t need, size_t elem_size);

/* Overwrites len bytes at p so that secrets do not linger in memory. Accepts NULL. */
void mem_wipe(void *p, size_t len);

#endif
