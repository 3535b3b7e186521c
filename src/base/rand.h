/* rand.h — cryptographically strong randomness from the kernel (getrandom). */
#ifndef DA_BASE_RAND_H
#define DA_BASE_RAND_H

#include <stddef.h>

#include "base/compat.h"
#include "base/rc.h"

/* Fills out with len random bytes. RC_IO only if the kernel refuses. */
enum rc rand_bytes(void *out, size_t len, struct err *err) WARN_UNUSED;

/* Writes 2*nbytes lowercase hex characters of randomness plus a NUL into out
 * (which holds at least 2*nbytes+1 bytes). */
enum rc rand_hex(char *out, size_t nbytes, struct err *err) WARN_UNUSED;

#define RAND_ID_LEN 32 /* hex characters of rand_id() */

/* Writes a fresh random id, RAND_ID_LEN lowercase hex characters plus a NUL, into out. Aborts
 * when the kernel gives no randomness: an id that is not random could collide or be guessed. */
void rand_id(char out[RAND_ID_LEN + 1]);

#endif
