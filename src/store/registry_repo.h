/* registry_repo.h — the table registry as admins manage it: one row per table, keyed by its
 * canonical table id (ident_table_id), with how it is synced, profiled and queried. Deleting a
 * table also removes what hangs off its id (grants, sync state, profile, pending access
 * requests). Every change carries its audit record in the same transaction. The HTTP side is
 * api/registry.c; store/access_repo.h keeps the small tables_register/tables_get used by the demo
 * seeding and the access checks. */
#ifndef DA_STORE_REGISTRY_REPO_H
#define DA_STORE_REGISTRY_REPO_H

#include <stdbool.h>
#include <stddef.h>

#include "base/compat.h"
#include "base/ident.h"
#include "base/isotime.h"
#include "base/rc.h"
#include "store/identity_repo.h"

#define REGISTRY_TEXT_MAX 128  /* bytes of every text field but the description */
#define REGISTRY_DESC_MAX 4096 /* bytes of a description */

/* One registry row. An optional text field that is "" is NULL in the database (and JSON null
 * in answers). */
struct registry_table {
    char id[IDENT_MAX_LEN + 1];
    char bucket[REGISTRY_TEXT_MAX + 1];
    char description[REGISTRY_DESC_MAX + 1];
    char folder[REGISTRY_TEXT_MAX + 1];
    bool is_public;
    char name[REGISTRY_TEXT_MAX + 1];
    char primary_key[REGISTRY_TEXT_MAX + 1]; /* "a,b": see registry_primary_key_norm */
    bool profile_after_sync;
    char query_mode[REGISTRY_TEXT_MAX + 1]; /* local | remote */
    char source_table[REGISTRY_TEXT_MAX + 1];
    char source_type[REGISTRY_TEXT_MAX + 1];
    char sync_schedule[REGISTRY_TEXT_MAX + 1]; /* see registry_schedule_valid */
    char sync_strategy[REGISTRY_TEXT_MAX + 1]; /* full_refresh | incremental | append */
    char registered_by[USER_EMAIL_MAX + 1];
    char registered_at[ISOTIME_SIZE];
    char updated_at[ISOTIME_SIZE]; /* "" until the first update */
};

/* The fields a client may write, in name order; they index registry_fields(). */
enum registry_field_id {
    REG_BUCKET,
    REG_DESCRIPTION,
    REG_FOLDER,
    REG_IS_PUBLIC,
    REG_NAME,
    REG_PRIMARY_KEY,
    REG_PROFILE_AFTER_SYNC,
    REG_QUERY_MODE,
    REG_SOURCE_TABLE,
    REG_SOURCE_TYPE,
    REG_SYNC_SCHEDULE,
    REG_SYNC_STRATEGY,
    REG_FIELD_COUNT
};

enum registry_kind { REGISTRY_TEXT, REGISTRY_BOOL };

/* Where a writable field lives in struct registry_table, and what it may hold. */
struct registry_field {
    const char *name; /* the JSON key and the column */
    enum registry_kind kind;
    size_t offset; /* of the char array or the bool */
    size_t max;    /* bytes of a text value (its array holds max + 1) */
    bool required; /* never NULL: it cannot be cleared */
};

/* The table of writable fields, indexed by enum registry_field_id (static storage). */
const struct registry_field *registry_fields(void);

/* An update: the fields given (bit 1u << REG_x) and their new values in v, and an optional
 * rule across fields (check) judged on the row as the change leaves it, inside the update's
 * transaction, so no concurrent update can slip between the check and the write. */
struct registry_change {
    unsigned given;
    struct registry_table v;
    enum rc (*check)(const struct registry_table *after, struct err *err);
};

/* Inserts t (every field but registered_at and updated_at set by the caller; registered_at
 * becomes now). RC_CONFLICT "Table '<id>' already registered" when the id exists. */
enum rc registry_create(struct store *s, const struct registry_table *t,
                        const struct audit_entry *audit, struct err *err) WARN_UNUSED;

/* RC_NOTFOUND "Table not found" when no such id. */
enum rc registry_get(struct store *s, const char *id, struct registry_table *out,
                     struct err *err) WARN_UNUSED;

/* Every row ordered by name, then id. The caller frees *out with free(). */
enum rc registry_list(struct store *s, struct registry_table **out, size_t *out_len,
                      struct err *err) WARN_UNUSED;

/* Applies the given fields of c to row id and sets updated_at, reading and writing in one
 * transaction so concurrent updates of different fields do not undo each other. *out (may be
 * NULL) gets the row as written. RC_NOTFOUND "Table not found"; what c->check returns when it
 * refuses the row (nothing is written). */
enum rc registry_update(struct store *s, const char *id, const struct registry_change *c,
                        const struct audit_entry *audit, struct registry_table *out,
                        struct err *err) WARN_UNUSED;

/* Deletes row id with the grants of exactly that id, its sync_state and table_profiles rows
 * and its pending access requests, in one transaction with the audit record (bucket grants
 * stay). RC_NOTFOUND "Table not found". */
enum rc registry_delete(struct store *s, const char *id, const struct audit_entry *audit,
                        struct err *err) WARN_UNUSED;

/* True when s is a sync schedule: "every <N>m" or "every <N>h" with N from 1 to 10080, or
 * "daily HH:MM[,HH:MM...]" with two-digit hours 00-23 and minutes 00-59. */
bool registry_schedule_valid(const char *s);

/* Normalises a primary key given as column names separated by commas: each name trimmed of
 * spaces and tabs and not empty, joined by "," into out. RC_BADVALUE naming the problem, or
 * when the result exceeds REGISTRY_TEXT_MAX bytes. */
enum rc registry_primary_key_norm(const char *in, char out[REGISTRY_TEXT_MAX + 1],
                                  struct err *err) WARN_UNUSED;

#endif
