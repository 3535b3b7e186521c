/* b64.h — base64url without padding (RFC 4648 §5), the encoding of JWT parts, PKCE values and
 * the random tokens da hands out. */
#ifndef DA_BASE_B64_H
#define DA_BASE_B64_H

#include <stdbool.h>
#include <stddef.h>

/* The encoded length of len bytes (without NUL). */
size_t b64url_encoded_len(size_t len);

/* Encodes len bytes into out, which holds b64url_encoded_len(len) + 1 bytes; NUL-terminates. */
void b64url_encode(const unsigned char *data, size_t len, char *out);

/* Decodes len characters of base64url (padding '=' refused) into out, which holds at least
 * len * 3 / 4 bytes. False on any character outside the alphabet or an impossible length;
 * *out_len gets the decoded size. */
bool b64url_decode(const char *text, size_t len, unsigned char *out, size_t *out_len);

#endif
