/* identity.h — who is who, for every surface: verifying a credential, sessions, users,
 * personal access tokens and the sign-in rules (password, setup link, magic link, bootstrap
 * code, sign-in by an outside identity provider). Nothing here knows of HTTP: a surface parses
 * its request, calls one of these and answers the result in its own way.
 *
 * Every call that changes something takes the acting principal and `from`, where the call came
 * from (the client address for the HTTP API, "cli" for a local command, NULL for the server
 * itself at startup), and writes its audit record in the same store transaction as the change.
 * Implemented by sessions.c (credentials and sessions), users.c, tokens.c and signin.c. */
#ifndef DA_CORE_IDENTITY_H
#define DA_CORE_IDENTITY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/rand.h"
#include "core/core.h"
#include "core/principal.h"
#include "store/identity_repo.h"

#define SESSION_LIFETIME_S (24 * 3600)
#define PAT_PREFIX         "da_pat_"
#define PAT_DEFAULT_DAYS   90
#define PAT_MAX_DAYS       365
#define PAT_NAME_MAX       128
#define BOOTSTRAP_PREFIX   "da_boot_"

/* ---------------------------------------------------------------- credentials and sessions */

/* Starts what keeps the store off the request path on a server: the verified-credential cache
 * (core/credcache.h) and the group-commit audit writer (store/audit_writer.h), into core. Call
 * once the store is open and before any surface starts; commands do without both. */
enum rc core_identity_start(struct core *core, struct err *err) WARN_UNUSED;

/* Waits for the audit rows being written and frees what core_identity_start made. Call after
 * every surface and background thread that audits has stopped. Safe to call twice. */
void core_identity_stop(struct core *core);

/* Who a bearer token or cookie value belongs to: a personal access token (via_pat set) or a
 * session JWT (jti set); via_cookie is the caller's to set. The user is read from the store or
 * from the credential cache, which every revocation, deactivation, role or password change and
 * deletion invalidates before it returns, so they apply at once. RC_UNAUTHORIZED when the
 * credential is refused; any other failure means the store did not answer, which says nothing
 * about the token. */
enum rc core_principal_from_token(struct core *core, const char *token, struct principal *out,
                                  struct err *err) WARN_UNUSED;

/* Issues a SESSION_LIFETIME_S session JWT for u, recording the session and a "login" audit
 * entry with method ("password", "google", "magic_link", ...). *out_token is freed by the
 * caller (wipe it first: it is a credential). */
enum rc core_session_issue(struct core *core, const char *from, const struct user *u,
                           const char *method, char **out_token, struct err *err) WARN_UNUSED;

/* Ends the session actor signed in with ("logout" audit). RC_INVALID when actor holds no
 * session (a personal access token is revoked with core_pat_revoke). */
enum rc core_logout(struct core *core, const char *from, const struct principal *actor,
                    struct err *err) WARN_UNUSED;

/* The live sessions of user_id, newest first; admins only (RC_FORBIDDEN). The caller frees
 * *out with free(). */
enum rc core_sessions_list(struct core *core, const struct principal *actor, const char *user_id,
                           struct session_info **out, size_t *out_len, struct err *err) WARN_UNUSED;

/* Revokes the session jti of user_id, or all of them when jti is NULL ("session.revoke"
 * audit); admins only. *out_count (may be NULL) gets how many. RC_NOTFOUND for a jti that is
 * not user_id's or not live. */
enum rc core_sessions_revoke(struct core *core, const char *from, const struct principal *actor,
                             const char *user_id, const char *jti, int *out_count,
                             struct err *err) WARN_UNUSED;

/* ---------------------------------------------------------------- users */

/* What a new user is made of (strings borrowed). */
struct user_new {
    const char *email;
    const char *name;     /* NULL or "": the part of the email before '@' */
    const char *role;     /* admin, analyst or viewer */
    const char *password; /* NULL: none (a setup link, or sign-in by another provider) */
    bool km_admin;
};

