/* request.c — the helpers every API handler shares besides authentication (see request.h):
 * strict JSON bodies, rate limits, audit records stamped with the client's address, the
 * session cookie and the answer to a sign-in. */
#include "api/request.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/ratelimit.h"
#include "base/mem.h"
#include "core/audit.h"
#include "core/identity.h"

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
    int64_t now = clock_now_s();
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

enum rc api_audit(struct app *app, const struct http_req *req, const struct principal *actor,
                  const char *action, const char *target, const char *result, const char *detail)
{
    return core_audit(&app->core, http_req_client_ip(req), actor, action, target, result, detail);
}

void api_answer_session(struct http_req *req, struct app *app, const struct user *u,
                        const char *method, bool set_cookie, bool with_user_id, const char *message)
{
    struct err err;
    char *token = NULL;
    enum rc rc = core_session_issue(&app->core, http_req_client_ip(req), u, method, &token, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        return;
    }
    if (set_cookie)
        api_set_session_cookie(req, app, token);
    json_t *body = json_pack("{s:s, s:s, s:s, s:s}", "access_token", token, "token_type", "bearer",
                             "email", u->email, "role", u->role);
    if (with_user_id)
        json_object_set_new(body, "user_id", json_string(u->id));
    if (message)
        json_object_set_new(body, "message", json_string(message));
    mem_wipe(token, strlen(token));
    free(token);
    http_respond_json(req, 200, body);
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
