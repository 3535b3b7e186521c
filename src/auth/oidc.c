/* oidc.c — the OpenID Connect authorization code flow with PKCE for the Google sign-in handlers
 * (api/auth.c): the authorization URL, the code exchange and JWKS fetch over libcurl, and the
 * verification of RS256 ID tokens with OpenSSL 3. The token's header is read only to pick the
 * key; the signature is checked before any claim is looked at, and every claim that binds the
 * token to this client and this login attempt (iss, aud, azp, nonce, times) must match. This
 * module owns no state between calls; the caller keeps struct oidc_request. */
#include "auth/oidc.h"

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <stdlib.h>
#include <string.h>

#include "auth/crypto.h"
#include "auth/jwt.h"
#include "base/b64.h"
#include "base/buf.h"
#include "base/hex.h"
#include "base/mem.h"
#include "base/rand.h"

#define OIDC_URL_MAX        8192 /* the authorization URL and the token request body */
#define OIDC_CODE_MAX       2048 /* characters of an authorization code */
#define OIDC_VERIFIER_MIN   43   /* RFC 7636 §4.1 */
#define OIDC_VERIFIER_MAX   128
#define OIDC_RSA_BYTES_MAX  1024 /* 8192-bit modulus */
#define OIDC_SUB_MAX        255  /* Google: "never longer than 255 ASCII characters" */
#define OIDC_EMAIL_MAX      320
#define OIDC_NAME_MAX       1024
#define OIDC_HD_MAX         255
#define OIDC_PROVIDER_ERROR 64 /* characters of a provider's error code kept in err */

static bool present(const char *s)
{
    return s && *s;
}

/* Appends s percent-encoded: everything but the RFC 3986 unreserved characters. */
static enum rc append_escaped(struct buf *b, const char *s)
{
    enum rc rc = RC_OK;
    for (const unsigned char *p = (const unsigned char *)s; *p && !rc; p++) {
        unsigned char c = *p;
        bool plain = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                     c == '-' || c == '.' || c == '_' || c == '~';
        if (plain) {
            rc = buf_append(b, p, 1);
        } else {
            char esc[3] = { '%' };
            hex_byte_upper(c, esc + 1);
            rc = buf_append(b, esc, 3);
        }
    }
    return rc;
}

/* Appends "name=escaped(value)" preceded by sep (NUL for none). */
static enum rc append_param(struct buf *b, char sep, const char *name, const char *value)
{
    enum rc rc = RC_OK;
    if (sep)
        rc = buf_append(b, &sep, 1);
    if (!rc)
        rc = buf_append_str(b, name);
    if (!rc)
        rc = buf_append(b, "=", 1);
    if (!rc)
        rc = append_escaped(b, value);
    return rc;
}

/* Fills out (OIDC_RANDOM_LEN + 1 bytes) with base64url of 32 random bytes. */
static enum rc random_token(char *out, struct err *err)
{
    unsigned char raw[32];
    enum rc rc = rand_bytes(raw, sizeof(raw), err);
    if (!rc)
        b64url_encode(raw, sizeof(raw), out);
    mem_wipe(raw, sizeof(raw));
    return rc;
}

enum rc oidc_begin(const struct oidc_provider *p, struct oidc_request *out, struct err *err)
{
    struct oidc_request r;
    struct buf url;
    enum rc rc = RC_OK;
    memset(&r, 0, sizeof(r));
    buf_init(&url, OIDC_URL_MAX);
    if (!p || !present(p->client_id) || !present(p->authorization_endpoint) ||
        !present(p->redirect_uri)) {
        rc = err_set(err, RC_INVALID, "OIDC client_id, authorization URL or redirect URI missing");
        goto out;
    }
    rc = random_token(r.state, err);
    if (!rc)
        rc = random_token(r.nonce, err);
    if (!rc)
        rc = random_token(r.code_verifier, err);
    if (rc)
        goto out;
    unsigned char digest[SHA256_LEN];
    char challenge[sizeof(r.code_verifier)];
    sha256(r.code_verifier, strlen(r.code_verifier), digest);
    b64url_encode(digest, sizeof(digest), challenge);
    char sep = strchr(p->authorization_endpoint, '?') ? '&' : '?';
    rc = buf_append_str(&url, p->authorization_endpoint);
    if (!rc)
        rc = append_param(&url, sep, "response_type", "code");
    if (!rc)
        rc = append_param(&url, '&', "client_id", p->client_id);
    if (!rc)
        rc = append_param(&url, '&', "redirect_uri", p->redirect_uri);
    if (!rc)
        rc = append_param(&url, '&', "scope", "openid email profile");
    if (!rc)
        rc = append_param(&url, '&', "state", r.state);
    if (!rc)
        rc = append_param(&url, '&', "nonce", r.nonce);
    if (!rc)
        rc = append_param(&url, '&', "code_challenge", challenge);
    if (!rc)
        rc = append_param(&url, '&', "code_challenge_method", "S256");
    if (rc) {
        rc = err_set(err, RC_INVALID, "OIDC authorization URL longer than %d bytes", OIDC_URL_MAX);
        goto out;
    }
    r.authorize_url = buf_take(&url, NULL);
out:
    buf_cleanup(&url);
    if (rc)
        oidc_request_cleanup(&r);
    *out = r;
    return rc;
}

