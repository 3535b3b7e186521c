/* test_oidc.c — unit tests of src/auth/oidc.c and src/auth/mailer.c: ID tokens signed here with
 * a fresh RSA key verify, and every forgery or mismatch we know of is refused (alg none, HS256
 * keyed with the public key, unknown kid, tampering, wrong iss/aud/azp/nonce, expiry, unverified
 * or missing email, duplicate keys, oversize); oidc_begin makes a proper S256 PKCE URL; mail_send
 * refuses header injection before touching the network.
 *
 * With DA_FAKE_OIDC_ISSUER or DA_FAKE_SMTP_URL set (tests/e2e/fakes.test.mjs does that) the
 * binary instead runs the whole flows against the fake provider and relay in tests/fakes. */
/* cmocka.h needs these first, which include sorting would undo */
/* clang-format off */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
/* clang-format on */

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/crypto.h"
#include "auth/mailer.h"
#include "auth/oidc.h"
#include "base/b64.h"
#include "base/mem.h"

#define ISS   "https://issuer.test"
#define CID   "client-123.apps.test"
#define NONCE "n-0S6_WzA2Mj-nonce-value"
#define KID   "key-1"
#define NOW   ((int64_t)1700000000)

static EVP_PKEY *g_key;   /* the provider's signing key */
static EVP_PKEY *g_other; /* a key the provider does not publish */
static char *g_jwks;      /* {"keys":[g_key as KID]} */

/* ---- token and JWKS builders ---- */

static char *b64(const void *data, size_t len)
{
    char *out = xmalloc(b64url_encoded_len(len) + 1);
    b64url_encode(data, len, out);
    return out;
}

static char *b64_str(const char *s)
{
    return b64(s, strlen(s));
}

/* base64url of the big-endian RSA parameter name ("n" or "e") of key. */
static char *rsa_param_b64(EVP_PKEY *key, const char *name)
{
    BIGNUM *bn = NULL;
    assert_int_equal(EVP_PKEY_get_bn_param(key, name, &bn), 1);
    size_t len = (size_t)BN_num_bytes(bn);
    unsigned char *raw = xmalloc(len);
    assert_int_equal(BN_bn2bin(bn, raw), (int)len);
    char *out = b64(raw, len);
    free(raw);
    BN_free(bn);
    return out;
}

/* One JWK object for key; extra is spliced in (e.g. ",\"use\":\"enc\""). */
static char *jwk_for(EVP_PKEY *key, const char *kid, const char *kty, const char *extra)
{
    char *n = rsa_param_b64(key, OSSL_PKEY_PARAM_RSA_N);
    char *e = rsa_param_b64(key, OSSL_PKEY_PARAM_RSA_E);
    char *jwk = xasprintf("{\"kty\":\"%s\",\"kid\":\"%s\",\"n\":\"%s\",\"e\":\"%s\"%s}", kty, kid,
                          n, e, extra);
    free(n);
    free(e);
    return jwk;
}

static char *jwks_of(const char *jwk)
{
    return xasprintf("{\"keys\":[%s]}", jwk);
}

/* header.payload signed RS256 with key. */
static char *sign_raw(const char *header, const char *payload, EVP_PKEY *key)
{
    char *h = b64_str(header), *p = b64_str(payload);
    char *input = xasprintf("%s.%s", h, p);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    size_t sig_len = 0;
    assert_non_null(md);
    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
    assert_int_equal(EVP_DigestSign(md, NULL, &sig_len, (unsigned char *)input, strlen(input)), 1);
    unsigned char *sig = xmalloc(sig_len);
    assert_int_equal(EVP_DigestSign(md, sig, &sig_len, (unsigned char *)input, strlen(input)), 1);
    char *s = b64(sig, sig_len);
    char *token = xasprintf("%s.%s", input, s);
    EVP_MD_CTX_free(md);
    free(sig);
    free(s);
    free(input);
    free(h);
    free(p);
    return token;
}

#define GOOD_HEADER "{\"alg\":\"RS256\",\"kid\":\"" KID "\",\"typ\":\"JWT\"}"

/* The claims of a good token at NOW; tests change them before signing. */
static json_t *good_claims(void)
{
    json_t *c =
        json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s, s:s, s:I, s:I, s:s}", "iss", ISS, "aud", CID,
                  "azp", CID, "sub", "110169484474386276334", "email", "ann@example.com",
                  "email_verified", 1, "name", "Ann Example", "hd", "example.com", "iat",
                  (json_int_t)(NOW - 10), "exp", (json_int_t)(NOW + 3600), "nonce", NONCE);
    assert_non_null(c);
    return c;
}

/* Signs claims (consumed) with the good header and key. */
static char *sign_claims(json_t *claims)
{
    char *payload = json_dumps(claims, JSON_COMPACT);
    assert_non_null(payload);
    char *token = sign_raw(GOOD_HEADER, payload, g_key);
    free(payload);
    json_decref(claims);
    return token;
}

/* Verifies with the default issuer, client, nonce, JWKS and time; returns the rc and prints
 * the reason of a refusal so a failing test shows it. */
static enum rc verify(const char *token, const char *jwks, struct oidc_identity *out)
{
    struct err err = { { 0 } };
    struct oidc_identity id;
    enum rc rc = oidc_verify_id_token(token, jwks ? jwks : g_jwks, ISS, CID, NONCE, NOW, &id, &err);
    if (rc) {
        assert_null(id.sub);
        assert_null(id.email);
        assert_true(err.msg[0] != '\0');
        if (getenv("DA_TEST_VERBOSE"))
            printf("    refused: %s\n", err.msg);
    }
    if (out)
        *out = id;
    else
        oidc_identity_cleanup(&id);
    return rc;
}

