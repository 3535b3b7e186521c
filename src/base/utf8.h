/* utf8.h — the one UTF-8 decoder. Well-formed means RFC 3629: no overlong forms, no
 * surrogates (U+D800-DFFF), nothing past U+10FFFF, no truncated sequence. Byte-counting
 * helpers take a length, so text need not be NUL-terminated; nothing here allocates. */
#ifndef DA_BASE_UTF8_H
#define DA_BASE_UTF8_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UTF8_SEQ_MAX 4 /* bytes in the longest sequence */

/* Decodes the sequence at s (n bytes available): returns its length (1-4) and sets *cp, or
 * returns 0 when n is 0 or s does not start a well-formed sequence. */
size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp);

/* Writes the UTF-8 form of the code point c (at most U+10FFFF) into out; returns its length. */
size_t utf8_encode(uint32_t c, char out[UTF8_SEQ_MAX]);

/* True when s[0..len) is well-formed UTF-8. */
bool utf8_valid(const char *s, size_t len);

/* Code points in s[0..len), counted as the bytes that are not continuation bytes (10xxxxxx):
 * exact for well-formed text, and a stray byte counts as one in other text. */
size_t utf8_length(const char *s, size_t len);

/* The longest prefix of s[0..len) of at most max bytes that is whole well-formed sequences:
 * where to cut text so that it stays valid. Stops early at the first malformed sequence. */
size_t utf8_prefix(const char *s, size_t len, size_t max);

/* Terminal columns of one printable code point: 0 for combining marks and zero-width
 * characters, 2 for East Asian wide and full-width ones and emoji, else 1 (the common ranges
 * of Unicode's East Asian Width, which is what terminals follow). */
int utf8_cp_width(uint32_t c);

#endif
