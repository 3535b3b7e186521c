/* jira.h — the Jira connector: the webhook queue (store/jira_repo.h) or a backfill search
 * becomes the six jira_* tables of the extract <data_dir>/extracts/jira/ (monthly partitions,
 * see jira_parts.h). Every issue is fetched from Jira itself, never taken from a webhook body,
 * so the rows are what Jira holds now, whatever order the events came in. */
#ifndef DA_CONNECTORS_JIRA_H
#define DA_CONNECTORS_JIRA_H

#include <stdbool.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/rc.h"
#include "connectors/jira_api.h"

struct store;

#define JIRA_SOURCE         "jira"
#define JIRA_QUEUE_BATCH    5000            /* events taken into one extract run */
#define JIRA_BACKFILL_STATE "backfill.json" /* in the extract folder while a backfill runs */

struct jira_result {
    int tables;
    int64_t rows, bytes; /* of the whole extract after the run */
    int64_t events;      /* queue events processed */
    int64_t fetched;     /* issues fetched and upserted */
    int64_t deleted;     /* issues removed */
    int64_t stale;       /* fetched issues older than the stored ones, not applied */
    int64_t pages;       /* backfill: search pages read */
    bool resumed;        /* backfill: went on from a saved cursor */
};

/* Processes the webhook events queued when it starts, in batches: per key the last event decides
 * (jira:issue_deleted removes the issue; anything else fetches it; a fetch answered 404 removes
 * it too), each batch is one committed extract run, and its events leave the queue only after
 * that commit. A Jira error other than 404 fails the run, leaving its events queued. */
enum rc jira_sync_queue(const char *data_dir, struct store *store, const struct jira_conn *conn,
                        struct jira_result *out, struct err *err) WARN_UNUSED;

/* Upserts every issue updated on or after since (YYYY-MM-DD) by paging the search API,
 * page_size issues a page (1-100), each page one committed extract run. The cursor is saved
 * in <extract>/backfill.json after each commit, so a run killed midway goes on from its last
 * committed page when started again with the same since; it is removed at the end. */
enum rc jira_backfill(const char *data_dir, const struct jira_conn *conn, const char *since,
                      int page_size, struct jira_result *out, struct err *err) WARN_UNUSED;

/* True when s is a date YYYY-MM-DD (the only form put into JQL). */
bool jira_date_valid(const char *s);

#endif
