/* fetch.c — parallel, resumable, verified downloads (see fetch.h). */
#define _GNU_SOURCE /* fallocate(2) with FALLOC_FL_KEEP_SIZE: Linux's, guarded below */
#include "client/fetch.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/mem.h"
#include "base/sha256.h"
#include "client/http_client.h"

#define MOVE_CHUNK (1 << 20)

struct shared {
    const struct fetch_opts *o;
    struct fetch_item *items;
    size_t n;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t next;      /* the next item to take */
    size_t done;      /* items finished */
    int running;      /* workers not yet finished */
    bool server_gone; /* a file failed for want of an answer: do not start more */
    uint64_t bytes_done, bytes_received;
};

struct worker {
    struct shared *s;
    struct hc *hc;
    pthread_t thread;
    uint64_t pos;       /* bytes of the current file in its partial (under s->mu) */
    uint64_t base;      /* where the current attempt started */
    uint64_t last_seen; /* received bytes of the current attempt already counted */
    uint64_t limit;     /* the most bytes an answer may have: the file's size */
    bool too_long;      /* the answer went past limit and was cancelled */
};

static bool is_disk_full(int e)
{
    return e == ENOSPC || e == EDQUOT;
}

/* Reserves the rest of the file's space in fd without changing its size (a resumed partial's
 * size is how much of the file it holds). Only a full disk is an error; a filesystem that
 * cannot reserve is found full while writing instead. */
static enum rc reserve(int fd, uint64_t have, int64_t size, struct err *err)
{
#ifdef FALLOC_FL_KEEP_SIZE
    if (size > 0 && have < (uint64_t)size &&
        fallocate(fd, FALLOC_FL_KEEP_SIZE, (off_t)have, (off_t)((uint64_t)size - have)) != 0 &&
        is_disk_full(errno))
        return err_set(err, RC_IO, "the disk is full: no room for its %lld bytes", (long long)size);
#else
    (void)fd;
    (void)have;
    (void)size;
    (void)err;
#endif
    return RC_OK;
}

