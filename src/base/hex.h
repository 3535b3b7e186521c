/* hex.h — the one hexadecimal encoder and decoder: byte strings as lowercase hex (keys, hashes,
 * random ids), single upper-case escapes (percent-encoding, quoted-printable) and the four-digit
 * value of a JSON \uXXXX escape. No allocation: callers pass the output space. */
#ifndef DA_BASE_HEX_H
#define DA_BASE_HEX_H

#include <stdbool.h>
#include <stddef.h>

/* The value 0-15 of the hex digit c in either case; -1 for anything else (NUL included). */
int hex_value(int c);

/* Writes the hex form of len bytes of data into out (2*len+1 bytes, lowercase, NUL-ended). */
void hex_encode(const unsigned char *data, size_t len, char *out);

/* Writes the two upper-case hex digits of c into out[0] and out[1] (no NUL): the form RFC 3986
 * percent-encoding and quoted-printable use. */
void hex_byte_upper(unsigned char c, char out[2]);

/* Decodes the 2*len hex characters at in into len bytes at out. With lower_only, upper-case
 * digits are refused too. False at the first character that does not fit (out is then partly
 * written); in need not be NUL-terminated. */
bool hex_decode(const char *in, size_t len, unsigned char *out, bool lower_only);

/* The value of the four hex digits at p (either case), or -1 when one is not a hex digit.
 * Reads no further than the first non-digit, so a NUL-terminated p is safe. */
long hex_u16(const char *p);

#endif
