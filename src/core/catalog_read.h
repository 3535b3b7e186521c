/* catalog_read.h — what a reader may see of the catalog: the tables they may read (and the
 * registered ones they may ask for), one table's columns, a sample of its rows. A table the
 * reader may not read does not exist here: every lookup answers RC_NOTFOUND "Table not found"
 * for it, exactly as for a missing table, so ids of private tables do not leak. Results that
 * point into a catalog generation hold it; the cleanup functions release it. */
#ifndef DA_CORE_CATALOG_READ_H
#define DA_CORE_CATALOG_READ_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buf.h"
#include "base/compat.h"
#include "base/rc.h"
#include "core/core.h"
#include "core/principal.h"
#include "data/catalog.h"
#include "store/registry_repo.h"

/* The table id served by the current generation, if u may read it (local_only: and it is a
 * local table with files). The generation is held in *out_g (release it with
 * core_catalog_release); RC_NOTFOUND "Table not found" otherwise, with *out_g NULL. */
enum rc core_readable_table(struct core *core, const struct user *u, const char *id,
                            bool local_only, struct catalog_gen **out_g,
                            const struct catalog_table **out_t, struct err *err) WARN_UNUSED;

/* Releases a generation a core_* call held. Accepts NULL. */
void core_catalog_release(struct core *core, struct catalog_gen *g);

/* A served table the reader may read, with its registry row (NULL when unregistered). */
struct core_listed_table {
    const struct catalog_table *table;  /* in gen */
    const struct registry_table *entry; /* in regs, or NULL */
};

/* What a reader sees of the catalog. Everything points into gen and regs, owned here. */
struct core_listing {
    struct catalog_gen *gen; /* held */
    struct registry_table *regs;
    size_t n_regs;
    struct core_listed_table *readable; /* served tables the reader may read, catalog order */
    size_t n_readable;
    const struct registry_table **requestable; /* served, registered, not readable: may ask */
    size_t n_requestable;
};

/* Lists what u may read (local_only: only local tables with files, and no requestable ones).
 * Release with core_listing_cleanup. */
enum rc core_catalog_list(struct core *core, const struct user *u, bool local_only,
                          struct core_listing *out, struct err *err) WARN_UNUSED;

/* Releases the generation and frees the lists; safe on a zeroed listing. */
void core_listing_cleanup(struct core *core, struct core_listing *l);

/* One column as DuckDB binds the table's view. */
struct core_column {
    char *name;
    char *type;
    bool nullable;
};

/* The columns of table id of generation g (already known to be readable). The caller frees
 * them with core_columns_free. */
enum rc core_table_columns(struct catalog_gen *g, const char *id, struct core_column **out,
                           size_t *out_len, struct err *err) WARN_UNUSED;

void core_columns_free(struct core_column *cols, size_t len);

/* Appends up to rows rows of table id (as JSON, result.h's shape) to out, as principal p,
 * and audits "catalog.sample" (from: where the call came from). RC_NOTFOUND when the table
 * is not readable (not audited: nothing was read). */
enum rc core_catalog_sample(struct core *core, const struct principal *p, const char *from,
                            const char *id, int64_t rows, struct buf *out,
                            struct err *err) WARN_UNUSED;

#endif
