/* keboola_api.c — the Storage API v2 calls of the connector (see keboola_int.h): the token in
 * X-StorageApi-Token on calls to the stack only (never on downloads: presigned URLs go to
 * other hosts), 5xx, 429 and transfers without an answer retried with a doubling backoff,
 * 401/403 reported as a refused token, and an export job waited for with a growing interval
 * up to a bound. Messages name the call, never the token. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/isotime.h"
#include "base/log.h"
#include "base/mem.h"
#include "connectors/keboola_int.h"
#include "net/http.h"

#define KBC_ANSWER_MAX (64 * 1024 * 1024) /* the table list of a big project */

struct kbc_client {
    struct net_http *http;
    char *base;         /* the stack URL without trailing '/' */
    char *token_header; /* "X-StorageApi-Token: ..."; wiped on free */
    int retries, backoff_ms, job_timeout_s;
};

enum rc kbc_client_new(const char *stack_url, const char *token, struct kbc_client **out,
                       struct err *err)
{
    *out = NULL;
    if (!stack_url || !*stack_url)
        return err_set(err, RC_INVALID,
                       "no Keboola stack URL: set keboola.stack_url in the config or "
                       "KEBOOLA_STACK_URL");
    if (strncmp(stack_url, "https://", 8) != 0 && strncmp(stack_url, "http://", 7) != 0)
        return err_set(err, RC_INVALID, "the Keboola stack URL must start with https://");
    if (!token || !*token)
        return err_set(err, RC_INVALID, "no Keboola token: set KEBOOLA_STORAGE_TOKEN");
    if (strpbrk(token, "\r\n"))
        return err_set(err, RC_INVALID, "KEBOOLA_STORAGE_TOKEN holds a line break");
    struct kbc_client *c = xcalloc(1, sizeof(*c));
    c->http = net_http_new();
    c->base = xstrdup(stack_url);
    size_t l = strlen(c->base);
    while (l > 0 && c->base[l - 1] == '/')
        c->base[--l] = '\0';
    c->token_header = xasprintf("X-StorageApi-Token: %s", token);
    c->retries = 4;
    c->backoff_ms = 500;
    c->job_timeout_s = 3600;
    *out = c;
    return RC_OK;
}

void kbc_client_free(struct kbc_client **c)
{
    if (!c || !*c)
        return;
    mem_wipe((*c)->token_header, strlen((*c)->token_header));
    free((*c)->token_header);
    free((*c)->base);
    net_http_free(&(*c)->http);
    free(*c);
    *c = NULL;
}

void kbc_client_set_limits(struct kbc_client *c, int retries, int backoff_ms, int job_timeout_s)
{
    if (retries >= 0)
        c->retries = retries;
    if (backoff_ms > 0)
        c->backoff_ms = backoff_ms;
    if (job_timeout_s > 0)
        c->job_timeout_s = job_timeout_s;
}

static void sleep_ms(int64_t ms)
{
    struct timespec ts = { .tv_sec = (time_t)(ms / 1000), .tv_nsec = (long)(ms % 1000) * 1000000L };
    while (nanosleep(&ts, &ts) != 0)
        ;
}

