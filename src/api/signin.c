/* signin.c — sign-in without a password: magic links by mail and Google sign-in (OpenID
 * Connect with PKCE). The secrets of both travel where no log sees them: the magic link's in
 * a URL fragment, Google's state, nonce and verifier in an HMAC-sealed cookie. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api/authn.h"
#include "api/pages.h"
#include "auth/crypto.h"
#include "auth/mail_outbox.h"
#include "auth/oidc.h"
#include "auth/opaque_token.h"
#include "base/b64.h"
#include "base/log.h"
#include "base/mem.h"

#define MAGIC_PREFIX      "da_link_"
#define MAGIC_LIFETIME_S  (15 * 60)
#define OIDC_COOKIE       "da_oidc"
#define OIDC_LIFETIME_S   600
#define SEND_LINK_MESSAGE "If this email is registered, you will receive a login link."

/* ---------------------------------------------------------------- magic links */

/* Sends in the background (tracked, and waited for at shutdown), so the answer takes the
 * same time whether or not mail goes out. */
static void send_mail_async(const struct app *app, const char *to, const char *subject, char *body)
{
    const struct config *c = app->core.cfg;
    struct mail_server server = { c->smtp_url, c->smtp_user, c->smtp_password, c->mail_from,
                                  c->smtp_require_tls };
    mail_outbox_send(&server, to, subject, body, "the sign-in link");
}

static void post_send_link(struct http_req *req, void *appv)
{
    struct app *app = appv;
    json_t *root = NULL;
    const char *email = NULL;
    struct user u;
    struct err err;
    if (!api_body(req, &root, "{s:s}", "email", &email))
        return;
    if (!api_rate_limit(req, app, email))
        goto out;
    if (users_get_by_email(app->core.store, email, &u, NULL, &err) == RC_OK && u.active &&
        app->core.cfg->smtp_url) {
        char *token = NULL;
        char hash[SHA256_HEX_LEN + 1];
        if (opaque_token_new(MAGIC_PREFIX, &token, hash, &err) == RC_OK &&
            one_time_create(app->core.store, hash, "magic_link", u.id, api_now() + MAGIC_LIFETIME_S,
                            &err) == RC_OK) {
            char *body =
                xasprintf("Hello %s,\r\n\r\nOpen this link within 15 minutes to sign in "
                          "to %s:\r\n\r\n%s/auth/email/verify#token=%s\r\n\r\nIf you did "
                          "not ask for it, ignore this message.\r\n",
                          u.name, app->core.cfg->instance_name, app->core.cfg->public_url, token);
            send_mail_async(app, u.email, "Your sign-in link", body);
            api_audit(app, req, NULL, "magic_link.send", u.email, "ok", NULL);
        } else {
            log_error("auth", "magic link: %s", err.msg);
        }
        opaque_token_free(token);
    } else if (!app->core.cfg->smtp_url) {
        log_warn("auth", "a sign-in link was asked for, but mail.smtp_url is not set");
    }
    http_respond_json(req, 200, json_pack("{s:s}", "message", SEND_LINK_MESSAGE));
out:
    json_decref(root);
}

static void post_email_verify(struct http_req *req, void *appv)
{
    struct app *app = appv;
    json_t *root = NULL;
    const char *token = NULL, *email = NULL;
    char user_id[USER_ID_LEN + 1], hash[SHA256_HEX_LEN + 1];
    struct user u;
    struct err err;
    if (!api_body(req, &root, "{s:s, s?s}", "token", &token, "email", &email))
        return;
    if (!api_rate_limit(req, app, NULL))
        goto out;
    opaque_token_hash(token, hash);
    enum rc rc = RC_UNAUTHORIZED;
    if (opaque_token_well_formed(token, MAGIC_PREFIX))
        rc = one_time_consume(app->core.store, hash, "magic_link", api_now(), user_id, &err);
    if (!rc)
        rc = users_get(app->core.store, user_id, &u, &err);
    if (rc == RC_BUSY || rc == RC_DB) { /* the store did not answer: not the link's fault */
        http_respond_rc(req, RC_BUSY, &err);
        goto out;
    }
    if (rc || !u.active) {
        api_audit(app, req, NULL, "login", email, "failed", "magic_link");
        http_respond_error(req, 401, "Invalid or expired link");
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
                              (long long)(api_now() + OIDC_LIFETIME_S));
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
    ok = ok && expiry > api_now();
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

/* May someone with this identity sign in or join? Existing users always may; a new user only
 * when the domain of the email (and the hosted domain, if given) is allowed. */
static bool domain_allowed(const struct config *c, const char *domain)
{
    for (size_t i = 0; domain && i < c->allowed_domains_len; i++)
        if (strcasecmp(c->allowed_domains[i], domain) == 0)
            return true;
    return false;
}

static enum rc google_user(struct app *app, const struct http_req *req,
                           const struct oidc_identity *id, struct user *out, struct err *err)
{
    enum rc rc = users_get_by_email(app->core.store, id->email, out, NULL, err);
    if (rc != RC_NOTFOUND)
        return rc == RC_OK && !out->active ? err_set(err, RC_FORBIDDEN, "account deactivated") : rc;
    const char *at = strrchr(id->email, '@');
    const char *domain = at ? at + 1 : NULL;
    if (!domain_allowed(app->core.cfg, domain) ||
        (id->hd && !domain_allowed(app->core.cfg, id->hd)))
        return err_set(err, RC_FORBIDDEN, "domain %s may not join", domain ? domain : "?");
    memset(out, 0, sizeof(*out));
    out->active = true;
    rc = api_user_fill(out, id->email, id->name, "analyst", err);
    if (rc)
        return rc;
    api_new_id(out->id);
    struct principal actor = { .user = *out };
    struct audit_entry audit =
        api_audit_entry(req, &actor, "user.create", out->email, "ok", "google sign-in");
    return users_create(app->core.store, out, NULL, &audit, err);
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
    enum rc rc = oidc_finish(&p, code, verifier, nonce, api_now(), &id, &err);
    if (rc) {
        log_warn("auth", "google sign-in refused: %s", err.msg);
        api_audit(app, req, NULL, "login", NULL, "failed", "google: token refused");
        http_respond_error(req, 401, "Google sign-in failed");
        goto out;
    }
    rc = google_user(app, req, &id, &u, &err);
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
    rc = api_issue_session(app, req, &u, "google", &token, &err);
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
