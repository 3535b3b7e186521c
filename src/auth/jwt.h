/* jwt.h — session tokens as HS256 JSON Web Tokens (RFC 7519). da signs and verifies its own
 * tokens only, so verification is strict: one header shape, one algorithm, a fixed claim set,
 * and every failure is the same RC_UNAUTHORIZED. */
#ifndef DA_AUTH_JWT_H
#define DA_AUTH_JWT_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/rc.h"

#define JWT_MAX_LEN      8192 /* characters of a token accepted by jwt_verify */
#define JWT_IAT_SKEW_MAX 60   /* seconds an iat may lie in the future */

/* The claims of a da session token. Strings are NUL-terminated and must fit their arrays. */
struct jwt_claims {
    char sub[65]; /* user id */
    char email[255];
    char role[16];
    int64_t iat;  /* issued at, seconds since the epoch */
    int64_t exp;  /* expires at, seconds since the epoch */
    char jti[65]; /* session id: the sessions table row that logout and revocation remove */
};

/* Signs c with key (at least DA_JWT_SECRET_MIN bytes) into a compact token
 * "header.payload.signature" with the header {"alg":"HS256","typ":"JWT"}. RC_INVALID for a
 * short key, an unterminated or non-UTF-8 claim, or an empty sub or jti. *out_token is NULL
 * on failure; the caller frees it with free(). */
enum rc jwt_sign(const struct jwt_claims *c, const unsigned char *key, size_t key_len,
                 char **out_token, struct err *err) WARN_UNUSED;

/* Verifies token (borrowed) with key at time now (seconds since the epoch) and fills *out.
 * RC_UNAUTHORIZED for every failure, with a short reason in err for the log (never for the
 * client): over JWT_MAX_LEN, not three base64url parts, bad signature, a header other than
 * alg HS256 with an optional typ JWT, a payload that is not exactly the claim set of
 * struct jwt_claims with the right types and sizes, duplicate keys, exp <= now, or iat more
 * than JWT_IAT_SKEW_MAX seconds after now. *out is zeroed on failure. */
enum rc jwt_verify(const char *token, const unsigned char *key, size_t key_len, int64_t now,
                   struct jwt_claims *out, struct err *err) WARN_UNUSED;

/* Decodes one base64url part of a JWS and parses it as a JSON object, duplicate keys
 * refused. NULL when it is not one; otherwise the caller releases it with json_decref(). Shared
 * with the ID token verification of oidc.c. */
json_t *jwt_load_part(const char *text, size_t len);

#endif
