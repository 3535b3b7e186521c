/* test_auth.c — unit tests of src/auth: the server signing key is never a known default;
 * passwords hash with argon2id and verify hashes of other implementations; JWTs refuse every
 * forgery we know of; opaque tokens are random, hashed and checked for shape. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "auth/crypto.h"
#include "auth/jwt.h"
#include "auth/opaque_token.h"
#include "auth/password.h"
#include "auth/server_key.h"
#include "base/b64.h"
#include "base/fileio.h"
#include "base/isotime.h"
#include "base/mem.h"
#include "helpers.h"

static void test_creates_a_private_random_key_once(void **state)
{
    (void)state;
    char *dir = test_tmpdir();
    char *path = xasprintf("%s/%s", dir, SERVER_KEY_FILE);
    struct server_key a, b;
    struct err err;
    assert_int_equal(server_key_load(dir, NULL, &a, &err), RC_OK);
    assert_true(a.created);
    assert_false(a.from_env);
    assert_int_equal(a.len, SERVER_KEY_RANDOM);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600);
    assert_int_equal(server_key_load(dir, NULL, &b, &err), RC_OK);
    assert_false(b.created);
    assert_memory_equal(a.bytes, b.bytes, SERVER_KEY_RANDOM);
    /* another data folder gets another key */
    char *dir2 = test_tmpdir();
    struct server_key c;
    assert_int_equal(server_key_load(dir2, NULL, &c, &err), RC_OK);
    assert_memory_not_equal(a.bytes, c.bytes, SERVER_KEY_RANDOM);
    server_key_wipe(&a);
    for (size_t i = 0; i < sizeof(a.bytes); i++)
        assert_int_equal(a.bytes[i], 0);
    test_rm_rf(dir);
    test_rm_rf(dir2);
    free(dir);
    free(dir2);
    free(path);
}

static void test_configured_key_must_be_long_enough(void **state)
{
    (void)state;
    struct server_key k;
    struct err err;
    const char *secret = "short-secret-1234567890";
    assert_int_equal(server_key_load("/nonexistent", secret, &k, &err), RC_INVALID);
    assert_non_null(strstr(err.msg, "JWT_SECRET_KEY"));
    assert_null(strstr(err.msg, secret)); /* the secret is never echoed */
    const char *good = "0123456789abcdef0123456789abcdef";
    assert_int_equal(server_key_load("/nonexistent", good, &k, &err), RC_OK);
    assert_true(k.from_env);
    assert_int_equal(k.len, 32);
    assert_memory_equal(k.bytes, good, 32);
}

static void test_refuses_readable_or_damaged_key_file(void **state)
{
    (void)state;
    char *dir = test_tmpdir();
    char *path = xasprintf("%s/%s", dir, SERVER_KEY_FILE);
    struct server_key k;
    struct err err;
    assert_int_equal(server_key_load(dir, NULL, &k, &err), RC_OK);
    assert_int_equal(chmod(path, 0644), 0);
    assert_int_equal(server_key_load(dir, NULL, &k, &err), RC_FORBIDDEN);
    assert_non_null(strstr(err.msg, "chmod 600"));
    assert_int_equal(file_write_atomic(path, "abc\n", 4, 0600, &err), RC_OK);
    assert_int_equal(server_key_load(dir, NULL, &k, &err), RC_INVALID);
    assert_non_null(strstr(err.msg, "damaged"));
    test_rm_rf(dir);
    free(dir);
    free(path);
}

/* ---------------------------------------------------------------- passwords */

/* Made with the reference CLI (Debian package argon2), not with libargon2 through da:
 *   echo -n 'correct horse battery' | argon2 somesaltsomesalt -id -t 3 -m 16 -p 4 -l 32 -e */
#define CLI_PASSWORD "correct horse battery"
#define CLI_PHC                                                                                    \
    "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$"                                       \
    "A9CMYpdlNbnPW7O8ckk3RY6xYef42vnotdD2gFDW50E"

static void test_password_round_trip(void **state)
{
    (void)state;
    struct err err;
    char *phc = NULL, *phc2 = NULL;
    const char *pw = "a long enough passphrase";
    assert_int_equal(password_hash(pw, &phc, &err), RC_OK);
    assert_non_null(phc);
    assert_true(strncmp(phc, "$argon2id$v=19$m=65536,t=3,p=4$", 31) == 0);
    assert_int_equal(password_verify(phc, pw, &err), RC_OK);
    assert_int_equal(password_verify(phc, "a long enough passphrasE", &err), RC_UNAUTHORIZED);
    assert_int_equal(password_verify(phc, "", &err), RC_UNAUTHORIZED);
    /* a fresh salt every time */
    assert_int_equal(password_hash(pw, &phc2, &err), RC_OK);
    assert_string_not_equal(phc, phc2);
    free(phc);
    free(phc2);
    /* password_hash bounds its input but leaves the policy to the caller */
    char *big = xmalloc(PASSWORD_MAX_LEN + 2);
    memset(big, 'x', PASSWORD_MAX_LEN + 1);
    big[PASSWORD_MAX_LEN + 1] = '\0';
    phc = (char *)1;
    assert_int_equal(password_hash(big, &phc, &err), RC_INVALID);
    assert_null(phc);
    assert_int_equal(password_hash("", &phc, &err), RC_INVALID);
    free(big);
}

