/* audit_writer.c — the group-commit writer of audit rows and token stamps (audit_writer.h).
 *
 * Leader and followers, as PostgreSQL's backends share a WAL flush: a caller appends a waiter
 * (on its own stack) to the queue; if no batch is being written, it becomes the writer, takes
 * everything queued, writes it in one transaction and wakes the batch; otherwise it sleeps
 * until a writer has committed its row. While one batch commits the next gathers, so under load
 * a COMMIT (and its fsync) is shared by as many rows as arrived during the previous one, and an
 * idle server writes a row at once, with no hand-off to another thread on the way. */
#include "store/audit_writer.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "base/mem.h"
#include "base/metrics.h"
#include "store/store_int.h"

/* One caller's row (an audit entry, or a token's stamp); lives on the caller's stack until
 * done is set under the lock. */
struct waiter {
    const struct audit_entry *entry;      /* or NULL for a stamp: */
    const char *touch_hash, *touch_stamp; /* token_hash, last_used_at */
    struct waiter *next;
    bool done;
    enum rc rc;
    struct err err;
};

struct audit_writer {
    struct store *store;
    pthread_mutex_t lock;
    pthread_cond_t changed; /* a batch ended, or the queue has room */
    struct waiter *head, *tail;
    size_t queued, queue_max;
    bool committing; /* a caller is writing a batch now */
};

static enum rc row_in_tx(sqlite3 *db, const struct waiter *w, struct err *err)
{
    if (w->entry)
        return store_audit_in_tx(db, w->entry, err);
    return store_run(
        db, "UPDATE personal_tokens SET last_used_at = ? WHERE token_hash = ?",
        (struct store_arg[]){ ARG_TEXT(w->touch_stamp), ARG_TEXT(w->touch_hash), { 0 } }, NULL,
        err);
}

static enum rc batch_tx(sqlite3 *db, void *arg, struct err *err)
{
    enum rc rc = RC_OK;
    for (const struct waiter *w = arg; w && !rc; w = w->next)
        rc = row_in_tx(db, w, err);
    return rc;
}

static enum rc one_tx(sqlite3 *db, void *arg, struct err *err)
{
    return row_in_tx(db, arg, err);
}

/* Writes one batch and sets each waiter's result (not done: the caller of this does that under
 * the lock). A batch that fails for another reason than a busy store is written again row by
 * row, so one bad row cannot fail its neighbours; a busy store fails them all at once. */
static void write_batch(struct audit_writer *w, struct waiter *rows)
{
    struct err err = { { 0 } };
    size_t n = 0;
    for (struct waiter *x = rows; x; x = x->next)
        n++;
    enum rc rc = store_transaction(w->store, batch_tx, rows, &err);
    metrics_count("da_audit_commits_total", rc ? "result=\"failed\"" : "result=\"ok\"", 1);
    if (!rc || rc == RC_BUSY || n <= 1) {
        for (struct waiter *x = rows; x; x = x->next) {
            x->rc = rc;
            x->err = err;
        }
    } else {
        for (struct waiter *x = rows; x; x = x->next)
            x->rc = store_transaction(w->store, one_tx, x, &x->err);
    }
    if (!rc)
        metrics_count("da_audit_rows_total", NULL, (double)n);
}

enum rc audit_writer_start(struct store *s, size_t queue_max, struct audit_writer **out,
                           struct err *err)
{
    (void)err; /* nothing can fail: kept so that a writer thread could come back unseen */
    struct audit_writer *w = xcalloc(1, sizeof(*w));
    w->store = s;
    w->queue_max = queue_max ? queue_max : 1;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->changed, NULL);
    *out = w;
    return RC_OK;
}

/* Queues me and returns once its batch has committed or failed. The caller that finds no batch
 * being written writes everything queued (its own row included) for everyone, so an idle
 * server writes a row at once on the caller's thread, and under load each COMMIT takes all the
 * rows that queued while the one before it ran. */
static enum rc wait_for_commit(struct audit_writer *w, struct waiter *me, struct err *err)
{
    pthread_mutex_lock(&w->lock);
    while (w->queued >= w->queue_max)
        pthread_cond_wait(&w->changed, &w->lock);
    if (w->tail)
        w->tail->next = me;
    else
        w->head = me;
    w->tail = me;
    w->queued++;
    while (!me->done) {
        if (w->committing) {
            pthread_cond_wait(&w->changed, &w->lock);
            continue;
        }
        w->committing = true;
        struct waiter *rows = w->head;
        w->head = w->tail = NULL;
        w->queued = 0;
        pthread_cond_broadcast(&w->changed); /* room */
        pthread_mutex_unlock(&w->lock);

        write_batch(w, rows);

        pthread_mutex_lock(&w->lock);
        while (rows) {
            struct waiter *next = rows->next; /* once done, the waiter may be gone */
            rows->done = true;
            rows = next;
        }
        w->committing = false;
        pthread_cond_broadcast(&w->changed); /* the batch's waiters, and the next leader */
    }
    pthread_mutex_unlock(&w->lock);
    if (me->rc)
        *err = me->err;
    return me->rc;
}

enum rc audit_writer_write(struct audit_writer *w, const struct audit_entry *e, struct err *err)
{
    struct waiter me = { .entry = e };
    return wait_for_commit(w, &me, err);
}

enum rc audit_writer_touch_pat(struct audit_writer *w, const char *token_hash, const char *stamp,
                               struct err *err)
{
    struct waiter me = { .touch_hash = token_hash, .touch_stamp = stamp };
    return wait_for_commit(w, &me, err);
}

void audit_writer_stop(struct audit_writer **wp)
{
    struct audit_writer *w = wp ? *wp : NULL;
    if (!w)
        return;
    /* nothing is left to drain: every queued row belongs to a caller still waiting in
     * wait_for_commit, and one of them writes it before returning */
    pthread_mutex_lock(&w->lock);
    while (w->head || w->committing)
        pthread_cond_wait(&w->changed, &w->lock);
    pthread_mutex_unlock(&w->lock);
    pthread_cond_destroy(&w->changed);
    pthread_mutex_destroy(&w->lock);
    free(w);
    *wp = NULL;
}
