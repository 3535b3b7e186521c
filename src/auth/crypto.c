/* crypto.c — SHA-256, HMAC-SHA256 and constant-time comparison through OpenSSL libcrypto. */
#include "auth/crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>

#include "base/rand.h"

void crypto_sha256(const void *data, size_t len, unsigned char out[SHA256_LEN])
{
    unsigned int n = 0;
    if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != SHA256_LEN) {
        fprintf(stderr, "da: SHA-256 failed in libcrypto\n");
        abort(); /* cannot happen with a working libcrypto; never hash wrongly */
    }
}

void crypto_sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1])
{
    unsigned char digest[SHA256_LEN];
    crypto_sha256(data, len, digest);
    hex_encode(digest, SHA256_LEN, out);
}

void crypto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                        unsigned char out[SHA256_LEN])
{
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &n) || n != SHA256_LEN) {
        fprintf(stderr, "da: HMAC-SHA256 failed in libcrypto\n");
        abort();
    }
}

bool crypto_equal(const void *a, const void *b, size_t len)
{
    return CRYPTO_memcmp(a, b, len) == 0;
}
