/* access_cache.c — core_may_read's answers by (user id, table id) and access version (see
 * access_cache.h). Slots in sets of WAYS; a key hashes to one set, so a lookup reads WAYS
 * slots. Owned by whoever built struct core (cmd/serve.c); used by access.c. */
#include "core/access_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "store/access_repo.h"
#include "store/identity_repo.h"

#define WAYS    4
#define STRIPES 64 /* mutexes; set i is guarded by mutex i % STRIPES */

struct slot {
    bool used;
    bool allowed;
    uint64_t version; /* the access version the answer was computed at */
    uint64_t stamp;   /* when it was stored: the oldest of a full set is replaced */
    char user_id[USER_ID_LEN + 1];
    char table_id[TABLE_ID_MAX + 1];
};

struct access_cache {
    _Atomic uint64_t version;
    size_t n_sets;      /* a power of two */
    struct slot *slots; /* n_sets * WAYS */
    pthread_mutex_t mu[STRIPES];
};

struct access_cache *access_cache_new(size_t slots)
{
    struct access_cache *c = xcalloc(1, sizeof(*c));
    size_t want = (slots ? slots : ACCESS_CACHE_SLOTS) / WAYS;
    c->n_sets = 1;
    while (c->n_sets < want)
        c->n_sets *= 2;
    c->slots = xcalloc(c->n_sets * WAYS, sizeof(*c->slots));
    atomic_init(&c->version, 1);
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_init(&c->mu[i], NULL);
    return c;
}

void access_cache_free(struct access_cache **cp)
{
    struct access_cache *c = cp ? *cp : NULL;
    if (!c)
        return;
    for (int i = 0; i < STRIPES; i++)
        pthread_mutex_destroy(&c->mu[i]);
    free(c->slots);
    free(c);
    *cp = NULL;
}

uint64_t access_cache_version(struct access_cache *c)
{
    return atomic_load(&c->version);
}

void access_cache_bump(struct access_cache *c)
{
    atomic_fetch_add(&c->version, 1);
}

/* FNV-1a over user_id, a separator no id holds, and table_id. */
static size_t set_of(const struct access_cache *c, const char *user_id, const char *table_id)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const char *p = user_id; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
    h = (h ^ 0xff) * 0x100000001b3ULL;
    for (const char *p = table_id; *p; p++)
        h = (h ^ (unsigned char)*p) * 0x100000001b3ULL;
    h ^= h >> 32;
    return (size_t)h & (c->n_sets - 1);
}

static bool key_fits(const char *user_id, const char *table_id)
{
    return strlen(user_id) <= USER_ID_LEN && strlen(table_id) <= TABLE_ID_MAX;
}

static bool same_key(const struct slot *s, const char *user_id, const char *table_id)
{
    return s->used && strcmp(s->user_id, user_id) == 0 && strcmp(s->table_id, table_id) == 0;
}

bool access_cache_get(struct access_cache *c, const char *user_id, const char *table_id,
                      uint64_t version, bool *out_allowed)
{
    if (!key_fits(user_id, table_id) || version != atomic_load(&c->version))
        return false;
    size_t set = set_of(c, user_id, table_id);
    struct slot *ways = &c->slots[set * WAYS];
    bool found = false;
    pthread_mutex_lock(&c->mu[set % STRIPES]);
    for (int i = 0; i < WAYS && !found; i++) {
        if (ways[i].version == version && same_key(&ways[i], user_id, table_id)) {
            *out_allowed = ways[i].allowed;
            found = true;
        }
    }
    pthread_mutex_unlock(&c->mu[set % STRIPES]);
    return found;
}

void access_cache_put(struct access_cache *c, const char *user_id, const char *table_id,
                      uint64_t version, bool allowed)
{
    if (!key_fits(user_id, table_id) || version != atomic_load(&c->version))
        return;
    size_t set = set_of(c, user_id, table_id);
    struct slot *ways = &c->slots[set * WAYS];
    pthread_mutex_lock(&c->mu[set % STRIPES]);
    /* the same key, else a free or outdated slot, else the oldest of the set */
    struct slot *s = NULL;
    for (int i = 0; i < WAYS && !s; i++)
        if (same_key(&ways[i], user_id, table_id))
            s = &ways[i];
    for (int i = 0; i < WAYS && !s; i++)
        if (!ways[i].used || ways[i].version != version)
            s = &ways[i];
    if (!s) {
        s = &ways[0];
        for (int i = 1; i < WAYS; i++)
            if (ways[i].stamp < s->stamp)
                s = &ways[i];
    }
    uint64_t newest = 0;
    for (int i = 0; i < WAYS; i++)
        newest = ways[i].stamp > newest ? ways[i].stamp : newest;
    s->used = true;
    s->allowed = allowed;
    s->version = version;
    s->stamp = newest + 1; /* per set, so no counter is shared across sets */
    memcpy(s->user_id, user_id, strlen(user_id) + 1); /* key_fits checked the lengths */
    memcpy(s->table_id, table_id, strlen(table_id) + 1);
    pthread_mutex_unlock(&c->mu[set % STRIPES]);
}
