/* password.h — password hashing with argon2id (libargon2). Hashes are stored as PHC strings
 * ("$argon2id$v=19$m=65536,t=3,p=4$salt$hash"), so the parameters travel with each hash and a
 * hash made by any other argon2id implementation verifies here. */
#ifndef DA_AUTH_PASSWORD_H
#define DA_AUTH_PASSWORD_H

#include "base/compat.h"
#include "base/rc.h"

#define PASSWORD_MIN_LEN 12   /* characters (UTF-8 code points) */
#define PASSWORD_MAX_LEN 1024 /* bytes */

/* The parameters of new hashes: argon2id, 3 passes over 64 MiB with 4 lanes. */
#define PASSWORD_T_COST   3
#define PASSWORD_M_COST   65536 /* KiB */
#define PASSWORD_P_COST   4
#define PASSWORD_SALT_LEN 16 /* bytes */
#define PASSWORD_HASH_LEN 32 /* bytes */

/* The most a stored hash may ask for; a PHC string above these is refused unverified, so a
 * tampered or imported hash cannot make one login spend gigabytes or minutes. */
#define PASSWORD_M_COST_MAX (1024 * 1024) /* KiB: 1 GiB */
#define PASSWORD_T_COST_MAX 10
#define PASSWORD_P_COST_MAX 16
#define PASSWORD_PHC_MAX    512 /* characters of a PHC string */

/* Checks the password rules for a new password: at least PASSWORD_MIN_LEN characters and at
 * most PASSWORD_MAX_LEN bytes. RC_INVALID with a message fit for the user otherwise. */
enum rc password_check_policy(const char *pw, struct err *err) WARN_UNUSED;

/* Hashes pw with a fresh 16-byte random salt into a PHC string. Does not apply the policy
 * (call password_check_policy() first); refuses only an empty password or one over
 * PASSWORD_MAX_LEN bytes (RC_INVALID). *out_phc is NULL on failure; the caller frees it with
 * free(). Takes ~0.1-0.5 s and 64 MiB of memory. */
enum rc password_hash(const char *pw, char **out_phc, struct err *err) WARN_UNUSED;

/* Checks pw against a stored PHC string. RC_OK on a match, RC_UNAUTHORIZED when the password
 * is wrong (or empty or over PASSWORD_MAX_LEN bytes), RC_INVALID when phc is not an argon2id
 * v=19 PHC string within the PASSWORD_*_MAX limits (argon2i and argon2d are refused),
 * RC_NOMEM when libargon2 cannot get its memory. Both strings are borrowed. */
enum rc password_verify(const char *phc, const char *pw, struct err *err) WARN_UNUSED;

/* Spends the work of a real password_verify() and throws the result away, so a login for an
 * unknown user takes as long as one with a wrong password. The first call also makes the
 * fixed hash it verifies against (once per process; thread-safe). pw may be NULL. */
void password_verify_dummy(const char *pw);

#endif