void oidc_request_cleanup(struct oidc_request *r)
{
    if (!r)
        return;
    free(r->authorize_url);
    mem_wipe(r, sizeof(*r));
}

void oidc_identity_cleanup(struct oidc_identity *id)
{
    if (!id)
        return;
    free(id->sub);
    free(id->email);
    free(id->name);
    free(id->hd);
    memset(id, 0, sizeof(*id));
}

/* ---- outbound HTTP ---- */

static size_t on_body(char *data, size_t size, size_t n, void *userdata)
{
    struct buf *b = userdata;
    size_t len = size * n;
    if (buf_append(b, data, len) != RC_OK)
        return 0; /* makes curl stop with CURLE_WRITE_ERROR */
    return len;
}

/* GETs url, or POSTs form (application/x-www-form-urlencoded) when form is not NULL, into body
 * (initialised by the caller with its cap). *out_status gets the HTTP status. what names the
 * endpoint in messages. RC_IO when the exchange fails, RC_TOOBIG when the body is too big. */
static enum rc http_fetch(const char *what, const char *url, const char *form, struct buf *body,
                          long *out_status, struct err *err)
{
    CURL *curl = NULL;
    struct curl_slist *headers = NULL;
    char ebuf[CURL_ERROR_SIZE];
    long status = 0;
    enum rc rc = RC_OK;
    ebuf[0] = '\0';
    curl = curl_easy_init();
    headers = curl_slist_append(NULL, "Accept: application/json");
    if (!curl || !headers) {
        rc = err_set(err, RC_NOMEM, "cannot set up a request to the %s", what);
        goto out;
    }
    CURLcode cc = curl_easy_setopt(curl, CURLOPT_URL, url);
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)OIDC_CONNECT_MS);
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)OIDC_TIMEOUT_MS);
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_WRITEDATA, body);
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, ebuf);
    if (!cc && form) {
        cc = curl_easy_setopt(curl, CURLOPT_POSTFIELDS, form);
        if (!cc)
            cc = curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(form));
    }
    if (cc) {
        rc = err_set(err, RC_INTERNAL, "cannot configure the request to the %s: %s", what,
                     curl_easy_strerror(cc));
        goto out;
    }
    cc = curl_easy_perform(curl);
    if (cc == CURLE_WRITE_ERROR && body->failed) {
        rc =
            err_set(err, RC_TOOBIG, "%s answered with more than %d bytes", what, OIDC_RESPONSE_MAX);
        goto out;
    }
    if (cc) {
        rc = err_set(err, RC_IO, "%s %s: %s", what, url, ebuf[0] ? ebuf : curl_easy_strerror(cc));
        goto out;
    }
    if (curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) {
        rc = err_set(err, RC_IO, "%s %s: no HTTP status", what, url);
        goto out;
    }
out:
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    *out_status = rc ? 0 : status;
    return rc;
}

/* Copies a provider-supplied string into out[size] keeping only printable ASCII, so a hostile
 * answer cannot forge log lines. */
static void printable_copy(char *out, size_t size, const char *s)
{
    size_t o = 0;
    for (; s && *s && o + 1 < size; s++)
        out[o++] = (*s >= 0x20 && *s < 0x7f) ? *s : '?';
    out[o] = '\0';
}