static void sleep_ms(long ms)
{
    struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static int on_progress(void *ctx, uint64_t received, uint64_t total)
{
    struct worker *w = ctx;
    if (received > w->limit || total > w->limit) { /* no answer may fill the disk */
        w->too_long = true;
        return 1;
    }
    pthread_mutex_lock(&w->s->mu);
    if (received > w->last_seen) {
        w->s->bytes_received += received - w->last_seen;
        w->last_seen = received;
    }
    w->pos = w->base + received;
    pthread_mutex_unlock(&w->s->mu);
    return 0;
}

/* Moves len bytes at offset from to the start of fd and cuts the file there: a server (or a
 * proxy) that ignored the Range sent the whole file after the part we had. */
static enum rc move_to_front(int fd, uint64_t from, uint64_t len, struct err *err)
{
    char *chunk = xmalloc(MOVE_CHUNK);
    enum rc rc = RC_OK;
    for (uint64_t off = 0; off < len;) {
        size_t want = len - off < MOVE_CHUNK ? (size_t)(len - off) : MOVE_CHUNK;
        ssize_t got = pread(fd, chunk, want, (off_t)(from + off));
        if (got <= 0 || pwrite(fd, chunk, (size_t)got, (off_t)off) != got) {
            rc = err_set(err, RC_IO, "cannot rewrite the partial file: %s",
                         got < 0 ? strerror(errno) : "short read");
            break;
        }
        off += (uint64_t)got;
    }
    free(chunk);
    if (!rc && ftruncate(fd, (off_t)len) != 0)
        rc = err_set(err, RC_IO, "cannot cut the partial file: %s", strerror(errno));
    return rc;
}

enum attempt {
    ATTEMPT_OK,
    ATTEMPT_MISMATCH,  /* the bytes are wrong: start again from zero */
    ATTEMPT_TRANSIENT, /* no answer or a 5xx: try again, resuming */
    ATTEMPT_FAILED,
};

/* Checks the partial's size and SHA-256, and fsyncs it when right. */
static enum attempt verify(int fd, struct fetch_item *it, struct err *err)
{
    struct stat st;
    char got[SHA256_HEX_LEN + 1];
    if (fstat(fd, &st) != 0) {
        err_set(err, RC_IO, "cannot read the partial file: %s", strerror(errno));
        return ATTEMPT_FAILED;
    }
    if (st.st_size != it->size) {
        err_set(err, RC_INVALID, "the download has %lld bytes instead of %lld",
                (long long)st.st_size, (long long)it->size);
        return ATTEMPT_MISMATCH;
    }
    if (lseek(fd, 0, SEEK_SET) != 0 || sha256_fd_hex(fd, got, err) != RC_OK)
        return ATTEMPT_FAILED;
    if (strcmp(got, it->sha256) != 0) {
        err_set(err, RC_INVALID, "the download does not match its SHA-256");
        return ATTEMPT_MISMATCH;
    }
    if (fsync(fd) != 0) {
        it->disk_full = is_disk_full(errno); /* some filesystems find it full only here */
        err_set(err, RC_IO, "%s: %s",
                it->disk_full ? "the disk is full" : "cannot fsync the download", strerror(errno));
        return ATTEMPT_FAILED;
    }
    return ATTEMPT_OK;
}

/* One try at one file: resume what the partial holds, download the rest, verify. */
static enum attempt attempt(struct worker *w, struct fetch_item *it, struct err *err)
{
    int fd = open(it->partial, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        err_set(err, RC_IO, "cannot open %s: %s", it->partial,
                fd < 0 ? strerror(errno) : "not a plain file");
        if (fd >= 0)
            close(fd);
        return ATTEMPT_FAILED;
    }
    uint64_t have = (uint64_t)st.st_size;
    enum attempt result = ATTEMPT_OK;
    if (have > (uint64_t)it->size) { /* not a part of this file */
        if (ftruncate(fd, 0) != 0) {
            err_set(err, RC_IO, "cannot reset %s: %s", it->partial, strerror(errno));
            result = ATTEMPT_FAILED;
            goto out;
        }
        have = 0;
    }
    pthread_mutex_lock(&w->s->mu);
    w->base = have;
    w->pos = have;
    w->last_seen = 0;
    pthread_mutex_unlock(&w->s->mu);
    w->limit = (uint64_t)it->size; /* a resumed file's rest, or all of it when it changed */
    w->too_long = false;
    if (have < (uint64_t)it->size || it->size == 0) {
        char range[48], if_range[SHA256_HEX_LEN + 3];
        snprintf(range, sizeof(range), "bytes=%" PRIu64 "-", have);
        snprintf(if_range, sizeof(if_range), "\"%s\"", it->sha256);
        struct hc_download_opts opts = { .range = have ? range : NULL,
                                         .if_range = have ? if_range : NULL,
                                         .progress = on_progress,
                                         .progress_ctx = w };
        struct hc_download_result res;
        if (lseek(fd, (off_t)have, SEEK_SET) < 0) {
            err_set(err, RC_IO, "cannot seek in %s: %s", it->partial, strerror(errno));
            result = ATTEMPT_FAILED;
            goto out;
        }
        if (reserve(fd, have, it->size, err) != RC_OK) {
            it->disk_full = true;
            result = ATTEMPT_FAILED;
            goto out;
        }
        enum rc rc = hc_download(w->hc, it->url, fd, &opts, &res, err);
        it->bytes += res.bytes;
        if (rc) {
            long status = hc_status(w->hc);
            it->rc = rc;
            it->unreachable = !hc_reached(w->hc);
            if (is_disk_full(res.write_errno)) {
                it->disk_full = true;
                err_set(err, RC_IO, "the disk is full: %s", strerror(res.write_errno));
                result = ATTEMPT_FAILED;
            } else if (w->too_long) {
                err_set(err, RC_INVALID, "the server sent more than the file's %lld bytes",
                        (long long)it->size);
                result = ATTEMPT_MISMATCH;
            } else if (status == 416) { /* the part is no part of the file the server has */
                result = ATTEMPT_MISMATCH;
            } else if (it->unreachable || status >= 500) {
                result = ATTEMPT_TRANSIENT;
            } else {
                result = ATTEMPT_FAILED;
            }
            goto out;
        }
        if (res.status == 206) {
            char expect[48];
            snprintf(expect, sizeof(expect), "bytes %" PRIu64 "-", have);
            if (strncmp(res.content_range, expect, strlen(expect)) != 0) {
                err_set(err, RC_INVALID, "the server sent another range (%s)", res.content_range);
                result = ATTEMPT_MISMATCH;
                goto out;
            }
            it->resumed = have > 0;
        } else if (res.status == 200 && have > 0) {
            if (move_to_front(fd, have, res.bytes, err) != RC_OK) {
                result = ATTEMPT_FAILED;
                goto out;
            }
        } else if (res.status != 200) {
            err_set(err, RC_INVALID, "the server answered %ld to a download", res.status);
            result = ATTEMPT_FAILED;
            goto out;
        }
    }
    result = verify(fd, it, err);
out:
    close(fd);
    if (result == ATTEMPT_MISMATCH || it->disk_full)
        unlink(it->partial); /* a full disk's partial goes: do not leave the disk full */
    return result;
}

static void fetch_one(struct worker *w, struct fetch_item *it)
{
    struct err err = { { 0 } };
    int transient = 0;
    for (;;) {
        pthread_mutex_lock(&w->s->mu);
        bool gone = w->s->server_gone;
        pthread_mutex_unlock(&w->s->mu);
        if (gone) {
            it->rc = RC_IO;
            it->unreachable = true;
            snprintf(it->error, sizeof(it->error), "not tried: the server stopped answering");
            return;
        }
        it->rc = RC_OK;
        it->unreachable = false;
        it->disk_full = false;
        enum attempt r = attempt(w, it, &err);
        if (r == ATTEMPT_OK) {
            it->ok = true;
            return;
        }
        if (r == ATTEMPT_MISMATCH && it->restarts < 1) {
            it->restarts++;
            continue;
        }
        if (r == ATTEMPT_TRANSIENT && transient < FETCH_RETRIES) {
            sleep_ms(500L << transient);
            transient++;
            continue;
        }
        if (!it->rc)
            it->rc = RC_INVALID;
        if (r == ATTEMPT_MISMATCH)
            snprintf(it->error, sizeof(it->error), "%.200s, again after downloading it anew",
                     err.msg);
        else
            snprintf(it->error, sizeof(it->error), "%s", err.msg);
        if (it->unreachable) {
            pthread_mutex_lock(&w->s->mu);
            w->s->server_gone = true;
            pthread_mutex_unlock(&w->s->mu);
        }
        return;
    }
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    struct shared *s = w->s;
    for (;;) {
        pthread_mutex_lock(&s->mu);
        size_t i = s->next < s->n ? s->next++ : s->n;
        pthread_mutex_unlock(&s->mu);
        if (i == s->n)
            break;
        fetch_one(w, &s->items[i]);
        pthread_mutex_lock(&s->mu);
        s->done++;
        s->bytes_done += (uint64_t)s->items[i].size;
        w->pos = 0;
        w->base = 0;
        pthread_cond_signal(&s->cv);
        pthread_mutex_unlock(&s->mu);
    }
    pthread_mutex_lock(&s->mu);
    s->running--;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

/* A report of where the downloads are; s->mu held. */
static struct fetch_progress snapshot(const struct shared *s, const struct worker *ws, int n_ws,
                                      uint64_t total)
{
    struct fetch_progress p = { .files_done = s->done,
                                .files_total = s->n,
                                .bytes_done = s->bytes_done,
                                .bytes_total = total,
                                .bytes_received = s->bytes_received };
    for (int i = 0; i < n_ws; i++)
        p.bytes_done += ws[i].pos;
    return p;
}

enum rc fetch_run(const struct fetch_opts *o, struct fetch_item *items, size_t n, struct err *err)
{
    if (n == 0)
        return RC_OK;
    int jobs = o->jobs < 1 ? 1 : o->jobs > FETCH_JOBS_MAX ? FETCH_JOBS_MAX : o->jobs;
    if ((size_t)jobs > n)
        jobs = (int)n;
    struct shared s = { .o = o, .items = items, .n = n };
    struct worker *ws = xcalloc((size_t)jobs, sizeof(*ws));
    uint64_t total = 0;
    enum rc rc = RC_OK;
    int started = 0;
    for (size_t i = 0; i < n; i++)
        total += (uint64_t)items[i].size;
    pthread_mutex_init(&s.mu, NULL);
    pthread_cond_init(&s.cv, NULL);
    for (int i = 0; !rc && i < jobs; i++) {
        ws[i].s = &s;
        rc = hc_new(o->server, &ws[i].hc, err);
        if (!rc)
            hc_set_token(ws[i].hc, o->token);
    }
    pthread_mutex_lock(&s.mu);
    for (int i = 0; !rc && i < jobs; i++) {
        if (pthread_create(&ws[i].thread, NULL, worker_main, &ws[i]) != 0) {
            rc = err_set(err, RC_INTERNAL, "cannot start a download thread");
            s.next = n; /* the started ones stop after their file */
            break;
        }
        started++;
        s.running++;
    }
    while (s.running > 0) {
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += FETCH_PROGRESS_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        int waited = 0;
        while (s.running > 0 && waited != ETIMEDOUT)
            waited = pthread_cond_timedwait(&s.cv, &s.mu, &until);
        if (s.running > 0 && o->progress) {
            struct fetch_progress p = snapshot(&s, ws, jobs, total);
            pthread_mutex_unlock(&s.mu);
            o->progress(o->progress_ctx, &p, false);
            pthread_mutex_lock(&s.mu);
        }
    }
    struct fetch_progress last = snapshot(&s, ws, jobs, total);
    pthread_mutex_unlock(&s.mu);
    for (int i = 0; i < started; i++)
        pthread_join(ws[i].thread, NULL);
    if (o->progress && !rc)
        o->progress(o->progress_ctx, &last, true);
    for (int i = 0; i < jobs; i++)
        hc_free(&ws[i].hc);
    free(ws);
    pthread_cond_destroy(&s.cv);
    pthread_mutex_destroy(&s.mu);
    return rc;
}
