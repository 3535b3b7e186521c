/* password.c — the password rules, argon2id hashing and verification through libargon2, and
 * the dummy verification that keeps unknown users and wrong passwords equally slow. Stored PHC
 * strings are parsed strictly before libargon2 sees them, so only argon2id v=19 with bounded
 * cost reaches the hashing code. Called by the login, setup, bootstrap and user handlers. */
#include "auth/password.h"

#include <argon2.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/rand.h"
#include "base/utf8.h"

enum rc password_check_policy(const char *pw, struct err *err)
{
    if (!pw || !*pw)
        return err_set(err, RC_INVALID, "password is required");
    size_t len = strnlen(pw, PASSWORD_MAX_LEN + 1);
    if (len > PASSWORD_MAX_LEN)
        return err_set(err, RC_INVALID, "password must be at most %d bytes", PASSWORD_MAX_LEN);
    if (utf8_length(pw, len) < PASSWORD_MIN_LEN) /* characters, not bytes */
        return err_set(err, RC_INVALID, "password must be at least %d characters",
                       PASSWORD_MIN_LEN);
    return RC_OK;
}

enum rc password_hash(const char *pw, char **out_phc, struct err *err)
{
    unsigned char salt[PASSWORD_SALT_LEN];
    char *phc = NULL;
    enum rc rc = RC_OK;
    size_t len = pw ? strnlen(pw, PASSWORD_MAX_LEN + 1) : 0;
    if (len == 0 || len > PASSWORD_MAX_LEN) {
        rc = err_set(err, RC_INVALID, "password must be 1 to %d bytes", PASSWORD_MAX_LEN);
        goto out;
    }
    rc = rand_bytes(salt, sizeof(salt), err);
    if (rc)
        goto out;
    size_t phc_len = 1 + argon2_encodedlen(PASSWORD_T_COST, PASSWORD_M_COST, PASSWORD_P_COST,
                                           PASSWORD_SALT_LEN, PASSWORD_HASH_LEN, Argon2_id);
    phc = xmalloc(phc_len);
    int ar = argon2id_hash_encoded(PASSWORD_T_COST, PASSWORD_M_COST, PASSWORD_P_COST, pw, len, salt,
                                   sizeof(salt), PASSWORD_HASH_LEN, phc, phc_len);
    if (ar != ARGON2_OK)
        rc = err_set(err, ar == ARGON2_MEMORY_ALLOCATION_ERROR ? RC_NOMEM : RC_INTERNAL,
                     "argon2id: %s", argon2_error_message(ar));
out:
    mem_wipe(salt, sizeof(salt));
    if (rc) {
        free(phc);
        phc = NULL;
    }
    *out_phc = phc;
    return rc;
}

/* Reads an unsigned decimal of 1 to 10 digits without a leading zero at *p and advances *p. */
static bool read_number(const char **p, uint64_t *out_v)
{
    const char *s = *p;
    uint64_t v = 0;
    size_t n = 0;
    while (n <= 10 && s[n] >= '0' && s[n] <= '9') {
        v = v * 10 + (uint64_t)(s[n] - '0');
        n++;
    }
    if (n == 0 || n > 10 || (n > 1 && s[0] == '0'))
        return false;
    *out_v = v;
    *p = s + n;
    return true;
}

static bool skip_literal(const char **p, const char *lit)
{
    size_t n = strlen(lit);
    if (strncmp(*p, lit, n) != 0)
        return false;
    *p += n;
    return true;
}

/* Skips a run of at least one standard base64 character (PHC strings use no padding). */
static bool skip_b64(const char **p)
{
    const char *s = *p;
    while ((*s >= 'A' && *s <= 'Z') || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
           *s == '+' || *s == '/')
        s++;
    if (s == *p)
        return false;
    *p = s;
    return true;
}

/* Accepts exactly "$argon2id$v=19$m=<m>,t=<t>,p=<p>$<salt>$<hash>" with cost within the
 * PASSWORD_*_MAX limits. libargon2 checks the lower bounds and the salt and hash lengths. */