/* Trades the code for the ID token; *out_id_token is owned by the caller. */
static enum rc exchange_code(const struct oidc_provider *p, const char *code,
                             const char *code_verifier, char **out_id_token, struct err *err)
{
    struct buf form, body;
    json_t *root = NULL;
    char *id_token = NULL;
    long status = 0;
    enum rc rc = RC_OK;
    buf_init(&form, OIDC_URL_MAX);
    buf_init(&body, OIDC_RESPONSE_MAX);
    rc = append_param(&form, 0, "grant_type", "authorization_code");
    if (!rc)
        rc = append_param(&form, '&', "code", code);
    if (!rc)
        rc = append_param(&form, '&', "redirect_uri", p->redirect_uri);
    if (!rc)
        rc = append_param(&form, '&', "client_id", p->client_id);
    if (!rc)
        rc = append_param(&form, '&', "client_secret", p->client_secret);
    if (!rc)
        rc = append_param(&form, '&', "code_verifier", code_verifier);
    if (rc) {
        rc = err_set(err, RC_INVALID, "token request longer than %d bytes", OIDC_URL_MAX);
        goto out;
    }
    rc = http_fetch("token endpoint", p->token_endpoint, buf_cstr(&form), &body, &status, err);
    if (rc)
        goto out;
    json_error_t jerr;
    root = json_loadb(buf_cstr(&body), body.len, JSON_REJECT_DUPLICATES, &jerr);
    if (status < 200 || status > 299) {
        char reason[OIDC_PROVIDER_ERROR + 1];
        json_t *e = json_is_object(root) ? json_object_get(root, "error") : NULL;
        printable_copy(reason, sizeof(reason), json_is_string(e) ? json_string_value(e) : NULL);
        rc = err_set(err, RC_UNAUTHORIZED, "token endpoint refused the code: HTTP %ld%s%s", status,
                     reason[0] ? " " : "", reason);
        goto out;
    }
    json_t *tok = json_is_object(root) ? json_object_get(root, "id_token") : NULL;
    if (!json_is_string(tok)) {
        rc = err_set(err, RC_IO, "token endpoint answer is not JSON with an id_token");
        goto out;
    }
    id_token = xstrdup(json_string_value(tok));
out:
    /* the form holds the client secret and the code */
    if (form.data)
        mem_wipe(form.data, form.len);
    buf_cleanup(&form);
    buf_cleanup(&body);
    json_decref(root);
    *out_id_token = id_token;
    return rc;
}

enum rc oidc_finish(const struct oidc_provider *p, const char *code, const char *code_verifier,
                    const char *expected_nonce, int64_t now, struct oidc_identity *out,
                    struct err *err)
{
    struct oidc_identity id;
    struct buf jwks;
    char *id_token = NULL;
    long status = 0;
    enum rc rc = RC_OK;
    memset(&id, 0, sizeof(id));
    buf_init(&jwks, OIDC_RESPONSE_MAX);
    if (!p || !present(p->client_id) || !p->client_secret || !present(p->token_endpoint) ||
        !present(p->jwks_uri) || !present(p->issuer) || !present(p->redirect_uri)) {
        rc = err_set(err, RC_INVALID, "OIDC provider is not fully configured");
        goto out;
    }
    size_t vlen = code_verifier ? strlen(code_verifier) : 0;
    if (vlen < OIDC_VERIFIER_MIN || vlen > OIDC_VERIFIER_MAX ||
        strspn(code_verifier, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
                              "-._~") != vlen) {
        rc = err_set(err, RC_INVALID, "PKCE code verifier is malformed");
        goto out;
    }
    if (!present(expected_nonce)) {
        rc = err_set(err, RC_INVALID, "no nonce to check the ID token against");
        goto out;
    }
    if (!present(code) || strnlen(code, OIDC_CODE_MAX + 1) > OIDC_CODE_MAX) {
        rc = err_set(err, RC_UNAUTHORIZED, "authorization code is empty or too long");
        goto out;
    }
    rc = exchange_code(p, code, code_verifier, &id_token, err);
    if (rc)
        goto out;
    rc = http_fetch("JWKS endpoint", p->jwks_uri, NULL, &jwks, &status, err);
    if (rc)
        goto out;
    if (status < 200 || status > 299) {
        rc = err_set(err, RC_IO, "JWKS endpoint %s answered HTTP %ld", p->jwks_uri, status);
        goto out;
    }
    rc = oidc_verify_id_token(id_token, buf_cstr(&jwks), p->issuer, p->client_id, expected_nonce,
                              now, &id, err);
out:
    free(id_token);
    buf_cleanup(&jwks);
    if (rc)
        oidc_identity_cleanup(&id);
    *out = id;
    return rc;
}

/* ---- ID token verification ---- */

/* The string value of key in obj with its length, or NULL when absent, not a string or
 * holding a NUL. */
