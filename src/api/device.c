/* device.c — browser sign-in for the CLI over HTTP, as an OAuth 2.0 Device Authorization
 * Grant (RFC 8628): the CLI asks for a device code and a short user code, a signed-in user
 * opens the verification page, sees which client asks and approves or denies, and the CLI,
 * polling with its device code, receives a new personal access token of that user. Also
 * GET /api/tokens/current, which tells a token holder which token it holds (the CLI stores
 * the id so that `da logout` can revoke it).
 *
 * The rules of the grant are the domain layer's (core/device.h); here are the protocol's
 * answers, the rate limits and the verification page. The device code travels only in POST
 * bodies. The page says who asks and from where, so a user tricked into approving someone
 * else's code (the phishing risk of this flow) has a chance to notice. */
#include "core/device.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api/authn.h"
#include "api/request.h"
#include "auth/opaque_token.h"
#include "base/buf.h"
#include "base/isotime.h"
#include "base/log.h"
#include "base/mem.h"
#include "core/identity.h"

#define DEVICE_PAGE_MAX (64 * 1024)

/* ---------------------------------------------------------------- helpers */

/* The RFC 8628 error answer: 400 {"error": code, "detail": message}. */
static void respond_grant_error(struct http_req *req, const char *code, const char *detail)
{
    http_respond_json(req, 400, json_pack("{s:s, s:s}", "error", code, "detail", detail));
}

/* ---------------------------------------------------------------- POST /auth/device/code */

static void post_code(struct http_req *req, void *appv)
{
    struct app *app = appv;
    json_t *root = NULL;
    const char *client_name = "da CLI";
    char *device_code = NULL, *uri = NULL, *uri_complete = NULL;
    char code[DEVICE_USER_CODE_LEN + 1], shown[DEVICE_USER_CODE_LEN + 2];
    struct err err;
    if (!api_body(req, &root, "{s?s}", "client_name", &client_name))
        return;
    enum rc rc = core_device_client_check(client_name, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        goto out;
    }
    if (!api_rate_limit(req, app, NULL))
        goto out;
    rc = core_device_grant_new(&app->core, http_req_client_ip(req), client_name, &device_code, code,
                               &err);
    if (rc == RC_TOOBIG) {
        http_set_header(req, "Retry-After", "60");
        http_respond_error(req, 503, "%s", err.msg);
        goto out;
    }
    if (rc) {
        http_respond_rc(req, rc, &err);
        goto out;
    }
    core_device_display_code(code, shown);
    uri = xasprintf("%s/auth/device", app->core.cfg->public_url);
    uri_complete = xasprintf("%s?user_code=%s", uri, shown);
    /* not the user code: with it anyone signed in could approve the grant for their own
     * account and so sign the requester's CLI in as themselves */
    log_info("device", "browser sign-in requested by %s", client_name);
    http_respond_json(req, 200,
                      json_pack("{s:s, s:s, s:s, s:s, s:i, s:i}", "device_code", device_code,
                                "user_code", shown, "verification_uri", uri,
                                "verification_uri_complete", uri_complete, "expires_in",
                                DEVICE_LIFETIME_S, "interval", DEVICE_INTERVAL_S));
out:
    opaque_token_free(device_code);
    free(uri);
    free(uri_complete);
    json_decref(root);
}

/* ---------------------------------------------------------------- POST /auth/device/token */

/* Spends an approved grant for a new token of the approving user and answers it. */
static void redeem(struct http_req *req, struct app *app, const char *device_code,
                   const struct device_grant *g)
{
    struct user u;
    struct err err;
    char *token = NULL;
    char id[RAND_ID_LEN + 1];
    int64_t expires = 0;
    enum rc rc = core_device_redeem(&app->core, http_req_client_ip(req), device_code, g, &u, id,
                                    &token, &expires, &err);
    if (rc == RC_FORBIDDEN)
        respond_grant_error(req, "access_denied", err.msg);
    else if (rc == RC_CONFLICT)
        respond_grant_error(req, "invalid_grant", "This device code was used already");
    else if (rc)
        http_respond_rc(req, rc, &err);
    else
        http_respond_json(req, 200,
                          json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I}", "access_token", token,
                                    "token_type", "bearer", "email", u.email, "role", u.role,
                                    "token_id", id, "name", g->client_name, "expires_at",
                                    (json_int_t)expires));
    opaque_token_free(token);
}

