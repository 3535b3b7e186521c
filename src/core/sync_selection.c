/* sync_selection.c — the selection rules of sync_selection.h over the store's switches. */
#include "core/sync_selection.h"

#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/mem.h"
#include "core/audit.h"
#include "store/registry_repo.h"

#define PACKAGE_ITEMS_MAX 1000 /* tables, and buckets, one package may name */

/* ---------------------------------------------------------------- readable tables */

enum rc core_sync_tables_from_listing(struct core *core, const struct core_listing *l,
                                      struct sync_tables *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    /* a local-only listing does not read the registry; the buckets are there */
    struct registry_table *regs = NULL;
    size_t n_regs = 0;
    enum rc rc = registry_list(core->store, &regs, &n_regs, err);
    if (rc)
        return rc;
    out->n = l->n_readable;
    out->v = l->n_readable ? xcalloc(l->n_readable, sizeof(*out->v)) : NULL;
    for (size_t i = 0; i < l->n_readable; i++) {
        const struct catalog_table *c = l->readable[i].table;
        struct sync_table *t = &out->v[i];
        snprintf(t->id, sizeof(t->id), "%s", c->id);
        for (size_t r = 0; r < n_regs; r++)
            if (strcmp(regs[r].id, c->id) == 0)
                snprintf(t->bucket, sizeof(t->bucket), "%s", regs[r].bucket);
        t->size_bytes = c->size_bytes;
        t->rows = c->rows;
    }
    free(regs);
    return RC_OK;
}

static int by_id(const void *a, const void *b)
{
    return strcmp(((const struct sync_table *)a)->id, ((const struct sync_table *)b)->id);
}

enum rc core_sync_tables(struct core *core, const struct user *u, struct sync_tables *out,
                         struct err *err)
{
    struct core_listing l;
    memset(out, 0, sizeof(*out));
    enum rc rc = core_catalog_list(core, u, true, &l, err);
    if (rc)
        return rc;
    rc = core_sync_tables_from_listing(core, &l, out, err);
    core_listing_cleanup(core, &l);
    if (!rc && out->n > 1)
        qsort(out->v, out->n, sizeof(*out->v), by_id);
    return rc;
}

void core_sync_tables_free(struct sync_tables *t)
{
    free(t->v);
    t->v = NULL;
    t->n = 0;
}

/* ---------------------------------------------------------------- the rules */

const char *sync_by_name(enum sync_by by)
{
    switch (by) {
    case SYNC_BY_TABLE:
        return "table";
    case SYNC_BY_PACKAGE:
        return "package";
    case SYNC_BY_BUCKET:
        return "bucket";
    case SYNC_BY_DEFAULT:
        return "default";
    }
    return "default";
}

static const struct syncsel_switch *find_switch(const struct syncsel_user *sel, const char *kind,
                                                const char *name, bool is_default)
{
    for (size_t i = 0; i < sel->n_switches; i++) {
        const struct syncsel_switch *w = &sel->switches[i];
        if (w->is_default == is_default && strcmp(w->kind, kind) == 0 && strcmp(w->name, name) == 0)
            return w;
    }
    return NULL;
}

/* The first subscribed package (by name) naming t or its bucket, or NULL. */
static const char *covering_package(const struct syncsel_user *sel, const struct sync_table *t)
{
    for (size_t i = 0; i < sel->n_items; i++) {
        const struct syncsel_item *it = &sel->items[i];
        if (strcmp(it->kind, "table") == 0 ? strcmp(it->name, t->id) == 0
                                           : t->bucket[0] && strcmp(it->name, t->bucket) == 0)
            return it->package;
    }
    return NULL;
}

/* The default of a table seen for the first time now. */
static bool first_sight(const struct core *core, const struct syncsel_user *sel,
                        const struct sync_table *t)
{
    if (sel->explicit_mode)
        return false;
    enum sync_default d = core->cfg ? core->cfg->sync_default_enabled : SYNC_DEFAULT_AUTO;
    int64_t limit = core->cfg ? core->cfg->sync_large_table_bytes : (int64_t)1 << 30;
    switch (d) {
    case SYNC_DEFAULT_TRUE:
        return true;
    case SYNC_DEFAULT_FALSE:
        return false;
    case SYNC_DEFAULT_AUTO:
        break;
    }
    return t->size_bytes <= limit;
}