static void test_password_verifies_reference_cli_hash(void **state)
{
    (void)state;
    struct err err;
    assert_int_equal(password_verify(CLI_PHC, CLI_PASSWORD, &err), RC_OK);
}

static void test_password_refuses_other_hashes(void **state)
{
    (void)state;
    static const char *const bad[] = {
        /* the same password and salt as CLI_PHC, but argon2i and argon2d */
        "$argon2i$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$"
        "6Rm2xZCuxFwD5+986jMZZwUs/48WvhlEaezIv4yWPeE",
        "$argon2d$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$"
        "aT5AX8RH1JmeMqpvxeNZjr4O7YPucdZ/bEyobd/ckAY",
        /* version 16 and a missing version */
        "$argon2id$v=16$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$"
        "USVfEKB1TZ0WYTYAKeh4sRFDNWLTMwlFwqlaYgO4dTc",
        "$argon2id$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$"
        "A9CMYpdlNbnPW7O8ckk3RY6xYef42vnotdD2gFDW50E",
        /* absurd cost: 2 GiB, 11 passes, 17 lanes, a number that overflows 32 bits */
        "$argon2id$v=19$m=2097152,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$"
        "A9CMYpdlNbnPW7O8ckk3RY6xYef42vnotdD2gFDW50E",
        "$argon2id$v=19$m=65536,t=11,p=4$c29tZXNhbHRzb21lc2FsdA$"
        "A9CMYpdlNbnPW7O8ckk3RY6xYef42vnotdD2gFDW50E",
        "$argon2id$v=19$m=65536,t=3,p=17$c29tZXNhbHRzb21lc2FsdA$"
        "A9CMYpdlNbnPW7O8ckk3RY6xYef42vnotdD2gFDW50E",
        "$argon2id$v=19$m=99999999999,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$"
        "A9CMYpdlNbnPW7O8ckk3RY6xYef42vnotdD2gFDW50E",
        /* zero passes, a salt of 4 bytes: libargon2 refuses without hashing */
        "$argon2id$v=19$m=65536,t=0,p=4$c29tZXNhbHRzb21lc2FsdA$"
        "A9CMYpdlNbnPW7O8ckk3RY6xYef42vnotdD2gFDW50E",
        "$argon2id$v=19$m=65536,t=3,p=4$c29tZQ$A9CMYpdlNbnPW7O8ckk3RY6xYef42vnotdD2gFDW50E",
        /* not PHC at all, or PHC with junk */
        "",
        "password",
        "$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW",
        "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA",
        "$argon2id$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$"
        "A9CMYpdlNbnPW7O8ckk3RY6xYef42vnotdD2gFDW50E$",
        "$argon2id$v=19$m=065536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$"
        "A9CMYpdlNbnPW7O8ckk3RY6xYef42vnotdD2gFDW50E",
        "$argon2id$v=19$m=65536,t=3,p=4,keyid=x$c29tZXNhbHRzb21lc2FsdA$"
        "A9CMYpdlNbnPW7O8ckk3RY6xYef42vnotdD2gFDW50E",
        "$argon2id$v=19$t=3,m=65536,p=4$c29tZXNhbHRzb21lc2FsdA$"
        "A9CMYpdlNbnPW7O8ckk3RY6xYef42vnotdD2gFDW50E",
        "$ARGON2ID$v=19$m=65536,t=3,p=4$c29tZXNhbHRzb21lc2FsdA$"
        "A9CMYpdlNbnPW7O8ckk3RY6xYef42vnotdD2gFDW50E",
    };
    struct err err;
    int64_t t0 = clock_mono_us();
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        if (password_verify(bad[i], CLI_PASSWORD, &err) != RC_INVALID)
            fail_msg("accepted bad hash %zu: %s", i, bad[i]);
    /* refused before any hashing: one argon2 run at 64 MiB alone takes ~0.1 s, at 2 GiB
     * several seconds */
    assert_true(clock_mono_us() - t0 < 1000000);
    assert_int_equal(password_verify(NULL, CLI_PASSWORD, &err), RC_INVALID);
    char *huge = xmalloc(PASSWORD_PHC_MAX + 100);
    snprintf(huge, PASSWORD_PHC_MAX + 100, "%s", CLI_PHC);
    memset(huge + strlen(CLI_PHC), 'A', PASSWORD_PHC_MAX);
    huge[PASSWORD_PHC_MAX + 99] = '\0';
    assert_int_equal(password_verify(huge, CLI_PASSWORD, &err), RC_INVALID);
    free(huge);
}