static void post_token(struct http_req *req, void *appv)
{
    struct app *app = appv;
    json_t *root = NULL;
    const char *device_code = NULL;
    char detail[96];
    struct device_grant g = { 0 };
    enum device_poll state = DEVICE_POLL_UNKNOWN;
    struct err err;
    if (!api_body(req, &root, "{s:s}", "device_code", &device_code))
        return;
    enum rc rc = core_device_poll(&app->core, device_code, &state, &g, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        goto out;
    }
    switch (state) {
    case DEVICE_POLL_UNKNOWN:
        /* only guesses cost a rate-limit token: a client polling its real code never runs
         * out, whoever tries codes does */
        if (api_rate_limit(req, app, NULL))
            respond_grant_error(req, "invalid_grant", "Unknown device code");
        break;
    case DEVICE_POLL_USED:
        respond_grant_error(req, "invalid_grant", "This device code was used already");
        break;
    case DEVICE_POLL_EXPIRED:
        respond_grant_error(req, "expired_token", "The sign-in code has expired; start again");
        break;
    case DEVICE_POLL_SLOW_DOWN:
        snprintf(detail, sizeof(detail), "Polling too fast; wait %d seconds between requests",
                 g.interval_s);
        http_respond_json(req, 400,
                          json_pack("{s:s, s:s, s:i}", "error", "slow_down", "detail", detail,
                                    "interval", g.interval_s));
        break;
    case DEVICE_POLL_DENIED:
        respond_grant_error(req, "access_denied", "The sign-in was denied in the browser");
        break;
    case DEVICE_POLL_PENDING:
        respond_grant_error(req, "authorization_pending",
                            "Waiting for the sign-in to be approved in the browser");
        break;
    case DEVICE_POLL_APPROVED:
        redeem(req, app, device_code, &g);
        break;
    }
out:
    json_decref(root);
}

/* ---------------------------------------------------------------- approve and deny */

static void decide(struct http_req *req, struct app *app, bool approve)
{
    struct principal p;
    json_t *root = NULL;
    const char *typed = NULL;
    char shown[DEVICE_USER_CODE_LEN + 2];
    struct device_grant g;
    struct err err;
    if (!api_require_user(req, app, &p))
        return;
    if (!api_body(req, &root, "{s:s}", "user_code", &typed))
        return;
    /* refused before the rate limit, as POST /api/tokens refuses a token */
    enum rc rc = core_device_may_decide(&p, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        goto out;
    }
    if (!api_rate_limit(req, app, p.user.email))
        goto out;
    rc = core_device_decide(&app->core, http_req_client_ip(req), &p, typed, approve, &g, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
    } else {
        core_device_display_code(g.user_code, shown);
        http_respond_json(req, 200,
                          json_pack("{s:s, s:s, s:s}", "status", approve ? "approved" : "denied",
                                    "user_code", shown, "client_name", g.client_name));
    }
out:
    json_decref(root);
}

static void post_approve(struct http_req *req, void *app)
{
    decide(req, app, true);
}

static void post_deny(struct http_req *req, void *app)
{
    decide(req, app, false);
}

/* ---------------------------------------------------------------- the verification page */

/* Appends s with the five HTML-special characters escaped. */
static enum rc html_append(struct buf *b, const char *s)
{
    enum rc rc = RC_OK;
    for (const char *p = s; *p && !rc; p++) {
        switch (*p) {
        case '&':
            rc = buf_append_str(b, "&amp;");
            break;
        case '<':
            rc = buf_append_str(b, "&lt;");
            break;
        case '>':
            rc = buf_append_str(b, "&gt;");
            break;
        case '"':
            rc = buf_append_str(b, "&quot;");
            break;
        case '\'':
            rc = buf_append_str(b, "&#39;");
            break;
        default:
            rc = buf_append(b, p, 1);
        }
    }
    return rc;
}

