/* crypto.h — the few OpenSSL primitives da needs, behind plain C types: SHA-256, HMAC-SHA256
 * and constant-time comparison. Only this module and the modules that verify signatures
 * (jwt.c, oidc.c) include OpenSSL headers. */
#ifndef DA_AUTH_CRYPTO_H
#define DA_AUTH_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

#include "base/compat.h"
#include "base/rc.h"

#define SHA256_LEN     32
#define SHA256_HEX_LEN 64

void crypto_sha256(const void *data, size_t len, unsigned char out[SHA256_LEN]);

/* SHA-256 of data as 64 lowercase hex characters plus NUL. */
void crypto_sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);

/* The SHA-256 of everything read from fd (from its current offset to the end), as lowercase
 * hex. RC_IO when a read fails. */
enum rc crypto_sha256_fd_hex(int fd, char out[SHA256_HEX_LEN + 1], struct err *err) WARN_UNUSED;

/* As crypto_sha256_fd_hex, but asks stop(arg) between reads of 1 MiB and gives up with
 * RC_CONFLICT ("stopped") when it says true, so a large file does not hold up a shutdown. */
enum rc crypto_sha256_fd_hex_until(int fd, bool (*stop)(void *arg), void *arg,
                                   char out[SHA256_HEX_LEN + 1], struct err *err) WARN_UNUSED;

void crypto_hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                        unsigned char out[SHA256_LEN]);

/* True when a and b (len bytes each) are equal, in time independent of where they differ. */
bool crypto_equal(const void *a, const void *b, size_t len);

#endif
