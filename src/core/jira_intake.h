/* jira_intake.h — accepting a Jira webhook: the signature over the raw body, the body's
 * shape, and one row in the durable queue (store/jira_repo.h). Nothing here calls Jira: the
 * queue is processed by `da extract jira`, which an accepted event asks the scheduler to run
 * (coalesced): an HTTP thread only checks, writes a row and wakes the scheduler. */
#ifndef DA_CORE_JIRA_INTAKE_H
#define DA_CORE_JIRA_INTAKE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/compat.h"
#include "base/rc.h"
#include "core/core.h"
#include "store/jira_repo.h"

#define JIRA_WEBHOOK_MAX_BYTES (1024 * 1024) /* a larger webhook body is refused (413) */

/* True when header is "sha256=<64 hex digits>" (either case) and the digits are the
 * HMAC-SHA256 of body under secret, compared in constant time. False for NULL or an empty
 * secret: without a key nothing can be proved. */
bool jira_signature_valid(const char *secret, const char *header, const void *body, size_t len);

struct jira_intake {
    char issue_key[JIRA_KEY_MAX + 1];
    char event[JIRA_EVENT_MAX + 1];
};

/* Checks a signed webhook body and queues its event. The body must be a JSON object with a
 * string webhookEvent and an issue key in issue.key (or issue_key), valid by jira_key_valid.
 * RC_UNAUTHORIZED for a missing or wrong signature, RC_TOOBIG above JIRA_WEBHOOK_MAX_BYTES,
 * RC_INVALID for a body that is not such JSON, RC_BADVALUE for a bad key or event name; nothing
 * is queued then. secret must be set (the caller refuses webhooks without one). */
enum rc core_jira_webhook(struct core *core, const char *secret, const char *signature,
                          const char *body, size_t len, struct jira_intake *out,
                          struct err *err) WARN_UNUSED;

/* What GET /webhooks/jira/health tells anyone who asks: whether the Jira connector and the
 * webhook secret are set, the Jira host (no scheme, user, port or path: never a credential)
 * and the intake's numbers. No secret, token or e-mail ever goes in here. */
struct jira_health {
    bool configured;         /* base URL, e-mail and API token all set */
    bool webhook_secret_set; /* webhooks are accepted (else refused with 503) */
    char domain[256];        /* host of jira.base_url, "" when unset */
    struct jira_intake_stats stats;
};

/* Fills *out. RC_DB/RC_BUSY when the store cannot be read. */
enum rc core_jira_health(struct core *core, struct jira_health *out, struct err *err) WARN_UNUSED;

#endif
