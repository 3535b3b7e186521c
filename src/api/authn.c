/* authn.c — authentication of API requests and the helpers every handler shares.
 *
 * Credentials, in order: "Authorization: Bearer <token>" (a personal access token when it has
 * the PAT prefix, else a JWT), then the access_token cookie. A bad bearer token never falls
 * back to the cookie. A JWT is valid only while its session row is live and its user active,
 * and the role used is the one in the database, so logout, revocation, deactivation and role
 * changes apply on the very next request. A cookie-authenticated write must come from our own
 * origin (the browser's Origin or Referer), which defeats cross-site request forgery. */
#include "api/authn.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/jwt.h"
#include "auth/opaque_token.h"
#include "auth/ratelimit.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/rand.h"
#include "core/audit.h"

#define PAT_PREFIX "da_pat_"

int64_t api_now(void)
{
    return (int64_t)time(NULL);
}

void api_new_id(char out[USER_ID_LEN + 1])
{
    struct err err;
    if (rand_hex(out, USER_ID_LEN / 2, &err) != RC_OK) {
        log_error("auth", "no randomness: %s", err.msg);
        abort(); /* an id that is not random could collide or be guessed */
    }
}

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

enum rc api_token_user(struct app *app, const char *token, struct principal *out, struct err *err)
{
    if (strncmp(token, PAT_PREFIX, strlen(PAT_PREFIX)) == 0) {
        if (!opaque_token_well_formed(token, PAT_PREFIX))
            return err_set(err, RC_UNAUTHORIZED, "malformed personal access token");
        char hash[SHA256_HEX_LEN + 1];
        opaque_token_hash(token, hash);
        out->via_pat = true;
        return pats_user(app->core.store, hash, api_now(), &out->user, err);
    }
    struct jwt_claims claims;
    enum rc rc = jwt_verify(token, app->core.key.bytes, app->core.key.len, api_now(), &claims, err);
    if (rc)
        return rc;
    rc = sessions_user(app->core.store, claims.jti, api_now(), &out->user, err);
    if (!rc && strcmp(out->user.id, claims.sub) != 0)
        rc = err_set(err, RC_UNAUTHORIZED, "session belongs to another user");
    if (!rc)
        snprintf(out->jti, sizeof(out->jti), "%s", claims.jti);
    return rc;
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

/* 0: authenticated; 1: no credential; 2: a credential that is not valid; 3: cross-site;
 * 4: the credential could not be checked (the store did not answer). */
static int authenticate(struct http_req *req, struct app *app, struct principal *out)
{
    memset(out, 0, sizeof(*out));
    bool malformed = false;
    const char *token = bearer_token(req, &malformed);
    if (malformed)
        return 2;
    if (!token) {
        token = http_req_cookie(req, SESSION_COOKIE);
        if (!token || !*token)
            return 1;
        out->via_cookie = true;
    }
    struct err err = { { 0 } };
    enum rc rc = api_token_user(app, token, out, &err);
    if (rc && api_auth_failure_status(rc) == 401) {
        log_info("auth", "credential refused: %s", err.msg);
        return 2;
    }
    if (rc) {
        /* not the client's fault: "invalid token" would send the user to log in again */
        log_error("auth", "cannot check a credential: %s", err.msg);
        return 4;
    }
    if (out->via_cookie && !is_safe_method(http_req_method(req)) && !same_origin(req, app))
        return 3;
    return 0;
}

static bool answer_auth_failure(struct http_req *req, int result)
{
    switch (result) {
    case 0:
        return true;
    case 1:
        http_set_header(req, "WWW-Authenticate", "Bearer");
        http_respond_error(req, 401, "Missing or invalid Authorization header");
        return false;
    case 3:
        http_respond_error(req, 403, "Cross-site request refused: the Origin is not this server");
        return false;
    case 4:
        http_set_header(req, "Retry-After", "1");
        http_respond_error(req, 503,
                           "The server cannot check credentials right now (its state store is "
                           "busy); retry shortly (request id %s)",
                           http_req_id(req));
        return false;
    default:
        http_set_header(req, "WWW-Authenticate", "Bearer error=\"invalid_token\"");
        http_respond_error(req, 401, "Invalid or expired token");
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
    return authenticate(req, app, out) == 0;
}

/* Whether the Content-Type header names JSON ("application/json", any case, parameters such
 * as charset allowed). */
static bool content_type_is_json(const char *ct)
{
    static const char json[] = "application/json";
    if (!ct)
        return false;
    while (*ct == ' ' || *ct == '\t')
        ct++;
    if (strncasecmp(ct, json, sizeof(json) - 1) != 0)
        return false;
    const char *rest = ct + sizeof(json) - 1;
    while (*rest == ' ' || *rest == '\t')
        rest++;
    return *rest == '\0' || *rest == ';';
}

bool api_body(struct http_req *req, json_t **out_root, const char *fmt, ...)
{
    struct err err;
    json_t *root = NULL;
    *out_root = NULL;
    /* A browser sends a cross-site form as text/plain or form data without asking first; only
     * a same-origin page (or a CORS preflight we never grant) can send application/json. So
     * this refuses login CSRF and every other cross-site JSON write. */
    if (!content_type_is_json(http_req_header(req, "Content-Type"))) {
        http_respond_error(req, 415, "Content-Type must be application/json");
        return false;
    }
    if (http_req_json(req, &root, &err) != RC_OK) {
        http_respond_error(req, 400, "%s", err.msg);
        return false;
    }
    json_error_t jerr;
    va_list ap;
    va_start(ap, fmt);
    int r = json_vunpack_ex(root, &jerr, JSON_STRICT, fmt, ap);
    va_end(ap);
    if (r != 0) {
        json_decref(root);
        http_respond_error(req, 422, "invalid request body: %s", jerr.text);
        return false;
    }
    *out_root = root;
    return true;
}

bool api_rate_limit(struct http_req *req, struct app *app, const char *account)
{
    char key[300];
    int64_t now = api_now();
    snprintf(key, sizeof(key), "ip:%s", http_req_client_ip(req));
    int wait = ratelimit_take(app->rl_ip, key, now);
    if (!wait && account) {
        snprintf(key, sizeof(key), "account:%s", account);
        for (char *p = key; *p; p++)
            *p = (char)((*p >= 'A' && *p <= 'Z') ? *p + 32 : *p);
        wait = ratelimit_take(app->rl_account, key, now);
    }
    if (!wait)
        return true;
    char after[16];
    snprintf(after, sizeof(after), "%d", wait);
    http_set_header(req, "Retry-After", after);
    http_respond_error(req, 429, "Too many attempts; retry after %d seconds", wait);
    return false;
}

struct audit_entry api_audit_entry(const struct http_req *req, const struct principal *actor,
                                   const char *action, const char *target, const char *result,
                                   const char *detail)
{
    return core_audit_entry(http_req_client_ip(req), actor, action, target, result, detail);
}

void api_audit(struct app *app, const struct http_req *req, const struct principal *actor,
               const char *action, const char *target, const char *result, const char *detail)
{
    core_audit(&app->core, http_req_client_ip(req), actor, action, target, result, detail);
}

enum rc api_issue_session(struct app *app, const struct http_req *req, const struct user *u,
                          const char *method, char **out_token, struct err *err)
{
    struct jwt_claims c = { 0 };
    snprintf(c.sub, sizeof(c.sub), "%s", u->id);
    snprintf(c.email, sizeof(c.email), "%s", u->email);
    snprintf(c.role, sizeof(c.role), "%s", u->role);
    c.iat = api_now();
    c.exp = c.iat + SESSION_LIFETIME_S;
    api_new_id(c.jti);
    *out_token = NULL;
    struct principal actor = { .user = *u };
    struct audit_entry audit = api_audit_entry(req, &actor, "login", u->email, "ok", method);
    enum rc rc = sessions_create(app->core.store, c.jti, u->id, c.exp, http_req_client_ip(req),
                                 method, &audit, err);
    if (!rc)
        rc = jwt_sign(&c, app->core.key.bytes, app->core.key.len, out_token, err);
    return rc;
}

static bool cookie_secure(const struct app *app)
{
    return app->core.cfg->behind_tls_proxy || strncmp(app->core.cfg->public_url, "https:", 6) == 0;
}

void api_set_session_cookie(struct http_req *req, const struct app *app, const char *token)
{
    char *cookie = xasprintf("%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Lax%s", SESSION_COOKIE,
                             token, SESSION_LIFETIME_S, cookie_secure(app) ? "; Secure" : "");
    http_set_header(req, "Set-Cookie", cookie);
    mem_wipe(cookie, strlen(cookie));
    free(cookie);
}

void api_clear_session_cookie(struct http_req *req, const struct app *app)
{
    char *cookie = xasprintf("%s=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax%s", SESSION_COOKIE,
                             cookie_secure(app) ? "; Secure" : "");
    http_set_header(req, "Set-Cookie", cookie);
    free(cookie);
}

json_t *api_user_json(const struct user *u)
{
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:b, s:b, s:s, s:s}", "id", u->id, "email",
                     u->email, "name", u->name, "role", u->role, "km_admin", u->km_admin, "active",
                     u->active, "has_password", u->has_password, "created_at", u->created_at,
                     "updated_at", u->updated_at);
}