/* One call to path on the stack, retried as the header says. *out holds a 2xx answer. */
static enum rc call(struct kbc_client *c, const char *method, const char *path, const char *form,
                    struct net_response *out, struct err *err)
{
    char *url = xasprintf("%s%s", c->base, path);
    const char *headers[] = { c->token_header, "Accept: application/json",
                              form ? "Content-Type: application/x-www-form-urlencoded" : NULL,
                              NULL };
    struct net_request req = {
        .method = method, .url = url, .headers = headers, .form = form, .max_body = KBC_ANSWER_MAX
    };
    /* the path without its query, for messages */
    int plen = (int)strcspn(path, "?");
    enum rc rc = RC_OK;
    for (int attempt = 0;; attempt++) {
        rc = net_request(c->http, &req, out, err);
        bool retry = rc == RC_IO || (!rc && (out->status >= 500 || out->status == 429));
        if (!rc && out->status >= 200 && out->status <= 299)
            break;
        if (retry && attempt < c->retries) {
            int64_t wait = (int64_t)c->backoff_ms << attempt;
            log_warn("keboola", "%s %.*s: %s; retrying in %lld ms", method, plen, path,
                     rc ? err->msg : "server error", (long long)wait);
            if (!rc)
                log_warn("keboola", "(Keboola answered %ld)", out->status);
            net_response_cleanup(out);
            sleep_ms(wait);
            continue;
        }
        if (rc)
            break;
        char msg[200];
        kbc_answer_message(out->body.data, out->body.len, msg, sizeof(msg));
        if (out->status == 401 || out->status == 403)
            rc = err_set(err, RC_UNAUTHORIZED,
                         "Keboola refused the token (HTTP %ld); check KEBOOLA_STORAGE_TOKEN and "
                         "its permissions",
                         out->status);
        else if (out->status == 404)
            rc = err_set(err, RC_NOTFOUND, "Keboola answered 404 to %s %.*s%s%s", method, plen,
                         path, msg[0] ? ": " : "", msg);
        else
            rc = err_set(err, out->status >= 500 ? RC_IO : RC_INVALID,
                         "Keboola answered %ld to %s %.*s%s%s", out->status, method, plen, path,
                         msg[0] ? ": " : "", msg);
        break;
    }
    if (rc)
        net_response_cleanup(out);
    free(url);
    return rc;
}

enum rc kbc_list_buckets(struct kbc_client *c, json_t **out, struct err *err)
{
    struct net_response r;
    enum rc rc = call(c, "GET", "/v2/storage/buckets", NULL, &r, err);
    if (!rc)
        rc = kbc_parse_buckets(r.body.data, r.body.len, out, err);
    net_response_cleanup(&r);
    return rc;
}

enum rc kbc_list_tables(struct kbc_client *c, struct kbc_table **out, size_t *out_len,
                        struct err *err)
{
    struct net_response r;
    enum rc rc = call(c, "GET", "/v2/storage/tables?include=columns,metadata", NULL, &r, err);
    if (!rc)
        rc = kbc_parse_tables(r.body.data, r.body.len, out, out_len, err);
    net_response_cleanup(&r);
    return rc;
}

enum rc kbc_get_table(struct kbc_client *c, const char *id, struct kbc_table *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    if (!kbc_id_valid(id))
        return err_set(err, RC_INVALID, "'%.64s...' is not a Keboola table id", id);
    char *e = net_escape(id);
    char *path = xasprintf("/v2/storage/tables/%s", e);
    free(e);
    struct net_response r;
    enum rc rc = call(c, "GET", path, NULL, &r, err);
    free(path);
    if (!rc) {
        json_t *j = json_loadb(r.body.data, r.body.len, JSON_REJECT_DUPLICATES, NULL);
        rc = j ? kbc_parse_table(j, out, err)
               : err_set(err, RC_INVALID, "Keboola's answer for table %s is not JSON", id);
        json_decref(j);
        if (!rc && strcmp(out->id, id) != 0)
            rc = err_set(err, RC_INVALID, "Keboola answered for table %s with another table", id);
    }
    net_response_cleanup(&r);
    return rc;
}

/* The form of export-async: gzip=1, the columns in order, changedSince when given. */
static char *export_form(const struct kbc_table *t, const char *changed_since)
{
    struct buf b;
    buf_init(&b, 4 * 1024 * 1024);
    enum rc rc = buf_append_str(&b, "gzip=1");
    for (size_t i = 0; !rc && i < t->n_cols; i++) {
        char *v = net_escape(t->cols[i].name);
        rc = buf_printf(&b, "&columns%%5B%zu%%5D=%s", i, v);
        free(v);
    }
    if (!rc && changed_since) {
        char *v = net_escape(changed_since);
        rc = buf_printf(&b, "&changedSince=%s", v);
        free(v);
    }
    char *s = rc ? NULL : buf_take(&b, NULL);
    buf_cleanup(&b);
    return s;
}

