/* request.h — what every API handler shares besides authentication (authn.h): the JSON body
 * of a request, rate limits, audit records of a request, the session cookie, answering a
 * sign-in with a new session, and a user's JSON form. Each function that returns false has
 * answered the request itself (400, 415, 422, 429). */
#ifndef DA_API_REQUEST_H
#define DA_API_REQUEST_H

#include <stdbool.h>
#include <stdint.h>

#include "api/api.h"
#include "base/isotime.h"
#include "base/rand.h"
#include "core/principal.h"

#define SESSION_COOKIE "access_token"

/* Parses the JSON body against a jansson unpack format with JSON_STRICT (unknown keys are
 * refused). Borrowed strings point into *out_root, which the caller releases with json_decref.
 * False after a 400/415/422 answer. */
bool api_body(struct http_req *req, json_t **out_root, const char *fmt, ...);

/* Takes a token from the per-address limiter and, when account is not NULL, from the
 * per-account one. False after a 429 with Retry-After. */
bool api_rate_limit(struct http_req *req, struct app *app, const char *account);

/* An audit record for this request (actor may be NULL), from the client's address. Strings
 * are borrowed. */
struct audit_entry api_audit_entry(const struct http_req *req, const struct principal *actor,
                                   const char *action, const char *target, const char *result,
                                   const char *detail);

/* Writes an audit record on its own (a read, or a failure, where no change carries it) and
 * returns once it is durable, with core_audit's rc: a handler that hands out data answers 503
 * when its read cannot be put on record. */
enum rc api_audit(struct app *app, const struct http_req *req, const struct principal *actor,
                  const char *action, const char *target, const char *result, const char *detail);

/* Answers a successful sign-in of u with a new session (core_session_issue): {access_token,
 * token_type, email, role} plus user_id and message when asked, and the cookie when
 * set_cookie. */
void api_answer_session(struct http_req *req, struct app *app, const struct user *u,
                        const char *method, bool set_cookie, bool with_user_id,
                        const char *message);

/* Adds Set-Cookie for the session token (HttpOnly, SameSite=Lax, Path=/, Secure under TLS). */
void api_set_session_cookie(struct http_req *req, const struct app *app, const char *token);

/* Adds Set-Cookie that removes the session cookie. */
void api_clear_session_cookie(struct http_req *req, const struct app *app);

/* {id, email, name, role, km_admin, active, has_password, created_at, updated_at}. */
json_t *api_user_json(const struct user *u);

#endif
