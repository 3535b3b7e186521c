/* signin.c — sign-in without a password: magic links by mail and Google sign-in (OpenID
 * Connect with PKCE). The secrets of both travel where no log sees them: the magic link's in
 * a URL fragment, Google's state, nonce and verifier in an HMAC-sealed cookie. Spending a
 * link and who may join are the domain layer's rules (core/identity.h); the OpenID Connect
 * exchange and its cookie are HTTP, and stay here. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/pages.h"
#include "api/request.h"
#include "auth/crypto.h"
#include "auth/oidc.h"
#include "base/b64.h"
#include "base/isotime.h"
#include "base/log.h"
#include "base/mem.h"
#include "core/identity.h"

#define OIDC_COOKIE       "da_oidc"
#define OIDC_LIFETIME_S   600
#define SEND_LINK_MESSAGE "If this email is registered, you will receive a login link."

/* ---------------------------------------------------------------- magic links */

static void post_send_link(struct http_req *req, void *appv)
{
    struct app *app = appv;
    json_t *root = NULL;
    const char *email = NULL;
    if (!api_body(req, &root, "{s:s}", "email", &email))
        return;
    if (!api_rate_limit(req, app, email))
        goto out;
    /* the same answer whether or not the e-mail is known (see core_magic_link_send on what
     * its timing still tells) */
    core_magic_link_send(&app->core, http_req_client_ip(req), email);
    http_respond_json(req, 200, json_pack("{s:s}", "message", SEND_LINK_MESSAGE));
out:
    json_decref(root);
}

static void post_email_verify(struct http_req *req, void *appv)
{
    struct app *app = appv;
    json_t *root = NULL;
    const char *token = NULL, *email = NULL;
    struct user u;
    struct err err;
    if (!api_body(req, &root, "{s:s, s?s}", "token", &token, "email", &email))
        return;
    if (!api_rate_limit(req, app, NULL))
        goto out;
    enum rc rc =
        core_magic_link_consume(&app->core, http_req_client_ip(req), token, email, &u, &err);
    if (rc) { /* 401 for a link that is not live, 503 when the store did not answer */
        http_respond_rc(req, rc, &err);
        goto out;
    }
    api_answer_session(req, app, &u, "magic_link", true, false, NULL);
out:
    json_decref(root);
}

/* ---------------------------------------------------------------- Google sign-in */

static bool google_configured(const struct app *app)
{
    return app->core.cfg->google_client_id && app->core.cfg->google_client_secret;
}

static struct oidc_provider google_provider(const struct app *app, char **out_redirect)
{
    const struct config *c = app->core.cfg;
    *out_redirect = xasprintf("%s/auth/google/callback", c->public_url);
    return (struct oidc_provider){
        .client_id = c->google_client_id,
        .client_secret = c->google_client_secret,
        .authorization_endpoint = c->google_authorization_endpoint,
        .token_endpoint = c->google_token_endpoint,
        .jwks_uri = c->google_jwks_uri,
        .issuer = c->google_issuer,
        .redirect_uri = *out_redirect,
    };
}

/* The sign-in state cookie: "state.nonce.verifier.expiry.mac", the MAC an HMAC under the
 * server key, so the browser carries the state but cannot forge or alter it. */
static char *oidc_cookie_value(const struct app *app, const struct oidc_request *r)
{
    char *payload = xasprintf("%s.%s.%s.%lld", r->state, r->nonce, r->code_verifier,
                              (long long)(clock_now_s() + OIDC_LIFETIME_S));
    unsigned char mac[SHA256_LEN];
    crypto_hmac_sha256(app->core.key.bytes, app->core.key.len, payload, strlen(payload), mac);
    char mac64[64];
    b64url_encode(mac, sizeof(mac), mac64);
    char *value = xasprintf("%s.%s", payload, mac64);
    free(payload);
    return value;
}

/* Splits and checks the cookie; fills the three secrets. False when absent, forged or old. */
static bool oidc_cookie_read(const struct app *app, const char *value, char state[44],
                             char nonce[44], char verifier[44])
{
    if (!value || strlen(value) > 400)
        return false;
    const char *last = strrchr(value, '.');
    if (!last)
        return false;
    unsigned char mac[SHA256_LEN], given[SHA256_LEN + 3];
    size_t given_len = 0;
    crypto_hmac_sha256(app->core.key.bytes, app->core.key.len, value, (size_t)(last - value), mac);
    if (!b64url_decode(last + 1, strlen(last + 1), given, &given_len) || given_len != SHA256_LEN ||
        !crypto_equal(mac, given, SHA256_LEN))
        return false;
    char *copy = xstrndup(value, (size_t)(last - value));
    char *parts[4] = { NULL };
    char *p = copy;
    int n = 0;
    for (; n < 4 && p; n++) {
        parts[n] = p;
        p = strchr(p, '.');
        if (p)
            *p++ = '\0';
    }
    bool ok =
        n == 4 && !p && strlen(parts[0]) < 44 && strlen(parts[1]) < 44 && strlen(parts[2]) < 44;
    long long expiry = ok ? strtoll(parts[3], NULL, 10) : 0;
    ok = ok && expiry > clock_now_s();
    if (ok) {
        snprintf(state, 44, "%s", parts[0]);
        snprintf(nonce, 44, "%s", parts[1]);
        snprintf(verifier, 44, "%s", parts[2]);
    }
    free(copy);
    return ok;
}

