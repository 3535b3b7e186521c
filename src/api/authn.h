/* authn.h — who is calling, for the API handlers: authentication of a request (bearer JWT,
 * bearer personal access token, or the session cookie with a same-origin check on writes)
 * and the role check. The credential itself is verified by the domain layer
 * (core_principal_from_token); this is its HTTP side. Each api_require_* answers the request
 * itself (401, 403, 503) when it returns false. */
#ifndef DA_API_AUTHN_H
#define DA_API_AUTHN_H

#include <stdbool.h>

#include "api/api.h"
#include "core/principal.h"

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

#endif
