/* device_repo.h — the repository of browser sign-in grants for the CLI (RFC 8628 device
 * authorization): a pending grant waits for a signed-in user to approve or deny its user
 * code, the CLI polls it with its device code (stored only as a hash), and an approved grant
 * is spent exactly once for a new personal access token. Kept in the state store, so a
 * server restart does not lose a sign-in in progress. core/device.c is the only caller (and
 * core/tokens.c of pats_get_by_hash). */
#ifndef DA_STORE_DEVICE_REPO_H
#define DA_STORE_DEVICE_REPO_H

#include <stdbool.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/isotime.h"
#include "base/rc.h"
#include "base/sha256.h"
#include "store/identity_repo.h"

#define DEVICE_USER_CODE_LEN   8   /* characters, stored without the dash */
#define DEVICE_CLIENT_NAME_MAX 128 /* bytes; also the name of the token it becomes */

struct device_grant {
    char user_code[DEVICE_USER_CODE_LEN + 1];
    char client_name[DEVICE_CLIENT_NAME_MAX + 1];
    char client_ip[64];
    char created_at[ISOTIME_SIZE];
    int64_t expires_at;            /* seconds since the epoch */
    int interval_s;                /* the polling interval the client must keep */
    char status[16];               /* pending, approved, denied or used */
    char user_id[USER_ID_LEN + 1]; /* who decided; "" while pending */
};

/* Records a new pending grant. In the same transaction, grants that expired more than an
 * hour ago are deleted, and RC_TOOBIG is returned when max_pending unexpired pending grants
 * exist already. RC_CONFLICT when the user code is taken (the caller makes another). */
enum rc device_grants_create(struct store *s, const char *device_hash, const char *user_code,
                             const char *client_name, const char *client_ip, int64_t now,
                             int64_t expires_at, int interval_s, int max_pending,
                             struct err *err) WARN_UNUSED;

/* The pending, unexpired grant with this user code. RC_NOTFOUND otherwise (unknown, expired
 * or decided: to the person at the browser these are all "not valid any more"). */
enum rc device_grants_pending(struct store *s, const char *user_code, int64_t now,
                              struct device_grant *out, struct err *err) WARN_UNUSED;

/* Approves (for user_id) or denies the pending, unexpired grant with this user code, with
 * its audit record in the same transaction; *out (may be NULL) gets the grant as it was.
 * RC_NOTFOUND when there is no such grant. */
enum rc device_grants_decide(struct store *s, const char *user_code, const char *user_id,
                             bool approve, int64_t now, const struct audit_entry *audit,
                             struct device_grant *out, struct err *err) WARN_UNUSED;

enum device_poll {
    DEVICE_POLL_UNKNOWN = 0, /* no grant has this device code */
    DEVICE_POLL_PENDING,     /* nobody decided yet */
    DEVICE_POLL_SLOW_DOWN,   /* polled sooner than the interval; the interval grew */
    DEVICE_POLL_EXPIRED,
    DEVICE_POLL_DENIED,
    DEVICE_POLL_APPROVED, /* ready to be redeemed once */
    DEVICE_POLL_USED,     /* redeemed already */
};

/* Records a poll of the grant with this device hash at now_ms (milliseconds since the epoch)
 * and says where it stands. A poll sooner than the interval (less slack_ms) answers
 * DEVICE_POLL_SLOW_DOWN and grows the interval by slow_down_s, up to max_interval_s. *out
 * gets the grant unless the answer is DEVICE_POLL_UNKNOWN. */
enum rc device_grants_poll(struct store *s, const char *device_hash, int64_t now_ms, int slack_ms,
                           int slow_down_s, int max_interval_s, enum device_poll *out_state,
                           struct device_grant *out, struct err *err) WARN_UNUSED;

/* Spends the approved, unexpired grant with this device hash and, in the same transaction,
 * creates the personal access token it pays for: id pat_id, hash pat_hash, owned by the
 * approving user, named after the grant's client, expiring at pat_expires; audit is written
 * with it. RC_CONFLICT when the grant is not (or no longer) approved and unexpired, so two
 * concurrent polls cannot both get a token. */
enum rc device_grants_redeem(struct store *s, const char *device_hash, int64_t now,
                             const char *pat_id, const char *pat_hash, int64_t pat_expires,
                             const struct audit_entry *audit, struct err *err) WARN_UNUSED;

/* The personal access token with this hash, revoked or not (GET /api/tokens/current tells a
 * client which of its owner's tokens it holds). RC_NOTFOUND when there is none. */
enum rc pats_get_by_hash(struct store *s, const char *token_hash, struct pat_info *out,
                         struct err *err) WARN_UNUSED;

#endif