/* Appends fmt, where each "%s" takes the next argument HTML-escaped (no other conversions). */
static enum rc html_printf(struct buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    enum rc rc = RC_OK;
    for (const char *p = fmt; *p && !rc;) {
        const char *next = strstr(p, "%s");
        if (!next) {
            rc = buf_append_str(b, p);
            break;
        }
        rc = buf_append(b, p, (size_t)(next - p));
        if (!rc)
            rc = html_append(b, va_arg(ap, const char *));
        p = next + 2;
    }
    va_end(ap);
    return rc;
}

static const char page_head[] =
    "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
    "<meta name=\"viewport\" content=\"width=device-width\"><title>Sign in the da CLI</title>"
    "</head><body><main id=\"device\"><h1>Sign in the da command-line client</h1>";

static const char page_tail[] = "<p id=\"status\" role=\"status\"></p></main>"
                                "<script src=\"/auth/assets/device.js\"></script></body></html>\n";

/* The form that asks for a code (plain GET back to this page; no script needed). */
static const char code_form[] =
    "<form method=\"get\" action=\"/auth/device\"><label>Code shown by <code>da login</code><br>"
    "<input name=\"user_code\" autocomplete=\"off\" autocapitalize=\"characters\" "
    "placeholder=\"XXXX-XXXX\" required></label> <button type=\"submit\">Continue</button></form>";

static enum rc page_signed_out(struct buf *b)
{
    return buf_append_str(
        b, "<p>You are not signed in. Sign in to approve or deny the sign-in of the da CLI; "
           "this page comes back afterwards.</p>"
           "<form id=\"signin\"><label>Email<br><input type=\"email\" name=\"email\" "
           "autocomplete=\"username\" required></label><br><label>Password<br>"
           "<input type=\"password\" name=\"password\" autocomplete=\"current-password\" "
           "required></label><br><button type=\"submit\">Sign in</button></form>"
           "<p>Signed in another way (a sign-in link, Google)? Open this page again in the same "
           "browser afterwards.</p>");
}

static enum rc page_grant(struct buf *b, const struct principal *p, const struct device_grant *g)
{
    char shown[DEVICE_USER_CODE_LEN + 2], expires[ISOTIME_SIZE], days[16];
    core_device_display_code(g->user_code, shown);
    isotime_format((time_t)g->expires_at, expires);
    snprintf(days, sizeof(days), "%d", DEVICE_PAT_DAYS);
    return html_printf(
        b,
        "<section id=\"decide\" data-code=\"%s\">"
        "<p>You are signed in as <strong>%s</strong>.</p>"
        "<p><strong>%s</strong> asks to sign in to your account.</p>"
        "<dl><dt>Code</dt><dd><code>%s</code></dd><dt>Requested from</dt><dd>%s</dd>"
        "<dt>Requested at</dt><dd>%s</dd><dt>Valid until</dt><dd>%s</dd></dl>"
        "<p>Approve only if you ran <code>da login</code> yourself just now and your terminal "
        "shows the same code. Approving gives that program a personal access token for your "
        "account, valid %s days, which you can revoke at any time.</p>"
        "<button type=\"button\" id=\"approve\">Approve</button> "
        "<button type=\"button\" id=\"deny\">Deny</button></section>",
        g->user_code, p->user.email, g->client_name, shown,
        g->client_ip[0] ? g->client_ip : "unknown address", g->created_at, expires, days);
}

static void get_page(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct device_grant g;
    struct err err;
    struct buf b;
    const char *typed = http_req_query(req, "user_code");
    buf_init(&b, DEVICE_PAGE_MAX);
    enum rc rc = buf_append_str(&b, page_head);
    if (!api_optional_user(req, app, &p)) {
        if (!rc)
            rc = page_signed_out(&b);
    } else if (!typed || !*typed) {
        if (!rc)
            rc = html_printf(&b,
                             "<p>Signed in as <strong>%s</strong>. Enter the code that "
                             "<code>da login</code> shows.</p>",
                             p.user.email);
        if (!rc)
            rc = buf_append_str(&b, code_form);
    } else {
        /* looking a code up tells whether it is pending: limit it like a guess */
        if (!api_rate_limit(req, app, NULL)) {
            buf_cleanup(&b);
            return;
        }
        enum rc found = core_device_pending(&app->core, typed, &g, &err);
        if (found == RC_OK) {
            if (!rc)
                rc = page_grant(&b, &p, &g);
        } else {
            if (found != RC_NOTFOUND)
                log_error("device", "looking up a code: %s", err.msg);
            if (!rc)
                rc = buf_append_str(&b, "<p>This code is not valid: it may be mistyped, expired "
                                        "or used already. Check it, or run <code>da login</code> "
                                        "again for a new one.</p>");
            if (!rc)
                rc = buf_append_str(&b, code_form);
        }
    }
    if (!rc)
        rc = buf_append_str(&b, page_tail);
    if (rc) {
        buf_cleanup(&b);
        http_respond_error(req, 500, "internal error (request id %s)", http_req_id(req));
        return;
    }
    size_t len = 0;
    char *html = buf_take(&b, &len);
    http_set_header(req, "Cache-Control", "no-store");
    http_respond_owned(req, 200, "text/html; charset=utf-8", html, len);
}

