/* audit_writer.c — the group-commit writer of audit rows and token stamps (audit_writer.h).
 *
 * Request threads append a waiter (on their own stack) to a queue and sleep; the writer thread
 * takes everything queued at once, writes it in one transaction, then wakes the batch. While a
 * batch commits, the next one gathers, so under load a COMMIT (and its fsync) is shared by as
 * many rows as arrived during the previous one, and an idle server writes each row at once. */
#include "store/audit_writer.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "base/metrics.h"
#include "store/store_int.h"

/* One caller's row (an audit entry, or a token's stamp); lives on the caller's stack until
 * done is set under the lock. */
struct waiter {
    const struct audit_entry *entry;         /* or NULL for a stamp: */
    const char *touch_hash, *touch_stamp; /* token_hash, last_used_at */
    struct waiter *next;
    bool done;
    enum rc rc;
    struct err err;
};

struct audit_writer {
    struct store *store;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t work;  /* the writer waits for rows, stamps or the stop */
    pthread_cond_t space; /* callers wait for room in the queue */
    pthread_cond_t done;  /* callers wait for their batch */
    struct waiter *head, *tail;
    size_t queued, queue_max;
    bool stopping;
};

static enum rc row_in_tx(sqlite3 *db, const struct waiter *w, struct err *err)
{
    if (w->entry)
        return store_audit_in_tx(db, w->entry, err);
    return store_run(db, "UPDATE personal_tokens SET last_used_at = ? WHERE token_hash = ?",
                     (struct store_arg[]){ ARG_TEXT(w->touch_stamp), ARG_TEXT(w->touch_hash),
                                           { 0 } },
                     NULL, err);
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

static void *writer_main(void *arg)
{
    struct audit_writer *w = arg;
    pthread_mutex_lock(&w->lock);
    for (;;) {
        while (!w->head && !w->stopping)
            pthread_cond_wait(&w->work, &w->lock);
        if (!w->head)
            break; /* stopping, and nothing left */
        struct waiter *rows = w->head;
        w->head = w->tail = NULL;
        w->queued = 0;
        pthread_cond_broadcast(&w->space);
        pthread_mutex_unlock(&w->lock);

        write_batch(w, rows);

        pthread_mutex_lock(&w->lock);
        while (rows) {
            struct waiter *next = rows->next; /* once done, the waiter may be gone */
            rows->done = true;
            rows = next;
        }
        pthread_cond_broadcast(&w->done);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

enum rc audit_writer_start(struct store *s, size_t queue_max, struct audit_writer **out,
                           struct err *err)
{
    struct audit_writer *w = xcalloc(1, sizeof(*w));
    w->store = s;
    w->queue_max = queue_max ? queue_max : 1;
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->work, NULL);
    pthread_cond_init(&w->space, NULL);
    pthread_cond_init(&w->done, NULL);
    int e = pthread_create(&w->thread, NULL, writer_main, w);
    if (e) {
        pthread_cond_destroy(&w->done);
        pthread_cond_destroy(&w->space);
        pthread_cond_destroy(&w->work);
        pthread_mutex_destroy(&w->lock);
        free(w);
        *out = NULL;
        return err_set(err, RC_INTERNAL, "cannot start the audit writer: %s", strerror(e));
    }
    *out = w;
    return RC_OK;
}

/* Queues me and sleeps until its batch has committed or failed. */
static enum rc wait_for_commit(struct audit_writer *w, struct waiter *me, struct err *err)
{
    pthread_mutex_lock(&w->lock);
    while (!w->stopping && w->queued >= w->queue_max)
        pthread_cond_wait(&w->space, &w->lock);
    if (w->stopping) { /* draining: the writer may be gone by the time we would be woken */
        pthread_mutex_unlock(&w->lock);
        return store_transaction(w->store, one_tx, me, err);
    }
    if (w->tail)
        w->tail->next = me;
    else
        w->head = me;
    w->tail = me;
    w->queued++;
    pthread_cond_signal(&w->work);
    while (!me->done)
        pthread_cond_wait(&w->done, &w->lock);
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
    pthread_mutex_lock(&w->lock);
    w->stopping = true;
    pthread_cond_broadcast(&w->work);
    pthread_cond_broadcast(&w->space);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_cond_destroy(&w->done);
    pthread_cond_destroy(&w->space);
    pthread_cond_destroy(&w->work);
    pthread_mutex_destroy(&w->lock);
    free(w);
    *wp = NULL;
}
