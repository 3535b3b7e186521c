/* fuzz_jwt.c — session token verification (jwt_verify). The first byte picks the mode:
 *   even: the rest is a token as a client sends it (a seed may carry a valid one). Under
 *         any other key nothing may pass.
 *   odd:  the rest is "header JSON \0 payload JSON" (no NUL: the payload under the usual
 *         header), signed here with the key, so the header and claim checks behind the
 *         signature are reached. What passes must sign again and verify to the same claims.
 * Invariants: *out is zeroed on failure; claims are terminated within their arrays; exp is
 * after now; iat is at most JWT_IAT_SKEW_MAX after now. */
#include "auth/crypto.h"
#include "auth/jwt.h"
#include "base/b64.h"
#include "fuzz.h"

#define NOW 1700000000

static const unsigned char key[] = "fuzzing-key-fuzzing-key-fuzzing-key-0123";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

/* header.payload.signature of the two JSON texts, with the right HMAC. */
static char *sign_raw(const uint8_t *hdr, size_t hlen_raw, const uint8_t *pl, size_t plen_raw)
{
    size_t hlen = b64url_encoded_len(hlen_raw), plen = b64url_encoded_len(plen_raw);
    size_t slen = b64url_encoded_len(SHA256_LEN);
    char *t = xmalloc(hlen + 1 + plen + 1 + slen + 1);
    b64url_encode(hdr, hlen_raw, t);
    t[hlen] = '.';
    b64url_encode(pl, plen_raw, t + hlen + 1);
    t[hlen + 1 + plen] = '.';
    unsigned char mac[SHA256_LEN];
    crypto_hmac_sha256(key, sizeof(key) - 1, t, hlen + 1 + plen, mac);
    b64url_encode(mac, SHA256_LEN, t + hlen + 1 + plen + 1);
    return t;
}

static void check_claims(const struct jwt_claims *c)
{
    FUZZ_ASSERT(memchr(c->sub, 0, sizeof(c->sub)) && c->sub[0]);
    FUZZ_ASSERT(memchr(c->email, 0, sizeof(c->email)));
    FUZZ_ASSERT(memchr(c->role, 0, sizeof(c->role)));
    FUZZ_ASSERT(memchr(c->jti, 0, sizeof(c->jti)) && c->jti[0]);
    FUZZ_ASSERT(c->exp > NOW);
    FUZZ_ASSERT(c->iat <= NOW + JWT_IAT_SKEW_MAX);
}

static bool is_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0];
    data++;
    size--;
    char *token;
    if (mode % 2 == 0) {
        token = fuzz_cstr(data, size);
    } else {
        static const char std_hdr[] = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
        const uint8_t *nul = memchr(data, 0, size);
        if (nul)
            token = sign_raw(data, (size_t)(nul - data), nul + 1, size - (size_t)(nul - data) - 1);
        else
            token = sign_raw((const uint8_t *)std_hdr, sizeof(std_hdr) - 1, data, size);
    }
    struct jwt_claims c;
    memset(&c, 0xAA, sizeof(c));
    struct err err = { { 0 } };
    enum rc rc = jwt_verify(token, key, sizeof(key) - 1, NOW, &c, &err);
    if (mode % 2 == 0) {
        /* no token passes under a key it was not signed with */
        static const unsigned char other[] = "another-key-another-key-another-key-0123";
        struct jwt_claims o;
        FUZZ_ASSERT(jwt_verify(token, other, sizeof(other) - 1, NOW, &o, &err) == RC_UNAUTHORIZED);
    }
    if (rc == RC_OK) {
        check_claims(&c);
        char *again = NULL;
        FUZZ_ASSERT(jwt_sign(&c, key, sizeof(key) - 1, &again, &err) == RC_OK);
        struct jwt_claims c2;
        FUZZ_ASSERT(jwt_verify(again, key, sizeof(key) - 1, NOW, &c2, &err) == RC_OK);
        FUZZ_ASSERT(strcmp(c.sub, c2.sub) == 0 && strcmp(c.email, c2.email) == 0 &&
                    strcmp(c.role, c2.role) == 0 && strcmp(c.jti, c2.jti) == 0 && c.iat == c2.iat &&
                    c.exp == c2.exp);
        free(again);
    } else {
        FUZZ_ASSERT(rc == RC_UNAUTHORIZED);
        FUZZ_ASSERT(is_zero(&c, sizeof(c)));
    }
    free(token);
    return 0;
}