/* Signs claims (consumed) and expects a refusal. */
static void expect_refused(json_t *claims, const char *why)
{
    char *token = sign_claims(claims);
    if (verify(token, NULL, NULL) != RC_UNAUTHORIZED)
        fail_msg("accepted a token with %s", why);
    free(token);
}

static int setup_keys(void **state)
{
    (void)state;
    g_key = EVP_RSA_gen(2048);
    g_other = EVP_RSA_gen(2048);
    if (!g_key || !g_other)
        return -1;
    char *jwk = jwk_for(g_key, KID, "RSA", ",\"use\":\"sig\",\"alg\":\"RS256\"");
    g_jwks = jwks_of(jwk);
    free(jwk);
    return 0;
}

static int teardown_keys(void **state)
{
    (void)state;
    EVP_PKEY_free(g_key);
    EVP_PKEY_free(g_other);
    free(g_jwks);
    return 0;
}

/* ---- oidc_verify_id_token ---- */

static void test_accepts_a_good_token(void **state)
{
    (void)state;
    struct oidc_identity id;
    char *token = sign_claims(good_claims());
    assert_int_equal(verify(token, NULL, &id), RC_OK);
    assert_string_equal(id.sub, "110169484474386276334");
    assert_string_equal(id.email, "ann@example.com");
    assert_string_equal(id.name, "Ann Example");
    assert_string_equal(id.hd, "example.com");
    assert_true(id.email_verified);
    oidc_identity_cleanup(&id);
    assert_null(id.sub);
    oidc_identity_cleanup(&id);
    oidc_identity_cleanup(NULL);
    free(token);

    /* name and hd are optional; email_verified may be the string "true"; aud may be an array
     * with only us, or several with azp us; exp within the skew still passes */
    json_t *c = good_claims();
    json_object_del(c, "name");
    json_object_del(c, "hd");
    json_object_del(c, "azp");
    json_object_set_new(c, "email_verified", json_string("true"));
    json_object_set_new(c, "aud", json_pack("[s]", CID));
    json_object_set_new(c, "exp", json_integer(NOW - 30));
    token = sign_claims(c);
    assert_int_equal(verify(token, NULL, &id), RC_OK);
    assert_null(id.name);
    assert_null(id.hd);
    oidc_identity_cleanup(&id);
    free(token);
    c = good_claims();
    json_object_set_new(c, "aud", json_pack("[s,s]", "other-client", CID));
    token = sign_claims(c);
    assert_int_equal(verify(token, NULL, NULL), RC_OK);
    free(token);

    /* the JWKS may hold other keys first, without use or alg */
    char *other = jwk_for(g_other, "key-0", "RSA", "");
    char *mine = jwk_for(g_key, KID, "RSA", "");
    char *set = xasprintf("{\"keys\":[%s,%s]}", other, mine);
    token = sign_claims(good_claims());
    assert_int_equal(verify(token, set, NULL), RC_OK);
    free(token);
    free(set);
    free(other);
    free(mine);
}

static void test_google_bare_issuer(void **state)
{
    (void)state;
    struct err err;
    struct oidc_identity id;
    json_t *c = good_claims();
    json_object_set_new(c, "iss", json_string("accounts.google.com"));
    char *token = sign_claims(c);
    assert_int_equal(
        oidc_verify_id_token(token, g_jwks, OIDC_GOOGLE_ISSUER, CID, NONCE, NOW, &id, &err), RC_OK);
    oidc_identity_cleanup(&id);
    /* only for Google */
    assert_int_equal(oidc_verify_id_token(token, g_jwks, "https://accounts.google.com.evil", CID,
                                          NONCE, NOW, &id, &err),
                     RC_UNAUTHORIZED);
    assert_int_equal(verify(token, NULL, NULL), RC_UNAUTHORIZED);
    free(token);
    c = good_claims();
    json_object_set_new(c, "iss", json_string(OIDC_GOOGLE_ISSUER));
    token = sign_claims(c);
    assert_int_equal(
        oidc_verify_id_token(token, g_jwks, OIDC_GOOGLE_ISSUER, CID, NONCE, NOW, &id, &err), RC_OK);
    oidc_identity_cleanup(&id);
    free(token);
}

/* The good claims as compact JSON text; the caller frees it. */
static char *good_payload(void)
{
    json_t *c = good_claims();
    char *payload = json_dumps(c, JSON_COMPACT);
    json_decref(c);
    assert_non_null(payload);
    return payload;
}

