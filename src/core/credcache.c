/* credcache.c — the verified-credential cache (credcache.h): a set-associative table under one
 * mutex. A lookup is a hash index, four key compares and a copy, so the mutex is held for well
 * under a microsecond; the version is an atomic read by anyone. */
#include "core/credcache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

#define WAYS 4

struct entry {
    bool used;
    unsigned char key[SHA256_LEN];
    uint64_t version;
    int64_t expires_at;
    int64_t touched_at;
    uint64_t last_hit; /* the cache's clock at the last use: the least recent one goes first */
    struct principal p;
};

struct credcache {
    pthread_mutex_t lock;
    _Atomic uint64_t version;
    uint64_t clock;
    size_t n_sets;
    struct entry *entries; /* n_sets * WAYS */
};

struct credcache *credcache_new(size_t max_entries)
{
    struct credcache *c = xcalloc(1, sizeof(*c));
    c->n_sets = (max_entries + WAYS - 1) / WAYS;
    if (c->n_sets == 0)
        c->n_sets = 1;
    c->entries = xcalloc(c->n_sets * WAYS, sizeof(*c->entries));
    pthread_mutex_init(&c->lock, NULL);
    atomic_init(&c->version, 1);
    return c;
}

void credcache_free(struct credcache **cp)
{
    struct credcache *c = cp ? *cp : NULL;
    if (!c)
        return;
    /* the principals are not secrets, but the keys are hashes of credentials: wipe them */
    memset(c->entries, 0, c->n_sets * WAYS * sizeof(*c->entries));
    free(c->entries);
    pthread_mutex_destroy(&c->lock);
    free(c);
    *cp = NULL;
}

size_t credcache_capacity(const struct credcache *c)
{
    return c->n_sets * WAYS;
}

size_t credcache_used(struct credcache *c)
{
    size_t n = 0;
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->n_sets * WAYS; i++)
        n += c->entries[i].used;
    pthread_mutex_unlock(&c->lock);
    return n;
}

uint64_t credcache_version(const struct credcache *c)
{
    return atomic_load(&((struct credcache *)c)->version);
}

void credcache_bump(struct credcache *c)
{
    atomic_fetch_add(&c->version, 1);
}

/* The first entry of key's set: the key is a SHA-256, so any eight of its bytes are uniform. */
static struct entry *set_of(struct credcache *c, const unsigned char key[SHA256_LEN])
{
    uint64_t h;
    memcpy(&h, key, sizeof(h));
    return &c->entries[(h % c->n_sets) * WAYS];
}

bool credcache_get(struct credcache *c, const unsigned char key[SHA256_LEN], int64_t now,
                   int64_t touch_every_s, struct principal *out, bool *out_touch_due)
{
    uint64_t version = credcache_version(c);
    bool hit = false;
    if (out_touch_due)
        *out_touch_due = false;
    pthread_mutex_lock(&c->lock);
    struct entry *set = set_of(c, key);
    for (int i = 0; i < WAYS; i++) {
        struct entry *e = &set[i];
        if (!e->used || memcmp(e->key, key, SHA256_LEN) != 0)
            continue;
        if (e->version != version || now >= e->expires_at) {
            e->used = false; /* stale for good: a version never goes back */
            break;
        }
        hit = true;
        *out = e->p;
        e->last_hit = ++c->clock;
        if (now - e->touched_at >= touch_every_s) {
            e->touched_at = now;
            if (out_touch_due)
                *out_touch_due = true;
        }
        break;
    }
    pthread_mutex_unlock(&c->lock);
    return hit;
}

void credcache_put(struct credcache *c, const unsigned char key[SHA256_LEN],
                   const struct principal *p, int64_t expires_at, int64_t touched_at,
                   uint64_t version)
{
    if (version != credcache_version(c))
        return; /* a change overtook the read this entry was made from */
    pthread_mutex_lock(&c->lock);
    struct entry *set = set_of(c, key), *victim = NULL;
    for (int i = 0; i < WAYS && !victim; i++)
        if (set[i].used && memcmp(set[i].key, key, SHA256_LEN) == 0)
            victim = &set[i]; /* the same credential again: replace it */
    for (int i = 0; i < WAYS && !victim; i++)
        if (!set[i].used)
            victim = &set[i];
    if (!victim) { /* a full set: the least recently used gives way */
        victim = &set[0];
        for (int i = 1; i < WAYS; i++)
            if (set[i].last_hit < victim->last_hit)
                victim = &set[i];
    }
    *victim = (struct entry){
        .used = true,
        .version = version,
        .expires_at = expires_at,
        .touched_at = touched_at,
        .last_hit = ++c->clock,
        .p = *p,
    };
    memcpy(victim->key, key, SHA256_LEN);
    pthread_mutex_unlock(&c->lock);
}
