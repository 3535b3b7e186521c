/* sigv4.c — AWS Signature Version 4 (see sigv4.h): canonical request, string to sign, the key
 * derived from the secret by date, region and service, and the signature over it. */
#include "net/sigv4.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "base/mem.h"
#include "base/sha256.h"

static bool unreserved(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~';
}

char *sigv4_uri_encode(const char *s, bool keep_slash)
{
    size_t n = strlen(s);
    static const char hexd[] = "0123456789ABCDEF";
    char *out = xmalloc(n * 3 + 1), *o = out;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (unreserved(*p) || (keep_slash && *p == '/')) {
            *o++ = (char)*p;
        } else {
            *o++ = '%';
            *o++ = hexd[*p >> 4];
            *o++ = hexd[*p & 15];
        }
    }
    *o = '\0';
    return out;
}

bool s3_bucket_valid(const char *b)
{
    size_t n = b ? strlen(b) : 0;
    if (n < 3 || n > 63 || strstr(b, ".."))
        return false;
    int dots = 0;
    bool digits_dots = true;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
        if (!alnum && c != '.' && c != '-')
            return false;
        if ((i == 0 || i == n - 1) && !alnum)
            return false;
        dots += c == '.';
        if (!(c == '.' || (c >= '0' && c <= '9')))
            digits_dots = false;
    }
    return !(digits_dots && dots == 3); /* "192.168.5.4" */
}

bool s3_region_valid(const char *r)
{
    size_t n = r ? strlen(r) : 0;
    if (n < 1 || n > 32)
        return false;
    for (size_t i = 0; i < n; i++)
        if (!((r[i] >= 'a' && r[i] <= 'z') || (r[i] >= '0' && r[i] <= '9') || r[i] == '-'))
            return false;
    return true;
}

static char *join_headers(const struct sigv4_request *r, bool values)
{
    size_t len = 1;
    for (size_t i = 0; i < r->n_headers; i++)
        len += strlen(r->headers[i].name) + strlen(r->headers[i].value) + 3;
    char *out = xmalloc(len);
    size_t used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < r->n_headers; i++) {
        int k = values ? snprintf(out + used, len - used, "%s:%s\n", r->headers[i].name,
                                  r->headers[i].value)
                       : snprintf(out + used, len - used, "%s%s", i ? ";" : "", r->headers[i].name);
        used += k > 0 ? (size_t)k : 0;
    }
    return out;
}

/* out may be key: the MAC goes through a copy */
static void hmac_str(const unsigned char *key, size_t key_len, const char *s,
                     unsigned char out[SHA256_LEN])
{
    unsigned char tmp[SHA256_LEN];
    hmac_sha256(key, key_len, s, strlen(s), tmp);
    memcpy(out, tmp, SHA256_LEN);
    mem_wipe(tmp, sizeof(tmp));
}

char *sigv4_authorization(const struct sigv4_request *r)
{
    char date[9];
    snprintf(date, sizeof(date), "%.8s", r->amz_date);
    char *canon_headers = join_headers(r, true);
    char *signed_headers = join_headers(r, false);
    char *canonical = xasprintf("%s\n%s\n%s\n%s\n%s\n%s", r->method, r->path, r->query,
                                canon_headers, signed_headers, r->payload_hash);
    char canon_hash[SHA256_HEX_LEN + 1];
    sha256_hex(canonical, strlen(canonical), canon_hash);
    char *scope = xasprintf("%s/%s/%s/aws4_request", date, r->region, r->service);
    char *to_sign = xasprintf("AWS4-HMAC-SHA256\n%s\n%s\n%s", r->amz_date, scope, canon_hash);

    char *k_secret = xasprintf("AWS4%s", r->secret);
    unsigned char k[SHA256_LEN], sig[SHA256_LEN];
    hmac_str((const unsigned char *)k_secret, strlen(k_secret), date, k);
    hmac_str(k, SHA256_LEN, r->region, k);
    hmac_str(k, SHA256_LEN, r->service, k);
    hmac_str(k, SHA256_LEN, "aws4_request", k);
    hmac_str(k, SHA256_LEN, to_sign, sig);
    char sig_hex[SHA256_HEX_LEN + 1];
    hex_encode(sig, SHA256_LEN, sig_hex);
    char *out = xasprintf("AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=%s, Signature=%s",
                          r->access_key, scope, signed_headers, sig_hex);
    mem_wipe(k_secret, strlen(k_secret));
    mem_wipe(k, sizeof(k));
    mem_wipe(canon_headers, strlen(canon_headers)); /* holds the session token */
    mem_wipe(canonical, strlen(canonical));
    free(k_secret);
    free(canon_headers);
    free(canonical);
    free(signed_headers);
    free(scope);
    free(to_sign);
    return out;
}
