/* result_cache.h — a bounded LRU of prepared queries (result.h's struct result_stmt) on one
 * connection, keyed by the exact SQL text: a query worker prepares each distinct query once
 * per loaded catalog generation and reuses it with any format and caps. Bounded both in
 * entries and in bytes (result_stmt_size), so a flood of distinct SQL texts only evicts.
 * One thread at a time; the cache owns its statements. */
#ifndef DA_DATA_RESULT_CACHE_H
#define DA_DATA_RESULT_CACHE_H

#include <stddef.h>

#include "base/compat.h"
#include "base/rc.h"

struct duck;
struct result_stmt;
struct result_cache;

#define RESULT_CACHE_ENTRIES 256
#define RESULT_CACHE_BYTES   (8u << 20)

/* A cache of at most max_entries statements and max_bytes (the newest statement is kept even
 * when it alone is larger, until the next lookup). The caller frees it with result_cache_free. */
struct result_cache *result_cache_new(size_t max_entries, size_t max_bytes);

/* The statement for sql on conn, prepared on a miss (errors as result_prepare; a failed
 * preparation is not cached). Borrowed: valid until the next result_cache_get or clear. Every
 * call must pass the same conn until result_cache_clear. */
enum rc result_cache_get(struct result_cache *c, struct duck *conn, const char *sql,
                         struct result_stmt **out, struct err *err) WARN_UNUSED;

/* Frees every statement: before the connection they were prepared on is closed. */
void result_cache_clear(struct result_cache *c);

/* How many statements and bytes it holds (for tests and the metrics). */
size_t result_cache_len(const struct result_cache *c);
size_t result_cache_bytes(const struct result_cache *c);

/* Clears and frees c. Accepts NULL or a pointer to NULL. */
void result_cache_free(struct result_cache **c);

#endif
