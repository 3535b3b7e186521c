/* access_repo.h — repositories behind data permissions: the table registry's visibility facts,
 * groups and their members, grants, access requests, and the one query that decides whether
 * a user may read a table (core_may_read in core/access.c adds the admin rule). */
#ifndef DA_STORE_ACCESS_REPO_H
#define DA_STORE_ACCESS_REPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/isotime.h"
#include "base/rc.h"
#include "store/identity_repo.h"

#define TABLE_ID_MAX   128
#define DATASET_MAX    (TABLE_ID_MAX + 2)
#define GROUP_NAME_MAX 64

struct table_entry {
    char id[TABLE_ID_MAX + 1];
    char name[TABLE_ID_MAX + 1];
    char source_type[33];
    char bucket[TABLE_ID_MAX + 1];
    char query_mode[8];
    char description[512];
    bool is_public;
};

/* Registers a table; RC_CONFLICT when the id exists. */
enum rc tables_register(struct store *s, const struct table_entry *t, const char *registered_by,
                        const struct audit_entry *audit, struct err *err) WARN_UNUSED;

/* RC_NOTFOUND when no such table. */
enum rc tables_get(struct store *s, const char *id, struct table_entry *out,
                   struct err *err) WARN_UNUSED;

/* ---- groups ---- */

enum rc groups_create(struct store *s, const char *id, const char *name,
                      const struct audit_entry *audit, struct err *err) WARN_UNUSED;
/* Finds a group id by name; RC_NOTFOUND when none. */
enum rc groups_find(struct store *s, const char *name, char out_id[USER_ID_LEN + 1],
                    struct err *err) WARN_UNUSED;
enum rc groups_add_member(struct store *s, const char *group_id, const char *user_id,
                          const struct audit_entry *audit, struct err *err) WARN_UNUSED;
enum rc groups_remove_member(struct store *s, const char *group_id, const char *user_id,
                             const struct audit_entry *audit, struct err *err) WARN_UNUSED;
/* The names of the groups user_id belongs to, sorted; the caller frees each and the array. */
enum rc groups_of_user(struct store *s, const char *user_id, char ***out_names, size_t *out_len,
                       struct err *err) WARN_UNUSED;

/* ---- grants ---- */

struct grant {
    char user_id[USER_ID_LEN + 1];       /* "" for a group grant */
    char group_name[GROUP_NAME_MAX + 1]; /* "" for a user grant */
    char dataset[DATASET_MAX + 1];
    char access[8];
};

/* Grants read on dataset (a table id or "<bucket>.*") to exactly one of user_id or group_id.
 * Granting twice is not an error. */
enum rc grants_add(struct store *s, const char *user_id, const char *group_id, const char *dataset,
                   const char *created_by, const struct audit_entry *audit,
                   struct err *err) WARN_UNUSED;

/* Removes the grant; *out_removed tells whether one existed. */
enum rc grants_remove(struct store *s, const char *user_id, const char *group_id,
                      const char *dataset, const struct audit_entry *audit, bool *out_removed,
                      struct err *err) WARN_UNUSED;

/* Grants, all of them or only user_id's own (not through groups); the caller frees *out. */
enum rc grants_list(struct store *s, const char *user_id, struct grant **out, size_t *out_len,
                    struct err *err) WARN_UNUSED;

/* Whether user_id may read table_id by the table being public, a grant of the table or of its
 * bucket, to the user or to a group of the user. Admins are not special here. */
enum rc store_user_may_read(struct store *s, const char *user_id, const char *table_id,
                            bool *out_allowed, struct err *err) WARN_UNUSED;

/* ---- access requests ---- */

struct access_request {
    char id[USER_ID_LEN + 1];
    char user_id[USER_ID_LEN + 1];
    char user_email[USER_EMAIL_MAX + 1];
    char table_id[TABLE_ID_MAX + 1];
    char reason[1024];
    char status[16];
    char reviewed_by[USER_EMAIL_MAX + 1];
    char reviewed_at[ISOTIME_SIZE];
    char created_at[ISOTIME_SIZE];
};

/* RC_NOTFOUND when the table does not exist; RC_CONFLICT when the user already has a pending
 * request for it. */
enum rc requests_create(struct store *s, const char *id, const char *user_id, const char *table_id,
                        const char *reason, const struct audit_entry *audit,
                        struct err *err) WARN_UNUSED;

/* A user's requests (user_id set) or all pending ones (user_id NULL), newest first. */
enum rc requests_list(struct store *s, const char *user_id, struct access_request **out,
                      size_t *out_len, struct err *err) WARN_UNUSED;

/* Approves (creating exactly the grant asked for) or denies a pending request, atomically.
 * RC_NOTFOUND when it does not exist or is no longer pending. */
enum rc requests_decide(struct store *s, const char *id, bool approve, const char *reviewer_email,
                        const struct audit_entry *audit, struct err *err) WARN_UNUSED;

#endif