static void test_password_policy(void **state)
{
    (void)state;
    struct err err;
    assert_int_equal(password_check_policy(NULL, &err), RC_INVALID);
    assert_int_equal(password_check_policy("", &err), RC_INVALID);
    assert_int_equal(password_check_policy("12345678901", &err), RC_INVALID);
    assert_non_null(strstr(err.msg, "at least 12 characters"));
    assert_int_equal(password_check_policy("123456789012", &err), RC_OK);
    /* characters, not bytes: 11 two-byte characters are too few, 12 are enough */
    assert_int_equal(password_check_policy("ééééééééééé", &err), RC_INVALID);
    assert_int_equal(password_check_policy("éééééééééééé", &err), RC_OK);
    char *pw = xmalloc(PASSWORD_MAX_LEN + 2);
    memset(pw, 'x', PASSWORD_MAX_LEN);
    pw[PASSWORD_MAX_LEN] = '\0';
    assert_int_equal(password_check_policy(pw, &err), RC_OK);
    pw[PASSWORD_MAX_LEN] = 'x';
    pw[PASSWORD_MAX_LEN + 1] = '\0';
    assert_int_equal(password_check_policy(pw, &err), RC_INVALID);
    assert_non_null(strstr(err.msg, "at most"));
    free(pw);
}

/* Unknown users must not answer faster than wrong passwords: compare the two costs. */
static void test_password_dummy_costs_a_real_verify(void **state)
{
    (void)state;
    struct err err;
    password_verify_dummy(NULL); /* the first call also makes the dummy hash */
    int64_t t0 = clock_mono_us();
    password_verify_dummy("some wrong password");
    int64_t t1 = clock_mono_us();
    assert_int_equal(password_verify(CLI_PHC, "some wrong password", &err), RC_UNAUTHORIZED);
    int64_t t2 = clock_mono_us();
    double dummy = (double)(t1 - t0), real = (double)(t2 - t1);
    double ratio = dummy / real;
    print_message("dummy %.0f us, real %.0f us, ratio %.2f\n", dummy, real, ratio);
    assert_true(real > 1000); /* a real verify is argon2 work, not a shortcut */
    assert_true(ratio > 0.3 && ratio < 3.0);
}

/* ---------------------------------------------------------------- JWT */

#define NOW 1700000000

static const unsigned char jwt_key[32] = "0123456789abcdef0123456789abcdef";

static struct jwt_claims sample_claims(void)
{
    struct jwt_claims c;
    memset(&c, 0, sizeof(c));
    snprintf(c.sub, sizeof(c.sub), "%s", "0b7c8f2e-1111-4222-8333-944455556666");
    snprintf(c.email, sizeof(c.email), "%s", "ada@example.org");
    snprintf(c.role, sizeof(c.role), "%s", "admin");
    c.iat = NOW;
    c.exp = NOW + 86400;
    snprintf(c.jti, sizeof(c.jti), "%s", "5f1c0d9e8b7a69584736251403928170");
    return c;
}

static char *b64(const char *s)
{
    char *out = xmalloc(b64url_encoded_len(strlen(s)) + 1);
    b64url_encode((const unsigned char *)s, strlen(s), out);
    return out;
}

/* A token with any header and payload text, correctly signed with key: so the test shows the
 * check under test refuses it, not the signature. */
static char *forge(const char *header, const char *payload, const unsigned char *key,
                   size_t key_len)
{
    char *h = b64(header), *p = b64(payload);
    char *signing = xasprintf("%s.%s", h, p);
    unsigned char mac[SHA256_LEN];
    crypto_hmac_sha256(key, key_len, signing, strlen(signing), mac);
    char sig[64];
    b64url_encode(mac, SHA256_LEN, sig);
    char *token = xasprintf("%s.%s", signing, sig);
    free(h);
    free(p);
    free(signing);
    return token;
}

#define GOOD_HEADER "{\"alg\":\"HS256\",\"typ\":\"JWT\"}"
#define GOOD_PAYLOAD                                                                               \
    "{\"sub\":\"u1\",\"email\":\"a@b.c\",\"role\":\"viewer\",\"iat\":1700000000,"                  \
    "\"exp\":1700086400,\"jti\":\"j1\"}"

