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

/* Parses a size: plain bytes ("1000") or a number with a unit, B, KB, MB, GB, TB (powers of
 * 1000) or KiB, MiB, GiB, TiB (powers of 1024), case-insensitive, an optional space between
 * ("1.5 GB"). False for junk, a negative size or one past 2^62. 0 is a size. */
bool parse_size(const char *s, int64_t *out_v);

#endif
