/* jwt.c — signing and verifying HS256 session tokens for the login handlers (api/auth.c) and
 * the request authenticator (api/authn.c). The signature is checked over the raw text before
 * any JSON is parsed, so only tokens this server signed ever reach jansson; the header and
 * claims are then held to the exact shape jwt_sign writes. */
#include "auth/jwt.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "auth/crypto.h"
#include "base/b64.h"
#include "base/limits.h"
#include "base/mem.h"

#define JWT_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"

/* True when s holds a NUL within size bytes and, if required, is not empty. */
static bool claim_fits(const char *s, size_t size, bool required)
{
    size_t len = strnlen(s, size);
    return len < size && (len > 0 || !required);
}

enum rc jwt_sign(const struct jwt_claims *c, const unsigned char *key, size_t key_len,
                 char **out_token, struct err *err)
{
    json_t *payload = NULL;
    char *json = NULL, *token = NULL;
    enum rc rc = RC_OK;
    if (key_len < DA_JWT_SECRET_MIN) {
        rc = err_set(err, RC_INVALID, "signing key must be at least %d bytes", DA_JWT_SECRET_MIN);
        goto out;
    }
    if (!claim_fits(c->sub, sizeof(c->sub), true) || !claim_fits(c->jti, sizeof(c->jti), true) ||
        !claim_fits(c->email, sizeof(c->email), false) ||
        !claim_fits(c->role, sizeof(c->role), false)) {
        rc = err_set(err, RC_INVALID, "token claims are empty or unterminated");
        goto out;
    }
    payload =
        json_pack("{s:s, s:s, s:s, s:I, s:I, s:s}", "sub", c->sub, "email", c->email, "role",
                  c->role, "iat", (json_int_t)c->iat, "exp", (json_int_t)c->exp, "jti", c->jti);
    if (!payload) {
        rc = err_set(err, RC_INVALID, "token claims are not valid UTF-8");
        goto out;
    }
    json = json_dumps(payload, JSON_COMPACT);
    if (!json) {
        rc = err_set(err, RC_NOMEM, "cannot serialise token claims");
        goto out;
    }
    size_t json_len = strlen(json);
    size_t hlen = b64url_encoded_len(strlen(JWT_HEADER));
    size_t plen = b64url_encoded_len(json_len);
    size_t slen = b64url_encoded_len(SHA256_LEN);
    token = xmalloc(hlen + 1 + plen + 1 + slen + 1);
    b64url_encode((const unsigned char *)JWT_HEADER, strlen(JWT_HEADER), token);
    token[hlen] = '.';
    b64url_encode((const unsigned char *)json, json_len, token + hlen + 1);
    token[hlen + 1 + plen] = '.';
    unsigned char mac[SHA256_LEN];
    crypto_hmac_sha256(key, key_len, token, hlen + 1 + plen, mac);
    b64url_encode(mac, SHA256_LEN, token + hlen + 1 + plen + 1);
    mem_wipe(mac, sizeof(mac));
out:
    json_decref(payload);
    free(json);
    *out_token = token;
    return rc;
}

json_t *jwt_load_part(const char *text, size_t len)
{
    unsigned char *raw = xmalloc(len * 3 / 4 + 1);
    size_t raw_len = 0;
    json_t *v = NULL;
    json_error_t jerr;
    if (!b64url_decode(text, len, raw, &raw_len))
        goto out;
    v = json_loadb((const char *)raw, raw_len, JSON_REJECT_DUPLICATES, &jerr);
    if (v && !json_is_object(v)) {
        json_decref(v);
        v = NULL;
    }
out:
    free(raw);
    return v;
}

/* The header must be {"alg":"HS256"} with at most a "typ":"JWT" beside it: no other algorithm
 * in any spelling, no "crit", no key hints (kid, jku, jwk) that da would never honour. */
static enum rc check_header(json_t *hdr, struct err *err)
{
    const char *key;
    json_t *v;
    bool have_alg = false;
    json_object_foreach(hdr, key, v)
    {
        if (strcmp(key, "alg") == 0) {
            if (!json_is_string(v) || strcmp(json_string_value(v), "HS256") != 0)
                return err_set(err, RC_UNAUTHORIZED, "token alg is not HS256");
            have_alg = true;
        } else if (strcmp(key, "typ") == 0) {
            if (!json_is_string(v) || strcmp(json_string_value(v), "JWT") != 0)
                return err_set(err, RC_UNAUTHORIZED, "token typ is not JWT");
        } else if (strcmp(key, "crit") == 0) {
            return err_set(err, RC_UNAUTHORIZED, "token has critical header parameters");
        } else {
            return err_set(err, RC_UNAUTHORIZED, "token header has an unexpected parameter");
        }
    }
    if (!have_alg)
        return err_set(err, RC_UNAUTHORIZED, "token header has no alg");
    return RC_OK;
}

