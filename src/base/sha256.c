/* sha256.c — SHA-256 of buffers and files through OpenSSL libcrypto. */
#include "base/sha256.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/hex.h"
#include "base/mem.h"

void sha256(const void *data, size_t len, unsigned char out[SHA256_LEN])
{
    unsigned int n = 0;
    if (EVP_Digest(data, len, out, &n, EVP_sha256(), NULL) != 1 || n != SHA256_LEN) {
        fprintf(stderr, "da: SHA-256 failed in libcrypto\n");
        abort(); /* cannot happen with a working libcrypto; never hash wrongly */
    }
}

void hmac_sha256(const void *key, size_t key_len, const void *data, size_t len,
                 unsigned char out[SHA256_LEN])
{
    unsigned int n = 0;
    if (!HMAC(EVP_sha256(), key, (int)key_len, data, len, out, &n) || n != SHA256_LEN) {
        fprintf(stderr, "da: HMAC-SHA256 failed in libcrypto\n");
        abort(); /* as sha256: never sign wrongly */
    }
}

void sha256_hex(const void *data, size_t len, char out[SHA256_HEX_LEN + 1])
{
    unsigned char digest[SHA256_LEN];
    sha256(data, len, digest);
    hex_encode(digest, SHA256_LEN, out);
}

enum rc sha256_fd_hex(int fd, char out[SHA256_HEX_LEN + 1], struct err *err)
{
    return sha256_fd_hex_until(fd, NULL, NULL, out, err);
}

enum rc sha256_fd_hex_until(int fd, bool (*stop)(void *arg), void *arg,
                            char out[SHA256_HEX_LEN + 1], struct err *err)
{
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    unsigned char digest[SHA256_LEN];
    unsigned int n = 0;
    enum rc rc = RC_OK;
    if (!ctx || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1) {
        rc = err_set(err, RC_INTERNAL, "cannot start SHA-256");
        goto out;
    }
    char *chunk = xmalloc(1 << 20);
    for (;;) {
        if (stop && stop(arg)) {
            rc = err_set(err, RC_CONFLICT, "stopped");
            break;
        }
        ssize_t got = read(fd, chunk, 1 << 20);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            rc = err_set(err, RC_IO, "cannot read: %s", strerror(errno));
            break;
        }
        if (got == 0)
            break;
        if (EVP_DigestUpdate(ctx, chunk, (size_t)got) != 1) {
            rc = err_set(err, RC_INTERNAL, "SHA-256 failed");
            break;
        }
    }
    free(chunk);
    if (!rc && (EVP_DigestFinal_ex(ctx, digest, &n) != 1 || n != SHA256_LEN))
        rc = err_set(err, RC_INTERNAL, "SHA-256 failed");
    if (!rc)
        hex_encode(digest, SHA256_LEN, out);
out:
    EVP_MD_CTX_free(ctx);
    return rc;
}
