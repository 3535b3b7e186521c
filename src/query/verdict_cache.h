/* verdict_cache.h — the guard's parses (guard.h: struct guard_parse) of recent SQL texts, so
 * that a repeated query is not parsed by DuckDB and walked again. A parse is what the text
 * says, the same for every caller: each caller's own access is decided afresh on every query
 * (guard_decide), so a cached parse can never carry one caller's access to another.
 *
 * The key is (SQL text, catalog generation): a hash of the text picks the bucket, and an entry
 * answers only when its generation and its whole text are equal to the query's, so a hash
 * collision can never hand one text another's parse. A newer generation (a rebuild) empties
 * the cache, and a parse of an older one is never stored. Bounded in entries and in bytes
 * (least recently used first out), so a flood of distinct texts cannot grow it. The hash is
 * seeded at random per cache, so texts that collide cannot be prepared in advance.
 *
 * Thread-safe: one mutex, held only to find, copy, link or unlink (never across a parse). */
#ifndef DA_QUERY_VERDICT_CACHE_H
#define DA_QUERY_VERDICT_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "query/guard.h"

#define VERDICT_CACHE_ENTRIES 4096              /* parses kept at most, by default */
#define VERDICT_CACHE_BYTES   (8 * 1024 * 1024) /* their memory at most, by default */

struct verdict_cache;

struct verdict_cache_options {
    size_t max_entries; /* 0: VERDICT_CACHE_ENTRIES */
    size_t max_bytes;   /* 0: VERDICT_CACHE_BYTES */
    /* The hash of a text; NULL: the seeded default. Tests give a constant one to force every
     * text into one bucket with one hash. */
    uint64_t (*hash)(const char *text, size_t len, uint64_t seed);
};

struct verdict_cache_stats {
    size_t entries, bytes;
    uint64_t hits, misses, evictions;
};

/* A new, empty cache (opt may be NULL for the defaults); freed with verdict_cache_free. */
struct verdict_cache *verdict_cache_new(const struct verdict_cache_options *opt);

/* Frees every entry and the cache, and sets *c to NULL. Accepts NULL and a pointer to NULL. */
void verdict_cache_free(struct verdict_cache **c);

/* The parse of sql on catalog generation gen: true with a copy in *out (the caller releases it
 * with guard_parse_cleanup), false when none is cached (*out is zeroed). */
bool verdict_cache_get(struct verdict_cache *c, const char *sql, uint64_t gen,
                       struct guard_parse *out);

/* Stores a copy of parse as the parse of sql on generation gen (parse stays the caller's).
 * Nothing is stored for an older generation than the newest seen, or for an entry bigger than
 * the whole byte budget; a newer generation first empties the cache. */
void verdict_cache_put(struct verdict_cache *c, const char *sql, uint64_t gen,
                       const struct guard_parse *parse);

/* Its counts now. */
void verdict_cache_stats(struct verdict_cache *c, struct verdict_cache_stats *out);

#endif
