/* crypto.h — the keyed primitives of authentication through OpenSSL: HMAC-SHA256 and
 * constant-time comparison. Plain SHA-256 is base/sha256.h. Only this module and the modules
 * that verify signatures (jwt.c, oidc.c) include OpenSSL headers. */
#ifndef DA_AUTH_CRYPTO_H
#define DA_AUTH_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

#include "base/sha256.h"

void crypto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                        unsigned char out[SHA256_LEN]);

/* True when a and b (len bytes each) are equal, in time independent of where they differ. */
bool crypto_equal(const void *a, const void *b, size_t len);

#endif