static void test_refuses_other_algorithms(void **state)
{
    (void)state;
    char *payload = good_payload();
    char *p64 = b64_str(payload);
    /* alg none, with no signature and with a real one */
    char *h64 = b64_str("{\"alg\":\"none\",\"kid\":\"" KID "\"}");
    char *token = xasprintf("%s.%s.", h64, p64);
    assert_int_equal(verify(token, NULL, NULL), RC_UNAUTHORIZED);
    free(token);
    char *good = sign_claims(good_claims());
    token = xasprintf("%s.%s.%s", h64, p64, strrchr(good, '.') + 1);
    assert_int_equal(verify(token, NULL, NULL), RC_UNAUTHORIZED);
    free(token);
    free(good);
    free(h64);
    /* other spellings and algorithms, properly RSA-signed: only "RS256" itself passes */
    static const char *const headers[] = {
        "{\"alg\":\"rs256\",\"kid\":\"" KID "\"}",
        "{\"alg\":\"RS256 \",\"kid\":\"" KID "\"}",
        "{\"alg\":\"RS512\",\"kid\":\"" KID "\"}",
        "{\"alg\":\"PS256\",\"kid\":\"" KID "\"}",
        "{\"alg\":\"None\",\"kid\":\"" KID "\"}",
        "{\"alg\":[\"RS256\"],\"kid\":\"" KID "\"}",
        "{\"kid\":\"" KID "\"}",
        "{\"alg\":\"RS256\"}",
        "{\"alg\":\"RS256\",\"kid\":7}",
        "{\"alg\":\"RS256\",\"alg\":\"RS256\",\"kid\":\"" KID "\"}",
        "{\"alg\":\"RS256\",\"kid\":\"" KID "\",\"crit\":[\"exp\"]}",
        "[\"RS256\"]",
    };
    for (size_t i = 0; i < ARRAY_LEN(headers); i++) {
        token = sign_raw(headers[i], payload, g_key);
        if (verify(token, NULL, NULL) != RC_UNAUTHORIZED)
            fail_msg("accepted header %s", headers[i]);
        free(token);
    }
    /* HS256 keyed with the provider's public key (PEM), the key-confusion forgery */
    BIO *bio = BIO_new(BIO_s_mem());
    assert_non_null(bio);
    assert_int_equal(PEM_write_bio_PUBKEY(bio, g_key), 1);
    char *pem = NULL;
    long pem_len = BIO_get_mem_data(bio, &pem);
    assert_true(pem_len > 0);
    h64 = b64_str("{\"alg\":\"HS256\",\"kid\":\"" KID "\",\"typ\":\"JWT\"}");
    char *input = xasprintf("%s.%s", h64, p64);
    unsigned char mac[SHA256_LEN];
    crypto_hmac_sha256(pem, (size_t)pem_len, input, strlen(input), mac);
    char *mac64 = b64(mac, sizeof(mac));
    token = xasprintf("%s.%s", input, mac64);
    struct err err;
    struct oidc_identity id;
    assert_int_equal(oidc_verify_id_token(token, g_jwks, ISS, CID, NONCE, NOW, &id, &err),
                     RC_UNAUTHORIZED);
    assert_non_null(strstr(err.msg, "RS256"));
    free(token);
    free(mac64);
    free(input);
    free(h64);
    BIO_free(bio);
    free(p64);
    free(payload);
}

static void test_refuses_unknown_or_unfit_keys(void **state)
{
    (void)state;
    char *payload = good_payload();
    struct err err;
    struct oidc_identity id;
    /* a kid the JWKS does not have */
    char *token = sign_raw("{\"alg\":\"RS256\",\"kid\":\"key-2\"}", payload, g_key);
    assert_int_equal(oidc_verify_id_token(token, g_jwks, ISS, CID, NONCE, NOW, &id, &err),
                     RC_UNAUTHORIZED);
    assert_non_null(strstr(err.msg, "kid"));
    free(token);
    /* the right kid but signed by another key */
    token = sign_raw(GOOD_HEADER, payload, g_other);
    assert_int_equal(verify(token, NULL, NULL), RC_UNAUTHORIZED);
    free(token);
    /* the kid names a key that is not an RSA signing key for RS256 */
    token = sign_raw(GOOD_HEADER, payload, g_key);
    static const char *const extras[][2] = {
        { "EC", "" },
        { "RSA", ",\"use\":\"enc\"" },
        { "RSA", ",\"alg\":\"RS512\"" },
        { "oct", "" },
    };
    for (size_t i = 0; i < ARRAY_LEN(extras); i++) {
        char *jwk = jwk_for(g_key, KID, extras[i][0], extras[i][1]);
        char *set = jwks_of(jwk);
        if (verify(token, set, NULL) != RC_UNAUTHORIZED)
            fail_msg("accepted key %s", jwk);
        free(set);
        free(jwk);
    }
    /* malformed sets */
    static const char *const sets[] = {
        "",
        "[]",
        "{}",
        "{\"keys\":{}}",
        "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"" KID "\",\"n\":\"\",\"e\":\"AQAB\"}]}",
        "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"" KID "\",\"n\":\"+/+/\",\"e\":\"AQAB\"}]}",
        "{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"" KID "\",\"n\":\"AQAB\",\"e\":\"AQAB\"}]}",
    };
    for (size_t i = 0; i < ARRAY_LEN(sets); i++) {
        if (verify(token, sets[i], NULL) != RC_UNAUTHORIZED)
            fail_msg("accepted JWKS %s", sets[i]);
    }
    /* duplicate keys in the JWKS */
    char *jwk = jwk_for(g_key, KID, "RSA", ",\"kid\":\"x\"");
    char *set = jwks_of(jwk);
    assert_int_equal(verify(token, set, NULL), RC_UNAUTHORIZED);
    free(set);
    free(jwk);
    /* an exponent of 1 and a modulus below OIDC_RSA_BITS_MIN */
    char *n = rsa_param_b64(g_key, OSSL_PKEY_PARAM_RSA_N);
    set = xasprintf("{\"keys\":[{\"kty\":\"RSA\",\"kid\":\"" KID "\",\"n\":\"%s\",\"e\":\"AQ\"}]}",
                    n);
    assert_int_equal(verify(token, set, NULL), RC_UNAUTHORIZED);
    free(set);
    free(n);
    free(token);
    EVP_PKEY *small = EVP_RSA_gen(1024);
    assert_non_null(small);
    token = sign_raw(GOOD_HEADER, payload, small);
    jwk = jwk_for(small, KID, "RSA", "");
    set = jwks_of(jwk);
    assert_int_equal(oidc_verify_id_token(token, set, ISS, CID, NONCE, NOW, &id, &err),
                     RC_UNAUTHORIZED);
    assert_non_null(strstr(err.msg, "bits"));
    free(set);
    free(jwk);
    free(token);
    EVP_PKEY_free(small);
    free(payload);
}

