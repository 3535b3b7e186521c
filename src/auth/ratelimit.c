/* ratelimit.c — fixed-size open-addressed table of token buckets behind one mutex. The work
 * per call is a hash and a short probe, far below the cost of the argon2 check it guards. */
#include "auth/ratelimit.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

#define RATELIMIT_SLOTS 4096 /* power of two */
#define RATELIMIT_PROBE 16
#define RATELIMIT_KEY   96

struct bucket {
    char key[RATELIMIT_KEY];
    double tokens;
    int64_t updated; /* seconds */
};

struct ratelimit {
    pthread_mutex_t lock;
    int burst;
    double refill_per_s;
    struct bucket slots[RATELIMIT_SLOTS];
};

struct ratelimit *ratelimit_new(int burst, int window_s)
{
    struct ratelimit *rl = xcalloc(1, sizeof(*rl));
    pthread_mutex_init(&rl->lock, NULL);
    rl->burst = burst;
    rl->refill_per_s = (double)burst / (double)(window_s > 0 ? window_s : 1);
    return rl;
}

void ratelimit_free(struct ratelimit **rl)
{
    if (!rl || !*rl)
        return;
    pthread_mutex_destroy(&(*rl)->lock);
    free(*rl);
    *rl = NULL;
}

static uint64_t hash_key(const char *s)
{
    uint64_t h = 1469598103934665603ull; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    return h;
}

/* The bucket of key: its own, else an empty slot, else the stalest slot of the probe run. */
static struct bucket *find_bucket(struct ratelimit *rl, const char *key, bool *out_fresh)
{
    uint64_t h = hash_key(key);
    struct bucket *stalest = NULL;
    for (int i = 0; i < RATELIMIT_PROBE; i++) {
        struct bucket *b = &rl->slots[(h + (uint64_t)i) & (RATELIMIT_SLOTS - 1)];
        if (strcmp(b->key, key) == 0) {
            *out_fresh = false;
            return b;
        }
        bool stalest_empty = stalest && !stalest->key[0];
        if (!b->key[0] ? !stalest_empty
                       : !stalest || (!stalest_empty && b->updated < stalest->updated))
            stalest = b; /* an empty slot beats any used one; else the oldest used one */
    }
    *out_fresh = true;
    return stalest;
}

int ratelimit_take(struct ratelimit *rl, const char *key, int64_t now)
{
    char k[RATELIMIT_KEY];
    snprintf(k, sizeof(k), "%s", key); /* long keys share a bucket with their prefix: fine */
    pthread_mutex_lock(&rl->lock);
    bool fresh = false;
    struct bucket *b = find_bucket(rl, k, &fresh);
    if (fresh) {
        memcpy(b->key, k, sizeof(k));
        b->tokens = rl->burst;
        b->updated = now;
    }
    double t = b->tokens + (double)(now - b->updated) * rl->refill_per_s;
    if (t > rl->burst)
        t = rl->burst;
    b->updated = now;
    int wait = 0;
    if (t >= 1.0) {
        b->tokens = t - 1.0;
    } else {
        b->tokens = t;
        wait = (int)((1.0 - t) / rl->refill_per_s) + 1;
    }
    pthread_mutex_unlock(&rl->lock);
    return wait;
}