/* Asserts token is refused with RC_UNAUTHORIZED, a zeroed *out, and a reason containing why. */
static void expect_refused(const char *token, const char *why)
{
    struct jwt_claims c;
    memset(&c, 0x55, sizeof(c));
    struct err err;
    err.msg[0] = '\0';
    enum rc rc = jwt_verify(token, jwt_key, sizeof(jwt_key), NOW, &c, &err);
    if (rc != RC_UNAUTHORIZED)
        fail_msg("token accepted (rc %d): %.200s", rc, token ? token : "(null)");
    if (why && !strstr(err.msg, why))
        fail_msg("refused for \"%s\", expected \"%s\": %.200s", err.msg, why, token);
    assert_int_equal(c.sub[0], 0);
    assert_int_equal(c.exp, 0);
}

static void expect_forged_refused(const char *header, const char *payload, const char *why)
{
    char *t = forge(header, payload, jwt_key, sizeof(jwt_key));
    expect_refused(t, why);
    free(t);
}

static void test_jwt_round_trip(void **state)
{
    (void)state;
    struct jwt_claims c = sample_claims(), got;
    struct err err;
    char *token = NULL;
    assert_int_equal(jwt_sign(&c, jwt_key, sizeof(jwt_key), &token, &err), RC_OK);
    /* the header is exactly the one da writes */
    char *h = b64(GOOD_HEADER);
    assert_true(strncmp(token, h, strlen(h)) == 0 && token[strlen(h)] == '.');
    free(h);
    assert_int_equal(jwt_verify(token, jwt_key, sizeof(jwt_key), NOW, &got, &err), RC_OK);
    assert_string_equal(got.sub, c.sub);
    assert_string_equal(got.email, c.email);
    assert_string_equal(got.role, c.role);
    assert_string_equal(got.jti, c.jti);
    assert_int_equal(got.iat, c.iat);
    assert_int_equal(got.exp, c.exp);
    /* a token forged by hand with the right key and shape verifies too */
    char *t = forge(GOOD_HEADER, GOOD_PAYLOAD, jwt_key, sizeof(jwt_key));
    assert_int_equal(jwt_verify(t, jwt_key, sizeof(jwt_key), NOW, &got, &err), RC_OK);
    assert_string_equal(got.role, "viewer");
    free(t);
    t = forge("{\"alg\":\"HS256\"}", GOOD_PAYLOAD, jwt_key, sizeof(jwt_key));
    assert_int_equal(jwt_verify(t, jwt_key, sizeof(jwt_key), NOW, &got, &err), RC_OK);
    free(t);
    free(token);
    /* signing refuses a short key and empty ids */
    token = (char *)1;
    assert_int_equal(jwt_sign(&c, jwt_key, 31, &token, &err), RC_INVALID);
    assert_null(token);
    c.jti[0] = '\0';
    assert_int_equal(jwt_sign(&c, jwt_key, sizeof(jwt_key), &token, &err), RC_INVALID);
    c = sample_claims();
    c.role[0] = '\xff'; /* not UTF-8 */
    assert_int_equal(jwt_sign(&c, jwt_key, sizeof(jwt_key), &token, &err), RC_INVALID);
}

static void test_jwt_refuses_tampering(void **state)
{
    (void)state;
    struct jwt_claims c = sample_claims();
    struct err err;
    char *token = NULL;
    assert_int_equal(jwt_sign(&c, jwt_key, sizeof(jwt_key), &token, &err), RC_OK);
    char *dot1 = strchr(token, '.'), *dot2 = strrchr(token, '.');

    /* payload changed to another role, signature kept */
    char *p = b64("{\"sub\":\"0b7c8f2e-1111-4222-8333-944455556666\",\"email\":"
                  "\"ada@example.org\",\"role\":\"owner\",\"iat\":1700000000,\"exp\":1700086400,"
                  "\"jti\":\"5f1c0d9e8b7a69584736251403928170\"}");
    char *t = xasprintf("%.*s.%s%s", (int)(dot1 - token), token, p, dot2);
    expect_refused(t, "signature");
    free(t);
    free(p);

    /* one character of the payload changed */
    t = xstrdup(token);
    t[dot1 - token + 5] = t[dot1 - token + 5] == 'A' ? 'B' : 'A';
    expect_refused(t, NULL);
    free(t);

    /* each signature character flipped in turn, and the signature cut short */
    for (char *s = dot2 + 1; *s; s++) {
        t = xstrdup(token);
        t[s - token] = *s == 'A' ? 'B' : 'A';
        expect_refused(t, NULL);
        free(t);
    }
    t = xstrndup(token, strlen(token) - 1);
    expect_refused(t, "signature");
    free(t);
    t = xasprintf("%.*s", (int)(dot2 + 1 - token), token);
    expect_refused(t, "signature");
    free(t);

    /* another key of the same size */
    static const unsigned char other[32] = "0123456789abcdef0123456789abcdeF";
    struct jwt_claims got;
    assert_int_equal(jwt_verify(token, other, sizeof(other), NOW, &got, &err), RC_UNAUTHORIZED);
    assert_non_null(strstr(err.msg, "signature"));
    /* a key too short to be ours is refused outright, even when the signature matches it */
    char *short_key = forge(GOOD_HEADER, GOOD_PAYLOAD, jwt_key, 16);
    assert_int_equal(jwt_verify(short_key, jwt_key, 16, NOW, &got, &err), RC_UNAUTHORIZED);
    assert_non_null(strstr(err.msg, "key"));
    free(short_key);
    free(token);
}

