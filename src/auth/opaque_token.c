/* opaque_token.c — making, hashing and checking the random bearer tokens that api/tokens.c,
 * api/auth.c and the admin command hand out. Tokens are secrets: they are wiped before they
 * are freed, and only their SHA-256 is ever stored. */
#include "auth/opaque_token.h"

#include <stdlib.h>
#include <string.h>

#include "base/b64.h"
#include "base/mem.h"
#include "base/rand.h"

enum rc opaque_token_new(const char *prefix, char **out_token, char out_hash[SHA256_HEX_LEN + 1],
                         struct err *err)
{
    unsigned char raw[OPAQUE_TOKEN_RANDOM];
    char *token = NULL;
    enum rc rc = RC_OK;
    size_t plen = prefix ? strnlen(prefix, OPAQUE_TOKEN_PREFIX_MAX + 1) : 0;
    out_hash[0] = '\0';
    if (!prefix || plen > OPAQUE_TOKEN_PREFIX_MAX) {
        rc = err_set(err, RC_INVALID, "token prefix missing or longer than %d characters",
                     OPAQUE_TOKEN_PREFIX_MAX);
        goto out;
    }
    rc = rand_bytes(raw, sizeof(raw), err);
    if (rc)
        goto out;
    token = xmalloc(plen + OPAQUE_TOKEN_CHARS + 1);
    memcpy(token, prefix, plen);
    b64url_encode(raw, sizeof(raw), token + plen);
    opaque_token_hash(token, out_hash);
out:
    mem_wipe(raw, sizeof(raw));
    *out_token = token;
    return rc;
}

void opaque_token_free(char *token)
{
    if (!token)
        return;
    mem_wipe(token, strlen(token));
    free(token);
}

void opaque_token_hash(const char *token, char out_hash[SHA256_HEX_LEN + 1])
{
    sha256_hex(token, strlen(token), out_hash);
}

bool opaque_token_has_prefix(const char *token, const char *prefix)
{
    return token && prefix && strncmp(token, prefix, strlen(prefix)) == 0;
}

bool opaque_token_well_formed(const char *token, const char *prefix)
{
    if (!opaque_token_has_prefix(token, prefix))
        return false;
    const char *body = token + strlen(prefix);
    if (strnlen(body, OPAQUE_TOKEN_CHARS + 1) != OPAQUE_TOKEN_CHARS)
        return false;
    /* decoding checks the alphabet and that the last character carries no stray bits */
    unsigned char raw[OPAQUE_TOKEN_CHARS * 3 / 4 + 1];
    size_t n = 0;
    bool ok = b64url_decode(body, OPAQUE_TOKEN_CHARS, raw, &n) && n == OPAQUE_TOKEN_RANDOM;
    mem_wipe(raw, sizeof(raw));
    return ok;
}
