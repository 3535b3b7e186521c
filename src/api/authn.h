/* authn.h — who is calling, for the API handlers: authentication of a request (bearer JWT,
 * bearer personal access token, or the access_token cookie with a same-origin check on
 * writes), role checks, session issuance, rate limits, request-body parsing and audit records.
 * Each api_require_* answers the request itself (401, 403, 422, 429) when it returns false. */
#ifndef DA_API_AUTHN_H
#define DA_API_AUTHN_H

#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"
#include "core/principal.h"
#include "store/identity.h"

#define SESSION_LIFETIME_S (24 * 3600)
#define SESSION_COOKIE     "access_token"

/* Who a bearer token or cookie value belongs to (a personal access token or a session JWT).
 * RC_UNAUTHORIZED when it is not valid; any other result means the state store did not
 * answer, which says nothing about the token. */
enum rc api_token_user(struct app *app, const char *token, struct principal *out,
                       struct err *err) WARN_UNUSED;

/* The status a failed credential check with rc is answered with: 401 only when the credential
 * itself was refused (RC_UNAUTHORIZED), 503 (with Retry-After) when it could not be checked. */
int api_auth_failure_status(enum rc rc);

/* Authenticates the caller. False (after a 401, 403 or 503) when there is no valid credential
 * or it cannot be checked. */
bool api_require_user(struct http_req *req, struct app *app, struct principal *out);

/* As api_require_user, and the caller must be an admin (403 otherwise). */
bool api_require_admin(struct http_req *req, struct app *app, struct principal *out);

/* True when the request carries a valid credential; never answers. */
bool api_optional_user(struct http_req *req, struct app *app, struct principal *out);

/* Parses the JSON body against a jansson unpack format with JSON_STRICT (unknown keys are
 * refused). Borrowed strings point into *out_root, which the caller releases with json_decref.
 * False after a 400/422 answer. */
bool api_body(struct http_req *req, json_t **out_root, const char *fmt, ...);

/* Takes a token from the per-address limiter and, when account is not NULL, from the
 * per-account one. False after a 429 with Retry-After. */
bool api_rate_limit(struct http_req *req, struct app *app, const char *account);

/* An audit record for this request (actor may be NULL). Strings are borrowed. */
struct audit_entry api_audit_entry(const struct http_req *req, const struct principal *actor,
                                   const char *action, const char *target, const char *result,
                                   const char *detail);

/* Writes an audit record on its own (for failures, where no change carries it). */
void api_audit(struct app *app, const struct http_req *req, const struct principal *actor,
               const char *action, const char *target, const char *result, const char *detail);

/* Issues a 24-hour session JWT for u, recording the session and a "login" audit entry with
 * method ("password", "google", "magic_link", ...). *out_token is freed by the caller. */
enum rc api_issue_session(struct app *app, const struct http_req *req, const struct user *u,
                          const char *method, char **out_token, struct err *err) WARN_UNUSED;

/* Answers a successful sign-in of u with a new session: {access_token, token_type, email,
 * role} plus user_id and message when asked, and the cookie when set_cookie. */
void api_answer_session(struct http_req *req, struct app *app, const struct user *u,
                        const char *method, bool set_cookie, bool with_user_id,
                        const char *message);

/* Adds Set-Cookie for the session token (HttpOnly, SameSite=Lax, Path=/, Secure under TLS). */
void api_set_session_cookie(struct http_req *req, const struct app *app, const char *token);

/* Adds Set-Cookie that removes the session cookie. */
void api_clear_session_cookie(struct http_req *req, const struct app *app);

/* {id, email, name, role, km_admin, active, has_password, created_at, updated_at}. */
json_t *api_user_json(const struct user *u);

#define BOOTSTRAP_PREFIX "da_boot_"

/* Validates and fills email, name (NULL or "": the part of the email before '@') and role of
 * u. RC_INVALID with a message naming the field. */
enum rc api_user_fill(struct user *u, const char *email, const char *name, const char *role,
                      struct err *err) WARN_UNUSED;

/* Makes a single-use, 7-day password setup link for user_id. *out_url (public_url +
 * "/auth/password/setup#token=...") is freed by the caller. */
enum rc api_setup_link_new(struct app *app, const char *user_id, char **out_url,
                           struct err *err) WARN_UNUSED;

/* Seconds since the epoch. */
int64_t api_now(void);

/* A fresh random id: 32 hex characters. */
void api_new_id(char out[USER_ID_LEN + 1]);

#endif
