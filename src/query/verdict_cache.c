/* verdict_cache.c — recent guard parses by (SQL text, catalog generation) (see
 * verdict_cache.h). A chained hash table of power-of-two buckets for lookup, and one doubly
 * linked list in use order for eviction. The cache owns every entry, its text and its parse;
 * callers get deep copies, so nothing they hold is freed by a later eviction. Used by the
 * query engine (engine.c), which parses on a miss. */
#include "query/verdict_cache.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/mem.h"
#include "base/rand.h"

struct entry {
    uint64_t hash;
    uint64_t gen;
    char *sql; /* the whole text: the key is compared on it, never on the hash alone */
    size_t len;
    struct guard_parse parse;
    size_t bytes;                /* what this entry holds, for the byte budget */
    struct entry *chain;         /* next in its bucket */
    struct entry *newer, *older; /* the use order */
};

struct verdict_cache {
    pthread_mutex_t mu;
    size_t max_entries, max_bytes;
    uint64_t (*hash)(const char *text, size_t len, uint64_t seed);
    uint64_t seed;
    struct entry **buckets;
    size_t n_buckets; /* a power of two */
    struct entry *newest, *oldest;
    uint64_t gen; /* the newest generation seen; entries of older ones are gone */
    struct verdict_cache_stats stats;
};

/* FNV-1a over the text from a seeded basis, then a 64-bit finalizer (splitmix64's) so that the
 * bucket bits depend on every byte. */
static uint64_t default_hash(const char *text, size_t len, uint64_t seed)
{
    uint64_t h = 0xcbf29ce484222325ULL ^ seed;
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)text[i];
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    return h ^ (h >> 31);
}

struct verdict_cache *verdict_cache_new(const struct verdict_cache_options *opt)
{
    struct verdict_cache *c = xcalloc(1, sizeof(*c));
    pthread_mutex_init(&c->mu, NULL);
    c->max_entries = opt && opt->max_entries ? opt->max_entries : VERDICT_CACHE_ENTRIES;
    c->max_bytes = opt && opt->max_bytes ? opt->max_bytes : VERDICT_CACHE_BYTES;
    c->hash = opt && opt->hash ? opt->hash : default_hash;
    struct err err;
    if (rand_bytes(&c->seed, sizeof(c->seed), &err) != RC_OK) /* still a working cache */
        c->seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)c;
    c->n_buckets = 16;
    while (c->n_buckets < c->max_entries)
        c->n_buckets *= 2;
    c->buckets = xcalloc(c->n_buckets, sizeof(*c->buckets));
    return c;
}

/* A deep copy of src into dst. */
static void parse_copy(struct guard_parse *dst, const struct guard_parse *src)
{
    dst->verdict = src->verdict;
    memcpy(dst->message, src->message, sizeof(dst->message));
    dst->n_refs = src->n_refs;
    dst->refs = src->n_refs ? xmalloc(src->n_refs * sizeof(*dst->refs)) : NULL;
    for (size_t i = 0; i < src->n_refs; i++) {
        dst->refs[i].id = xstrdup(src->refs[i].id);
        dst->refs[i].name = xstrdup(src->refs[i].name);
    }
}

static size_t parse_bytes(const struct guard_parse *p)
{
    size_t n = p->n_refs * sizeof(*p->refs);
    for (size_t i = 0; i < p->n_refs; i++)
        n += strlen(p->refs[i].id) + 1 + strlen(p->refs[i].name) + 1;
    return n;
}

static void unlink_use(struct verdict_cache *c, struct entry *e)
{
    if (e->newer)
        e->newer->older = e->older;
    else
        c->newest = e->older;
    if (e->older)
        e->older->newer = e->newer;
    else
        c->oldest = e->newer;
    e->newer = e->older = NULL;
}

static void link_newest(struct verdict_cache *c, struct entry *e)
{
    e->older = c->newest;
    e->newer = NULL;
    if (c->newest)
        c->newest->newer = e;
    c->newest = e;
    if (!c->oldest)
        c->oldest = e;
}