static const char *get_string(json_t *obj, const char *key, size_t *out_len)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_string(v))
        return NULL;
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (strlen(s) != len)
        return NULL;
    if (out_len)
        *out_len = len;
    return s;
}

static bool string_is(json_t *obj, const char *key, const char *want)
{
    const char *s = get_string(obj, key, NULL);
    return s && strcmp(s, want) == 0;
}

/* The JWK in jwks_json with this kid that may verify RS256 signatures, or NULL. Borrowed from
 * the set. */
static json_t *find_key(json_t *set, const char *kid)
{
    json_t *keys = json_object_get(set, "keys");
    size_t i;
    json_t *k;
    if (!json_is_array(keys))
        return NULL;
    json_array_foreach(keys, i, k)
    {
        if (!json_is_object(k) || !string_is(k, "kid", kid) || !string_is(k, "kty", "RSA"))
            continue;
        if (json_object_get(k, "use") && !string_is(k, "use", "sig"))
            continue;
        if (json_object_get(k, "alg") && !string_is(k, "alg", "RS256"))
            continue;
        return k;
    }
    return NULL;
}

/* Decodes the base64url big-endian integer member key of jwk (at most max bytes). */
static BIGNUM *jwk_bignum(json_t *jwk, const char *key, size_t max)
{
    size_t len = 0, raw_len = 0;
    const char *s = get_string(jwk, key, &len);
    unsigned char *raw = NULL;
    BIGNUM *bn = NULL;
    if (!s || len == 0 || len > b64url_encoded_len(max))
        goto out;
    raw = xmalloc(len * 3 / 4 + 1);
    if (!b64url_decode(s, len, raw, &raw_len) || raw_len == 0 || raw_len > max)
        goto out;
    bn = BN_bin2bn(raw, (int)raw_len, NULL);
out:
    free(raw);
    return bn;
}

/* Builds an RSA public key from the n and e of jwk. */
static enum rc rsa_from_jwk(json_t *jwk, EVP_PKEY **out_key, struct err *err)
{
    BIGNUM *n = NULL, *e = NULL;
    OSSL_PARAM_BLD *bld = NULL;
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = NULL;
    EVP_PKEY *key = NULL;
    enum rc rc = RC_OK;
    n = jwk_bignum(jwk, "n", OIDC_RSA_BYTES_MAX);
    e = jwk_bignum(jwk, "e", 8);
    if (!n || !e || !BN_is_odd(e) || BN_is_one(e)) {
        rc = err_set(err, RC_UNAUTHORIZED, "JWKS key has a malformed n or e");
        goto out;
    }
    if (BN_num_bits(n) < OIDC_RSA_BITS_MIN) {
        rc = err_set(err, RC_UNAUTHORIZED, "JWKS key is shorter than %d bits", OIDC_RSA_BITS_MIN);
        goto out;
    }
    bld = OSSL_PARAM_BLD_new();
    if (!bld || OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) != 1 ||
        OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) != 1) {
        rc = err_set(err, RC_NOMEM, "cannot build RSA key parameters");
        goto out;
    }
    params = OSSL_PARAM_BLD_to_param(bld);
    ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
        EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1) {
        rc = err_set(err, RC_UNAUTHORIZED, "JWKS key is not a usable RSA public key");
        goto out;
    }
out:
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    if (rc) {
        EVP_PKEY_free(key);
        key = NULL;
    }
    *out_key = key;
    return rc;
}

/* Checks the RSASSA-PKCS1-v1_5 SHA-256 signature sig64 (base64url) over data with key. */
static enum rc verify_rs256(EVP_PKEY *key, const char *data, size_t len, const char *sig64,
                            size_t sig64_len, struct err *err)
{
    EVP_MD_CTX *md = NULL;
    EVP_PKEY_CTX *pctx = NULL;
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    enum rc rc = RC_OK;
    size_t key_len = (size_t)EVP_PKEY_get_size(key);
    if (sig64_len != b64url_encoded_len(key_len)) {
        rc = err_set(err, RC_UNAUTHORIZED, "ID token signature has the wrong length");
        goto out;
    }
    sig = xmalloc(sig64_len * 3 / 4 + 1);
    if (!b64url_decode(sig64, sig64_len, sig, &sig_len) || sig_len != key_len) {
        rc = err_set(err, RC_UNAUTHORIZED, "ID token signature is not base64url");
        goto out;
    }
    md = EVP_MD_CTX_new();
    if (!md || EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, key) != 1 ||
        EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) {
        rc = err_set(err, RC_INTERNAL, "cannot set up RS256 verification");
        goto out;
    }
    if (EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)data, len) != 1) {
        rc = err_set(err, RC_UNAUTHORIZED, "ID token signature does not verify");
        goto out;
    }
