/* opaque_token.h — random bearer secrets: personal access tokens, password setup and reset
 * tokens, magic-link tokens and bootstrap codes. A token is a short prefix naming its kind
 * ("da_pat_") followed by 32 random bytes in base64url (43 characters). The database keeps
 * only the SHA-256 of the whole token, so a leaked table grants nothing. */
#ifndef DA_AUTH_OPAQUE_TOKEN_H
#define DA_AUTH_OPAQUE_TOKEN_H

#include <stdbool.h>

#include "base/compat.h"
#include "base/rc.h"
#include "base/sha256.h"

#define OPAQUE_TOKEN_RANDOM     32 /* random bytes in a token */
#define OPAQUE_TOKEN_CHARS      43 /* base64url characters they take */
#define OPAQUE_TOKEN_PREFIX_MAX 32 /* characters of a prefix */

/* Makes a new token prefix + base64url(32 random bytes) and the SHA-256 hex of the whole token
 * (what the database stores). RC_INVALID for a NULL prefix or one over OPAQUE_TOKEN_PREFIX_MAX
 * characters. *out_token is NULL on failure; the caller frees it with opaque_token_free(). */
enum rc opaque_token_new(const char *prefix, char **out_token, char out_hash[SHA256_HEX_LEN + 1],
                         struct err *err) WARN_UNUSED;

/* Wipes and frees a token from opaque_token_new(). Accepts NULL. */
void opaque_token_free(char *token);

/* The SHA-256 hex of token (borrowed), to look a presented token up in the database. */
void opaque_token_hash(const char *token, char out_hash[SHA256_HEX_LEN + 1]);

/* True when token starts with prefix (both may be NULL: false). Says which kind of token a
 * client presented; it does not say the token is well formed. */
bool opaque_token_has_prefix(const char *token, const char *prefix);

/* True when token is exactly prefix followed by OPAQUE_TOKEN_CHARS base64url characters that
 * decode to OPAQUE_TOKEN_RANDOM bytes, the only shape opaque_token_new() makes. Check this
 * before hashing a presented token, so garbage never reaches the database. */
bool opaque_token_well_formed(const char *token, const char *prefix);

#endif
