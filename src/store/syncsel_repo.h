/* syncsel_repo.h — the rows behind sync selection (core/sync_selection.h decides with them):
 * each user's switches of tables and buckets, the defaults recorded when a user first saw a
 * table, the user's table_mode, the packages admins define and who subscribes to them. Rows of
 * a user go when the user is deleted, subscriptions when their package is (foreign keys with
 * ON DELETE CASCADE). Every change a user or admin makes carries its audit record in the same
 * transaction. Names are stored as given: the core validates them first. */
#ifndef DA_STORE_SYNCSEL_REPO_H
#define DA_STORE_SYNCSEL_REPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/isotime.h"
#include "base/rc.h"
#include "store/identity_repo.h"

#define SYNCSEL_NAME_MAX 128 /* bytes of a table id or bucket name */
#define PACKAGE_NAME_MAX 64
#define PACKAGE_DESC_MAX 1024

/* A switch: the user's choice for a table or a bucket, or (is_default) the default a table got
 * when the user first saw it. kind is "table" or "bucket". */
struct syncsel_switch {
    char kind[8];
    char name[SYNCSEL_NAME_MAX + 1];
    bool is_default;
    bool enabled;
    char updated_at[ISOTIME_SIZE];
};

/* A table or bucket a package names; in struct syncsel_user, of a package the user subscribes
 * to (package says which). */
struct syncsel_item {
    char package[PACKAGE_NAME_MAX + 1];
    char kind[8];
    char name[SYNCSEL_NAME_MAX + 1];
};

/* What one user has chosen. Arrays are owned; syncsel_user_cleanup frees them. */
struct syncsel_user {
    bool explicit_mode;              /* table_mode "explicit" (default "all") */
    struct syncsel_switch *switches; /* by kind, name, then the user's before the default */
    size_t n_switches;
    struct syncsel_item *items; /* of subscribed packages, by package, kind, name */
    size_t n_items;
    char **subscribed; /* package names, sorted */
    size_t n_subscribed;
};

/* Reads user_id's switches, mode and subscriptions (nothing stored: all empty, mode "all"). */
enum rc syncsel_load(struct store *s, const char *user_id, struct syncsel_user *out,
                     struct err *err) WARN_UNUSED;

/* Frees what syncsel_load filled; safe on a zeroed struct. */
void syncsel_user_cleanup(struct syncsel_user *u);

/* One switch to set: kind "table" or "bucket". */
struct syncsel_op {
    const char *kind;
    const char *name;
    bool enabled;
};

/* A change of one user's selection, applied in order in one transaction: table_mode (NULL:
 * unchanged), then each op as the user's switch. A bucket op also deletes the user's switches
 * of the registered tables of that bucket (the bucket switches all its tables). */
struct syncsel_change {
    const char *table_mode;
    const struct syncsel_op *ops;
    size_t n_ops;
};

enum rc syncsel_apply(struct store *s, const char *user_id, const struct syncsel_change *c,
                      const struct audit_entry *audit, struct err *err) WARN_UNUSED;

/* Records defaults (kind "table") for tables that have none yet; an existing one is kept.
 * Not audited: the server records what it decided, nobody chose anything. */
enum rc syncsel_record_defaults(struct store *s, const char *user_id, const struct syncsel_op *ops,
                                size_t n, struct err *err) WARN_UNUSED;

/* ---- packages ---- */

struct package {
    char name[PACKAGE_NAME_MAX + 1];
    char description[PACKAGE_DESC_MAX + 1];
    char **tables; /* owned, sorted */
    size_t n_tables;
    char **buckets; /* owned, sorted */
    size_t n_buckets;
    char created_by[USER_EMAIL_MAX + 1];
    char created_at[ISOTIME_SIZE];
    char updated_at[ISOTIME_SIZE];
    int64_t subscribers;
};

/* Frees the lists of p (not p itself); safe on a zeroed struct. */
void package_cleanup(struct package *p);

/* Frees an array from packages_list. */
void packages_free(struct package *list, size_t n);

/* Every package by name, with its items and subscriber count. */
enum rc packages_list(struct store *s, struct package **out, size_t *out_len,
                      struct err *err) WARN_UNUSED;

/* RC_NOTFOUND "Package not found". */
enum rc packages_get(struct store *s, const char *name, struct package *out,
                     struct err *err) WARN_UNUSED;

/* Inserts p (name, description, tables, buckets, created_by; the times become now).
 * RC_CONFLICT "Package '<name>' already exists". */
enum rc packages_create(struct store *s, const struct package *p, const struct audit_entry *audit,
                        struct err *err) WARN_UNUSED;

/* Replaces the fields given of package name (description, the table list, the bucket list)
 * and sets updated_at. RC_NOTFOUND "Package not found". */
struct package_change {
    bool set_description, set_tables, set_buckets;
    const struct package *v;
};
enum rc packages_update(struct store *s, const char *name, const struct package_change *c,
                        const struct audit_entry *audit, struct err *err) WARN_UNUSED;

/* Deletes package name with its subscriptions. RC_NOTFOUND "Package not found". */
enum rc packages_delete(struct store *s, const char *name, const struct audit_entry *audit,
                        struct err *err) WARN_UNUSED;

/* Subscribes user_id to package name, deleting the user's own switches of the tables it
 * names and of the registered tables of the buckets it names (so subscribing enables them),
 * or unsubscribes (only the subscription goes). Subscribing twice or unsubscribing when not
 * subscribed is not an error. RC_NOTFOUND "Package not found". */
enum rc packages_subscribe(struct store *s, const char *user_id, const char *name, bool subscribe,
                           const struct audit_entry *audit, struct err *err) WARN_UNUSED;

/* Whether some registered table is in bucket. */
enum rc syncsel_bucket_registered(struct store *s, const char *bucket, bool *out,
                                  struct err *err) WARN_UNUSED;

#endif
