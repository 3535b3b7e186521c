/* jira_repo.h — the durable queue of Jira webhook events (table jira_events). The webhook adds
 * a row per accepted event; `da extract jira` reads them all, processes them, and deletes the
 * ones it read only after its extract has committed. The issue key is checked here too, so no
 * row ever holds a key that later code could misuse as a path or a URL. */
#ifndef DA_STORE_JIRA_REPO_H
#define DA_STORE_JIRA_REPO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/isotime.h"
#include "base/rc.h"

struct store;

#define JIRA_KEY_MAX   64 /* characters of an issue key ("PROJ-123") */
#define JIRA_EVENT_MAX 64 /* characters of a webhookEvent name kept */

/* True when s is a Jira issue key: ^[A-Z][A-Z0-9_]+-[0-9]+$, at most JIRA_KEY_MAX characters,
 * the number without a leading zero and at most 18 digits. */
bool jira_key_valid(const char *s);

struct jira_event {
    int64_t id; /* queue order */
    char issue_key[JIRA_KEY_MAX + 1];
    char event[JIRA_EVENT_MAX + 1];
    char received_at[ISOTIME_SIZE];
};

/* Adds one event. RC_INVALID for a bad key or an event name that is empty or too long. */
enum rc jira_event_enqueue(struct store *s, const char *issue_key, const char *event,
                           struct err *err) WARN_UNUSED;

/* The queued events with id > after_id, oldest first, at most limit of them. The caller frees
 * *out (NULL when there are none). */
enum rc jira_events_list(struct store *s, int64_t after_id, size_t limit, struct jira_event **out,
                         size_t *out_len, struct err *err) WARN_UNUSED;

/* Deletes every event with id <= upto_id (the processed prefix of the queue). */
enum rc jira_events_delete_upto(struct store *s, int64_t upto_id, struct err *err) WARN_UNUSED;

/* What the webhook health probe shows: events waiting, events accepted since the server's
 * state began (kept in server_meta beside each enqueue, in its transaction) and the time of
 * the last one ("" when none). */
struct jira_intake_stats {
    int64_t queued;
    int64_t events_total;
    char last_event_at[ISOTIME_SIZE];
};

enum rc jira_intake_stats(struct store *s, struct jira_intake_stats *out,
                          struct err *err) WARN_UNUSED;

/* The number of queued events. */
enum rc jira_events_count(struct store *s, int64_t *out, struct err *err) WARN_UNUSED;

#endif
