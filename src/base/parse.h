/* parse.h — bounded number and flag parsing (no atoi/strtol surprises: the whole string must be
 * a number within [min, max]). */
#ifndef DA_BASE_PARSE_H
#define DA_BASE_PARSE_H

#include <stdbool.h>
#include <stdint.h>

/* Parses a decimal integer that fills all of s. False on junk, sign errors or out of range. */
bool parse_i64(const char *s, int64_t min, int64_t max, int64_t *out_v);

/* Parses true/false, yes/no, on/off, 1/0 (case-insensitive). */
bool parse_bool(const char *s, bool *out_v);

/* Parses a size exactly: bytes ("1000") or a number with a unit, case-insensitive, an optional
 * space between ("1.5 GB"): B or bytes; KB, MB, GB, TB (powers of 1000); KiB, MiB, GiB, TiB
 * or the single letters K, M, G, T (powers of 1024, as df prints them). A fraction counts to
 * nine digits. False for junk, a sign, an exponent or more than INT64_MAX bytes; 0 is a size. */
bool parse_size(const char *s, int64_t *out_v);

#endif