static void test_jwt_refuses_other_algorithms(void **state)
{
    (void)state;
    /* alg none, as attackers send it: no signature at all */
    char *h = b64("{\"alg\":\"none\"}"), *p = b64(GOOD_PAYLOAD);
    char *t = xasprintf("%s.%s.", h, p);
    expect_refused(t, NULL);
    free(t);
    t = xasprintf("%s.%s", h, p);
    expect_refused(t, NULL);
    free(t);
    free(h);
    free(p);
    /* the same headers with a valid HMAC: refused for the header itself */
    expect_forged_refused("{\"alg\":\"none\"}", GOOD_PAYLOAD, "alg");
    expect_forged_refused("{\"alg\":\"none\",\"typ\":\"JWT\"}", GOOD_PAYLOAD, "alg");
    expect_forged_refused("{\"alg\":\"HS512\",\"typ\":\"JWT\"}", GOOD_PAYLOAD, "alg");
    expect_forged_refused("{\"alg\":\"RS256\",\"typ\":\"JWT\"}", GOOD_PAYLOAD, "alg");
    expect_forged_refused("{\"alg\":\"hs256\",\"typ\":\"JWT\"}", GOOD_PAYLOAD, "alg");
    expect_forged_refused("{\"alg\":\"HS256 \",\"typ\":\"JWT\"}", GOOD_PAYLOAD, "alg");
    expect_forged_refused("{\"alg\":[\"HS256\"]}", GOOD_PAYLOAD, "alg");
    expect_forged_refused("{\"alg\":null}", GOOD_PAYLOAD, "alg");
    expect_forged_refused("{\"typ\":\"JWT\"}", GOOD_PAYLOAD, "no alg");
    expect_forged_refused("{}", GOOD_PAYLOAD, "no alg");
    expect_forged_refused("{\"alg\":\"HS256\",\"crit\":[\"exp\"]}", GOOD_PAYLOAD, "critical");
    expect_forged_refused("{\"alg\":\"HS256\",\"kid\":\"../../key\"}", GOOD_PAYLOAD, "unexpected");
    expect_forged_refused("{\"alg\":\"HS256\",\"typ\":\"JWE\"}", GOOD_PAYLOAD, "typ");
    expect_forged_refused("{\"alg\":\"HS256\",\"alg\":\"HS256\"}", GOOD_PAYLOAD, "header");
    expect_forged_refused("{\"alg\":\"none\",\"alg\":\"HS256\"}", GOOD_PAYLOAD, "header");
    expect_forged_refused("[\"HS256\"]", GOOD_PAYLOAD, "header");
    expect_forged_refused("\"HS256\"", GOOD_PAYLOAD, "header");
    expect_forged_refused("not json", GOOD_PAYLOAD, "header");
}