out:
    ERR_clear_error(); /* leave no failure behind in this thread's OpenSSL error queue */
    EVP_MD_CTX_free(md);
    free(sig);
    return rc;
}

/* A NumericDate claim (integer or real seconds) into *out; false when absent or not a
 * plausible number. */
static bool get_time(json_t *claims, const char *key, int64_t *out)
{
    json_t *v = json_object_get(claims, key);
    if (json_is_integer(v)) {
        *out = (int64_t)json_integer_value(v);
        return true;
    }
    if (json_is_real(v)) {
        double d = json_real_value(v);
        if (!(d > -1e15 && d < 1e15))
            return false;
        *out = (int64_t)d;
        return true;
    }
    return false;
}

static bool audience_ok(json_t *claims, const char *client_id)
{
    json_t *aud = json_object_get(claims, "aud");
    if (json_is_string(aud))
        return string_is(claims, "aud", client_id);
    if (!json_is_array(aud) || json_array_size(aud) == 0)
        return false;
    size_t i;
    json_t *v;
    bool found = false;
    json_array_foreach(aud, i, v)
    {
        if (!json_is_string(v))
            return false;
        if (strcmp(json_string_value(v), client_id) == 0 &&
            json_string_length(v) == strlen(client_id))
            found = true;
    }
    /* with several audiences the token must have been issued to us (OIDC Core §3.1.3.7) */
    if (found && json_array_size(aud) > 1 && !string_is(claims, "azp", client_id))
        return false;
    return found;
}

/* An optional string claim copied into *out (NULL when absent); false when present but not a
 * string of at most max bytes. */
static bool copy_optional(json_t *claims, const char *key, size_t max, char **out)
{
    size_t len = 0;
    *out = NULL;
    if (!json_object_get(claims, key))
        return true;
    const char *s = get_string(claims, key, &len);
    if (!s || len > max)
        return false;
    *out = xstrdup(s);
    return true;
}

/* Checks the claims against this client and login attempt and copies the identity. */
static enum rc check_claims(json_t *claims, const char *issuer, const char *client_id,
                            const char *expected_nonce, int64_t now, struct oidc_identity *id,
                            struct err *err)
{
    const char *iss = get_string(claims, "iss", NULL);
    if (!iss || !(strcmp(iss, issuer) == 0 || (strcmp(issuer, OIDC_GOOGLE_ISSUER) == 0 &&
                                               strcmp(iss, "accounts.google.com") == 0)))
        return err_set(err, RC_UNAUTHORIZED, "ID token iss is not the configured issuer");
    if (!audience_ok(claims, client_id))
        return err_set(err, RC_UNAUTHORIZED, "ID token aud does not name this client");
    if (json_object_get(claims, "azp") && !string_is(claims, "azp", client_id))
        return err_set(err, RC_UNAUTHORIZED, "ID token azp is not this client");
    int64_t exp = 0, iat = 0, nbf = 0;
    if (!get_time(claims, "exp", &exp) || !get_time(claims, "iat", &iat))
        return err_set(err, RC_UNAUTHORIZED, "ID token has no numeric exp or iat");
    if (exp <= now - OIDC_CLOCK_SKEW)
        return err_set(err, RC_UNAUTHORIZED, "ID token expired");
    if (iat > now + OIDC_CLOCK_SKEW)
        return err_set(err, RC_UNAUTHORIZED, "ID token issued in the future");
    if (json_object_get(claims, "nbf") &&
        (!get_time(claims, "nbf", &nbf) || nbf > now + OIDC_CLOCK_SKEW))
        return err_set(err, RC_UNAUTHORIZED, "ID token not yet valid (nbf)");
    size_t nonce_len = 0, want_len = strlen(expected_nonce);
    const char *nonce = get_string(claims, "nonce", &nonce_len);
    if (!nonce || nonce_len != want_len || !crypto_equal(nonce, expected_nonce, want_len))
        return err_set(err, RC_UNAUTHORIZED, "ID token nonce does not match this login");
    size_t sub_len = 0, email_len = 0;
    const char *sub = get_string(claims, "sub", &sub_len);
    if (!sub || sub_len == 0 || sub_len > OIDC_SUB_MAX)
        return err_set(err, RC_UNAUTHORIZED, "ID token sub is missing or malformed");
    const char *email = get_string(claims, "email", &email_len);
    if (!email || email_len == 0 || email_len > OIDC_EMAIL_MAX)
        return err_set(err, RC_UNAUTHORIZED, "ID token has no email");
    json_t *verified = json_object_get(claims, "email_verified");
    if (!json_is_true(verified) && !string_is(claims, "email_verified", "true"))
        return err_set(err, RC_UNAUTHORIZED, "ID token email is not verified");
    if (!copy_optional(claims, "name", OIDC_NAME_MAX, &id->name) ||
        !copy_optional(claims, "hd", OIDC_HD_MAX, &id->hd))
        return err_set(err, RC_UNAUTHORIZED, "ID token name or hd is malformed");
    id->sub = xstrdup(sub);
    id->email = xstrdup(email);
    id->email_verified = true;
    return RC_OK;
}

