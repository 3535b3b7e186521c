/* device.h — browser sign-in for a program on another device (the CLI), as an OAuth 2.0
 * Device Authorization Grant (RFC 8628), the rules of it: the grant a program asks for (a
 * secret device code and a short user code), where a grant stands when the program polls,
 * a signed-in person's approval or denial, and spending an approved grant, once, for a
 * personal access token of the approver. The protocol's answers are the surface's. */
#ifndef DA_CORE_DEVICE_H
#define DA_CORE_DEVICE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/rand.h"
#include "core/core.h"
#include "core/principal.h"
#include "store/device_repo.h"

#define DEVICE_LIFETIME_S 600 /* RFC 8628 leaves it to us; long enough to find a browser */
#define DEVICE_INTERVAL_S 5   /* the RFC's default polling interval */
#define DEVICE_PAT_DAYS   90  /* the lifetime of the token an approved grant becomes */

/* Writes code ("ABCDEFGH") as people see it, "ABCD-EFGH". */
void core_device_display_code(const char *code, char out[DEVICE_USER_CODE_LEN + 2]);

/* RC_BADVALUE unless client_name is 1 to DEVICE_CLIENT_NAME_MAX bytes without control
 * characters. Changes nothing, so a surface can check before it spends a rate-limit token. */
enum rc core_device_client_check(const char *client_name, struct err *err) WARN_UNUSED;

/* A new pending grant for client_name, asked for from `from`: *out_device_code (the secret
 * the program polls with; freed with opaque_token_free) and out_user_code (what the person
 * types, stored form). RC_BADVALUE for a bad client name; RC_TOOBIG when too many grants are
 * pending. */
enum rc core_device_grant_new(struct core *core, const char *from, const char *client_name,
                              char **out_device_code, char out_user_code[DEVICE_USER_CODE_LEN + 1],
                              struct err *err) WARN_UNUSED;

/* Records a poll with device_code and says where its grant stands (DEVICE_POLL_UNKNOWN for a
 * code that is not one); *out gets the grant otherwise. A poll sooner than the interval is
 * DEVICE_POLL_SLOW_DOWN and grows the interval. */
enum rc core_device_poll(struct core *core, const char *device_code, enum device_poll *out_state,
                         struct device_grant *out, struct err *err) WARN_UNUSED;

/* The pending grant of a user code as a person typed it ("abcd-efgh" will do). RC_NOTFOUND
 * for a code that is not one, unknown, expired or decided. */
enum rc core_device_pending(struct core *core, const char *typed, struct device_grant *out,
                            struct err *err) WARN_UNUSED;

/* RC_FORBIDDEN when actor holds a personal access token: a token must not mint tokens, so
 * approving needs a signed-in person. */
enum rc core_device_may_decide(const struct principal *actor, struct err *err) WARN_UNUSED;

/* actor approves or denies the pending grant of the user code typed ("device.approve" or
 * "device.deny" audit, naming the client and its address). *out gets the grant as it was.
 * RC_FORBIDDEN as core_device_may_decide; RC_BADVALUE for a code that cannot be one;
 * RC_NOTFOUND (with a failed audit record) for an unknown, expired or decided one. */
enum rc core_device_decide(struct core *core, const char *from, const struct principal *actor,
                           const char *typed, bool approve, struct device_grant *out,
                           struct err *err) WARN_UNUSED;

/* Spends the approved grant of device_code (as polled into g) for a new personal access token
 * of the approving user, valid DEVICE_PAT_DAYS ("token.create" audit by that user, detail the
 * client name). out_user gets the user, out_id the token's id, *out_token the token (freed
 * with opaque_token_free), *out_expires its expiry. RC_FORBIDDEN when the approving account
 * is gone or not active; RC_CONFLICT when the grant was spent already. */
enum rc core_device_redeem(struct core *core, const char *from, const char *device_code,
                           const struct device_grant *g, struct user *out_user,
                           char out_id[RAND_ID_LEN + 1], char **out_token, int64_t *out_expires,
                           struct err *err) WARN_UNUSED;

#endif
