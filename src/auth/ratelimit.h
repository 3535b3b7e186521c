/* ratelimit.h — in-memory token buckets keyed by strings ("ip:1.2.3.4", "account:a@b.c"),
 * for login and token endpoints. Bounded: when the table is full the stalest bucket is
 * reused, so an attacker spraying keys cannot grow memory. One server's view only; several
 * servers behind a balancer each limit on their own. */
#ifndef DA_AUTH_RATELIMIT_H
#define DA_AUTH_RATELIMIT_H

#include <stdint.h>

struct ratelimit;

/* A limiter allowing burst hits at once, refilled at burst per window_s seconds. Caller
 * frees with ratelimit_free(). */
struct ratelimit *ratelimit_new(int burst, int window_s);
void ratelimit_free(struct ratelimit **rl);

/* Takes one token for key at time now (seconds). Returns 0 when allowed, else the seconds to
 * wait before a token is available (for Retry-After). Thread-safe. */
int ratelimit_take(struct ratelimit *rl, const char *key, int64_t now);

#endif