enum rc core_sync_resolve(struct core *core, const struct user *u, const struct sync_tables *tables,
                          struct core_sync_view *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    enum rc rc = syncsel_load(core->store, u->id, &out->sel, err);
    if (rc)
        return rc;
    out->n = tables->n;
    out->states = tables->n ? xcalloc(tables->n, sizeof(*out->states)) : NULL;
    struct syncsel_op *fresh = tables->n ? xcalloc(tables->n, sizeof(*fresh)) : NULL;
    size_t n_fresh = 0;
    for (size_t i = 0; i < tables->n; i++) {
        const struct sync_table *t = &tables->v[i];
        struct sync_state *s = &out->states[i];
        s->t = t;
        const struct syncsel_switch *def = find_switch(&out->sel, "table", t->id, true);
        bool def_on = def ? def->enabled : first_sight(core, &out->sel, t);
        if (!def) /* recorded even when a rule above decides: unsubscribing falls back to it */
            fresh[n_fresh++] = (struct syncsel_op){ "table", t->id, def_on };
        const struct syncsel_switch *w = find_switch(&out->sel, "table", t->id, false);
        const char *pkg = w ? NULL : covering_package(&out->sel, t);
        const struct syncsel_switch *b =
            w || pkg || !t->bucket[0] ? NULL : find_switch(&out->sel, "bucket", t->bucket, false);
        if (w) {
            s->enabled = w->enabled;
            s->by = SYNC_BY_TABLE;
        } else if (pkg) {
            s->enabled = true;
            s->by = SYNC_BY_PACKAGE;
            snprintf(s->package, sizeof(s->package), "%s", pkg);
        } else if (b) {
            s->enabled = b->enabled;
            s->by = SYNC_BY_BUCKET;
        } else {
            s->enabled = def_on;
            s->by = SYNC_BY_DEFAULT;
        }
    }
    rc = syncsel_record_defaults(core->store, u->id, fresh, n_fresh, err);
    free(fresh);
    if (rc)
        core_sync_view_cleanup(out);
    return rc;
}

void core_sync_view_cleanup(struct core_sync_view *v)
{
    free(v->states);
    syncsel_user_cleanup(&v->sel);
    memset(v, 0, sizeof(*v));
}

/* ---------------------------------------------------------------- switches */

static bool has_table(const struct sync_tables *tables, const char *id)
{
    for (size_t i = 0; i < tables->n; i++)
        if (strcmp(tables->v[i].id, id) == 0)
            return true;
    return false;
}

static bool has_bucket(const struct sync_tables *tables, const char *bucket)
{
    for (size_t i = 0; bucket[0] && i < tables->n; i++)
        if (strcmp(tables->v[i].bucket, bucket) == 0)
            return true;
    return false;
}

/* What name is to the actor: "table", "bucket", or NULL (nothing they may switch). */
static const char *switch_kind(const struct sync_tables *tables, const char *name, bool is_bucket,
                               bool tables_only)
{
    if (!is_bucket && has_table(tables, name))
        return "table";
    if (!tables_only && has_bucket(tables, name))
        return "bucket";
    return NULL;
}

enum rc core_sync_switch(struct core *core, const struct principal *actor, const char *from,
                         const struct sync_tables *tables, const char *dataset, bool is_bucket,
                         bool enabled, bool *out_is_bucket, struct core_sync_view *out,
                         struct err *err)
{
    const char *kind = switch_kind(tables, dataset, is_bucket, false);
    if (!kind) {
        char shown[SYNCSEL_NAME_MAX + 1]; /* no name is longer: a longer one is cut */
        snprintf(shown, sizeof(shown), "%s", dataset);
        core_audit(core, from, actor, "sync.switch", shown, "denied", NULL);
        return err_set(err, RC_FORBIDDEN, "No access to dataset '%.128s'", dataset);
    }
    *out_is_bucket = strcmp(kind, "bucket") == 0;
    char detail[32];
    snprintf(detail, sizeof(detail), "%s %s", kind, enabled ? "enabled" : "disabled");
    struct audit_entry audit = core_audit_entry(from, actor, "sync.switch", dataset, "ok", detail);
    struct syncsel_op op = { kind, dataset, enabled };
    struct syncsel_change c = { NULL, &op, 1 };
    enum rc rc = syncsel_apply(core->store, actor->user.id, &c, &audit, err);
    if (!rc && out)
        rc = core_sync_resolve(core, &actor->user, tables, out, err);
    return rc;
}

