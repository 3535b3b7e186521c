/* identity_repo.h — repositories of users, sessions, personal access tokens, one-time tokens and
 * the audit log. Every change that must be audited takes the audit entry and writes it in the
 * same transaction: if the audit row cannot be written, the change does not happen. */
#ifndef DA_STORE_IDENTITY_REPO_H
#define DA_STORE_IDENTITY_REPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/isotime.h"
#include "base/rc.h"
#include "store/store.h"

#define USER_ID_LEN    32 /* hex characters */
#define USER_EMAIL_MAX 254
#define USER_NAME_MAX  128

struct user {
    char id[USER_ID_LEN + 1];
    char email[USER_EMAIL_MAX + 1];
    char name[USER_NAME_MAX + 1];
    char role[16]; /* admin, analyst or viewer */
    bool km_admin;
    bool active;
    bool has_password;
    char created_at[ISOTIME_SIZE];
    char updated_at[ISOTIME_SIZE];
};

/* One audit record. Strings are borrowed; NULL ones are stored as NULL. */
struct audit_entry {
    const char *actor_id;
    const char *actor_email;
    const char *action; /* "login", "user.create", "grant.add", ... */
    const char *target;
    const char *ip;
    const char *result; /* "ok", "denied", "failed" */
    const char *detail;
};

/* ---- users ---- */

/* Inserts u (id, email, name, role, km_admin, active set by the caller) with an optional
 * password hash. RC_CONFLICT when the email exists (case-insensitively). */
enum rc users_create(struct store *s, const struct user *u, const char *password_hash,
                     const struct audit_entry *audit, struct err *err) WARN_UNUSED;

/* As users_create, but only while no admin exists, checked in the same transaction, so two
 * concurrent bootstraps cannot both succeed: RC_FORBIDDEN when an admin exists already. */
enum rc users_create_first_admin(struct store *s, const struct user *u, const char *password_hash,
                                 const struct audit_entry *audit, struct err *err) WARN_UNUSED;

/* RC_NOTFOUND when no such user. */
enum rc users_get(struct store *s, const char *id, struct user *out, struct err *err) WARN_UNUSED;

/* Finds a user by email, case-insensitively. *out_hash (when out_hash is not NULL) gets the
 * password hash or NULL; the caller frees it. RC_NOTFOUND when no such user. */
enum rc users_get_by_email(struct store *s, const char *email, struct user *out, char **out_hash,
                           struct err *err) WARN_UNUSED;

/* All users ordered by email. The caller frees *out_users with free(). */
enum rc users_list(struct store *s, struct user **out_users, size_t *out_len,
                   struct err *err) WARN_UNUSED;

enum rc users_count(struct store *s, int64_t *out_total, int64_t *out_admins,
                    struct err *err) WARN_UNUSED;

/* Changes the fields given: name (NULL keeps), role (NULL keeps), active and km_admin (-1
 * keeps). Demotion applies at once (the role is read from the row on every request);
 * deactivation revokes every session and personal access token of the user in the same
 * transaction, so reactivation does not revive them. RC_CONFLICT when the change would leave
 * no active admin; RC_NOTFOUND when no such user. */
enum rc users_update(struct store *s, const char *id, const char *name, const char *role,
                     int active, int km_admin, const struct audit_entry *audit,
                     struct err *err) WARN_UNUSED;

enum rc users_set_password(struct store *s, const char *id, const char *password_hash,
                           const struct audit_entry *audit, struct err *err) WARN_UNUSED;

/* Deletes the user and, by cascade, their sessions, tokens, memberships, grants and access
 * requests. RC_CONFLICT when it is the last active admin; RC_NOTFOUND when no such user. */
enum rc users_delete(struct store *s, const char *id, const struct audit_entry *audit,
                     struct err *err) WARN_UNUSED;

/* ---- sessions (one row per issued JWT, keyed by its jti) ---- */

enum rc sessions_create(struct store *s, const char *jti, const char *user_id, int64_t expires_at,
                        const char *ip, const char *method, const struct audit_entry *audit,
                        struct err *err) WARN_UNUSED;

/* The active user behind a live session: not revoked, not expired, user active.
 * RC_UNAUTHORIZED otherwise. */
enum rc sessions_user(struct store *s, const char *jti, int64_t now, struct user *out,
                      struct err *err) WARN_UNUSED;

/* Revokes one session (RC_NOTFOUND if it is not user_id's or already gone) or, with jti NULL,
 * all of user_id's sessions; *out_count (may be NULL) gets how many. */
enum rc sessions_revoke(struct store *s, const char *user_id, const char *jti,
                        const struct audit_entry *audit, int *out_count,
                        struct err *err) WARN_UNUSED;