static void test_refuses_tampering(void **state)
{
    (void)state;
    char *token = sign_claims(good_claims());
    const char *dot1 = strchr(token, '.'), *dot2 = strrchr(token, '.');
    /* another payload under the original signature */
    json_t *c = good_claims();
    json_object_set_new(c, "email", json_string("mallory@example.com"));
    char *payload = json_dumps(c, JSON_COMPACT);
    char *p64 = b64_str(payload);
    char *forged = xasprintf("%.*s.%s%s", (int)(dot1 - token), token, p64, dot2);
    assert_int_equal(verify(forged, NULL, NULL), RC_UNAUTHORIZED);
    free(forged);
    /* flipped bits in each part */
    size_t len = strlen(token);
    size_t spots[] = { 5, (size_t)(dot1 - token) + 5, (size_t)(dot2 - token) + 5, len - 2 };
    for (size_t i = 0; i < ARRAY_LEN(spots); i++) {
        forged = xstrdup(token);
        forged[spots[i]] = forged[spots[i]] == 'A' ? 'B' : 'A';
        if (verify(forged, NULL, NULL) != RC_UNAUTHORIZED)
            fail_msg("accepted a token changed at %zu", spots[i]);
        free(forged);
    }
    /* a truncated or extended signature, and the wrong number of parts */
    forged = xstrndup(token, len - 4);
    assert_int_equal(verify(forged, NULL, NULL), RC_UNAUTHORIZED);
    free(forged);
    forged = xasprintf("%sAAAA", token);
    assert_int_equal(verify(forged, NULL, NULL), RC_UNAUTHORIZED);
    free(forged);
    forged = xasprintf("%s.", token);
    assert_int_equal(verify(forged, NULL, NULL), RC_UNAUTHORIZED);
    free(forged);
    forged = xstrndup(token, (size_t)(dot2 - token));
    assert_int_equal(verify(forged, NULL, NULL), RC_UNAUTHORIZED);
    free(forged);
    assert_int_equal(verify("", NULL, NULL), RC_UNAUTHORIZED);
    assert_int_equal(verify("..", NULL, NULL), RC_UNAUTHORIZED);
    assert_int_equal(verify(NULL, NULL, NULL), RC_UNAUTHORIZED);
    free(p64);
    free(payload);
    json_decref(c);
    free(token);
}

static void test_refuses_wrong_issuer_or_audience(void **state)
{
    (void)state;
    json_t *c = good_claims();
    json_object_set_new(c, "iss", json_string("https://issuer.test/"));
    expect_refused(c, "another iss");
    c = good_claims();
    json_object_del(c, "iss");
    expect_refused(c, "no iss");
    c = good_claims();
    json_object_set_new(c, "aud", json_string("other-client"));
    json_object_del(c, "azp");
    expect_refused(c, "another aud");
    c = good_claims();
    json_object_set_new(c, "aud", json_pack("[s,s]", "other-client", "third-client"));
    expect_refused(c, "an aud array without us");
    c = good_claims();
    json_object_set_new(c, "aud", json_pack("[s,s]", "other-client", CID));
    json_object_set_new(c, "azp", json_string("other-client"));
    expect_refused(c, "several audiences and another azp");
    c = good_claims();
    json_object_set_new(c, "aud", json_pack("[s,s]", "other-client", CID));
    json_object_del(c, "azp");
    expect_refused(c, "several audiences and no azp");
    c = good_claims();
    json_object_set_new(c, "azp", json_string("other-client"));
    expect_refused(c, "another azp");
    c = good_claims();
    json_object_set_new(c, "aud", json_pack("[]"));
    expect_refused(c, "an empty aud array");
    c = good_claims();
    json_object_set_new(c, "aud", json_pack("[s,i]", CID, 1));
    expect_refused(c, "a non-string aud");
    c = good_claims();
    json_object_set_new(c, "aud", json_string(CID "x"));
    expect_refused(c, "an aud with a suffix");
    c = good_claims();
    json_object_del(c, "aud");
    expect_refused(c, "no aud");
}

static void test_refuses_bad_times(void **state)
{
    (void)state;
    json_t *c = good_claims();
    json_object_set_new(c, "exp", json_integer(NOW - OIDC_CLOCK_SKEW));
    expect_refused(c, "an exp past the skew");
    c = good_claims();
    json_object_set_new(c, "iat", json_integer(NOW + OIDC_CLOCK_SKEW + 1));
    expect_refused(c, "an iat in the future");
    c = good_claims();
    json_object_set_new(c, "nbf", json_integer(NOW + 600));
    expect_refused(c, "a future nbf");
    c = good_claims();
    json_object_del(c, "exp");
    expect_refused(c, "no exp");
    c = good_claims();
    json_object_del(c, "iat");
    expect_refused(c, "no iat");
    c = good_claims();
    json_object_set_new(c, "exp", json_string("2099-01-01"));
    expect_refused(c, "a string exp");
    /* within the skew both ways still passes; real numbers are read too */
    c = good_claims();
    json_object_set_new(c, "iat", json_integer(NOW + OIDC_CLOCK_SKEW));
    json_object_set_new(c, "exp", json_real((double)NOW + 0.5));
    char *token = sign_claims(c);
    assert_int_equal(verify(token, NULL, NULL), RC_OK);
    free(token);
}

