/* jira.c — the runs of the Jira connector (see jira.h): draining the webhook queue and
 * backfilling through the search API. Both end in jira_parts_apply. */
#include "connectors/jira.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/log.h"
#include "base/mem.h"
#include "connectors/jira_parts.h"
#include "connectors/jira_rows.h"
#include "store/jira_repo.h"

bool jira_date_valid(const char *s)
{
    if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
        return false;
    for (int i = 0; i < 10; i++)
        if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
            return false;
    int m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
    return m >= 1 && m <= 12 && d >= 1 && d <= 31;
}

static void add_result(struct jira_result *out, const struct jira_apply_result *a)
{
    out->tables = a->tables;
    out->rows = a->rows;
    out->bytes = a->bytes;
    out->stale += a->stale;
}

/* ---- the queue ---- */

struct key_action {
    const char *key; /* borrowed from the event list */
    bool remove;
};

/* The last event of each key decides what happens to it. */
static size_t plan_keys(const struct jira_event *ev, size_t n, struct key_action *plan)
{
    size_t n_plan = 0;
    for (size_t i = 0; i < n; i++) {
        bool remove = strcmp(ev[i].event, "jira:issue_deleted") == 0 ||
                      strcmp(ev[i].event, "issue_deleted") == 0;
        size_t k = 0;
        while (k < n_plan && strcmp(plan[k].key, ev[i].issue_key) != 0)
            k++;
        if (k == n_plan)
            plan[n_plan++].key = ev[i].issue_key;
        plan[k].remove = remove;
    }
    return n_plan;
}

