/* jira_repo.c — SQL for the Jira webhook queue (see jira_repo.h). */
#include "store/jira_repo.h"

#include <pthread.h>
#include <string.h>

#include "base/mem.h"
#include "store/store_int.h"

bool jira_key_valid(const char *s)
{
    if (!s || !(s[0] >= 'A' && s[0] <= 'Z'))
        return false;
    size_t i = 1, len = strnlen(s, JIRA_KEY_MAX + 1);
    if (len > JIRA_KEY_MAX)
        return false;
    while ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_')
        i++;
    if (i < 2 || s[i] != '-')
        return false;
    size_t digits = 0;
    for (i++; s[i] >= '0' && s[i] <= '9'; i++)
        digits++;
    if (s[i] != '\0' || digits == 0 || digits > 18)
        return false;
    return !(digits > 1 && s[len - digits] == '0');
}

static bool event_name_valid(const char *e)
{
    size_t len = e ? strnlen(e, JIRA_EVENT_MAX + 1) : 0;
    if (len == 0 || len > JIRA_EVENT_MAX)
        return false;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)e[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == ':' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

/* server_meta keys of the intake's lifetime numbers (jira_intake_stats) */
#define META_LAST_EVENT   "jira.last_event_at"
#define META_EVENTS_TOTAL "jira.events_total"

/* Group commit. Each commit of the store is fsynced (synchronous=FULL), a few milliseconds, and
 * writers take turns, so one transaction per webhook caps the server near 300 webhooks a
 * second. Instead, each caller adds its event to a list and waits; whoever finds no commit
 * running takes the whole list (of its store) and writes it in one transaction, then wakes the
 * others. Each caller still returns only once its own event is durable. The list lives in the
 * process because the HTTP threads that share it share the process. */
struct pending {
    struct store *store;
    const char *key, *event;
    enum rc rc;
    struct err err;
    bool done;
    struct pending *next;
};

static pthread_mutex_t gc_mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t gc_cond = PTHREAD_COND_INITIALIZER;
static struct pending *gc_list; /* waiting to be written, newest first */
static bool gc_writing;         /* a caller is writing a batch now */

static enum rc enqueue_tx(sqlite3 *db, void *arg, struct err *err)
{
    char now[ISOTIME_SIZE];
    isotime_now(now);
    enum rc rc = RC_OK;
    int64_t n = 0;
    for (struct pending *p = arg; !rc && p; p = p->next, n++)
        rc = store_run(
            db, "INSERT INTO jira_events(issue_key, event, received_at) VALUES (?, ?, ?)",
            (struct store_arg[]){ ARG_TEXT(p->key), ARG_TEXT(p->event), ARG_TEXT(now), { 0 } },
            NULL, err);
    /* the health probe's numbers outlive the queue rows, which processing deletes */
    if (!rc)
        rc = store_run(
            db,
            "INSERT INTO server_meta(key, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET value = excluded.value,"
            " updated_at = excluded.updated_at",
            (struct store_arg[]){ ARG_TEXT(META_LAST_EVENT), ARG_TEXT(now), ARG_TEXT(now), { 0 } },
            NULL, err);
    if (!rc)
        rc = store_run(
            db,
            "INSERT INTO server_meta(key, value, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT(key) DO UPDATE SET"
            " value = CAST(CAST(value AS INTEGER) + CAST(excluded.value AS INTEGER)"
            " AS TEXT), updated_at = excluded.updated_at",
            (struct store_arg[]){ ARG_TEXT(META_EVENTS_TOTAL), ARG_INT(n), ARG_TEXT(now), { 0 } },
            NULL, err);
    return rc;
}

/* Takes the waiting events of store off the list, oldest first (called with gc_mutex held). */
static struct pending *take_batch(struct store *store)
{
    struct pending *batch = NULL, **link = &gc_list;
    while (*link) {
        struct pending *p = *link;
        if (p->store == store) {
            *link = p->next;
            p->next = batch; /* the list is newest first: this reverses it */
            batch = p;
        } else {
            link = &p->next;
        }
    }
    return batch;
}

enum rc jira_event_enqueue(struct store *s, const char *issue_key, const char *event,
                           struct err *err)
{
    if (!jira_key_valid(issue_key))
        return err_set(err, RC_INVALID, "not a Jira issue key");
    if (!event_name_valid(event))
        return err_set(err, RC_INVALID, "not a Jira webhook event name");
    struct pending self = { .store = s, .key = issue_key, .event = event };
    pthread_mutex_lock(&gc_mutex);
    self.next = gc_list;
    gc_list = &self;
    while (!self.done) {
        if (gc_writing) {
            pthread_cond_wait(&gc_cond, &gc_mutex);
            continue;
        }
        gc_writing = true;
        struct pending *batch = take_batch(s);
        pthread_mutex_unlock(&gc_mutex);
        struct err berr = { { 0 } };
        enum rc rc = store_transaction(s, enqueue_tx, batch, &berr);
        pthread_mutex_lock(&gc_mutex);
        for (struct pending *p = batch, *next; p; p = next) {
            next = p->next; /* p may return (and its stack go) once done is seen */
            p->rc = rc;
            p->err = berr;
            p->done = true;
        }
        gc_writing = false;
        pthread_cond_broadcast(&gc_cond);
    }
    pthread_mutex_unlock(&gc_mutex);
    if (self.rc && err)
        *err = self.err;
    return self.rc;
}

static void read_event(sqlite3_stmt *st, void *row)
{
    struct jira_event *e = row;
    e->id = sqlite3_column_int64(st, 0);
    store_col_text(st, 1, e->issue_key, sizeof(e->issue_key));
    store_col_text(st, 2, e->event, sizeof(e->event));
    store_col_text(st, 3, e->received_at, sizeof(e->received_at));
}

enum rc jira_events_list(struct store *s, int64_t after_id, size_t limit, struct jira_event **out,
                         size_t *out_len, struct err *err)
{
    return store_collect(s,
                         "SELECT id, issue_key, event, received_at FROM jira_events"
                         " WHERE id > ? ORDER BY id LIMIT ?",
                         (struct store_arg[]){ ARG_INT(after_id), ARG_INT((int64_t)limit), { 0 } },
                         sizeof(**out), read_event, (void **)out, out_len, err);
}

static enum rc delete_tx(sqlite3 *db, void *arg, struct err *err)
{
    return store_run(db, "DELETE FROM jira_events WHERE id <= ?",
                     (struct store_arg[]){ ARG_INT(*(const int64_t *)arg), { 0 } }, NULL, err);
}

enum rc jira_events_delete_upto(struct store *s, int64_t upto_id, struct err *err)
{
    return store_transaction(s, delete_tx, &upto_id, err);
}

static void read_count(sqlite3_stmt *st, void *row)
{
    *(int64_t *)row = sqlite3_column_int64(st, 0);
}

enum rc jira_events_count(struct store *s, int64_t *out, struct err *err)
{
    return store_fetch_one(s, "SELECT count(*) FROM jira_events", NULL, read_count, out, "", err);
}

static void read_stats(sqlite3_stmt *st, void *row)
{
    struct jira_intake_stats *o = row;
    o->queued = sqlite3_column_int64(st, 0);
    o->events_total = sqlite3_column_int64(st, 1);
    store_col_text(st, 2, o->last_event_at, sizeof(o->last_event_at));
}

enum rc jira_intake_stats(struct store *s, struct jira_intake_stats *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    return store_fetch_one(
        s,
        "SELECT (SELECT count(*) FROM jira_events),"
        " coalesce((SELECT CAST(value AS INTEGER) FROM server_meta WHERE key = ?), 0),"
        " (SELECT value FROM server_meta WHERE key = ?)",
        (struct store_arg[]){ ARG_TEXT(META_EVENTS_TOTAL), ARG_TEXT(META_LAST_EVENT), { 0 } },
        read_stats, out, "", err);
}
