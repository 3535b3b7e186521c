/* isotime.h — UTC timestamps in ISO-8601, the only time format da writes: the state store,
 * JSON answers and logs all use "YYYY-MM-DDTHH:MM:SSZ" (or with .mmm milliseconds for logs). */
#ifndef DA_BASE_ISOTIME_H
#define DA_BASE_ISOTIME_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define ISOTIME_SIZE 32

/* Writes the current UTC time with milliseconds, "2026-01-02T03:04:05.678Z", into out. */
void isotime_now(char out[ISOTIME_SIZE]);

/* Writes t as "2026-01-02T03:04:05Z" into out. */
void isotime_format(time_t t, char out[ISOTIME_SIZE]);

/* Parses "YYYY-MM-DDTHH:MM:SS" with optional fraction and an optional "Z" or "+00:00" (a space
 * may stand for the T). Other offsets are refused: da stores UTC only. */
bool isotime_parse(const char *s, time_t *out_t);

/* Wall-clock seconds since the epoch: what expiry times in the state store and in tokens
 * count in. */
int64_t clock_now_s(void);

/* Monotonic clock in microseconds, for durations. */
int64_t clock_mono_us(void);

/* The time us microseconds from now on clock (CLOCK_REALTIME or CLOCK_MONOTONIC), as the
 * absolute time that pthread_cond_timedwait takes; a negative us counts as 0. */
struct timespec clock_after_us(clockid_t clock, int64_t us);

#endif
