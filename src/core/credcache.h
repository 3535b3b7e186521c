/* credcache.h — credentials verified lately, kept in memory so a request does not read the
 * state store to learn who it is. An entry is keyed by the SHA-256 of the token (never the
 * token) and holds the principal it proved, the credential's own expiry and the identity
 * version it was verified at. The identity version is bumped by every change that can make a
 * cached principal wrong (logout, session or token revocation, role change, deactivation,
 * deletion, password change): one bump makes every entry invalid at once, so a revoked
 * credential fails on the very next request.
 *
 * Bounded: a fixed table of 4-way sets; a full set gives up its least recently used entry.
 * Safe from any thread. The cache owns its table; entries are copies. */
#ifndef DA_CORE_CREDCACHE_H
#define DA_CORE_CREDCACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/sha256.h"
#include "core/principal.h"

struct credcache;

/* A cache of about max_entries entries (rounded up to whole sets; at least one set). Freed with
 * credcache_free. */
struct credcache *credcache_new(size_t max_entries);

/* Accepts NULL or a pointer to NULL; sets *c to NULL. */
void credcache_free(struct credcache **c);

/* How many entries the table can hold. */
size_t credcache_capacity(const struct credcache *c);

/* How many entries hold something (valid or not): for tests. */
size_t credcache_used(struct credcache *c);

/* The identity version now. A caller that is about to verify a credential in the store reads it
 * first and gives it to credcache_put, so an entry made from a read that a concurrent change
 * overtook is born stale. */
uint64_t credcache_version(const struct credcache *c);

/* Makes every entry invalid. Called after the change has committed. */
void credcache_bump(struct credcache *c);

/* True, with the principal in *out, when key is cached at the current version and now is
 * before its expiry. *out_touch_due (may be NULL) is set when the entry's last-use stamp is
 * at least touch_every_s old; the entry then takes now as its stamp, so only one caller
 * stamps. */
bool credcache_get(struct credcache *c, const unsigned char key[SHA256_LEN], int64_t now,
                   int64_t touch_every_s, struct principal *out, bool *out_touch_due);

/* Caches p (copied) for key until expires_at (epoch seconds), as of version (see
 * credcache_version), with touched_at the last-use stamp in epoch seconds. */
void credcache_put(struct credcache *c, const unsigned char key[SHA256_LEN],
                   const struct principal *p, int64_t expires_at, int64_t touched_at,
                   uint64_t version);

#endif
