/* access.h — who may read which table, and the rules that change it: the one read decision,
 * grants of a table or of a bucket ("<bucket>.*") to a user or a group, groups and their
 * members, access requests that users file and admins decide, the effective access of a user,
 * and the audit log as admins read it. No HTTP here: every surface (the API, commands, the
 * coming MCP server) calls these. A change takes its actor and where the call came from (the
 * client address, "cli") and is audited by the store in the same transaction. A value the
 * rules refuse is RC_BADVALUE with a message naming it; a missing user, group, table or
 * request is RC_NOTFOUND. Who checks that the actor is an admin is the surface's business. */
#ifndef DA_CORE_ACCESS_H
#define DA_CORE_ACCESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/isotime.h"
#include "base/rc.h"
#include "core/core.h"
#include "core/principal.h"
#include "store/access_repo.h"

/* ---- the one read decision ---- */

/* May u read table_id? Admins read everything; others per store_user_may_read (the table is
 * public, or a grant of the table or of its bucket reaches the user directly or through a
 * group). *out_allowed is false on any failure. */
enum rc core_may_read(struct core *core, const struct user *u, const char *table_id,
                      bool *out_allowed, struct err *err) WARN_UNUSED;

/* The same decision as a yes or no. A store failure is a no, and is logged. */
bool core_can_read(struct core *core, const struct user *u, const char *table_id);

/* ---- grants ---- */

/* A grant as a caller names it: exactly one of user_id and group, a dataset (a table id or
 * "<bucket>.*"), and access ("read", the only kind; NULL means it). Strings borrowed. */
struct core_grant {
    const char *user_id;
    const char *group;
    const char *dataset;
    const char *access;
};

/* Grants read on g. The user or group must exist, and a plain table id must be registered.
 * Granting twice is not an error (and is audited twice, as each call is). */
enum rc core_grant_add(struct core *core, const struct principal *actor, const char *from,
                       const struct core_grant *g, struct err *err) WARN_UNUSED;

/* Revokes g; *out_removed tells whether it existed (revoking nothing leaves no audit record).
 * The table need not exist any more: a grant may outlive it. */
enum rc core_grant_remove(struct core *core, const struct principal *actor, const char *from,
                          const struct core_grant *g, bool *out_removed,
                          struct err *err) WARN_UNUSED;

/* Every grant; the caller frees *out. */
enum rc core_grants_list(struct core *core, struct grant **out, size_t *out_len,
                         struct err *err) WARN_UNUSED;

/* What a user may read through grants: their own grants and the groups they are in. */
struct core_user_access {
    struct user user;
    struct grant *grants; /* owned; core_user_access_cleanup frees */
    size_t n_grants;
    char **groups; /* names, sorted; owned */
    size_t n_groups;
};

/* RC_NOTFOUND "User not found" when there is no such user. */
enum rc core_user_access(struct core *core, const char *user_id, struct core_user_access *out,
                         struct err *err) WARN_UNUSED;

/* Frees what core_user_access filled; safe on a zeroed struct. */
void core_user_access_cleanup(struct core_user_access *a);

/* ---- groups ---- */

/* Creates a group called name ([A-Za-z0-9_.-], 1 to GROUP_NAME_MAX); its new id in out_id.
 * RC_CONFLICT when the name is taken. */
enum rc core_group_create(struct core *core, const struct principal *actor, const char *from,
                          const char *name, char out_id[USER_ID_LEN + 1],
                          struct err *err) WARN_UNUSED;

/* Adds user_id to the group called group. */
enum rc core_group_add_member(struct core *core, const struct principal *actor, const char *from,
                              const char *group, const char *user_id, struct err *err) WARN_UNUSED;

/* Removes user_id from the group called group; RC_NOTFOUND when the group does not exist or
 * the user is not in it (then nothing is audited). */
enum rc core_group_remove_member(struct core *core, const struct principal *actor, const char *from,
                                 const char *group, const char *user_id,
                                 struct err *err) WARN_UNUSED;

/* The names of the groups user_id is in, sorted; the caller frees each and the array. */
enum rc core_groups_of(struct core *core, const char *user_id, char ***out_names, size_t *out_len,
                       struct err *err) WARN_UNUSED;

/* ---- access requests ---- */

#define ACCESS_REASON_MAX 1000 /* bytes of an access request's reason */

/* The actor asks to read table_id (reason may be NULL). RC_NOTFOUND when the table is not
 * registered, RC_CONFLICT when the actor can read it already or has a pending request. The
 * request's id in out_id, the table's registered id in out_table_id. */
enum rc core_request_create(struct core *core, const struct principal *actor, const char *from,
                            const char *table_id, const char *reason, char out_id[USER_ID_LEN + 1],
                            char out_table_id[TABLE_ID_MAX + 1], struct err *err) WARN_UNUSED;

/* The actor's own requests (mine) or every pending one (!mine), newest first; the caller
 * frees *out. */
enum rc core_requests_list(struct core *core, const struct principal *actor, bool mine,
                           struct access_request **out, size_t *out_len,
                           struct err *err) WARN_UNUSED;

/* Approves (creating exactly the grant asked for) or denies the pending request id.
 * RC_NOTFOUND when it does not exist or is no longer pending. */
enum rc core_request_decide(struct core *core, const struct principal *actor, const char *from,
                            const char *id, bool approve, struct err *err) WARN_UNUSED;

/* ---- the audit log ---- */

#define AUDIT_LIMIT_DEFAULT 100
#define AUDIT_LIMIT_MAX     1000
#define AUDIT_OFFSET_MAX    1000000000

/* A filter of the audit log as a caller gives it, every field text or NULL (absent). */
struct core_audit_query {
    const char *limit, *offset; /* 1..AUDIT_LIMIT_MAX (default 100), 0..AUDIT_OFFSET_MAX */
    const char *since, *until;  /* ISO-8601 UTC times */
    const char *action, *actor_id;
};

/* A page of the audit log. */
struct core_audit_page {
    struct audit_row *rows; /* owned; free() */
    size_t len;
    int64_t total; /* rows that match, over every page */
    int64_t limit, offset;
};

/* Reads a page of the audit log; RC_BADVALUE naming a field that is not valid. */
enum rc core_audit_read(struct core *core, const struct core_audit_query *q,
                        struct core_audit_page *out, struct err *err) WARN_UNUSED;

#endif
