/* store.h — the system state store: users, sessions, grants, jobs, audit and the like live in
 * one SQLite database (WAL, foreign keys, busy timeout). store_open applies every pending
 * schema migration in one transaction before anything else touches the database. Callers never
 * see SQL: each repository function below does one job. Safe to use from many threads; each
 * call borrows a connection from a small pool. */
#ifndef DA_STORE_STORE_H
#define DA_STORE_STORE_H

#include <stdint.h>

#include "base/compat.h"
#include "base/rc.h"

struct store;

/* Opens (creating if needed) the database at path with pool_size connections, checks its
 * integrity and migrates it to the current schema. Refuses a database written by a newer da.
 * On success the caller closes *out_store with store_close(). */
enum rc store_open(const char *path, int pool_size, struct store **out_store,
                   struct err *err) WARN_UNUSED;

/* Checkpoints the WAL into the main file and closes every connection, leaving no -wal or
 * -shm file behind. Accepts NULL or a pointer to NULL; sets *store to NULL. */
void store_close(struct store **store);

/* The schema version the database is at (the number of migrations applied). */
int store_schema_version(struct store *store);

/* The schema version this build of da knows. */
int store_schema_latest(void);

/* The pool size for a server with http_threads workers (server.threads): up to 32 connection
 * threads per worker share it, each holding a connection only for a statement or a
 * transaction, so four per worker (at most 64) keep waits short; a wait past the acquire
 * timeout is RC_BUSY, never a hang. */
int store_pool_size_for(int http_threads);

/* How long a call waits for a pooled connection or the write lock before it fails with
 * RC_BUSY (default 3000 ms). For tests; set before the store is shared. */
void store_set_acquire_timeout(struct store *store, int ms);

/* A cheap round trip proving the database answers (for health checks). */
enum rc store_ping(struct store *store, struct err *err) WARN_UNUSED;

/* Reads a server setting. *out_value is heap memory the caller frees with free().
 * RC_NOTFOUND when the key has never been set. */
enum rc store_meta_get(struct store *store, const char *key, char **out_value,
                       struct err *err) WARN_UNUSED;

/* Sets a server setting, replacing any earlier value. */
enum rc store_meta_set(struct store *store, const char *key, const char *value,
                       struct err *err) WARN_UNUSED;

/* Sets key to value only if the key is unset; *out_value gets the value now stored (the
 * existing one if there was one), heap memory the caller frees. Atomic, so two servers
 * starting at once agree. */
enum rc store_meta_get_or_init(struct store *store, const char *key, const char *value,
                               char **out_value, struct err *err) WARN_UNUSED;

#endif