/* Copies a claim string of len bytes into dst[size], refusing what does not fit. */
static bool copy_claim(char *dst, size_t size, const char *s, size_t len, bool required)
{
    if (len >= size || (required && len == 0) || strlen(s) != len)
        return false;
    memcpy(dst, s, len + 1);
    return true;
}

/* The payload must hold exactly the claims of struct jwt_claims with their types. */
static enum rc read_claims(json_t *payload, struct jwt_claims *c, struct err *err)
{
    const char *sub, *email, *role, *jti;
    size_t sub_len, email_len, role_len, jti_len;
    json_int_t iat, exp;
    json_error_t jerr;
    if (json_unpack_ex(payload, &jerr, JSON_STRICT, "{s:s%, s:s%, s:s%, s:I, s:I, s:s%}", "sub",
                       &sub, &sub_len, "email", &email, &email_len, "role", &role, &role_len, "iat",
                       &iat, "exp", &exp, "jti", &jti, &jti_len) != 0)
        return err_set(err, RC_UNAUTHORIZED, "token claims are missing, extra or mistyped");
    if (!copy_claim(c->sub, sizeof(c->sub), sub, sub_len, true) ||
        !copy_claim(c->email, sizeof(c->email), email, email_len, false) ||
        !copy_claim(c->role, sizeof(c->role), role, role_len, false) ||
        !copy_claim(c->jti, sizeof(c->jti), jti, jti_len, true))
        return err_set(err, RC_UNAUTHORIZED, "token claim is empty or too long");
    c->iat = iat;
    c->exp = exp;
    return RC_OK;
}

enum rc jwt_verify(const char *token, const unsigned char *key, size_t key_len, int64_t now,
                   struct jwt_claims *out, struct err *err)
{
    struct jwt_claims c;
    json_t *hdr = NULL, *payload = NULL;
    unsigned char sig[SHA256_LEN + 3], mac[SHA256_LEN];
    size_t sig_len = 0;
    enum rc rc = RC_OK;
    memset(&c, 0, sizeof(c));
    memset(mac, 0, sizeof(mac));
    if (!token) {
        rc = err_set(err, RC_UNAUTHORIZED, "no token");
        goto out;
    }
    size_t len = strnlen(token, JWT_MAX_LEN + 1);
    if (len > JWT_MAX_LEN) {
        rc = err_set(err, RC_UNAUTHORIZED, "token longer than %d characters", JWT_MAX_LEN);
        goto out;
    }
    if (key_len < DA_JWT_SECRET_MIN) {
        rc = err_set(err, RC_UNAUTHORIZED, "signing key too short");
        goto out;
    }
    const char *dot1 = memchr(token, '.', len);
    const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token)) : NULL;
    if (!dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token))) {
        rc = err_set(err, RC_UNAUTHORIZED, "token is not three parts");
        goto out;
    }
    size_t hlen = (size_t)(dot1 - token);
    size_t plen = (size_t)(dot2 - dot1 - 1);
    size_t slen = len - (size_t)(dot2 + 1 - token);
    if (hlen == 0 || plen == 0 || slen != b64url_encoded_len(SHA256_LEN) ||
        !b64url_decode(dot2 + 1, slen, sig, &sig_len) || sig_len != SHA256_LEN) {
        rc = err_set(err, RC_UNAUTHORIZED, "token has an empty part or a malformed signature");
        goto out;
    }
    crypto_hmac_sha256(key, key_len, token, (size_t)(dot2 - token), mac);
    if (!crypto_equal(mac, sig, SHA256_LEN)) {
        rc = err_set(err, RC_UNAUTHORIZED, "token signature does not match");
        goto out;
    }
    hdr = jwt_load_part(token, hlen);
    if (!hdr) {
        rc = err_set(err, RC_UNAUTHORIZED, "token header is not a base64url JSON object");
        goto out;
    }
    rc = check_header(hdr, err);
    if (rc)
        goto out;
    payload = jwt_load_part(dot1 + 1, plen);
    if (!payload) {
        rc = err_set(err, RC_UNAUTHORIZED, "token payload is not a base64url JSON object");
        goto out;
    }
    rc = read_claims(payload, &c, err);
    if (rc)
        goto out;
    if (c.exp <= now) {
        rc = err_set(err, RC_UNAUTHORIZED, "token expired");
        goto out;
    }
    if (c.iat > now + JWT_IAT_SKEW_MAX) {
        rc = err_set(err, RC_UNAUTHORIZED, "token issued in the future");
        goto out;
    }
out:
    mem_wipe(mac, sizeof(mac));
    json_decref(hdr);
    json_decref(payload);
    if (rc)
        memset(&c, 0, sizeof(c));
    *out = c;
    return rc;
}