static void entry_free(struct entry *e)
{
    guard_parse_cleanup(&e->parse);
    free(e->sql);
    free(e);
}

/* Unlinks e from its bucket and the use order, and frees it. */
static void drop(struct verdict_cache *c, struct entry *e)
{
    struct entry **pp = &c->buckets[e->hash & (c->n_buckets - 1)];
    while (*pp != e)
        pp = &(*pp)->chain;
    *pp = e->chain;
    unlink_use(c, e);
    c->stats.entries--;
    c->stats.bytes -= e->bytes;
    entry_free(e);
}

static void drop_all(struct verdict_cache *c)
{
    while (c->oldest)
        drop(c, c->oldest);
}

/* Moves the cache to generation gen when gen is newer: every entry is of an older one. */
static void see_generation(struct verdict_cache *c, uint64_t gen)
{
    if (gen > c->gen) {
        drop_all(c);
        c->gen = gen;
    }
}

static struct entry *find(struct verdict_cache *c, uint64_t hash, const char *sql, size_t len,
                          uint64_t gen)
{
    for (struct entry *e = c->buckets[hash & (c->n_buckets - 1)]; e; e = e->chain)
        if (e->hash == hash && e->gen == gen && e->len == len && memcmp(e->sql, sql, len) == 0)
            return e;
    return NULL;
}

bool verdict_cache_get(struct verdict_cache *c, const char *sql, uint64_t gen,
                       struct guard_parse *out)
{
    memset(out, 0, sizeof(*out));
    if (!sql)
        return false;
    size_t len = strlen(sql);
    uint64_t hash = c->hash(sql, len, c->seed); /* outside the lock: up to 64 KB of text */
    pthread_mutex_lock(&c->mu);
    see_generation(c, gen);
    struct entry *e = find(c, hash, sql, len, gen);
    if (e) {
        unlink_use(c, e);
        link_newest(c, e);
        parse_copy(out, &e->parse);
        c->stats.hits++;
    } else {
        c->stats.misses++;
    }
    pthread_mutex_unlock(&c->mu);
    return e != NULL;
}

void verdict_cache_put(struct verdict_cache *c, const char *sql, uint64_t gen,
                       const struct guard_parse *parse)
{
    if (!sql)
        return;
    size_t len = strlen(sql);
    size_t bytes = sizeof(struct entry) + len + 1 + parse_bytes(parse);
    if (bytes > c->max_bytes)
        return;
    uint64_t hash = c->hash(sql, len, c->seed);
    /* the copy is made before the lock is taken, and freed after it is let go if unused */
    struct entry *n = xcalloc(1, sizeof(*n));
    n->hash = hash;
    n->gen = gen;
    n->sql = xmalloc(len + 1);
    memcpy(n->sql, sql, len + 1);
    n->len = len;
    n->bytes = bytes;
    parse_copy(&n->parse, parse);

    pthread_mutex_lock(&c->mu);
    see_generation(c, gen);
    if (gen == c->gen && !find(c, hash, sql, len, gen)) {
        while (c->oldest &&
               (c->stats.entries + 1 > c->max_entries || c->stats.bytes + bytes > c->max_bytes)) {
            drop(c, c->oldest);
            c->stats.evictions++;
        }
        struct entry **bucket = &c->buckets[hash & (c->n_buckets - 1)];
        n->chain = *bucket;
        *bucket = n;
        link_newest(c, n);
        c->stats.entries++;
        c->stats.bytes += bytes;
        n = NULL;
    }
    pthread_mutex_unlock(&c->mu);
    if (n) /* an older generation, or another thread stored the same text meanwhile */
        entry_free(n);
}

void verdict_cache_stats(struct verdict_cache *c, struct verdict_cache_stats *out)
{
    pthread_mutex_lock(&c->mu);
    *out = c->stats;
    pthread_mutex_unlock(&c->mu);
}

void verdict_cache_free(struct verdict_cache **cp)
{
    struct verdict_cache *c = cp ? *cp : NULL;
    if (!c)
        return;
    drop_all(c);
    free(c->buckets);
    pthread_mutex_destroy(&c->mu);
    free(c);
    *cp = NULL;
}