static void set_oidc_cookie(struct http_req *req, const struct app *app, const char *value,
                            int max_age)
{
    bool secure =
        app->core.cfg->behind_tls_proxy || strncmp(app->core.cfg->public_url, "https:", 6) == 0;
    char *cookie = xasprintf("%s=%s; Path=/auth/google; Max-Age=%d; HttpOnly; SameSite=Lax%s",
                             OIDC_COOKIE, value, max_age, secure ? "; Secure" : "");
    http_set_header(req, "Set-Cookie", cookie);
    free(cookie);
}

static void get_google_login(struct http_req *req, void *appv)
{
    struct app *app = appv;
    if (!google_configured(app)) {
        http_respond_error(req, 404, "Google sign-in is not configured");
        return;
    }
    char *redirect = NULL;
    struct oidc_provider p = google_provider(app, &redirect);
    struct oidc_request r = { 0 };
    struct err err;
    enum rc rc = oidc_begin(&p, &r, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
    } else {
        char *value = oidc_cookie_value(app, &r);
        set_oidc_cookie(req, app, value, OIDC_LIFETIME_S);
        free(value);
        http_respond_redirect(req, 302, r.authorize_url);
    }
    oidc_request_cleanup(&r);
    free(redirect);
}

static void get_google_callback(struct http_req *req, void *appv)
{
    struct app *app = appv;
    if (!google_configured(app)) {
        http_respond_error(req, 404, "Google sign-in is not configured");
        return;
    }
    char state[44], nonce[44], verifier[44];
    const char *given_state = http_req_query(req, "state");
    const char *code = http_req_query(req, "code");
    set_oidc_cookie(req, app, "", 0); /* one attempt per sign-in state */
    if (!oidc_cookie_read(app, http_req_cookie(req, OIDC_COOKIE), state, nonce, verifier) ||
        !given_state || strlen(given_state) != strlen(state) ||
        !crypto_equal(given_state, state, strlen(state)) || !code) {
        api_audit(app, req, NULL, "login", NULL, "failed", "google: bad state");
        http_respond_error(req, 400, "Sign-in state is missing, expired or does not match");
        return;
    }
    char *redirect = NULL;
    struct oidc_provider p = google_provider(app, &redirect);
    struct oidc_identity id = { 0 };
    struct user u;
    struct err err;
    enum rc rc = oidc_finish(&p, code, verifier, nonce, clock_now_s(), &id, &err);
    if (rc) {
        log_warn("auth", "google sign-in refused: %s", err.msg);
        api_audit(app, req, NULL, "login", NULL, "failed", "google: token refused");
        http_respond_error(req, 401, "Google sign-in failed");
        goto out;
    }
    rc = core_external_user(&app->core, http_req_client_ip(req), id.email, id.hd, id.name,
                            "google sign-in", &u, &err);
    if (rc) {
        log_warn("auth", "google sign-in of %s refused: %s", id.email, err.msg);
        api_audit(app, req, NULL, "login", id.email, "denied", err.msg);
        if (rc == RC_FORBIDDEN)
            http_respond_error(req, 403, "This Google account may not sign in here");
        else
            http_respond_rc(req, rc, &err);
        goto out;
    }
    char *token = NULL;
    rc = core_session_issue(&app->core, http_req_client_ip(req), &u, "google", &token, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        goto out;
    }
    api_set_session_cookie(req, app, token);
    mem_wipe(token, strlen(token));
    free(token);
    http_respond_redirect(req, 302, "/");
out:
    oidc_identity_cleanup(&id);
    free(redirect);
}

static const struct http_route routes[] = {
    { "POST", "/auth/email/send-link", post_send_link },
    { "GET", "/auth/email/verify", api_page_email_verify },
    { "POST", "/auth/email/verify", post_email_verify },
    { "GET", "/auth/google/login", get_google_login },
    { "GET", "/auth/google/callback", get_google_callback },
};

const struct http_route *api_signin_routes(size_t *out_len)
{
    *out_len = ARRAY_LEN(routes);
    return routes;
}
