/* authn.c — authentication of API requests.
 *
 * Credentials, in order: "Authorization: Bearer <token>" (a personal access token when it has
 * the PAT prefix, else a JWT), then the session cookie. A bad bearer token never falls back to
 * the cookie. What a credential proves is the domain layer's answer
 * (core_principal_from_token); this file finds the credential in the request and answers the
 * failures. A cookie-authenticated write must come from our own origin (the browser's Origin
 * or Referer), which defeats cross-site request forgery. */
#include "api/authn.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api/request.h"
#include "base/log.h"
#include "core/identity.h"

/* The bearer token of the Authorization header, NULL when there is none. *out_malformed is
 * set when the header is present but not "Bearer <token>". */
static const char *bearer_token(const struct http_req *req, bool *out_malformed)
{
    const char *h = http_req_header(req, "Authorization");
    *out_malformed = false;
    if (!h)
        return NULL;
    if (strncmp(h, "Bearer ", 7) != 0 || !h[7]) {
        *out_malformed = true;
        return NULL;
    }
    return h + 7;
}

/* The origin ("scheme://host[:port]") of a URL, into out. */
static void origin_of(const char *url, char *out, size_t size)
{
    const char *p = strstr(url, "://");
    const char *end = p ? strchr(p + 3, '/') : NULL;
    size_t len = end ? (size_t)(end - url) : strlen(url);
    snprintf(out, size, "%.*s", (int)len, url);
}

/* A state-changing request that authenticates with the cookie must come from our origin. */
static bool same_origin(const struct http_req *req, const struct app *app)
{
    const char *site = http_req_header(req, "Sec-Fetch-Site");
    if (site && strcmp(site, "same-origin") == 0)
        return true;
    const char *origin = http_req_header(req, "Origin");
    const char *referer = http_req_header(req, "Referer");
    char theirs[512], ours[512], host_origin[512];
    if (origin && strcmp(origin, "null") != 0)
        snprintf(theirs, sizeof(theirs), "%s", origin);
    else if (referer)
        origin_of(referer, theirs, sizeof(theirs));
    else
        return false;
    origin_of(app->core.cfg->public_url, ours, sizeof(ours));
    if (strcasecmp(theirs, ours) == 0)
        return true;
    const char *host = http_req_header(req, "Host");
    if (!host)
        return false;
    const char *scheme = strncmp(app->core.cfg->public_url, "https:", 6) == 0 ? "https" : "http";
    snprintf(host_origin, sizeof(host_origin), "%s://%s", scheme, host);
    return strcasecmp(theirs, host_origin) == 0;
}

static bool is_safe_method(const char *m)
{
    return strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0 || strcmp(m, "OPTIONS") == 0;
}

int api_auth_failure_status(enum rc rc)
{
    return rc == RC_UNAUTHORIZED ? 401 : 503;
}

/* RC_OK: authenticated; RC_NOTFOUND: no credential at all; RC_UNAUTHORIZED: a credential that
 * is not valid; RC_FORBIDDEN: a cookie-authenticated write from another site; RC_BUSY: the
 * credential could not be checked (the store did not answer). */
static enum rc authenticate(struct http_req *req, struct app *app, struct principal *out)
{
    memset(out, 0, sizeof(*out));
    bool malformed = false, via_cookie = false;
    const char *token = bearer_token(req, &malformed);
    if (malformed)
        return RC_UNAUTHORIZED;
    if (!token) {
        token = http_req_cookie(req, SESSION_COOKIE);
        if (!token || !*token)
            return RC_NOTFOUND;
        via_cookie = true;
    }
    struct err err = { { 0 } };
    enum rc rc = core_principal_from_token(&app->core, token, out, &err);
    out->via_cookie = via_cookie;
    if (rc && api_auth_failure_status(rc) == 401) {
        log_info("auth", "credential refused: %s", err.msg);
        return RC_UNAUTHORIZED;
    }
    if (rc) {
        /* not the client's fault: "invalid token" would send the user to log in again */
        log_error("auth", "cannot check a credential: %s", err.msg);
        return RC_BUSY;
    }
    if (out->via_cookie && !is_safe_method(http_req_method(req)) && !same_origin(req, app))
        return RC_FORBIDDEN;
    return RC_OK;
}

static bool answer_auth_failure(struct http_req *req, enum rc rc)
{
    switch (rc) {
    case RC_OK:
        return true;
    case RC_NOTFOUND:
        http_set_header(req, "WWW-Authenticate", "Bearer");
        http_respond_error(req, 401, "Missing or invalid Authorization header");
        return false;
    case RC_FORBIDDEN:
        http_respond_error(req, 403, "Cross-site request refused: the Origin is not this server");
        return false;
    case RC_UNAUTHORIZED:
        http_set_header(req, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
        http_respond_error(req, 401, "Invalid or expired token");
        return false;
    default:
        http_set_header(req, "Retry-After", "1");
        http_respond_error(req, 503,
                           "The server cannot check credentials right now (its state store is "
                           "busy); retry shortly (request id %s)",
                           http_req_id(req));
        return false;
    }
}

bool api_require_user(struct http_req *req, struct app *app, struct principal *out)
{
    return answer_auth_failure(req, authenticate(req, app, out));
}

bool api_require_admin(struct http_req *req, struct app *app, struct principal *out)
{
    if (!api_require_user(req, app, out))
        return false;
    if (strcmp(out->user.role, "admin") != 0) {
        http_respond_error(req, 403, "Requires role admin");
        return false;
    }
    return true;
}

bool api_optional_user(struct http_req *req, struct app *app, struct principal *out)
{
    return authenticate(req, app, out) == RC_OK;
}
