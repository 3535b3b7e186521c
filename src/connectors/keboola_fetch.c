/* keboola_fetch.c — the slices of an export downloaded in parallel (see keboola_int.h): a few
 * threads, each with its own connection, take the next slice from a shared counter, so a slow
 * slice never holds back the others; the first failure stops every thread. Presigned URLs get
 * no token; s3://BUCKET/KEY slices (Keboola's AWS stacks) are read from S3 with the file's
 * temporary credentials, each request signed with AWS SigV4. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/mem.h"
#include "connectors/keboola_int.h"
#include "net/http.h"
#include "net/sigv4.h"

#define KBC_PARALLEL_MAX 16
#define KBC_SLICE_MAX    (64LL * 1024 * 1024 * 1024) /* bytes of one slice */

struct fetch {
    const char *const *urls;
    size_t n;
    const char *dir;
    const struct kbc_s3_access *s3;
    int retries, backoff_ms;
    char **paths;
    pthread_mutex_t lock;
    size_t next;    /* under lock */
    bool failed;    /* under lock */
    struct err err; /* the first failure, under lock */
    enum rc rc;     /* its result, under lock */
    int64_t bytes;  /* under lock */
};

static void sleep_ms(int64_t ms)
{
    struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* Renames part to slice-N.csv or .csv.gz by its first two bytes (gzip: 1f 8b), so DuckDB reads
 * it right whatever the slice's name said. */
static enum rc name_by_content(const char *part, const char *dir, size_t i, char **out,
                               struct err *err)
{
    unsigned char magic[2] = { 0, 0 };
    int fd = open(part, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        ssize_t got = read(fd, magic, 2);
        (void)got;
        close(fd);
    }
    bool gz = magic[0] == 0x1f && magic[1] == 0x8b;
    char *path = xasprintf("%s/slice-%05zu.csv%s", dir, i, gz ? ".gz" : "");
    if (rename(part, path) != 0) {
        enum rc rc = err_set(err, RC_IO, "cannot rename slice %zu: %s", i + 1, strerror(errno));
        free(path);
        return rc;
    }
    *out = path;
    return RC_OK;
}

/* The https URL and the signed headers (NULL-ended, heap, wiped by s3_request_free) of
 * GET s3://BUCKET/KEY with the file's credentials, signed now. */
struct s3_request {
    char *url;
    char *headers[6];
};

static void s3_request_free(struct s3_request *q)
{
    free(q->url);
    for (size_t i = 0; q->headers[i]; i++) {
        mem_wipe(q->headers[i], strlen(q->headers[i]));
        free(q->headers[i]);
    }
    memset(q, 0, sizeof(*q));
}

static enum rc s3_request(const struct kbc_s3_access *a, const char *s3url, struct s3_request *q,
                          struct err *err)
{
    memset(q, 0, sizeof(*q));
    char bucket[64], key[KBC_S3_KEY_MAX + 1];
    if (!kbc_s3_split(s3url, bucket, key))
        return err_set(err, RC_INVALID, "an unusable s3:// url");
    const struct kbc_s3 *c = a ? a->creds : NULL;
    if (!c || !c->ok)
        return err_set(err, RC_INVALID, "%s (needed for s3:// slices)",
                       c && c->problem[0] ? c->problem
                                          : "Keboola's file answer has no AWS credentials");
    char *ekey = sigv4_uri_encode(key, true);
    char host[300], *path;
    if (a->endpoint && *a->endpoint) {
        /* a fake S3 for tests: ENDPOINT/BUCKET/KEY, its host:port signed as the host */
        const char *h = strstr(a->endpoint, "://");
        h = h ? h + 3 : a->endpoint;
        snprintf(host, sizeof(host), "%.*s", (int)strcspn(h, "/"), h);
        path = xasprintf("/%s/%s", bucket, ekey);
        q->url = xasprintf("%.*s%s", (int)(h - a->endpoint + strcspn(h, "/")), a->endpoint, path);
    } else {
        snprintf(host, sizeof(host), "%s.s3.%s.amazonaws.com", bucket, c->region);
        path = xasprintf("/%s", ekey);
        q->url = xasprintf("https://%s%s", host, path);
    }
    free(ekey);
    char date[17];
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%Y%m%dT%H%M%SZ", &tm);
    const struct sigv4_header h[] = {
        { "host", host },
        { "x-amz-content-sha256", "UNSIGNED-PAYLOAD" },
        { "x-amz-date", date },
        { "x-amz-security-token", c->token },
    };
    struct sigv4_request r = {
        .method = "GET",
        .path = path,
        .query = "",
        .headers = h,
        .n_headers = sizeof(h) / sizeof(h[0]),
        .payload_hash = "UNSIGNED-PAYLOAD",
        .access_key = c->access_key,
        .secret = c->secret,
        .region = c->region,
        .service = "s3",
        .amz_date = date,
    };
    char *auth = sigv4_authorization(&r);
    q->headers[0] = xasprintf("Host: %s", host);
    q->headers[1] = xasprintf("x-amz-content-sha256: UNSIGNED-PAYLOAD");
    q->headers[2] = xasprintf("x-amz-date: %s", date);
    q->headers[3] = xasprintf("x-amz-security-token: %s", c->token);
    q->headers[4] = xasprintf("Authorization: %s", auth);
    mem_wipe(auth, strlen(auth));
    free(auth);
    free(path);
    return RC_OK;
}

static enum rc fetch_one(struct fetch *f, struct net_http *h, size_t i, int64_t *bytes,
                         struct err *err)
{
    char *part = xasprintf("%s/slice-%05zu.part", f->dir, i);
    enum rc rc = RC_OK;
    for (int attempt = 0;; attempt++) {
        int fd = open(part, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
            rc = err_set(err, RC_IO, "cannot create a file for slice %zu: %s", i + 1,
                         strerror(errno));
            break;
        }
        long status = 0;
        if (strncmp(f->urls[i], "s3://", 5) == 0) {
            struct s3_request q;
            rc = s3_request(f->s3, f->urls[i], &q, err);
            if (!rc)
                rc = net_download(h, q.url, (const char *const *)q.headers, fd, KBC_SLICE_MAX,
                                  &status, bytes, err);
            if (rc && (status == 401 || status == 403)) {
                char msg[ERR_MSG_LEN];
                snprintf(msg, sizeof(msg), "%s", err->msg);
                rc =
                    err_set(err, rc, "S3 refused the temporary credentials Keboola gave (%s)", msg);
            }
            s3_request_free(&q);
        } else {
            rc = net_download(h, f->urls[i], NULL, fd, KBC_SLICE_MAX, &status, bytes, err);
        }
        if (close(fd) != 0 && !rc)
            rc = err_set(err, RC_IO, "cannot write slice %zu: %s", i + 1, strerror(errno));
        bool retry = (rc == RC_IO && status == 0) || (rc && status >= 500);
        if (!rc || !retry || attempt >= f->retries)
            break;
        log_warn("keboola", "slice %zu: %s; retrying", i + 1, err->msg);
        sleep_ms((int64_t)f->backoff_ms << attempt);
    }
    if (!rc)
        rc = name_by_content(part, f->dir, i, &f->paths[i], err);
    if (rc) {
        char msg[ERR_MSG_LEN];
        snprintf(msg, sizeof(msg), "%s", err->msg);
        err_set(err, rc, "slice %zu of %zu: %s", i + 1, f->n, msg);
        unlink(part);
    }
    free(part);
    return rc;
}

static void *worker(void *arg)
{
    struct fetch *f = arg;
    struct net_http *h = net_http_new();
    for (;;) {
        pthread_mutex_lock(&f->lock);
        size_t i = f->next++;
        bool stop = f->failed || i >= f->n;
        pthread_mutex_unlock(&f->lock);
        if (stop)
            break;
        struct err err = { { 0 } };
        int64_t bytes = 0;
        enum rc rc = fetch_one(f, h, i, &bytes, &err);
        pthread_mutex_lock(&f->lock);
        f->bytes += bytes;
        if (rc && !f->failed) {
            f->failed = true;
            f->err = err;
            f->rc = rc;
        }
        pthread_mutex_unlock(&f->lock);
    }
    net_http_free(&h);
    return NULL;
}

enum rc kbc_fetch(const char *const *urls, size_t n, const char *dir,
                  const struct kbc_s3_access *s3, int parallel, int retries, int backoff_ms,
                  char ***out_paths, int64_t *out_bytes, struct err *err)
{
    *out_paths = NULL;
    *out_bytes = 0;
    struct fetch f = {
        .urls = urls, .n = n, .dir = dir, .s3 = s3, .retries = retries, .backoff_ms = backoff_ms
    };
    f.paths = xcalloc(n ? n : 1, sizeof(char *));
    pthread_mutex_init(&f.lock, NULL);
    if (parallel < 1)
        parallel = 1;
    if (parallel > KBC_PARALLEL_MAX)
        parallel = KBC_PARALLEL_MAX;
    if ((size_t)parallel > n)
        parallel = (int)(n ? n : 1);
    pthread_t threads[KBC_PARALLEL_MAX];
    int started = 0;
    for (int i = 0; i < parallel; i++) {
        if (pthread_create(&threads[i], NULL, worker, &f) != 0)
            break;
        started++;
    }
    if (started == 0)
        worker(&f); /* no thread could start: download here, one at a time */
    for (int i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    pthread_mutex_destroy(&f.lock);
    if (f.failed) {
        kbc_strings_free(f.paths, n);
        *err = f.err;
        return f.rc;
    }
    *out_paths = f.paths;
    *out_bytes = f.bytes;
    return RC_OK;
}
