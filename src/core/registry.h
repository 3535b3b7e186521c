/* registry.h — the rules of the table registry as admins manage it: which values each field
 * may hold, the one canonical id of a table, that an incremental table names its primary key,
 * and every change audited in the same transaction as the change (store/registry_repo.h).
 * No HTTP, no JSON: a surface decodes its input into a core_registry_input and answers with
 * what these return. A value the rules refuse is RC_BADVALUE with a message naming the field;
 * a missing table RC_NOTFOUND "Table not found". Who checks that the actor is an admin is the
 * surface's business. */
#ifndef DA_CORE_REGISTRY_H
#define DA_CORE_REGISTRY_H

#include <stdbool.h>
#include <stddef.h>

#include "base/compat.h"
#include "base/rc.h"
#include "core/core.h"
#include "core/principal.h"
#include "store/registry_repo.h"

/* The fields a caller gives, indexed by enum registry_field_id. Strings borrowed. */
struct core_registry_input {
    unsigned given;                    /* bit 1u << REG_x: field x is in the input */
    const char *text[REG_FIELD_COUNT]; /* a text field's value; NULL: given as null (clear) */
    bool flag[REG_FIELD_COUNT];        /* a bool field's value */
    bool flag_null[REG_FIELD_COUNT];   /* a bool field given as null (refused: required) */
};

/* The primary key is given as column names separated by commas ("a, b"); a caller with a
 * list joins it with "," first. "" is an empty column name (refused); NULL clears the key. */

/* Registers a table from in (name required; the defaults of a new row for what is not
 * given: full_refresh, local, profile_after_sync), under id when not NULL (it must already
 * be canonical) or else ident_table_id of its name, registered by actor, and audits
 * "table.register". *out gets the row as registered. RC_CONFLICT "Table '<id>' already
 * registered". */
enum rc core_registry_create(struct core *core, const struct principal *actor, const char *from,
                             const struct core_registry_input *in, const char *id,
                             struct registry_table *out, struct err *err) WARN_UNUSED;

/* Applies the given fields of in to table id and audits "table.update" with the names of
 * the given fields as detail. Giving nothing changes nothing and records nothing (but a
 * missing table is still RC_NOTFOUND). The rules that span fields are judged on the row the
 * update would leave. */
enum rc core_registry_update(struct core *core, const struct principal *actor, const char *from,
                             const char *id, const struct core_registry_input *in,
                             struct err *err) WARN_UNUSED;

/* Deletes table id with what hangs off it (see registry_delete) and audits "table.delete". */
enum rc core_registry_delete(struct core *core, const struct principal *actor, const char *from,
                             const char *id, struct err *err) WARN_UNUSED;

enum rc core_registry_get(struct core *core, const char *id, struct registry_table *out,
                          struct err *err) WARN_UNUSED;

/* Every row ordered by name, then id. The caller frees *out with free(). */
enum rc core_registry_list(struct core *core, struct registry_table **out, size_t *out_len,
                           struct err *err) WARN_UNUSED;

#endif