static bool in_list(const char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

/* One batch of events: fetch, build rows, apply. */
static enum rc run_batch(const char *extract_dir, struct jira_api *api, const char *base_url,
                         const struct jira_event *ev, size_t n, struct jira_result *out,
                         struct err *err)
{
    struct key_action *plan = xcalloc(n, sizeof(*plan));
    const char **deleted = xcalloc(2 * n + 1, sizeof(*deleted));
    size_t n_del = 0, n_added = 0;
    char **added = xcalloc(n + 1, sizeof(*added)); /* keys of the rows, heap copies */
    struct jira_rows rows;
    jira_rows_init(&rows);
    size_t n_plan = plan_keys(ev, n, plan);
    enum rc rc = RC_OK;
    for (size_t i = 0; !rc && i < n_plan; i++) {
        if (plan[i].remove) {
            deleted[n_del++] = plan[i].key;
            continue;
        }
        json_t *issue = NULL;
        rc = jira_api_get_issue(api, plan[i].key, &issue, err);
        if (rc == RC_NOTFOUND) { /* deleted since, or no longer visible to us */
            deleted[n_del++] = plan[i].key;
            rc = RC_OK;
            continue;
        }
        if (!rc) {
            json_t *k = json_object_get(issue, "key");
            /* a moved issue answers under its new key: the old key's rows go */
            if (json_is_string(k) && strcmp(json_string_value(k), plan[i].key) != 0)
                deleted[n_del++] = plan[i].key;
            /* each key once: a moved issue may be asked for under two keys */
            if (json_is_string(k) &&
                in_list((const char *const *)added, n_added, json_string_value(k))) {
                json_decref(issue);
                continue;
            }
            rc = jira_rows_add_issue(&rows, issue, base_url, err);
            if (!rc && json_is_string(k))
                added[n_added++] = xstrdup(json_string_value(k));
            if (rc == RC_BADVALUE) {
                log_warn("jira", "issue %s: skipped: %s", plan[i].key, err->msg);
                rc = RC_OK;
            } else if (!rc) {
                out->fetched++;
            }
        }
        json_decref(issue);
        if (!rc && (i + 1) % 100 == 0)
            log_info("jira", "fetched %zu of %zu issues", i + 1, n_plan);
    }
    /* a key removed here but fetched too (a moved issue's new key) stays */
    size_t kept = 0;
    for (size_t i = 0; i < n_del; i++)
        if (!in_list((const char *const *)added, n_added, deleted[i]))
            deleted[kept++] = deleted[i];
    n_del = kept;
    struct jira_apply_result ar;
    if (!rc)
        rc = jira_parts_apply(extract_dir, &rows, deleted, n_del, &ar, err);
    if (!rc) {
        add_result(out, &ar);
        out->deleted += (int64_t)n_del;
        log_info("jira",
                 "%zu events: %lld issues fetched, %zu removed, %d stale; %d months "
                 "rewritten, %d kept",
                 n, (long long)rows.issues, n_del, ar.stale, ar.months_written, ar.months_kept);
    }
    jira_rows_cleanup(&rows);
    for (size_t i = 0; i < n_added; i++)
        free(added[i]);
    free(added);
    free(deleted);
    free(plan);
    return rc;
}

enum rc jira_sync_queue(const char *data_dir, struct store *store, const struct jira_conn *conn,
                        struct jira_result *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    struct jira_api *api = NULL;
    int64_t queued = 0;
    enum rc rc = jira_events_count(store, &queued, err);
    if (rc || queued == 0) /* nothing to do: Jira need not even be configured */
        return rc;
    log_info("jira", "%lld events queued", (long long)queued);
    rc = jira_api_new(conn, &api, err);
    if (rc)
        return rc;
    char *dir = xasprintf("%s/extracts/%s", data_dir, JIRA_SOURCE);
    /* the events queued when the run began: under a steady stream of webhooks a run still
     * ends, and what arrived meanwhile is the next run's */
    while (out->events < queued) {
        struct jira_event *ev = NULL;
        size_t n = 0;
        rc = jira_events_list(store, 0, JIRA_QUEUE_BATCH, &ev, &n, err);
        if (rc || n == 0) {
            free(ev);
            break;
        }
        rc = run_batch(dir, api, conn->base_url, ev, n, out, err);
        /* only after the commit: a kill before it leaves the events to run again */
        if (!rc)
            rc = jira_events_delete_upto(store, ev[n - 1].id, err);
        if (!rc)
            out->events += (int64_t)n;
        free(ev);
        if (rc)
            break;
    }
    free(dir);
    jira_api_free(&api);
    return rc;
}

/* ---- backfill ---- */

/* The saved cursor of an unfinished backfill of since: *out_token (heap, NULL for the first
 * page) and the pages done. False when there is none for this since. */
static bool load_cursor(const char *path, const char *since, char **out_token, int64_t *pages)
{
    char *data = NULL;
    size_t len = 0;
    *out_token = NULL;
    if (file_read_all(path, 64 * 1024, &data, &len, &(struct err){ 0 }))
        return false;
    json_t *root = json_loadb(data, len, 0, NULL);
    free(data);
    json_t *s = json_object_get(root, "since"), *t = json_object_get(root, "next_page_token");
    json_t *p = json_object_get(root, "pages");
    bool ok = json_is_string(s) && strcmp(json_string_value(s), since) == 0 && json_is_string(t) &&
              json_string_length(t) > 0 && json_string_length(t) < 4096;
    if (ok) {
        *out_token = xstrdup(json_string_value(t));
        *pages = json_is_integer(p) ? json_integer_value(p) : 0;
    }
    json_decref(root);
    return ok;
}

static enum rc save_cursor(const char *path, const char *since, const char *token, int64_t pages,
                           struct err *err)
{
    json_t *root = json_pack("{s:s, s:s, s:I}", "since", since, "next_page_token", token, "pages",
                             (json_int_t)pages);
    char *text = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    if (!text)
        return err_set(err, RC_NOMEM, "cannot encode the backfill cursor");
    enum rc rc = file_write_atomic(path, text, strlen(text), 0600, err);
    free(text);
    return rc;
}

/* The issues of one search page as rows. */
static enum rc page_rows(const json_t *page, const char *base_url, struct jira_rows *rows,
                         struct err *err)
{
    json_t *issues = json_object_get(page, "issues");
    if (!json_is_array(issues))
        return err_set(err, RC_INVALID, "Jira search: the answer has no issues array");
    size_t i;
    json_t *issue;
    json_array_foreach(issues, i, issue)
    {
        enum rc rc = jira_rows_add_issue(rows, issue, base_url, err);
        if (rc == RC_BADVALUE)
            log_warn("jira", "search: an issue skipped: %s", err->msg);
        else if (rc)
            return rc;
    }
    return RC_OK;
}

enum rc jira_backfill(const char *data_dir, const struct jira_conn *conn, const char *since,
                      int page_size, struct jira_result *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    if (!jira_date_valid(since))
        return err_set(err, RC_INVALID, "--since must be a date YYYY-MM-DD");
    if (page_size < 1 || page_size > 100)
        return err_set(err, RC_INVALID, "the page size must be 1-100");
    struct jira_api *api = NULL;
    enum rc rc = jira_api_new(conn, &api, err);
    if (rc)
        return rc;
    char *dir = xasprintf("%s/extracts/%s", data_dir, JIRA_SOURCE);
    char *state = xasprintf("%s/%s", dir, JIRA_BACKFILL_STATE);
    char *jql = xasprintf("updated >= \"%s\" ORDER BY created ASC, key ASC", since);
    char *token = NULL;
    int64_t done = 0;
    out->resumed = load_cursor(state, since, &token, &done);
    if (out->resumed)
        log_info("jira", "backfill since %s: going on after page %lld", since, (long long)done);
    for (;;) {
        json_t *page = NULL;
        struct jira_rows rows;
        struct jira_apply_result ar;
        jira_rows_init(&rows);
        rc = jira_api_search(api, jql, token, page_size, &page, err);
        if (!rc)
            rc = page_rows(page, conn->base_url, &rows, err);
        if (!rc)
            rc = jira_parts_apply(dir, &rows, NULL, 0, &ar, err);
        json_t *next = json_object_get(page, "nextPageToken");
        json_t *last = json_object_get(page, "isLast");
        bool more = !rc && json_is_string(next) && json_string_length(next) > 0 &&
                    json_string_length(next) < 4096 && !json_is_true(last);
        if (!rc) {
            add_result(out, &ar);
            out->fetched += rows.issues;
            out->pages++;
            done++;
            log_info("jira", "backfill page %lld: %lld issues", (long long)done,
                     (long long)rows.issues);
        }
        if (!rc && more) {
            free(token);
            token = xstrdup(json_string_value(next));
            rc = save_cursor(state, since, token, done, err);
        }
        jira_rows_cleanup(&rows);
        json_decref(page);
        if (rc || !more)
            break;
    }
    if (!rc)
        (void)unlink(state);
    free(token);
    free(jql);
    free(state);
    free(dir);
    jira_api_free(&api);
    return rc;
}