static void test_refuses_wrong_nonce_or_email(void **state)
{
    (void)state;
    json_t *c = good_claims();
    json_object_set_new(c, "nonce", json_string("another-nonce"));
    expect_refused(c, "another nonce");
    c = good_claims();
    json_object_set_new(c, "nonce", json_string(NONCE "x"));
    expect_refused(c, "a longer nonce");
    c = good_claims();
    json_object_del(c, "nonce");
    expect_refused(c, "no nonce");
    c = good_claims();
    json_object_set_new(c, "email_verified", json_false());
    expect_refused(c, "email_verified false");
    c = good_claims();
    json_object_set_new(c, "email_verified", json_string("false"));
    expect_refused(c, "email_verified \"false\"");
    c = good_claims();
    json_object_set_new(c, "email_verified", json_integer(1));
    expect_refused(c, "email_verified 1");
    c = good_claims();
    json_object_del(c, "email_verified");
    expect_refused(c, "no email_verified");
    c = good_claims();
    json_object_del(c, "email");
    expect_refused(c, "no email");
    c = good_claims();
    json_object_set_new(c, "email", json_string(""));
    expect_refused(c, "an empty email");
    c = good_claims();
    json_object_set_new(c, "email", json_stringn("ann@example.com\0x", 17));
    expect_refused(c, "an email with a NUL");
    c = good_claims();
    json_object_del(c, "sub");
    expect_refused(c, "no sub");
    c = good_claims();
    json_object_set_new(c, "hd", json_integer(3));
    expect_refused(c, "a numeric hd");

    /* the caller must give a nonce: an empty one would match an empty claim */
    struct err err;
    struct oidc_identity id;
    c = good_claims();
    json_object_set_new(c, "nonce", json_string(""));
    char *token = sign_claims(c);
    assert_int_equal(oidc_verify_id_token(token, g_jwks, ISS, CID, "", NOW, &id, &err), RC_INVALID);
    assert_null(id.sub);
    free(token);
}

static void test_refuses_duplicate_keys_and_oversize(void **state)
{
    (void)state;
    char *payload = good_payload();
    /* a second email after the first: jansson would keep the last one */
    payload[strlen(payload) - 1] = '\0';
    char *dup = xasprintf("%s,\"email\":\"mallory@example.com\"}", payload);
    char *token = sign_raw(GOOD_HEADER, dup, g_key);
    assert_int_equal(verify(token, NULL, NULL), RC_UNAUTHORIZED);
    free(token);
    free(dup);
    free(payload);
    /* a payload that is not an object */
    token = sign_raw(GOOD_HEADER, "[1,2]", g_key);
    assert_int_equal(verify(token, NULL, NULL), RC_UNAUTHORIZED);
    free(token);
    /* just under and over the length cap, correctly signed */
    json_t *c = good_claims();
    char *pad = xmalloc(OIDC_ID_TOKEN_MAX);
    memset(pad, 'p', OIDC_ID_TOKEN_MAX - 1);
    pad[OIDC_ID_TOKEN_MAX - 1] = '\0';
    json_object_set_new(c, "pad", json_string(pad));
    token = sign_claims(c);
    assert_true(strlen(token) > OIDC_ID_TOKEN_MAX);
    struct err err;
    struct oidc_identity id;
    assert_int_equal(oidc_verify_id_token(token, g_jwks, ISS, CID, NONCE, NOW, &id, &err),
                     RC_UNAUTHORIZED);
    assert_non_null(strstr(err.msg, "longer"));
    free(token);
    c = good_claims();
    pad[OIDC_ID_TOKEN_MAX / 2] = '\0';
    json_object_set_new(c, "pad", json_string(pad));
    token = sign_claims(c);
    assert_true(strlen(token) < OIDC_ID_TOKEN_MAX);
    assert_int_equal(verify(token, NULL, NULL), RC_OK);
    free(token);
    free(pad);
}

/* ---- oidc_begin and oidc_finish arguments ---- */

/* The raw (still percent-encoded) value of query parameter name in url; caller frees. */
static char *query_param(const char *url, const char *name)
{
    const char *q = strchr(url, '?');
    size_t nlen = strlen(name);
    while (q) {
        q++;
        if (strncmp(q, name, nlen) == 0 && q[nlen] == '=') {
            const char *v = q + nlen + 1;
            return xstrndup(v, strcspn(v, "&#"));
        }
        q = strchr(q, '&');
    }
    return NULL;
}

static const struct oidc_provider test_provider = {
    .client_id = CID,
    .client_secret = "s3cret&=",
    .authorization_endpoint = "https://idp.test/o/auth",
    .token_endpoint = "http://127.0.0.1:1/token",
    .jwks_uri = "http://127.0.0.1:1/jwks",
    .issuer = ISS,
    .redirect_uri = "http://127.0.0.1:8080/auth/google/callback",
};