static void test_jwt_refuses_malformed_tokens(void **state)
{
    (void)state;
    char *good = forge(GOOD_HEADER, GOOD_PAYLOAD, jwt_key, sizeof(jwt_key));
    char *dot1 = strchr(good, '.'), *dot2 = strrchr(good, '.');
    char *t;
    expect_refused(NULL, "no token");
    expect_refused("", "three parts");
    expect_refused("abc", "three parts");
    /* two parts, four parts, empty parts */
    t = xasprintf("%.*s", (int)(dot2 - good), good);
    expect_refused(t, "three parts");
    free(t);
    t = xasprintf("%s.%s", good, dot2 + 1);
    expect_refused(t, "three parts");
    free(t);
    t = xasprintf("%s.", good);
    expect_refused(t, "three parts");
    free(t);
    t = xasprintf(".%s", dot1 + 1);
    expect_refused(t, "empty part");
    free(t);
    t = xasprintf("%.*s%s", (int)(dot1 - good + 1), good, dot2);
    expect_refused(t, "empty part");
    free(t);
    t = xasprintf("%.*s", (int)(dot2 - good + 1), good);
    expect_refused(t, "signature");
    free(t);
    /* base64 with padding or the standard alphabet is not base64url */
    t = xasprintf("%s=", good);
    expect_refused(t, "signature");
    free(t);
    t = xasprintf("%.*s+%s", (int)(dot1 - good), good, dot1);
    expect_refused(t, NULL);
    free(t);
    /* a whitespace-wrapped token */
    t = xasprintf(" %s", good);
    expect_refused(t, NULL);
    free(t);
    /* a signed header that is not base64url inside: forge over raw text */
    {
        const char *raw_header = "e30=";
        char *p = b64(GOOD_PAYLOAD);
        char *signing = xasprintf("%s.%s", raw_header, p);
        unsigned char mac[SHA256_LEN];
        crypto_hmac_sha256(jwt_key, sizeof(jwt_key), signing, strlen(signing), mac);
        char sig[64];
        b64url_encode(mac, SHA256_LEN, sig);
        t = xasprintf("%s.%s", signing, sig);
        expect_refused(t, "header");
        free(t);
        free(signing);
        free(p);
    }
    /* oversize: a validly signed token past 8 KiB is refused unread */
    {
        char *pad = xmalloc(JWT_MAX_LEN + 1);
        memset(pad, 'x', JWT_MAX_LEN);
        pad[JWT_MAX_LEN] = '\0';
        char *payload = xasprintf("{\"sub\":\"u1\",\"email\":\"%s\",\"role\":\"viewer\","
                                  "\"iat\":1700000000,\"exp\":1700086400,\"jti\":\"j1\"}",
                                  pad);
        t = forge(GOOD_HEADER, payload, jwt_key, sizeof(jwt_key));
        assert_true(strlen(t) > JWT_MAX_LEN);
        expect_refused(t, "longer than");
        free(t);
        free(payload);
        free(pad);
    }
    free(good);
}

