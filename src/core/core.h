/* core.h — the domain layer: the rules every surface asks about. Who is this (identity.h), may
 * they read this table (access.h), run this query as them (query.h), what may they see of the
 * catalog and the data's state (catalog_read.h, data_state.h), the table registry's rules
 * (registry.h), and the audit of it all (audit.h). The HTTP API, the commands and
 * the coming MCP server, web UI and script runner are thin adapters over it; nothing here
 * knows of HTTP, and no surface calls another. */
#ifndef DA_CORE_CORE_H
#define DA_CORE_CORE_H

#include "auth/server_key.h"
#include "config/config.h"
#include "store/store.h"

struct access_cache;
struct audit_writer;
struct credcache;
struct dataplane;
struct query_engine;
struct scheduler;

/* What the rules need of the running instance. Built by `da serve` (or a server-side
 * command) before any surface starts, read-only afterwards: the parts that change (the
 * store, the catalog) guard themselves. Pointers are borrowed from the builder. */
struct core {
    const struct config *cfg;
    struct store *store;
    const char *data_dir;
    char *extracts_dir; /* <data_dir>/extracts; owned by the builder */
    struct server_key key;
    struct dataplane *dataplane;       /* the catalog and its watcher, profiler; NULL in commands */
    struct query_engine *engine;       /* the query worker processes; NULL in commands */
    struct scheduler *sched;           /* connector jobs (core/jobs.h); NULL in commands */
    struct access_cache *access_cache; /* core_may_read's answers (access_cache.h); NULL:
                                        * none kept, every decision asks the store */
    /* the verified-credential cache and the group-commit audit writer (core_identity_start);
     * NULL in commands, which then read and write the store directly */
    struct credcache *credcache;
    struct audit_writer *audit_writer;
};

/* Call after every change that can change a read decision (a grant, a group's members, a
 * table's registration or visibility, a user's role, deactivation or deletion), once it is
 * committed, whether or not it succeeded: no read decision cached before it is used again
 * (access_cache.h). */
void core_access_changed(struct core *core);

#endif