enum rc core_sync_batch(struct core *core, const struct principal *actor, const char *from,
                        const struct sync_tables *tables, const char *table_mode, bool tables_only,
                        struct sync_batch_item *items, size_t n, size_t *out_stored,
                        struct err *err)
{
    *out_stored = 0;
    if (table_mode && strcmp(table_mode, "all") != 0 && strcmp(table_mode, "explicit") != 0)
        return err_set(err, RC_BADVALUE, "table_mode must be \"all\" or \"explicit\"");
    struct syncsel_op *ops = n ? xcalloc(n, sizeof(*ops)) : NULL;
    size_t n_ops = 0, refused = 0;
    for (size_t i = 0; i < n; i++) {
        const char *kind = switch_kind(tables, items[i].name, false, tables_only);
        items[i].refused = kind == NULL;
        if (kind)
            ops[n_ops++] = (struct syncsel_op){ kind, items[i].name, items[i].enabled };
        else
            refused++;
    }
    char detail[96];
    snprintf(detail, sizeof(detail), "mode=%s stored=%zu refused=%zu",
             table_mode ? table_mode : "unchanged", n_ops, refused);
    struct audit_entry audit = core_audit_entry(from, actor, "sync.settings", actor->user.id,
                                                refused ? "partial" : "ok", detail);
    struct syncsel_change c = { table_mode, ops, n_ops };
    enum rc rc = syncsel_apply(core->store, actor->user.id, &c, &audit, err);
    free(ops);
    if (!rc)
        *out_stored = n_ops;
    return rc;
}

/* ---------------------------------------------------------------- packages */

bool core_package_name_valid(const char *name)
{
    if (!name || name[0] < 'a' || name[0] > 'z')
        return false;
    size_t len = 0;
    for (const char *p = name; *p; p++, len++) {
        bool ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_' || *p == '-';
        if (!ok || len >= PACKAGE_NAME_MAX)
            return false;
    }
    return true;
}

/* The readable tables package p covers (sorted, as tables is when it comes from
 * core_sync_tables) into v. */
static void cover(const struct package *p, const struct sync_tables *tables,
                  struct core_package_view *v)
{
    v->tables = tables->n ? xcalloc(tables->n, sizeof(char *)) : NULL;
    for (size_t i = 0; i < tables->n; i++) {
        const struct sync_table *t = &tables->v[i];
        bool in = false;
        for (size_t k = 0; !in && k < p->n_tables; k++)
            in = strcmp(p->tables[k], t->id) == 0;
        for (size_t k = 0; !in && t->bucket[0] && k < p->n_buckets; k++)
            in = strcmp(p->buckets[k], t->bucket) == 0;
        if (in) {
            v->tables[v->n_tables++] = xstrdup(t->id);
            v->size_bytes += t->size_bytes;
        }
    }
}

enum rc core_packages_view(struct core *core, const struct user *u,
                           const struct sync_tables *tables, const char *name,
                           struct core_package_view **out, size_t *out_len, struct err *err)
{
    struct package *defs = NULL;
    size_t n = 0;
    enum rc rc;
    *out = NULL;
    *out_len = 0;
    if (name) {
        defs = xcalloc(1, sizeof(*defs));
        rc = packages_get(core->store, name, defs, err);
        n = rc ? 0 : 1;
    } else {
        rc = packages_list(core->store, &defs, &n, err);
    }
    struct syncsel_user sel;
    if (!rc)
        rc = syncsel_load(core->store, u->id, &sel, err);
    if (rc) {
        packages_free(defs, n);
        return rc;
    }
    struct core_package_view *v = n ? xcalloc(n, sizeof(*v)) : NULL;
    for (size_t i = 0; i < n; i++) {
        v[i].def = defs[i]; /* takes the lists */
        for (size_t k = 0; k < sel.n_subscribed; k++)
            v[i].subscribed |= strcmp(sel.subscribed[k], defs[i].name) == 0;
        cover(&v[i].def, tables, &v[i]);
    }
    free(defs);
    syncsel_user_cleanup(&sel);
    *out = v;
    *out_len = n;
    return RC_OK;
}

void core_package_views_free(struct core_package_view *v, size_t n)
{
    for (size_t i = 0; v && i < n; i++) {
        package_cleanup(&v[i].def);
        for (size_t k = 0; k < v[i].n_tables; k++)
            free(v[i].tables[k]);
        free(v[i].tables);
    }
    free(v);
}

