/* oidc.h — sign-in with an OpenID Connect provider (Google) by the authorization code flow with
 * PKCE (RFC 7636). oidc_begin makes the state, nonce and code verifier the server keeps between
 * the redirect and the callback, and the URL to send the browser to; oidc_finish trades the
 * code for an ID token at the token endpoint, fetches the provider's keys and verifies the
 * token. Every refusal is RC_UNAUTHORIZED with the precise reason in err for the log only. */
#ifndef DA_AUTH_OIDC_H
#define DA_AUTH_OIDC_H

#include <stdbool.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/rc.h"

/* Google's endpoints (https://accounts.google.com/.well-known/openid-configuration). */
#define OIDC_GOOGLE_ISSUER                 "https://accounts.google.com"
#define OIDC_GOOGLE_AUTHORIZATION_ENDPOINT "https://accounts.google.com/o/oauth2/v2/auth"
#define OIDC_GOOGLE_TOKEN_ENDPOINT         "https://oauth2.googleapis.com/token"
#define OIDC_GOOGLE_JWKS_URI               "https://www.googleapis.com/oauth2/v3/certs"

#define OIDC_ID_TOKEN_MAX 16384         /* characters of an ID token */
#define OIDC_RESPONSE_MAX (1024 * 1024) /* bytes of a token or JWKS response */
#define OIDC_CLOCK_SKEW   60            /* seconds of tolerance on exp, iat and nbf */
#define OIDC_RSA_BITS_MIN 2048          /* smaller provider keys are refused */
#define OIDC_CONNECT_MS   5000
#define OIDC_TIMEOUT_MS   15000
#define OIDC_RANDOM_LEN   43 /* base64url characters of 32 random bytes */

/* The relying party's registration and the provider's endpoints. All strings are borrowed and
 * must outlive the call they are passed to. */
struct oidc_provider {
    const char *client_id, *client_secret;
    const char *authorization_endpoint, *token_endpoint, *jwks_uri, *issuer;
    const char *redirect_uri;
};

/* What the server remembers between the redirect and the callback (for example in a short-lived
 * signed cookie or a table keyed by state). state, nonce and code_verifier are NUL-terminated
 * base64url strings of OIDC_RANDOM_LEN characters. */
struct oidc_request {
    char state[44];
    char nonce[44];
    char code_verifier[44];
    char *authorize_url; /* owned; released by oidc_request_cleanup */
};

/* Fills *out with fresh random state, nonce and code verifier and the full authorization URL:
 * authorization_endpoint plus response_type=code, client_id, redirect_uri, scope "openid email
 * profile", state, nonce, code_challenge (base64url SHA-256 of the verifier) and
 * code_challenge_method=S256, every value percent-encoded. RC_INVALID when a needed provider
 * field is missing; RC_IO when the kernel refuses randomness. *out is zeroed on failure; on
 * success the caller releases it with oidc_request_cleanup(). */
enum rc oidc_begin(const struct oidc_provider *p, struct oidc_request *out,
                   struct err *err) WARN_UNUSED;

/* Frees authorize_url and wipes the secrets. Safe on a zeroed or already cleaned request. */
void oidc_request_cleanup(struct oidc_request *r);

/* The verified identity. All strings are owned (release with oidc_identity_cleanup); name and
 * hd (the Google Workspace domain) are NULL when the token has none. email_verified is always
 * true after a successful verification. */
struct oidc_identity {
    char *sub, *email, *name, *hd;
    bool email_verified;
};

/* Redeems code at the token endpoint (a form POST with client_id, client_secret, redirect_uri and
 * code_verifier), fetches the JWKS from jwks_uri and verifies the returned ID token with
 * oidc_verify_id_token against expected_nonce at time now (seconds since the epoch). Both
 * requests use http or https only, follow no redirect, time out after OIDC_CONNECT_MS to connect
 * and OIDC_TIMEOUT_MS in all, and read at most OIDC_RESPONSE_MAX bytes. RC_UNAUTHORIZED when the
 * provider refuses the code (its "error" value is in err) or the token fails verification;
 * RC_IO when a provider cannot be reached or answers with something unreadable; RC_TOOBIG for an
 * oversized answer; RC_INVALID for missing arguments. *out is zeroed on failure; on success the
 * caller releases it with oidc_identity_cleanup(). Blocks for the duration of both requests. */
enum rc oidc_finish(const struct oidc_provider *p, const char *code, const char *code_verifier,
                    const char *expected_nonce, int64_t now, struct oidc_identity *out,
                    struct err *err) WARN_UNUSED;

/* Frees the strings and zeroes *id. Safe on a zeroed or already cleaned identity. */
void oidc_identity_cleanup(struct oidc_identity *id);

/* Verifies a compact JWS ID token (borrowed, at most OIDC_ID_TOKEN_MAX characters) against the
 * provider keys in jwks_json (borrowed, a JWK Set). The header alg must be exactly RS256 and its
 * kid must name an RSA key of at least OIDC_RSA_BITS_MIN bits in the set (use "sig" or absent);
 * the RSASSA-PKCS1-v1_5 SHA-256 signature must verify. Then: iss equals issuer (Google's bare
 * "accounts.google.com" is also accepted for OIDC_GOOGLE_ISSUER); aud is client_id or an array
 * holding it; azp, when present or when aud has several values, equals client_id;
 * exp > now - OIDC_CLOCK_SKEW; iat and nbf (if any) <= now + OIDC_CLOCK_SKEW; nonce equals
 * expected_nonce; sub and email are present; email_verified is true or "true". JSON with
 * duplicate keys is refused. RC_UNAUTHORIZED with the reason in err for every failure; *out is
 * zeroed on failure and owned by the caller (oidc_identity_cleanup) on success. */
enum rc oidc_verify_id_token(const char *id_token, const char *jwks_json, const char *issuer,
                             const char *client_id, const char *expected_nonce, int64_t now,
                             struct oidc_identity *out, struct err *err) WARN_UNUSED;

#endif
