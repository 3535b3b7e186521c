/* sync_selection.h — which of the tables a user may read `da sync` downloads for them, and the
 * packages (named bundles of tables and buckets) users subscribe to. For each readable local
 * table the first rule that applies decides (docs/API.md "Sync selection"): the user's switch
 * of the table; a subscribed package naming the table or its bucket; the user's switch of the
 * bucket; the default recorded when the user first saw the table; else the default decided
 * now (off in table_mode "explicit", else per sync.default_enabled and
 * sync.large_table_bytes) and recorded, so a table that grows later does not vanish from a
 * laptop. The readable tables come from the catalog (core_sync_tables); everything else takes
 * them as an argument, so no rule here can act on a table the caller may not read. Changes
 * take (actor, from) and are audited in their store transaction. */
#ifndef DA_CORE_SYNC_SELECTION_H
#define DA_CORE_SYNC_SELECTION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/ident.h"
#include "base/rc.h"
#include "core/catalog_read.h"
#include "core/core.h"
#include "core/principal.h"
#include "store/syncsel_repo.h"

/* A local table the caller may read, as the selection needs it. */
struct sync_table {
    char id[IDENT_MAX_LEN + 1];
    char bucket[SYNCSEL_NAME_MAX + 1]; /* the registry's bucket; "" for none */
    int64_t size_bytes;
    int64_t rows;
};

/* A list of readable tables; v is owned (free with core_sync_tables_free). */
struct sync_tables {
    struct sync_table *v;
    size_t n;
};

/* The local tables u may read, sorted by id (needs the catalog: core->dataplane). */
enum rc core_sync_tables(struct core *core, const struct user *u, struct sync_tables *out,
                         struct err *err) WARN_UNUSED;

/* The same from a listing the caller already has, in its order (index i is l->readable[i]);
 * the buckets come from the registry. */
enum rc core_sync_tables_from_listing(struct core *core, const struct core_listing *l,
                                      struct sync_tables *out, struct err *err) WARN_UNUSED;

void core_sync_tables_free(struct sync_tables *t);

enum sync_by { SYNC_BY_TABLE, SYNC_BY_PACKAGE, SYNC_BY_BUCKET, SYNC_BY_DEFAULT };

/* "table", "package", "bucket", "default". */
const char *sync_by_name(enum sync_by by);

/* The decision for one table. */
struct sync_state {
    const struct sync_table *t; /* borrowed from the tables resolved */
    bool enabled;
    enum sync_by by;
    char package[PACKAGE_NAME_MAX + 1]; /* when by is SYNC_BY_PACKAGE */
};

/* What the selection says for a user: a state per table (in the order of the tables given)
 * and the user's stored choices. Owned; core_sync_view_cleanup frees. */
struct core_sync_view {
    struct sync_state *states;
    size_t n;
    struct syncsel_user sel;
};

/* Decides every table of tables for u, recording first-sight defaults in one write when
 * some are new (none when nothing is). */
enum rc core_sync_resolve(struct core *core, const struct user *u, const struct sync_tables *tables,
                          struct core_sync_view *out, struct err *err) WARN_UNUSED;

void core_sync_view_cleanup(struct core_sync_view *v);

/* Switches dataset for the actor: a table id of tables (unless is_bucket), else a bucket that
 * holds at least one of tables. A bucket switch also clears the actor's switches of its
 * tables. RC_FORBIDDEN "No access to dataset '<x>'" when it is neither (the same for a name
 * that does not exist: private names do not leak). *out_is_bucket says which was switched;
 * *out (may be NULL) gets the view afterwards. Audited "sync.switch". */
enum rc core_sync_switch(struct core *core, const struct principal *actor, const char *from,
                         const struct sync_tables *tables, const char *dataset, bool is_bucket,
                         bool enabled, bool *out_is_bucket, struct core_sync_view *out,
                         struct err *err) WARN_UNUSED;

/* One name of a batch switch (the original's POST /api/sync/settings and
 * /api/sync/table-subscriptions); refused is set for a name the actor may not switch. */
struct sync_batch_item {
    const char *name;
    bool enabled;
    bool refused;
};

/* Sets table_mode ("all" | "explicit"; NULL: unchanged) and switches every item the actor may
 * switch (a readable table, or unless tables_only a bucket holding one), all in one
 * transaction audited "sync.settings". *out_stored gets how many switches were stored.
 * RC_BADVALUE for another table_mode. */
enum rc core_sync_batch(struct core *core, const struct principal *actor, const char *from,
                        const struct sync_tables *tables, const char *table_mode, bool tables_only,
                        struct sync_batch_item *items, size_t n, size_t *out_stored,
                        struct err *err) WARN_UNUSED;

/* ---- packages ---- */

/* ^[a-z][a-z0-9_-]{0,63}$ */
bool core_package_name_valid(const char *name);

/* A package as a reader sees it: the readable tables it covers (through its tables and
 * buckets; sorted ids into tables->v) and their total size. def is the whole definition:
 * a surface shows it to admins only. Owned; core_package_views_free frees. */
struct core_package_view {
    struct package def;
    bool subscribed;
    char **tables;
    size_t n_tables;
    int64_t size_bytes;
};

/* Every package (or, with name, the one: RC_NOTFOUND "Package not found") as u sees it over
 * u's readable tables. */
enum rc core_packages_view(struct core *core, const struct user *u,
                           const struct sync_tables *tables, const char *name,
                           struct core_package_view **out, size_t *out_len,
                           struct err *err) WARN_UNUSED;

void core_package_views_free(struct core_package_view *v, size_t n);

/* Creates p (name, description, tables, buckets; created_by becomes the actor's email).
 * RC_INVALID for a bad name; RC_BADVALUE for a table id that is not a canonical id, or is
 * neither registered nor served, or a bucket no registered table has; RC_CONFLICT when it
 * exists. Audited "package.create". */
enum rc core_package_create(struct core *core, const struct principal *actor, const char *from,
                            struct package *p, struct err *err) WARN_UNUSED;

/* Replaces the fields c gives of package name (checked as for create). RC_NOTFOUND.
 * Audited "package.update". */
enum rc core_package_update(struct core *core, const struct principal *actor, const char *from,
                            const char *name, const struct package_change *c,
                            struct err *err) WARN_UNUSED;

/* Deletes package name and its subscriptions. RC_NOTFOUND. Audited "package.delete". */
enum rc core_package_delete(struct core *core, const struct principal *actor, const char *from,
                            const char *name, struct err *err) WARN_UNUSED;

/* Subscribes the actor to package name (clearing the actor's switches of the tables it
 * covers), or unsubscribes. RC_NOTFOUND. Audited "package.subscribe" / "package.unsubscribe". */
enum rc core_package_subscribe(struct core *core, const struct principal *actor, const char *from,
                               const char *name, bool subscribe, struct err *err) WARN_UNUSED;

#endif