/* A table a package may name: a canonical id that is registered or served now. */
static enum rc check_table(struct core *core, const struct principal *actor, const char *id,
                           struct err *err)
{
    if (!ident_is_table_id(id))
        return err_set(err, RC_BADVALUE, "'%.128s' is not a table id", id);
    struct registry_table row;
    enum rc rc = registry_get(core->store, id, &row, err);
    if (rc != RC_NOTFOUND)
        return rc;
    if (core->dataplane) {
        struct catalog_gen *g = NULL;
        const struct catalog_table *t = NULL;
        rc = core_readable_table(core, &actor->user, id, false, &g, &t, err);
        core_catalog_release(core, g);
        if (rc != RC_NOTFOUND)
            return rc;
    }
    return err_set(err, RC_BADVALUE, "Table '%s' is neither registered nor served", id);
}

static enum rc check_bucket(struct core *core, const char *bucket, struct err *err)
{
    bool known = false;
    if (!bucket[0] || strlen(bucket) > SYNCSEL_NAME_MAX)
        return err_set(err, RC_BADVALUE, "'%.128s' is not a bucket name", bucket);
    enum rc rc = syncsel_bucket_registered(core->store, bucket, &known, err);
    if (!rc && !known)
        return err_set(err, RC_BADVALUE, "No registered table is in bucket '%s'", bucket);
    return rc;
}

/* Checks the lists of p that are given. */
static enum rc check_lists(struct core *core, const struct principal *actor,
                           const struct package *p, bool tables, bool buckets, struct err *err)
{
    enum rc rc = RC_OK;
    if ((tables && p->n_tables > PACKAGE_ITEMS_MAX) ||
        (buckets && p->n_buckets > PACKAGE_ITEMS_MAX))
        return err_set(err, RC_BADVALUE, "a package names at most %d tables and %d buckets",
                       PACKAGE_ITEMS_MAX, PACKAGE_ITEMS_MAX);
    if (strlen(p->description) >= PACKAGE_DESC_MAX)
        return err_set(err, RC_BADVALUE, "description is longer than %d bytes",
                       PACKAGE_DESC_MAX - 1);
    for (size_t i = 0; tables && !rc && i < p->n_tables; i++)
        rc = check_table(core, actor, p->tables[i], err);
    for (size_t i = 0; buckets && !rc && i < p->n_buckets; i++)
        rc = check_bucket(core, p->buckets[i], err);
    return rc;
}

enum rc core_package_create(struct core *core, const struct principal *actor, const char *from,
                            struct package *p, struct err *err)
{
    if (!core_package_name_valid(p->name))
        return err_set(err, RC_INVALID,
                       "name must match ^[a-z][a-z0-9_-]{0,63}$ (lower-case letters, digits,"
                       " '_' and '-', starting with a letter)");
    enum rc rc = check_lists(core, actor, p, true, true, err);
    if (rc)
        return rc;
    snprintf(p->created_by, sizeof(p->created_by), "%s", actor->user.email);
    struct audit_entry audit = core_audit_entry(from, actor, "package.create", p->name, "ok", NULL);
    return packages_create(core->store, p, &audit, err);
}

enum rc core_package_update(struct core *core, const struct principal *actor, const char *from,
                            const char *name, const struct package_change *c, struct err *err)
{
    enum rc rc = check_lists(core, actor, c->v, c->set_tables, c->set_buckets, err);
    if (rc)
        return rc;
    struct audit_entry audit = core_audit_entry(from, actor, "package.update", name, "ok", NULL);
    return packages_update(core->store, name, c, &audit, err);
}

enum rc core_package_delete(struct core *core, const struct principal *actor, const char *from,
                            const char *name, struct err *err)
{
    struct audit_entry audit = core_audit_entry(from, actor, "package.delete", name, "ok", NULL);
    return packages_delete(core->store, name, &audit, err);
}

enum rc core_package_subscribe(struct core *core, const struct principal *actor, const char *from,
                               const char *name, bool subscribe, struct err *err)
{
    struct audit_entry audit = core_audit_entry(
        from, actor, subscribe ? "package.subscribe" : "package.unsubscribe", name, "ok", NULL);
    return packages_subscribe(core->store, actor->user.id, name, subscribe, &audit, err);
}