static void test_begin_builds_a_pkce_url(void **state)
{
    (void)state;
    struct oidc_request a, b;
    struct err err;
    assert_int_equal(oidc_begin(&test_provider, &a, &err), RC_OK);
    assert_int_equal(oidc_begin(&test_provider, &b, &err), RC_OK);
    const char *want = "https://idp.test/o/auth?response_type=code&client_id=" CID
                       "&redirect_uri=http%3A%2F%2F127.0.0.1%3A8080%2Fauth%2Fgoogle%2Fcallback"
                       "&scope=openid%20email%20profile&state=";
    assert_memory_equal(a.authorize_url, want, strlen(want));
    for (int i = 0; i < 2; i++) {
        struct oidc_request *r = i ? &b : &a;
        assert_int_equal(strlen(r->state), OIDC_RANDOM_LEN);
        assert_int_equal(strlen(r->nonce), OIDC_RANDOM_LEN);
        assert_int_equal(strlen(r->code_verifier), OIDC_RANDOM_LEN);
        char *state_v = query_param(r->authorize_url, "state");
        char *nonce_v = query_param(r->authorize_url, "nonce");
        char *challenge = query_param(r->authorize_url, "code_challenge");
        char *method = query_param(r->authorize_url, "code_challenge_method");
        assert_string_equal(state_v, r->state);
        assert_string_equal(nonce_v, r->nonce);
        assert_string_equal(method, "S256");
        unsigned char digest[SHA256_LEN];
        char expect[64];
        sha256(r->code_verifier, strlen(r->code_verifier), digest);
        b64url_encode(digest, sizeof(digest), expect);
        assert_string_equal(challenge, expect);
        assert_null(query_param(r->authorize_url, "client_secret"));
        assert_null(strstr(r->authorize_url, "s3cret"));
        free(state_v);
        free(nonce_v);
        free(challenge);
        free(method);
    }
    /* fresh randomness every call */
    assert_string_not_equal(a.state, b.state);
    assert_string_not_equal(a.nonce, b.nonce);
    assert_string_not_equal(a.code_verifier, b.code_verifier);
    assert_string_not_equal(a.state, a.nonce);
    assert_string_not_equal(a.state, a.code_verifier);
    oidc_request_cleanup(&a);
    assert_null(a.authorize_url);
    oidc_request_cleanup(&a);
    oidc_request_cleanup(&b);
    oidc_request_cleanup(NULL);

    /* an endpoint with a query of its own gets '&'; values with reserved characters are
     * escaped */
    struct oidc_provider p = test_provider;
    p.authorization_endpoint = "https://idp.test/auth?hl=en";
    p.client_id = "a b&c=d";
    assert_int_equal(oidc_begin(&p, &a, &err), RC_OK);
    assert_non_null(
        strstr(a.authorize_url, "/auth?hl=en&response_type=code&client_id=a%20b%26c%3Dd&"));
    oidc_request_cleanup(&a);

    /* missing configuration */
    p = test_provider;
    p.client_id = "";
    assert_int_equal(oidc_begin(&p, &a, &err), RC_INVALID);
    assert_null(a.authorize_url);
    p = test_provider;
    p.redirect_uri = NULL;
    assert_int_equal(oidc_begin(&p, &a, &err), RC_INVALID);
    assert_int_equal(oidc_begin(NULL, &a, &err), RC_INVALID);
}

static void test_finish_checks_arguments_and_transport(void **state)
{
    (void)state;
    struct oidc_identity id;
    struct err err;
    const char *verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
    assert_int_equal(oidc_finish(&test_provider, "code", "short", NONCE, NOW, &id, &err),
                     RC_INVALID);
    assert_null(id.sub);
    assert_int_equal(oidc_finish(&test_provider, "code",
                                 "dBjftJeZ4CVP+mB92K27uhbUJU1p1r/wW1gFWFOEjXk", NONCE, NOW, &id,
                                 &err),
                     RC_INVALID);
    assert_int_equal(oidc_finish(&test_provider, "code", verifier, "", NOW, &id, &err), RC_INVALID);
    assert_int_equal(oidc_finish(&test_provider, "", verifier, NONCE, NOW, &id, &err),
                     RC_UNAUTHORIZED);
    assert_int_equal(oidc_finish(&test_provider, NULL, verifier, NONCE, NOW, &id, &err),
                     RC_UNAUTHORIZED);
    char *long_code = xmalloc(4000);
    memset(long_code, 'c', 3999);
    long_code[3999] = '\0';
    assert_int_equal(oidc_finish(&test_provider, long_code, verifier, NONCE, NOW, &id, &err),
                     RC_UNAUTHORIZED);
    free(long_code);
    struct oidc_provider p = test_provider;
    p.jwks_uri = NULL;
    assert_int_equal(oidc_finish(&p, "code", verifier, NONCE, NOW, &id, &err), RC_INVALID);
    /* nothing listens on port 1: a transport error, not a refusal */
    assert_int_equal(oidc_finish(&test_provider, "code", verifier, NONCE, NOW, &id, &err), RC_IO);
    assert_null(id.sub);
    /* only http and https are spoken */
    p = test_provider;
    p.token_endpoint = "file:///etc/passwd";
    assert_int_equal(oidc_finish(&p, "code", verifier, NONCE, NOW, &id, &err), RC_IO);
    p.token_endpoint = "ftp://127.0.0.1:1/token";
    assert_int_equal(oidc_finish(&p, "code", verifier, NONCE, NOW, &id, &err), RC_IO);
}

/* ---- mail_send ---- */

static const struct mail_server test_relay = {
    .url = "smtp://127.0.0.1:1",
    .from = "da <noreply@example.com>",
};