enum rc oidc_verify_id_token(const char *id_token, const char *jwks_json, const char *issuer,
                             const char *client_id, const char *expected_nonce, int64_t now,
                             struct oidc_identity *out, struct err *err)
{
    struct oidc_identity id;
    json_t *hdr = NULL, *set = NULL, *claims = NULL;
    EVP_PKEY *key = NULL;
    enum rc rc = RC_OK;
    memset(&id, 0, sizeof(id));
    if (!present(issuer) || !present(client_id) || !present(expected_nonce) || !jwks_json) {
        rc = err_set(err, RC_INVALID, "issuer, client_id, nonce or JWKS missing");
        goto out;
    }
    size_t len = id_token ? strnlen(id_token, OIDC_ID_TOKEN_MAX + 1) : 0;
    if (len == 0 || len > OIDC_ID_TOKEN_MAX) {
        rc = err_set(err, RC_UNAUTHORIZED, "ID token empty or longer than %d characters",
                     OIDC_ID_TOKEN_MAX);
        goto out;
    }
    const char *dot1 = memchr(id_token, '.', len);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - id_token)) : NULL;
    if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - id_token))) {
        rc = err_set(err, RC_UNAUTHORIZED, "ID token is not three parts");
        goto out;
    }
    size_t hlen = (size_t)(dot1 - id_token);
    size_t plen = (size_t)(dot2 - dot1 - 1);
    size_t slen = len - (size_t)(dot2 + 1 - id_token);
    hdr = jwt_load_part(id_token, hlen);
    if (!hdr) {
        rc = err_set(err, RC_UNAUTHORIZED, "ID token header is not a base64url JSON object");
        goto out;
    }
    /* Only RS256: "none" and HS256 (keyed with the public key) are the classic forgeries. */
    if (!string_is(hdr, "alg", "RS256")) {
        rc = err_set(err, RC_UNAUTHORIZED, "ID token alg is not RS256");
        goto out;
    }
    if (json_object_get(hdr, "crit")) {
        rc = err_set(err, RC_UNAUTHORIZED, "ID token has critical header parameters");
        goto out;
    }
    const char *kid = get_string(hdr, "kid", NULL);
    if (!kid) {
        rc = err_set(err, RC_UNAUTHORIZED, "ID token header has no kid");
        goto out;
    }
    json_error_t jerr;
    set = json_loads(jwks_json, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(set)) {
        rc = err_set(err, RC_UNAUTHORIZED, "JWKS is not a JSON object: %s",
                     set ? "another JSON type" : jerr.text);
        goto out;
    }
    json_t *jwk = find_key(set, kid);
    if (!jwk) {
        rc = err_set(err, RC_UNAUTHORIZED, "no RSA signing key in the JWKS has the token's kid");
        goto out;
    }
    rc = rsa_from_jwk(jwk, &key, err);
    if (rc)
        goto out;
    rc = verify_rs256(key, id_token, (size_t)(dot2 - id_token), dot2 + 1, slen, err);
    if (rc)
        goto out;
    claims = jwt_load_part(dot1 + 1, plen);
    if (!claims) {
        rc = err_set(err, RC_UNAUTHORIZED, "ID token payload is not a base64url JSON object");
        goto out;
    }
    rc = check_claims(claims, issuer, client_id, expected_nonce, now, &id, err);
out:
    EVP_PKEY_free(key);
    json_decref(hdr);
    json_decref(set);
    json_decref(claims);
    if (rc)
        oidc_identity_cleanup(&id);
    *out = id;
    return rc;
}