static enum rc check_phc(const char *phc, struct err *err)
{
    if (!phc || strnlen(phc, PASSWORD_PHC_MAX + 1) > PASSWORD_PHC_MAX)
        return err_set(err, RC_INVALID, "stored password hash is missing or too long");
    const char *p = phc;
    uint64_t m = 0, t = 0, par = 0;
    if (!skip_literal(&p, "$argon2id$"))
        return err_set(err, RC_INVALID, "stored password hash is not argon2id");
    if (!skip_literal(&p, "v=19$"))
        return err_set(err, RC_INVALID, "stored password hash is not argon2 version 19");
    if (!skip_literal(&p, "m=") || !read_number(&p, &m) || !skip_literal(&p, ",t=") ||
        !read_number(&p, &t) || !skip_literal(&p, ",p=") || !read_number(&p, &par) ||
        !skip_literal(&p, "$") || !skip_b64(&p) || !skip_literal(&p, "$") || !skip_b64(&p) ||
        *p != '\0')
        return err_set(err, RC_INVALID, "stored password hash is not a PHC string");
    if (m > PASSWORD_M_COST_MAX || t > PASSWORD_T_COST_MAX || par > PASSWORD_P_COST_MAX)
        return err_set(err, RC_INVALID,
                       "stored password hash asks for too much work (m=%llu t=%llu p=%llu)",
                       (unsigned long long)m, (unsigned long long)t, (unsigned long long)par);
    return RC_OK;
}

enum rc password_verify(const char *phc, const char *pw, struct err *err)
{
    enum rc rc = check_phc(phc, err);
    if (rc)
        return rc;
    size_t len = pw ? strnlen(pw, PASSWORD_MAX_LEN + 1) : 0;
    bool usable = len > 0 && len <= PASSWORD_MAX_LEN;
    /* an empty or over-long password still costs a full verification, so its answer takes
     * as long as for an unknown user (which gets password_verify_dummy) */
    int ar = argon2id_verify(phc, usable ? pw : "", usable ? len : 0);
    if (ar == ARGON2_OK && usable)
        return RC_OK;
    if (ar == ARGON2_OK || ar == ARGON2_VERIFY_MISMATCH)
        return err_set(err, RC_UNAUTHORIZED, "password does not match");
    if (ar == ARGON2_MEMORY_ALLOCATION_ERROR)
        return err_set(err, RC_NOMEM, "argon2id: %s", argon2_error_message(ar));
    if (ar == ARGON2_THREAD_FAIL)
        return err_set(err, RC_INTERNAL, "argon2id: %s", argon2_error_message(ar));
    /* salt or hash too short, memory below 8 * p, zero passes, undecodable base64 */
    return err_set(err, RC_INVALID, "stored password hash is unusable: %s",
                   argon2_error_message(ar));
}

static pthread_once_t dummy_once = PTHREAD_ONCE_INIT;
static char *dummy_phc; /* made once, never freed: lives as long as the process */

static void dummy_make(void)
{
    char pw[65];
    struct err err;
    /* a password nobody knows, so the dummy can never succeed by accident; on failure
     * dummy_phc stays NULL and password_verify_dummy hashes instead */
    if (rand_hex(pw, 32, &err) == RC_OK && password_hash(pw, &dummy_phc, &err) != RC_OK)
        dummy_phc = NULL;
    mem_wipe(pw, sizeof(pw));
}

void password_verify_dummy(const char *pw)
{
    size_t len = pw ? strnlen(pw, PASSWORD_MAX_LEN + 1) : 0;
    if (len > PASSWORD_MAX_LEN)
        len = 0;
    if (!pw)
        pw = "";
    pthread_once(&dummy_once, dummy_make);
    if (dummy_phc) {
        /* the answer is meaningless: only the time spent matters */
        (void)argon2id_verify(dummy_phc, len ? pw : "", len);
        return;
    }
    static const unsigned char salt[PASSWORD_SALT_LEN] = "da-dummy-salt-0";
    unsigned char out[PASSWORD_HASH_LEN];
    (void)argon2id_hash_raw(PASSWORD_T_COST, PASSWORD_M_COST, PASSWORD_P_COST, pw, len, salt,
                            sizeof(salt), out, sizeof(out));
    mem_wipe(out, sizeof(out));
}