static void test_jwt_refuses_bad_claims(void **state)
{
    (void)state;
    struct jwt_claims got;
    struct err err;
    /* expiry: exp == now is expired, one second later is fine */
    expect_forged_refused(GOOD_HEADER,
                          "{\"sub\":\"u1\",\"email\":\"a@b.c\",\"role\":\"viewer\","
                          "\"iat\":1699990000,\"exp\":1700000000,\"jti\":\"j1\"}",
                          "expired");
    char *t = forge(GOOD_HEADER,
                    "{\"sub\":\"u1\",\"email\":\"a@b.c\",\"role\":\"viewer\","
                    "\"iat\":1699990000,\"exp\":1700000001,\"jti\":\"j1\"}",
                    jwt_key, sizeof(jwt_key));
    assert_int_equal(jwt_verify(t, jwt_key, sizeof(jwt_key), NOW, &got, &err), RC_OK);
    assert_int_equal(jwt_verify(t, jwt_key, sizeof(jwt_key), NOW + 1, &got, &err), RC_UNAUTHORIZED);
    free(t);
    /* issued more than 60 s in the future; exactly 60 s is tolerated */
    expect_forged_refused(GOOD_HEADER,
                          "{\"sub\":\"u1\",\"email\":\"a@b.c\",\"role\":\"viewer\","
                          "\"iat\":1700000061,\"exp\":1700086400,\"jti\":\"j1\"}",
                          "future");
    expect_forged_refused(GOOD_HEADER,
                          "{\"sub\":\"u1\",\"email\":\"a@b.c\",\"role\":\"viewer\","
                          "\"iat\":1800000000,\"exp\":1800086400,\"jti\":\"j1\"}",
                          "future");
    t = forge(GOOD_HEADER,
              "{\"sub\":\"u1\",\"email\":\"a@b.c\",\"role\":\"viewer\","
              "\"iat\":1700000060,\"exp\":1700086400,\"jti\":\"j1\"}",
              jwt_key, sizeof(jwt_key));
    assert_int_equal(jwt_verify(t, jwt_key, sizeof(jwt_key), NOW, &got, &err), RC_OK);
    free(t);
    /* duplicate keys: the second role must never win */
    expect_forged_refused(GOOD_HEADER,
                          "{\"sub\":\"u1\",\"email\":\"a@b.c\",\"role\":\"viewer\","
                          "\"role\":\"admin\",\"iat\":1700000000,\"exp\":1700086400,"
                          "\"jti\":\"j1\"}",
                          "payload");
    /* wrong types, missing and extra claims */
    static const char *const bad[] = {
        "{\"sub\":\"u1\",\"email\":\"a@b.c\",\"role\":\"viewer\",\"iat\":\"1700000000\","
        "\"exp\":1700086400,\"jti\":\"j1\"}",
        "{\"sub\":\"u1\",\"email\":\"a@b.c\",\"role\":\"viewer\",\"iat\":1700000000,"
        "\"exp\":1700086400.0,\"jti\":\"j1\"}",
        "{\"sub\":\"u1\",\"email\":\"a@b.c\",\"role\":\"viewer\",\"iat\":1700000000,"
        "\"exp\":1.8e9,\"jti\":\"j1\"}",
        "{\"sub\":1,\"email\":\"a@b.c\",\"role\":\"viewer\",\"iat\":1700000000,"
        "\"exp\":1700086400,\"jti\":\"j1\"}",
        "{\"sub\":\"u1\",\"email\":null,\"role\":\"viewer\",\"iat\":1700000000,"
        "\"exp\":1700086400,\"jti\":\"j1\"}",
        "{\"sub\":\"u1\",\"email\":\"a@b.c\",\"role\":[\"admin\"],\"iat\":1700000000,"
        "\"exp\":1700086400,\"jti\":\"j1\"}",
        "{\"sub\":\"u1\",\"email\":\"a@b.c\",\"role\":\"viewer\",\"iat\":1700000000,"
        "\"exp\":true,\"jti\":\"j1\"}",
        "{\"sub\":\"u1\",\"email\":\"a@b.c\",\"role\":\"viewer\",\"iat\":1700000000,"
        "\"exp\":1700086400}",
        "{\"email\":\"a@b.c\",\"role\":\"viewer\",\"iat\":1700000000,\"exp\":1700086400,"
        "\"jti\":\"j1\"}",
        "{\"sub\":\"u1\",\"email\":\"a@b.c\",\"role\":\"viewer\",\"iat\":1700000000,"
        "\"exp\":1700086400,\"jti\":\"j1\",\"admin\":true}",
        "{\"sub\":\"u1\",\"email\":\"a@b.c\",\"role\":\"viewer\",\"iat\":1700000000,"
        "\"exp\":99999999999999999999,\"jti\":\"j1\"}",
        "{\"sub\":\"u1\",\"email\":\"a@b.c\",\"role\":\"viewer\",\"iat\":1700000000,"
        "\"exp\":1700086400,\"jti\":\"j\\u0000x\"}",
        "[\"u1\"]",
        "null",
        "{}",
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++)
        expect_forged_refused(GOOD_HEADER, bad[i], NULL);
    /* strings that do not fit struct jwt_claims, and empty ids */
    t = forge(GOOD_HEADER,
              "{\"sub\":\"u1\",\"email\":\"a@b.c\",\"role\":\"administrator-x\","
              "\"iat\":1700000000,\"exp\":1700086400,\"jti\":\"j1\"}",
              jwt_key, sizeof(jwt_key));
    assert_int_equal(jwt_verify(t, jwt_key, sizeof(jwt_key), NOW, &got, &err), RC_OK);
    assert_string_equal(got.role, "administrator-x"); /* 15 characters fit, 16 do not */
    free(t);
    expect_forged_refused(GOOD_HEADER,
                          "{\"sub\":\"u1\",\"email\":\"a@b.c\",\"role\":\"administrator-xy\","
                          "\"iat\":1700000000,\"exp\":1700086400,\"jti\":\"j1\"}",
                          "too long");
    expect_forged_refused(GOOD_HEADER,
                          "{\"sub\":\"\",\"email\":\"a@b.c\",\"role\":\"viewer\","
                          "\"iat\":1700000000,\"exp\":1700086400,\"jti\":\"j1\"}",
                          "empty");
}

/* ---------------------------------------------------------------- opaque tokens */