/* Validates and fills email, name (NULL or "": the part of the email before '@') and role of
 * u. RC_BADVALUE with a message naming the field. */
enum rc core_user_fill(struct user *u, const char *email, const char *name, const char *role,
                       struct err *err) WARN_UNUSED;

/* Checks what core_user_create would check of in (email, name, role, the password policy)
 * without the store. RC_BADVALUE with a message naming the field. */
enum rc core_user_check(const struct user_new *in, struct err *err) WARN_UNUSED;

/* Creates an active user ("user.create" audit with detail, or the role when detail is NULL).
 * actor is an admin (RC_FORBIDDEN otherwise) or NULL for the server itself (startup seeding).
 * A password must pass the policy. Without a password and with out_setup_url not NULL, a
 * setup link is made (*out_setup_url, freed by the caller; NULL otherwise). out (may be NULL)
 * gets the user as stored. RC_BADVALUE (a message naming the field) before anything is
 * written; RC_CONFLICT when the email exists. */
enum rc core_user_create(struct core *core, const char *from, const struct principal *actor,
                         const struct user_new *in, const char *detail, struct user *out,
                         char **out_setup_url, struct err *err) WARN_UNUSED;

/* Changes the fields given: name and role (NULL keeps), active and km_admin (-1 keeps);
 * admins only ("user.update" audit). Deactivation revokes the user's sessions and tokens in
 * the same transaction. out (may be NULL) gets the user after the change. RC_BADVALUE for a bad
 * name or role (before anything is written), RC_CONFLICT when no active admin would be left,
 * RC_NOTFOUND when no such user. */
enum rc core_user_update(struct core *core, const char *from, const struct principal *actor,
                         const char *id, const char *name, const char *role, int active,
                         int km_admin, struct user *out, struct err *err) WARN_UNUSED;

/* Deletes a user with their sessions, tokens, memberships, grants and requests; admins only
 * ("user.delete" audit). RC_CONFLICT for the last active admin, RC_NOTFOUND for no such
 * user. */
enum rc core_user_delete(struct core *core, const char *from, const struct principal *actor,
                         const char *id, struct err *err) WARN_UNUSED;

/* All users ordered by email; admins only. The caller frees *out with free(). */
enum rc core_users_list(struct core *core, const struct principal *actor, struct user **out,
                        size_t *out_len, struct err *err) WARN_UNUSED;

/* Makes a single-use, 7-day password setup link for user_id. *out_url (public_url +
 * "/auth/password/setup#token=...") is freed by the caller. Not audited: the caller is the
 * creation of the user, or core_setup_link_issue. */
enum rc core_setup_link_new(struct core *core, const char *user_id, char **out_url,
                            struct err *err) WARN_UNUSED;

/* As core_setup_link_new for an existing user, by an admin ("user.setup_link" audit, written
 * after the link). out (may be NULL) gets the user. RC_NOTFOUND when no such user. */
enum rc core_setup_link_issue(struct core *core, const char *from, const struct principal *actor,
                              const char *user_id, struct user *out, char **out_url,
                              struct err *err) WARN_UNUSED;

/* ---------------------------------------------------------------- personal access tokens */

/* Whether actor may create a token named name for days days: RC_FORBIDDEN for a caller that
 * holds a personal access token (a leaked token must not mint more), RC_BADVALUE for a name
 * that is not 1 to PAT_NAME_MAX characters or days outside 1..PAT_MAX_DAYS. Changes nothing,
 * so a surface can check before it spends a rate-limit token. */
enum rc core_pat_check(const struct principal *actor, const char *name, int64_t days,
                       struct err *err) WARN_UNUSED;

/* Creates a token of actor's own after core_pat_check ("token.create" audit, detail the name).
 * out_id gets its id, *out_token the token (shown once; freed with opaque_token_free), and
 * *out_expires its expiry in epoch seconds. */
enum rc core_pat_create(struct core *core, const char *from, const struct principal *actor,
                        const char *name, int64_t days, char out_id[RAND_ID_LEN + 1],
                        char **out_token, int64_t *out_expires, struct err *err) WARN_UNUSED;

