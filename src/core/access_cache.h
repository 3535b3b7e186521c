/* access_cache.h — core_may_read's recent answers (access.h), per (user id, table id), each
 * valid only at the access version it was computed at. The version is one counter for the
 * whole instance, bumped (core_access_changed, core.h) after every change that can change a
 * read decision: grants of users and groups, group membership, a table's registration,
 * visibility or deletion, a user's role, deactivation or deletion. So a bump makes every answer
 * cached before it unusable at once, and the very next decision asks the store.
 *
 * The rule that keeps it exact: read the version (access_cache_version) BEFORE asking the
 * store, store the answer under that version, and bump AFTER the change is committed. An answer
 * computed from the state before a change then carries a version older than the bump and can
 * never be returned after it.
 *
 * Bounded: a fixed number of slots, set-associative (a new answer replaces the least recently
 * stored one of its set), allocated once. Thread-safe: the version is atomic, each set is
 * guarded by one of a few mutexes. The cache owns its slots; keys are copied in. */
#ifndef DA_CORE_ACCESS_CACHE_H
#define DA_CORE_ACCESS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACCESS_CACHE_SLOTS 4096 /* answers kept at most, by default (about 0.8 MB) */

struct access_cache;

/* A new, empty cache of about slots answers (0: ACCESS_CACHE_SLOTS); freed with
 * access_cache_free. */
struct access_cache *access_cache_new(size_t slots);

/* Frees the cache and sets *c to NULL. Accepts NULL and a pointer to NULL. */
void access_cache_free(struct access_cache **c);

/* The access version now. Read it before asking the store for the answer you will put. */
uint64_t access_cache_version(struct access_cache *c);

/* Makes every answer stored so far unusable. Call after the change is committed. */
void access_cache_bump(struct access_cache *c);

/* The answer for (user_id, table_id) stored at version, if any and if version is still the
 * current one: true with it in *out_allowed. */
bool access_cache_get(struct access_cache *c, const char *user_id, const char *table_id,
                      uint64_t version, bool *out_allowed);

/* Stores an answer computed at version (read before the store was asked). Nothing is stored
 * when the version has moved on since, or for a key longer than a slot holds. */
void access_cache_put(struct access_cache *c, const char *user_id, const char *table_id,
                      uint64_t version, bool allowed);

#endif