static void test_mail_refuses_header_injection(void **state)
{
    (void)state;
    struct err err;
    const struct mail_server *s = &test_relay;
    static const char *const bad_to[] = {
        "ann@example.com\r\nBcc: eve@example.com",
        "ann@example.com\nBcc: eve@example.com",
        "ann@example.com\r",
        "Ann <ann@example.com>",
        "<ann@example.com>",
        "ann@example.com, eve@example.com",
        "ann@example.com,eve@example.com",
        "ann @example.com",
        "ann@exa mple.com",
        "ann@example.com eve@example.com",
        "ann@@example.com",
        "ann@example@com",
        "ann@localhost",
        "@example.com",
        "ann@",
        "ann",
        "",
        ".ann@example.com",
        "an..n@example.com",
        "ann@-example.com",
        "ann@example.com.",
        "ann@example..com",
        "\"ann\"@example.com",
        "ann(comment)@example.com",
        "ann@[127.0.0.1]",
        "ann@example.com\t",
        "ann;eve@example.com",
        "ann\xc3\xa9@example.com",
    };
    for (size_t i = 0; i < ARRAY_LEN(bad_to); i++) {
        if (mail_send(s, bad_to[i], "Sign in", "body", &err) != RC_INVALID)
            fail_msg("accepted recipient '%s'", bad_to[i]);
    }
    assert_int_equal(
        mail_send(s, "ann@example.com", "Sign in\r\nBcc: eve@example.com", "body", &err),
        RC_INVALID);
    assert_non_null(strstr(err.msg, "line break"));
    assert_int_equal(mail_send(s, "ann@example.com", "Sign in\nX: y", "body", &err), RC_INVALID);
    assert_int_equal(mail_send(s, "ann@example.com", "Sign in\r", "body", &err), RC_INVALID);
    assert_int_equal(mail_send(s, "ann@example.com", "Sign\x01in", "body", &err), RC_INVALID);
    assert_int_equal(mail_send(s, "ann@example.com", "bad \xc3(", "body", &err), RC_INVALID);
    static const char *const bad_from[] = {
        "da <noreply@example.com>\r\nBcc: eve@example.com",
        "da <noreply@example.com>\nX: y",
        "da\r\n <noreply@example.com>",
        "da <noreply@example.com> extra",
        "da <noreply@example.com",
        "da, eve <noreply@example.com>",
        "<a@example.com> <b@example.com>",
        "noreply",
        "",
    };
    for (size_t i = 0; i < ARRAY_LEN(bad_from); i++) {
        struct mail_server bad = *s;
        bad.from = bad_from[i];
        if (mail_send(&bad, "ann@example.com", "Sign in", "body", &err) != RC_INVALID)
            fail_msg("accepted sender '%s'", bad_from[i]);
    }
    /* only SMTP URLs */
    struct mail_server other = *s;
    other.url = "http://127.0.0.1:1";
    assert_int_equal(mail_send(&other, "ann@example.com", "Sign in", "body", &err), RC_INVALID);
    other.url = "file:///tmp/x";
    assert_int_equal(mail_send(&other, "ann@example.com", "Sign in", "body", &err), RC_INVALID);
    assert_int_equal(mail_send(NULL, "ann@example.com", "Sign in", "body", &err), RC_INVALID);
    assert_int_equal(mail_send(s, NULL, "Sign in", "body", &err), RC_INVALID);
    /* limits */
    char *big = xmalloc(MAIL_BODY_MAX + 2);
    memset(big, 'x', MAIL_BODY_MAX + 1);
    big[MAIL_BODY_MAX + 1] = '\0';
    assert_int_equal(mail_send(s, "ann@example.com", "Sign in", big, &err), RC_TOOBIG);
    big[MAIL_SUBJECT_MAX + 1] = '\0';
    assert_int_equal(mail_send(s, "ann@example.com", big, "body", &err), RC_TOOBIG);
    free(big);
}

static void test_mail_reports_an_unreachable_relay(void **state)
{
    (void)state;
    struct err err;
    /* well-formed, so it gets as far as connecting: nothing listens on port 1 */
    assert_int_equal(mail_send(&test_relay, "ann.o'neil+da@mail.example.co.uk",
                               "Sign in to da \xe2\x80\x94 \xc3\xa9t\xc3\xa9", "Hello\n.\nBye\n",
                               &err),
                     RC_IO);
    struct mail_server bare = test_relay;
    bare.from = "noreply@example.com";
    assert_int_equal(mail_send(&bare, "ann@example.com", "Sign in", "body", &err), RC_IO);
}

/* ---- against the fakes (tests/e2e/fakes.test.mjs sets the environment) ---- */

static size_t discard_body(char *data, size_t size, size_t n, void *userdata)
{
    (void)data;
    (void)userdata;
    return size * n;
}

/* Follows the authorization URL like a browser would, once, and returns the code from the
 * redirect; checks the state came back. Caller frees. */
static char *authorize(const struct oidc_request *r)
{
    CURL *curl = curl_easy_init();
    char *location = NULL;
    long status = 0;
    assert_non_null(curl);
    assert_int_equal(curl_easy_setopt(curl, CURLOPT_URL, r->authorize_url), CURLE_OK);
    assert_int_equal(curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard_body), CURLE_OK);
    assert_int_equal(curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L), CURLE_OK);
    assert_int_equal(curl_easy_perform(curl), CURLE_OK);
    assert_int_equal(curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status), CURLE_OK);
    assert_int_equal(status, 302);
    assert_int_equal(curl_easy_getinfo(curl, CURLINFO_REDIRECT_URL, &location), CURLE_OK);
    assert_non_null(location);
    assert_memory_equal(location, "http://127.0.0.1:8080/auth/google/callback?", 43);
    char *code = query_param(location, "code");
    char *state_v = query_param(location, "state");
    assert_non_null(code);
    assert_string_equal(state_v, r->state);
    free(state_v);
    curl_easy_cleanup(curl);
    return code;
}

static void print_result(const char *what, enum rc rc, const struct err *err)
{
    printf("%s: %s%s%s\n", what, rc_str(rc), rc ? " " : "", rc ? err->msg : "");
    fflush(stdout);
}