static void test_opaque_token_new(void **state)
{
    (void)state;
    struct err err;
    char *tokens[64];
    char hash[SHA256_HEX_LEN + 1], again[SHA256_HEX_LEN + 1];
    for (size_t i = 0; i < ARRAY_LEN(tokens); i++) {
        assert_int_equal(opaque_token_new("da_pat_", &tokens[i], hash, &err), RC_OK);
        const char *t = tokens[i];
        assert_int_equal(strlen(t), strlen("da_pat_") + OPAQUE_TOKEN_CHARS);
        assert_true(opaque_token_has_prefix(t, "da_pat_"));
        assert_true(opaque_token_well_formed(t, "da_pat_"));
        /* the stored hash is the SHA-256 of the whole token, stable across calls */
        sha256_hex(t, strlen(t), again);
        assert_string_equal(hash, again);
        opaque_token_hash(t, again);
        assert_string_equal(hash, again);
        assert_int_equal(strlen(hash), SHA256_HEX_LEN);
        assert_int_equal(strspn(hash, "0123456789abcdef"), SHA256_HEX_LEN);
        for (size_t j = 0; j < i; j++)
            assert_string_not_equal(t, tokens[j]);
    }
    for (size_t i = 0; i < ARRAY_LEN(tokens); i++)
        opaque_token_free(tokens[i]);
    opaque_token_free(NULL);
    /* a fixed token hashes to a fixed value */
    opaque_token_hash("da_pat_abc", hash);
    sha256_hex("da_pat_abc", 10, again);
    assert_string_equal(hash, again);
    /* other prefixes, including none */
    char *t = NULL;
    assert_int_equal(opaque_token_new("", &t, hash, &err), RC_OK);
    assert_int_equal(strlen(t), OPAQUE_TOKEN_CHARS);
    assert_true(opaque_token_well_formed(t, ""));
    opaque_token_free(t);
    t = (char *)1;
    assert_int_equal(opaque_token_new(NULL, &t, hash, &err), RC_INVALID);
    assert_null(t);
    assert_int_equal(opaque_token_new("da_a_prefix_that_is_far_too_long_", &t, hash, &err),
                     RC_INVALID);
    assert_null(t);
}

static void test_opaque_token_well_formed(void **state)
{
    (void)state;
    struct err err;
    char hash[SHA256_HEX_LEN + 1];
    char *good = NULL;
    assert_int_equal(opaque_token_new("da_setup_", &good, hash, &err), RC_OK);
    const char *body = good + strlen("da_setup_");
    assert_true(opaque_token_well_formed(good, "da_setup_"));
    /* wrong or missing prefix */
    assert_false(opaque_token_well_formed(good, "da_pat_"));
    assert_false(opaque_token_has_prefix(good, "da_pat_"));
    assert_false(opaque_token_well_formed(body, "da_setup_"));
    assert_false(opaque_token_well_formed(NULL, "da_setup_"));
    assert_false(opaque_token_well_formed(good, NULL));
    assert_false(opaque_token_has_prefix(NULL, "da_"));
    char *t = xasprintf("DA_SETUP_%s", body);
    assert_false(opaque_token_well_formed(t, "da_setup_"));
    free(t);
    /* wrong length */
    t = xasprintf("da_setup_%.42s", body);
    assert_false(opaque_token_well_formed(t, "da_setup_"));
    free(t);
    t = xasprintf("da_setup_%sA", body);
    assert_false(opaque_token_well_formed(t, "da_setup_"));
    free(t);
    assert_false(opaque_token_well_formed("da_setup_", "da_setup_"));
    /* characters outside base64url, in the middle and at the end */
    static const char bad_chars[] = "+/= .%\\\"'\n\t\x80";
    for (size_t i = 0; i < sizeof(bad_chars) - 1; i++) {
        t = xstrdup(good);
        t[strlen("da_setup_") + 20] = bad_chars[i];
        if (opaque_token_well_formed(t, "da_setup_"))
            fail_msg("accepted character 0x%02x", (unsigned char)bad_chars[i]);
        t[strlen("da_setup_") + 20] = 'A';
        t[strlen(t) - 1] = bad_chars[i];
        assert_false(opaque_token_well_formed(t, "da_setup_"));
        free(t);
    }
    /* 32 bytes end in a character with two zero bits: 'B' (000001) is never made */
    t = xasprintf("da_setup_%.42sB", body);
    assert_false(opaque_token_well_formed(t, "da_setup_"));
    free(t);
    t = xasprintf("da_setup_%.42sE", body);
    assert_true(opaque_token_well_formed(t, "da_setup_"));
    free(t);
    opaque_token_free(good);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_creates_a_private_random_key_once),
        cmocka_unit_test(test_configured_key_must_be_long_enough),
        cmocka_unit_test(test_refuses_readable_or_damaged_key_file),
        cmocka_unit_test(test_password_round_trip),
        cmocka_unit_test(test_password_verifies_reference_cli_hash),
        cmocka_unit_test(test_password_refuses_other_hashes),
        cmocka_unit_test(test_password_policy),
        cmocka_unit_test(test_password_dummy_costs_a_real_verify),
        cmocka_unit_test(test_jwt_round_trip),
        cmocka_unit_test(test_jwt_refuses_tampering),
        cmocka_unit_test(test_jwt_refuses_other_algorithms),
        cmocka_unit_test(test_jwt_refuses_malformed_tokens),
        cmocka_unit_test(test_jwt_refuses_bad_claims),
        cmocka_unit_test(test_opaque_token_new),
        cmocka_unit_test(test_opaque_token_well_formed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
