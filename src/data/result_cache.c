/* result_cache.c — the prepared-query LRU (see result_cache.h). A plain array searched by a
 * 64-bit hash then the text: with at most a few hundred entries a scan costs well under a
 * microsecond, less than the hash table it would replace, and eviction takes the entry used
 * longest ago. */
#include "data/result_cache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "data/result.h"

struct entry {
    uint64_t hash;
    char *sql;
    struct result_stmt *stmt;
    size_t size;
    uint64_t used; /* the tick of its last lookup */
};

struct result_cache {
    struct entry *items;
    size_t len, max_entries, max_bytes, bytes;
    uint64_t tick;
};

/* FNV-1a: the key's text is compared anyway, the hash only skips most of them. */
static uint64_t hash_text(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

struct result_cache *result_cache_new(size_t max_entries, size_t max_bytes)
{
    struct result_cache *c = xcalloc(1, sizeof(*c));
    c->max_entries = max_entries ? max_entries : 1;
    c->max_bytes = max_bytes;
    c->items = xcalloc(c->max_entries, sizeof(*c->items));
    return c;
}

static void drop(struct result_cache *c, size_t i)
{
    struct entry *e = &c->items[i];
    c->bytes -= e->size;
    result_stmt_free(&e->stmt);
    free(e->sql);
    c->items[i] = c->items[--c->len];
    memset(&c->items[c->len], 0, sizeof(*e));
}

/* Evicts the least recently used entries other than keep until there is room for one more
 * entry of size bytes. */
static void make_room(struct result_cache *c, size_t size)
{
    while (c->len > 0 && (c->len >= c->max_entries || c->bytes + size > c->max_bytes)) {
        size_t oldest = 0;
        for (size_t i = 1; i < c->len; i++)
            if (c->items[i].used < c->items[oldest].used)
                oldest = i;
        drop(c, oldest);
    }
}

enum rc result_cache_get(struct result_cache *c, struct duck *conn, const char *sql,
                         struct result_stmt **out, struct err *err)
{
    uint64_t h = hash_text(sql);
    *out = NULL;
    c->tick++;
    for (size_t i = 0; i < c->len; i++) {
        struct entry *e = &c->items[i];
        if (e->hash == h && strcmp(e->sql, sql) == 0) {
            e->used = c->tick;
            *out = e->stmt;
            return RC_OK;
        }
    }
    struct result_stmt *s = NULL;
    enum rc rc = result_prepare(conn, sql, &s, err);
    if (rc)
        return rc;
    size_t size = result_stmt_size(s) + strlen(sql) + sizeof(struct entry);
    make_room(c, size);
    c->items[c->len++] = (struct entry){ h, xstrdup(sql), s, size, c->tick };
    c->bytes += size;
    *out = s;
    return RC_OK;
}

void result_cache_clear(struct result_cache *c)
{
    while (c->len > 0)
        drop(c, c->len - 1);
}

size_t result_cache_len(const struct result_cache *c)
{
    return c->len;
}

size_t result_cache_bytes(const struct result_cache *c)
{
    return c->bytes;
}

void result_cache_free(struct result_cache **c)
{
    if (!c || !*c)
        return;
    result_cache_clear(*c);
    free((*c)->items);
    free(*c);
    *c = NULL;
}
