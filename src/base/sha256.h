/* sha256.h — SHA-256 through OpenSSL libcrypto, behind plain C types: of a buffer, of a file
 * descriptor's contents, raw or as lowercase hex. A primitive every layer may use (file hashes,
 * token hashes, the sync manifest); keyed MACs live in auth/crypto.h. */
#ifndef DA_BASE_SHA256_H
#define DA_BASE_SHA256_H

#include <stdbool.h>
#include <stddef.h>

#include "base/compat.h"
#include "base/rc.h"

#define SHA256_LEN     32
#define SHA256_HEX_LEN 64

void sha256(const void *data, size_t len, unsigned char out[SHA256_LEN]);

/* HMAC-SHA256 of data under key: the plain primitive request signing (net/sigv4.h) needs below
 * auth/. */
void hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                 unsigned char out[SHA256_LEN]);

/* SHA-256 of data as 64 lowercase hex characters plus NUL. */
void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1]);

/* The SHA-256 of everything read from fd (from its current offset to the end), as lowercase
 * hex. RC_IO when a read fails. */
enum rc sha256_fd_hex(int fd, char out[SHA256_HEX_LEN + 1], struct err *err) WARN_UNUSED;

/* As sha256_fd_hex, but asks stop(arg) between reads of 1 MiB and gives up with RC_CONFLICT
 * ("stopped") when it says true, so a large file does not hold up a shutdown. */
enum rc sha256_fd_hex_until(int fd, bool (*stop)(void *arg), void *arg,
                            char out[SHA256_HEX_LEN + 1], struct err *err) WARN_UNUSED;

#endif