struct session_info {
    char jti[65];
    char method[16];
    char ip[64];
    char created_at[ISOTIME_SIZE];
    int64_t expires_at;
};

/* Live sessions of a user, newest first. The caller frees *out with free(). */
enum rc sessions_list(struct store *s, const char *user_id, int64_t now, struct session_info **out,
                      size_t *out_len, struct err *err) WARN_UNUSED;

/* ---- personal access tokens ---- */

struct pat_info {
    char id[33];
    char name[129];
    char created_at[ISOTIME_SIZE];
    int64_t expires_at;
    char last_used_at[ISOTIME_SIZE]; /* "" when never */
    bool revoked;
};

enum rc pats_create(struct store *s, const char *id, const char *user_id, const char *name,
                    const char *token_hash, int64_t expires_at, const struct audit_entry *audit,
                    struct err *err) WARN_UNUSED;

#define PAT_LAST_USED_EVERY_S 60 /* last_used_at is stamped at most this often */

/* The active user owning a live token with this hash, and records its use (at most once a
 * minute; a failure to record it is logged, not returned). RC_UNAUTHORIZED for no such live
 * token; RC_BUSY or RC_DB when the store did not answer (the caller must not say "invalid
 * token" then). */
enum rc pats_user(struct store *s, const char *token_hash, int64_t now, struct user *out,
                  struct err *err) WARN_UNUSED;

/* The active user owning a live token with this hash, the token's expiry (epoch seconds) and
 * its last use (epoch seconds, 0 for never), without recording this use (pats_touch does).
 * RC_UNAUTHORIZED for no such live token; RC_BUSY or RC_DB when the store did not answer. */
enum rc pats_lookup(struct store *s, const char *token_hash, int64_t now, struct user *out,
                    int64_t *out_expires_at, int64_t *out_last_used, struct err *err) WARN_UNUSED;

/* Records that the token with this hash was used at stamp (an ISO time). */
enum rc pats_touch(struct store *s, const char *token_hash, const char *stamp,
                   struct err *err) WARN_UNUSED;

/* The user's tokens, newest first; the caller frees *out. */
enum rc pats_list(struct store *s, const char *user_id, struct pat_info **out, size_t *out_len,
                  struct err *err) WARN_UNUSED;

/* Revokes the token id of user_id. RC_NOTFOUND when it is not theirs or not live. */
enum rc pats_revoke(struct store *s, const char *user_id, const char *id,
                    const struct audit_entry *audit, struct err *err) WARN_UNUSED;

/* ---- one-time tokens (password setup, magic link, bootstrap code) ---- */

enum rc one_time_create(struct store *s, const char *token_hash, const char *purpose,
                        const char *user_id, int64_t expires_at, struct err *err) WARN_UNUSED;

/* Marks the token used, exactly once, if it exists for purpose and has not expired; copies its
 * user id (or "" for none) into out_user_id. RC_UNAUTHORIZED otherwise. Atomic: two
 * concurrent consumers cannot both succeed. */
enum rc one_time_consume(struct store *s, const char *token_hash, const char *purpose, int64_t now,
                         char out_user_id[USER_ID_LEN + 1], struct err *err) WARN_UNUSED;

/* As one_time_consume, but only a token that belongs to user_id is spent: a token of
 * another user (or none) is RC_UNAUTHORIZED and stays unspent. */
enum rc one_time_consume_for(struct store *s, const char *token_hash, const char *purpose,
                             const char *user_id, int64_t now, struct err *err) WARN_UNUSED;

/* The user id (or "") of a live, unspent token, without spending it. RC_UNAUTHORIZED when
 * there is none. */
enum rc one_time_peek(struct store *s, const char *token_hash, const char *purpose, int64_t now,
                      char out_user_id[USER_ID_LEN + 1], struct err *err) WARN_UNUSED;

/* ---- audit log ---- */

enum rc audit_write(struct store *s, const struct audit_entry *e, struct err *err) WARN_UNUSED;

struct audit_row {
    int64_t id;
    char at[ISOTIME_SIZE];
    char actor_id[USER_ID_LEN + 1];
    char actor_email[USER_EMAIL_MAX + 1];
    char action[64];
    char target[256];
    char ip[64];
    char result[16];
    char detail[256];
};

struct audit_filter {
    const char *action;   /* exact, or NULL */
    const char *actor_id; /* exact, or NULL */
    const char *since;    /* ISO time, inclusive, or NULL */
    const char *until;    /* ISO time, exclusive, or NULL */
    int64_t limit;
    int64_t offset;
};

/* Matching rows, newest first. The caller frees *out; *out_total gets the count of all
 * matching rows (for paging). */
enum rc audit_list(struct store *s, const struct audit_filter *f, struct audit_row **out,
                   size_t *out_len, int64_t *out_total, struct err *err) WARN_UNUSED;

#endif
