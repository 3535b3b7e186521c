/* mail_outbox.c — background mail on tracked threads (see mail_outbox.h). Each job is on a
 * list from its start until it is joined: a finished job is joined by the next send or by
 * mail_outbox_drain, so the list stays as short as the mails under way. */
#include "auth/mail_outbox.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/isotime.h"
#include "base/log.h"
#include "base/mem.h"

struct mail_job {
    char *url, *user, *password, *from; /* owned copies behind server */
    struct mail_server server;
    char *to, *subject, *body, *what;
    pthread_t thread;
    bool done; /* under lock */
    struct mail_job *next;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t finished = PTHREAD_COND_INITIALIZER;
static struct mail_job *jobs; /* started and not joined yet */
static bool draining;

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static void wipe_free(char *s)
{
    if (s)
        mem_wipe(s, strlen(s));
    free(s);
}

static void job_free(struct mail_job *j)
{
    free(j->url);
    free(j->user);
    wipe_free(j->password);
    free(j->from);
    free(j->to);
    free(j->subject);
    wipe_free(j->body); /* may hold a sign-in link */
    free(j->what);
    free(j);
}

static void *send_thread(void *arg)
{
    struct mail_job *j = arg;
    struct err err;
    if (mail_send(&j->server, j->to, j->subject, j->body, &err) != RC_OK)
        log_error("mail", "cannot send %s: %s", j->what, err.msg);
    else
        log_info("mail", "%s sent", j->what);
    pthread_mutex_lock(&lock);
    j->done = true;
    pthread_cond_broadcast(&finished);
    pthread_mutex_unlock(&lock);
    return NULL;
}

/* Unlinks the finished jobs from the list into *out (joined and freed by the caller, out of
 * the lock). Caller holds lock. */
static struct mail_job *take_finished(void)
{
    struct mail_job *out = NULL;
    for (struct mail_job **p = &jobs; *p;) {
        struct mail_job *j = *p;
        if (j->done) {
            *p = j->next;
            j->next = out;
            out = j;
        } else {
            p = &j->next;
        }
    }
    return out;
}

static void join_all(struct mail_job *list)
{
    for (struct mail_job *j = list, *next; j; j = next) {
        next = j->next;
        pthread_join(j->thread, NULL);
        job_free(j);
    }
}

void mail_outbox_send(const struct mail_server *s, const char *to, const char *subject, char *body,
                      const char *what)
{
    struct mail_job *j = xcalloc(1, sizeof(*j));
    j->url = xstrdup(s->url);
    j->user = dup_or_null(s->username);
    j->password = dup_or_null(s->password);
    j->from = xstrdup(s->from);
    j->server = (struct mail_server){ j->url, j->user, j->password, j->from, s->require_tls };
    j->to = xstrdup(to);
    j->subject = xstrdup(subject);
    j->body = body;
    j->what = xstrdup(what);
    pthread_mutex_lock(&lock);
    struct mail_job *finished_jobs = take_finished();
    bool refused = draining;
    if (!refused && pthread_create(&j->thread, NULL, send_thread, j) == 0) {
        j->next = jobs;
        jobs = j;
        j = NULL;
    }
    pthread_mutex_unlock(&lock);
    join_all(finished_jobs);
    if (j) {
        log_error("mail", "cannot send %s: %s", what,
                  refused ? "the server is stopping" : "no thread for it");
        job_free(j);
    }
}

int mail_outbox_drain(int timeout_ms)
{
    struct timespec until = clock_after_us(CLOCK_REALTIME, (int64_t)timeout_ms * 1000);
    pthread_mutex_lock(&lock);
    draining = true;
    int e = 0;
    for (;;) {
        bool all_done = true;
        for (const struct mail_job *j = jobs; j; j = j->next)
            all_done &= j->done;
        if (all_done || e == ETIMEDOUT)
            break;
        e = pthread_cond_timedwait(&finished, &lock, &until);
    }
    struct mail_job *finished_jobs = take_finished();
    int left = 0;
    for (const struct mail_job *j = jobs; j; j = j->next)
        left++;
    pthread_mutex_unlock(&lock);
    join_all(finished_jobs);
    if (left)
        log_warn("mail", "%d mail(s) still being sent at exit", left);
    return left;
}

int mail_outbox_pending(void)
{
    pthread_mutex_lock(&lock);
    int n = 0;
    for (const struct mail_job *j = jobs; j; j = j->next)
        n += !j->done;
    pthread_mutex_unlock(&lock);
    return n;
}