/* actor's own tokens, newest first; the caller frees *out with free(). */
enum rc core_pat_list(struct core *core, const struct principal *actor, struct pat_info **out,
                      size_t *out_len, struct err *err) WARN_UNUSED;

/* Revokes actor's token id ("token.revoke" audit). RC_NOTFOUND when it is not theirs or not
 * live. */
enum rc core_pat_revoke(struct core *core, const char *from, const struct principal *actor,
                        const char *id, struct err *err) WARN_UNUSED;

/* The token itself (borrowed) as the store has it. RC_NOTFOUND when it is not known. */
enum rc core_pat_describe(struct core *core, const char *token, struct pat_info *out,
                          struct err *err) WARN_UNUSED;

/* ---------------------------------------------------------------- sign-in */

/* Checks email and password with the same work for every failure: an unknown user, a wrong
 * password, no password and a deactivated account all give RC_UNAUTHORIZED "Invalid email or
 * password" and a failed "login" audit record. RC_BUSY when the store did not answer. out gets
 * the user on success. Rate limiting is the surface's. */
enum rc core_password_sign_in(struct core *core, const char *from, const char *email,
                              const char *password, struct user *out, struct err *err) WARN_UNUSED;

/* Sets the password of the user a setup link (token) was made for, spending the link
 * ("password.set" audit). email, when not NULL, must be that user's. RC_BADVALUE for a password
 * that fails the policy (the link stays unspent); RC_INVALID "Invalid or expired setup
 * link" (with a failed "password.setup" audit record) for a link that is not live, an e-mail
 * that does not match or a deactivated user, none of which spend it. out gets the user. */
enum rc core_password_setup(struct core *core, const char *from, const char *token,
                            const char *password, const char *email, struct user *out,
                            struct err *err) WARN_UNUSED;

/* Mails a 15-minute sign-in link to email when it is an active user's and mail is set up
 * ("magic_link.send" audit). Nothing is returned: the answer must not tell whether the e-mail
 * is known; failures are logged. The mail goes in the background. */
void core_magic_link_send(struct core *core, const char *from, const char *email);

/* Spends a magic link (token) and gives its active user. RC_UNAUTHORIZED "Invalid or expired
 * link" with a failed "login" audit record (target email, may be NULL); RC_BUSY when the store
 * did not answer. */
enum rc core_magic_link_consume(struct core *core, const char *from, const char *token,
                                const char *email, struct user *out, struct err *err) WARN_UNUSED;

/* The user an outside identity provider vouched for (email, hosted domain hd or NULL, display
 * name or NULL): an existing active user, or a new analyst when the e-mail's domain (and hd)
 * is in auth.allowed_domains ("user.create" audit by the new user, detail detail).
 * RC_FORBIDDEN for a deactivated account or a domain that may not join. */
enum rc core_external_user(struct core *core, const char *from, const char *email, const char *hd,
                           const char *name, const char *detail, struct user *out,
                           struct err *err) WARN_UNUSED;

/* While no admin exists, makes a single-use, 24-hour bootstrap code (*out_code, freed with
 * opaque_token_free). *out_code is NULL when an admin exists. */
enum rc core_bootstrap_code_new(struct core *core, char **out_code, struct err *err) WARN_UNUSED;

/* Creates the first admin ("bootstrap" audit by the new admin, with detail), only while no
 * admin exists (checked in the same transaction). code is a bootstrap code to spend, or NULL
 * when the caller runs on the server machine. RC_BADVALUE for a bad email, name or password
 * (nothing spent); RC_FORBIDDEN "Invalid or expired bootstrap code" (with a failed "bootstrap"
 * audit record), or when an admin exists. out gets the admin. */
enum rc core_first_admin_create(struct core *core, const char *from, const char *code,
                                const struct user_new *in, const char *detail, struct user *out,
                                struct err *err) WARN_UNUSED;

#endif