static enum rc get_job(struct kbc_client *c, int64_t id, struct kbc_job *out, struct err *err)
{
    char path[64];
    snprintf(path, sizeof(path), "/v2/storage/jobs/%lld", (long long)id);
    struct net_response r;
    enum rc rc = call(c, "GET", path, NULL, &r, err);
    if (!rc)
        rc = kbc_parse_job(r.body.data, r.body.len, out, err);
    net_response_cleanup(&r);
    return rc;
}

enum rc kbc_export(struct kbc_client *c, const struct kbc_table *t, const char *changed_since,
                   struct kbc_file *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    char *form = export_form(t, changed_since);
    if (!form)
        return err_set(err, RC_TOOBIG, "the export request of %s is too long", t->id);
    char *e = net_escape(t->id);
    char *path = xasprintf("/v2/storage/tables/%s/export-async", e);
    free(e);
    struct net_response r;
    struct kbc_job job;
    enum rc rc = call(c, "POST", path, form, &r, err);
    free(path);
    free(form);
    if (!rc)
        rc = kbc_parse_job(r.body.data, r.body.len, &job, err);
    net_response_cleanup(&r);
    int64_t start = clock_mono_us(), wait_ms = 100;
    while (!rc && (job.state == KBC_JOB_WAITING || job.state == KBC_JOB_PROCESSING)) {
        if (clock_mono_us() - start > (int64_t)c->job_timeout_s * 1000000)
            return err_set(err, RC_IO, "Keboola's export job %lld of %s did not finish within %d s",
                           (long long)job.id, t->id, c->job_timeout_s);
        sleep_ms(wait_ms);
        wait_ms = wait_ms * 3 / 2 > 5000 ? 5000 : wait_ms * 3 / 2;
        int64_t id = job.id;
        rc = get_job(c, id, &job, err);
        if (!rc && job.id != id)
            rc = err_set(err, RC_INVALID, "Keboola answered for job %lld with another job",
                         (long long)id);
    }
    if (rc)
        return rc;
    if (job.state == KBC_JOB_ERROR)
        return err_set(err, RC_INVALID, "Keboola's export of %s failed: %s", t->id, job.message);
    char fpath[96];
    snprintf(fpath, sizeof(fpath), "/v2/storage/files/%lld?federationToken=1",
             (long long)job.file_id);
    rc = call(c, "GET", fpath, NULL, &r, err);
    if (!rc)
        rc = kbc_parse_file(r.body.data, r.body.len, out, err);
    if (r.body.data)
        mem_wipe(r.body.data, r.body.len); /* it holds the temporary AWS secret */
    net_response_cleanup(&r);
    return rc;
}

enum rc kbc_file_urls(struct kbc_client *c, const struct kbc_file *f, char ***out, size_t *out_len,
                      struct err *err)
{
    if (!f->sliced) {
        *out = xcalloc(1, sizeof(char *));
        (*out)[0] = xstrdup(f->url);
        *out_len = 1;
        return RC_OK;
    }
    /* the manifest is a presigned URL on the storage's host: no token goes there */
    struct net_request req = { .method = "GET", .url = f->url, .max_body = 16 * 1024 * 1024 };
    struct net_response r;
    enum rc rc = RC_OK;
    for (int attempt = 0;; attempt++) {
        rc = net_request(c->http, &req, &r, err);
        bool retry = rc == RC_IO || (!rc && r.status >= 500);
        if (!retry || attempt >= c->retries)
            break;
        net_response_cleanup(&r);
        sleep_ms((int64_t)c->backoff_ms << attempt);
    }
    if (!rc && (r.status < 200 || r.status > 299)) {
        char host[256];
        net_url_host(f->url, host, sizeof(host));
        rc = err_set(err, RC_IO, "the slice manifest's host %s answered %ld", host, r.status);
    }
    if (!rc)
        rc = kbc_parse_manifest(r.body.data, r.body.len, out, out_len, err);
    net_response_cleanup(&r);
    return rc;
}