/* Signs in from the page (password), then shows it again; approves or denies with a POST
 * that carries the session cookie (same-origin, checked by authn.c). Never acts on load. */
static const char device_js[] =
    "'use strict';\n"
    "(function () {\n"
    "  var status = document.getElementById('status');\n"
    "  function post(url, body) {\n"
    "    return fetch(url, { method: 'POST', credentials: 'same-origin',\n"
    "      headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) })\n"
    "      .then(function (r) { return r.json().then(function (j) {\n"
    "        if (!r.ok) throw new Error(j.detail || r.statusText); return j; }); });\n"
    "  }\n"
    "  function fail(e) { status.textContent = e.message; }\n"
    "  var signin = document.getElementById('signin');\n"
    "  if (signin) signin.addEventListener('submit', function (ev) {\n"
    "    ev.preventDefault();\n"
    "    post('/auth/password/login', { email: signin.email.value,\n"
    "      password: signin.password.value }).then(function () { location.reload(); }, fail);\n"
    "  });\n"
    "  var decide = document.getElementById('decide');\n"
    "  if (!decide) return;\n"
    "  var code = decide.getAttribute('data-code');\n"
    "  function act(what, done) {\n"
    "    return function () {\n"
    "      post('/auth/device/' + what, { user_code: code }).then(function () {\n"
    "        decide.hidden = true; status.textContent = done; }, fail);\n"
    "    };\n"
    "  }\n"
    "  document.getElementById('approve').addEventListener('click', act('approve',\n"
    "    'Approved. You can close this window and go back to your terminal.'));\n"
    "  document.getElementById('deny').addEventListener('click', act('deny',\n"
    "    'Denied. The program that asked gets no access.'));\n"
    "})();\n";

static void get_device_js(struct http_req *req, void *app)
{
    (void)app;
    http_set_header(req, "Cache-Control", "no-store");
    http_respond_bytes(req, 200, "text/javascript; charset=utf-8", device_js,
                       sizeof(device_js) - 1);
}

/* ---------------------------------------------------------------- GET /api/tokens/current */

static void get_current_token(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct pat_info t;
    struct err err;
    if (!api_require_user(req, app, &p))
        return;
    const char *h = http_req_header(req, "Authorization");
    if (!p.via_pat || !h || strncmp(h, "Bearer ", 7) != 0) {
        http_respond_error(req, 400,
                           "This request is not authenticated with a personal access "
                           "token");
        return;
    }
    enum rc rc = core_pat_describe(&app->core, h + 7, &t, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        return;
    }
    http_respond_json(req, 200,
                      json_pack("{s:s, s:s, s:s, s:I, s:s?}", "id", t.id, "name", t.name,
                                "created_at", t.created_at, "expires_at", (json_int_t)t.expires_at,
                                "last_used_at", t.last_used_at[0] ? t.last_used_at : NULL));
}

/* ---------------------------------------------------------------- routes */

static const struct http_route routes[] = {
    { "POST", "/auth/device/code", post_code },
    { "POST", "/auth/device/token", post_token },
    { "POST", "/auth/device/approve", post_approve },
    { "POST", "/auth/device/deny", post_deny },
    { "GET", "/auth/device", get_page },
    { "GET", "/auth/assets/device.js", get_device_js },
    { "GET", "/api/tokens/current", get_current_token },
};

const struct http_route *api_device_routes(size_t *out_len)
{
    *out_len = ARRAY_LEN(routes);
    return routes;
}