static void test_fake_oidc_flow(void **state)
{
    (void)state;
    const char *issuer = getenv("DA_FAKE_OIDC_ISSUER");
    const char *expect = getenv("DA_FAKE_OIDC_EXPECT");
    if (!issuer || !expect)
        skip();
    char *authz = xasprintf("%s/authorize", issuer);
    char *token_ep = xasprintf("%s/token", issuer);
    char *jwks = xasprintf("%s/jwks", issuer);
    struct oidc_provider p = {
        .client_id = getenv("DA_FAKE_OIDC_CLIENT_ID"),
        .client_secret = getenv("DA_FAKE_OIDC_CLIENT_SECRET"),
        .authorization_endpoint = authz,
        .token_endpoint = token_ep,
        .jwks_uri = jwks,
        .issuer = issuer,
        .redirect_uri = "http://127.0.0.1:8080/auth/google/callback",
    };
    struct oidc_request r;
    struct oidc_identity id;
    struct err err;
    assert_int_equal(oidc_begin(&p, &r, &err), RC_OK);
    char *code = authorize(&r);
    enum rc rc = oidc_finish(&p, code, r.code_verifier, r.nonce, (int64_t)time(NULL), &id, &err);
    print_result("oidc_finish", rc, &err);
    if (strncmp(expect, "ok:", 3) == 0) {
        assert_int_equal(rc, RC_OK);
        assert_string_equal(id.email, expect + 3);
        printf("identity: sub=%s email=%s name=%s hd=%s\n", id.sub, id.email,
               id.name ? id.name : "-", id.hd ? id.hd : "-");
        oidc_identity_cleanup(&id);
        /* the code is single use */
        rc = oidc_finish(&p, code, r.code_verifier, r.nonce, (int64_t)time(NULL), &id, &err);
        print_result("oidc_finish again", rc, &err);
        assert_int_equal(rc, RC_UNAUTHORIZED);
        assert_non_null(strstr(err.msg, "invalid_grant"));
        /* a verifier other than the one the challenge was made from */
        struct oidc_request r2;
        assert_int_equal(oidc_begin(&p, &r2, &err), RC_OK);
        char *code2 = authorize(&r2);
        rc = oidc_finish(&p, code2, r.code_verifier, r2.nonce, (int64_t)time(NULL), &id, &err);
        print_result("oidc_finish with another verifier", rc, &err);
        assert_int_equal(rc, RC_UNAUTHORIZED);
        free(code2);
        oidc_request_cleanup(&r2);
        /* a wrong client secret */
        struct oidc_request r3;
        assert_int_equal(oidc_begin(&p, &r3, &err), RC_OK);
        char *code3 = authorize(&r3);
        struct oidc_provider bad = p;
        bad.client_secret = "wrong";
        rc = oidc_finish(&bad, code3, r3.code_verifier, r3.nonce, (int64_t)time(NULL), &id, &err);
        print_result("oidc_finish with a wrong secret", rc, &err);
        assert_int_equal(rc, RC_UNAUTHORIZED);
        assert_non_null(strstr(err.msg, "invalid_client"));
        free(code3);
        oidc_request_cleanup(&r3);
    } else {
        assert_string_equal(expect, "unauthorized");
        assert_int_equal(rc, RC_UNAUTHORIZED);
        assert_null(id.sub);
    }
    free(code);
    oidc_request_cleanup(&r);
    free(authz);
    free(token_ep);
    free(jwks);
}

static void test_fake_smtp_delivery(void **state)
{
    (void)state;
    const char *url = getenv("DA_FAKE_SMTP_URL");
    if (!url)
        skip();
    struct mail_server s = {
        .url = url,
        .username = getenv("DA_FAKE_SMTP_USER"),
        .password = getenv("DA_FAKE_SMTP_PASS"),
        .from = getenv("DA_FAKE_SMTP_FROM"),
    };
    struct err err;
    enum rc rc = mail_send(&s, getenv("DA_FAKE_SMTP_TO"), getenv("DA_FAKE_SMTP_SUBJECT"),
                           getenv("DA_FAKE_SMTP_BODY"), &err);
    print_result("mail_send", rc, &err);
    assert_int_equal(rc, RC_OK);
    /* the fake offers no STARTTLS: a relay that must encrypt is refused before any data */
    s.require_tls = true;
    rc = mail_send(&s, getenv("DA_FAKE_SMTP_TO"), "must not arrive", "secret", &err);
    print_result("mail_send with require_tls", rc, &err);
    assert_int_equal(rc, RC_IO);
    assert_non_null(strstr(err.msg, "STARTTLS"));
}

int main(void)
{
    const struct CMUnitTest unit[] = {
        cmocka_unit_test(test_accepts_a_good_token),
        cmocka_unit_test(test_google_bare_issuer),
        cmocka_unit_test(test_refuses_other_algorithms),
        cmocka_unit_test(test_refuses_unknown_or_unfit_keys),
        cmocka_unit_test(test_refuses_tampering),
        cmocka_unit_test(test_refuses_wrong_issuer_or_audience),
        cmocka_unit_test(test_refuses_bad_times),
        cmocka_unit_test(test_refuses_wrong_nonce_or_email),
        cmocka_unit_test(test_refuses_duplicate_keys_and_oversize),
        cmocka_unit_test(test_begin_builds_a_pkce_url),
        cmocka_unit_test(test_finish_checks_arguments_and_transport),
        cmocka_unit_test(test_mail_refuses_header_injection),
        cmocka_unit_test(test_mail_reports_an_unreachable_relay),
    };
    const struct CMUnitTest fakes[] = {
        cmocka_unit_test(test_fake_oidc_flow),
        cmocka_unit_test(test_fake_smtp_delivery),
    };
    int failed;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    if (getenv("DA_FAKE_OIDC_ISSUER") || getenv("DA_FAKE_SMTP_URL"))
        failed = cmocka_run_group_tests_name("oidc_fakes", fakes, NULL, NULL);
    else
        failed = cmocka_run_group_tests_name("oidc", unit, setup_keys, teardown_keys);
    curl_global_cleanup();
    return failed;
}
