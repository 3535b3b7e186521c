/* http_client.c — JSON calls and downloads over one reused libcurl easy handle. Every call
 * resets the handle and sets every option again, so nothing of one call (a method, a body, a
 * range) leaks into the next; the connection itself is kept. Secrets (the Authorization
 * header, request bodies holding passwords) are wiped once a call is done. */
#include "client/http_client.h"

#include <ctype.h>
#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/mem.h"
#include "base/version.h"

#define HC_ERROR_BODY_MAX (64 * 1024) /* an error answer read during a download */

struct hc {
    CURL *curl;
    char *base;
    char *auth_header; /* "Authorization: Bearer <token>", wiped on change and free */
    long connect_s, total_s;
    long status;
    bool reached;
    char errbuf[CURL_ERROR_SIZE];
};

/* ---------------------------------------------------------------- URLs */

static bool has_prefix_ci(const char *s, const char *prefix)
{
    return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static void lower(char *s)
{
    for (; *s; s++)
        *s = (char)tolower((unsigned char)*s);
}

enum rc hc_normalize_url(const char *url, char **out, struct err *err)
{
    *out = NULL;
    if (!url || !*url)
        return err_set(err, RC_INVALID, "no server URL given");
    if (strlen(url) > HC_URL_MAX)
        return err_set(err, RC_INVALID, "the server URL is longer than %d characters", HC_URL_MAX);
    if (!has_prefix_ci(url, "http://") && !has_prefix_ci(url, "https://")) {
        if (!strstr(url, "://"))
            return err_set(err, RC_INVALID,
                           "the server URL must start with https:// or http:// "
                           "(for example https://%.200s)",
                           url);
        return err_set(err, RC_INVALID, "the server URL must start with https:// or http://");
    }
    CURLU *u = curl_url();
    char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL, *part = NULL;
    enum rc rc = RC_OK;
    if (!u)
        return err_set(err, RC_NOMEM, "out of memory");
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK) {
        rc = err_set(err, RC_INVALID, "'%.200s' is not a valid URL", url);
        goto out;
    }
    if (curl_url_get(u, CURLUPART_USER, &part, 0) == CURLUE_OK ||
        curl_url_get(u, CURLUPART_PASSWORD, &part, 0) == CURLUE_OK) {
        rc = err_set(err, RC_INVALID,
                     "the server URL must not contain a user name or password; "
                     "da asks for credentials itself");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_QUERY, &part, 0) == CURLUE_OK ||
        curl_url_get(u, CURLUPART_FRAGMENT, &part, 0) == CURLUE_OK) {
        rc = err_set(err, RC_INVALID, "the server URL must not have a ?query or #fragment");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !*host) {
        rc = err_set(err, RC_INVALID, "the server URL has no host name");
        goto out;
    }
    (void)curl_url_get(u, CURLUPART_PORT, &port, CURLU_NO_DEFAULT_PORT);
    (void)curl_url_get(u, CURLUPART_PATH, &path, 0);
    lower(scheme);
    lower(host);
    size_t plen = path ? strlen(path) : 0;
    while (plen > 0 && path[plen - 1] == '/')
        plen--;
    *out = xasprintf("%s://%s%s%s%.*s", scheme, host, port ? ":" : "", port ? port : "", (int)plen,
                     path ? path : "");
out:
    curl_free(part);
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(path);
    curl_url_cleanup(u);
    return rc;
}

char *hc_escape(const char *s)
{
    char *e = curl_easy_escape(NULL, s, 0);
    if (!e) {
        fputs("da: out of memory\n", stderr);
        abort();
    }
    char *copy = xstrdup(e);
    curl_free(e);
    return copy;
}

void hc_json_wipe(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    if (json_is_string(v)) /* jansson owns the bytes; wiping them in place is the only way */
        mem_wipe((char *)json_string_value(v), json_string_length(v));
}

/* ---------------------------------------------------------------- the handle */

enum rc hc_new(const char *base_url, struct hc **out, struct err *err)
{
    *out = NULL;
    char *base = NULL;
    enum rc rc = hc_normalize_url(base_url, &base, err);
    if (rc)
        return rc;
    CURL *curl = curl_easy_init();
    if (!curl) {
        free(base);
        return err_set(err, RC_NOMEM, "cannot start libcurl");
    }
    struct hc *c = xcalloc(1, sizeof(*c));
    c->curl = curl;
    c->base = base;
    c->connect_s = HC_CONNECT_TIMEOUT_S;
    c->total_s = HC_TIMEOUT_S;
    *out = c;
    return RC_OK;
}

static void wipe_string(char *s)
{
    if (s) {
        mem_wipe(s, strlen(s));
        free(s);
    }
}

void hc_free(struct hc **c)
{
    if (!c || !*c)
        return;
    curl_easy_cleanup((*c)->curl);
    wipe_string((*c)->auth_header);
    free((*c)->base);
    free(*c);
    *c = NULL;
}

void hc_set_token(struct hc *c, const char *token)
{
    wipe_string(c->auth_header);
    c->auth_header = token && *token ? xasprintf("Authorization: Bearer %s", token) : NULL;
}

void hc_set_timeouts(struct hc *c, long connect_s, long total_s)
{
    if (connect_s > 0)
        c->connect_s = connect_s;
    if (total_s > 0)
        c->total_s = total_s;
}

const char *hc_base_url(const struct hc *c)
{
    return c->base;
}

bool hc_reached(const struct hc *c)
{
    return c->reached;
}

long hc_status(const struct hc *c)
{
    return c->status;
}

/* ---------------------------------------------------------------- answers and errors */

/* Copies text from the server into out with control characters replaced, so an answer
 * cannot move the cursor or recolour the terminal it is printed on. */
static void clean_text(const char *in, size_t in_len, char *out, size_t size)
{
    size_t n = 0;
    for (size_t i = 0; i < in_len && n + 1 < size; i++) {
        unsigned char ch = (unsigned char)in[i];
        out[n++] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    out[n] = '\0';
}

static enum rc rc_of_status(long status)
{
    switch (status) {
    case 401:
        return RC_UNAUTHORIZED;
    case 403:
        return RC_FORBIDDEN;
    case 404:
        return RC_NOTFOUND;
    case 409:
        return RC_CONFLICT;
    case 408:
    case 413:
    case 429:
    case 504: /* the query's time limit */
        return RC_TOOBIG;
    case 503: /* busy: retry; never a reason to log in again */
        return RC_BUSY;
    default:
        return status >= 500 ? RC_INTERNAL : RC_INVALID;
    }
}

/* The error of an answer that is not a success: its status and the server's own words. */
static enum rc answer_error(struct hc *c, const json_t *json, struct err *err)
{
    char text[ERR_MSG_LEN];
    const char *detail = json_string_value(json_object_get(json, "detail"));
    if (!detail) /* OAuth-style answers */
        detail = json_string_value(json_object_get(json, "error"));
    char *to = NULL;
    if (c->status >= 300 && c->status < 400 &&
        curl_easy_getinfo(c->curl, CURLINFO_REDIRECT_URL, &to) == CURLE_OK && to) {
        clean_text(to, strlen(to), text, sizeof(text));
        return err_set(err, RC_INVALID,
                       "the server answered %ld and redirects to %s; use that "
                       "address with --server",
                       c->status, text);
    }
    if (!detail)
        return err_set(err, rc_of_status(c->status),
                       "the server answered %ld with a body that "
                       "is not da's; is %s a da server?",
                       c->status, c->base);
    clean_text(detail, strlen(detail), text, sizeof(text));
    return err_set(err, rc_of_status(c->status), "the server answered %ld: %s", c->status, text);
}

/* The error of a call that got no answer. */
static enum rc transport_error(struct hc *c, CURLcode cc, struct err *err)
{
    long os = 0;
    char why[CURL_ERROR_SIZE + 128];
    curl_easy_getinfo(c->curl, CURLINFO_OS_ERRNO, &os);
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
        snprintf(why, sizeof(why), "the host name is not known (DNS)");
        break;
    case CURLE_COULDNT_CONNECT:
        snprintf(why, sizeof(why), "%s", os ? strerror((int)os) : "cannot connect");
        why[0] = (char)tolower((unsigned char)why[0]);
        break;
    case CURLE_OPERATION_TIMEDOUT:
        snprintf(why, sizeof(why), "no answer in time (%s)", c->errbuf);
        break;
    case CURLE_GOT_NOTHING:
        snprintf(why, sizeof(why), "the server closed the connection without answering");
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
        snprintf(why, sizeof(why),
                 "TLS failed, the certificate is not trusted or does not match "
                 "(%s)",
                 c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
        break;
    default:
        snprintf(why, sizeof(why), "%s", c->errbuf[0] ? c->errbuf : curl_easy_strerror(cc));
    }
    c->reached = false; /* an answer cut off half way is no answer either */
    return err_set(err, RC_IO, "cannot reach %s: %s", c->base, why);
}

/* ---------------------------------------------------------------- one call */

static size_t to_buf(char *data, size_t size, size_t n, void *ctx)
{
    struct buf *b = ctx;
    return buf_append(b, data, size * n) == RC_OK ? size * n : 0;
}

/* Frees a header list after wiping it: it may hold the Authorization header. */
static void free_headers(struct curl_slist *h)
{
    for (struct curl_slist *p = h; p; p = p->next)
        mem_wipe(p->data, strlen(p->data));
    curl_slist_free_all(h);
}

/* Resets the handle and sets what every call needs. *out_headers is freed by the caller
 * with free_headers; extra (may be NULL) are more headers. */
static void prepare(struct hc *c, const char *path, const char *const *extra,
                    struct curl_slist **out_headers)
{
    CURL *h = c->curl;
    curl_easy_reset(h);
    c->status = 0;
    c->reached = false;
    c->errbuf[0] = '\0';
    char *url = xasprintf("%s%s", c->base, path);
    curl_easy_setopt(h, CURLOPT_URL, url); /* copied by libcurl */
    free(url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L); /* a redirect could carry the token away */
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "da/" DA_VERSION);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT, c->connect_s);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, c->errbuf);
    struct curl_slist *headers = NULL;
    headers = curl_slist_append(headers, "Accept: application/json");
    headers = curl_slist_append(headers, "Expect:");
    if (c->auth_header)
        headers = curl_slist_append(headers, c->auth_header);
    for (size_t i = 0; extra && extra[i]; i++)
        headers = curl_slist_append(headers, extra[i]);
    if (!headers) {
        fputs("da: out of memory\n", stderr);
        abort();
    }
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    *out_headers = headers;
}

/* Runs the prepared transfer and records whether and how the server answered. */
static CURLcode perform(struct hc *c)
{
    CURLcode cc = curl_easy_perform(c->curl);
    curl_easy_getinfo(c->curl, CURLINFO_RESPONSE_CODE, &c->status);
    c->reached = c->status != 0;
    return cc;
}

enum rc hc_call(struct hc *c, const char *method, const char *path, const json_t *body,
                json_t **out_json, struct err *err)
{
    struct curl_slist *headers = NULL;
    const char *json_type[] = { "Content-Type: application/json", NULL };
    char *payload = NULL;
    json_t *answer = NULL;
    struct buf b;
    enum rc rc = RC_OK;
    if (out_json)
        *out_json = NULL;
    buf_init(&b, DA_HTTP_RESPONSE_MAX);
    prepare(c, path, body ? json_type : NULL, &headers);
    CURL *h = c->curl;
    curl_easy_setopt(h, CURLOPT_TIMEOUT, c->total_s);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, to_buf);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    if (body) {
        payload = json_dumps(body, JSON_COMPACT);
        if (!payload) {
            rc = err_set(err, RC_INVALID, "cannot encode the request as JSON");
            goto out;
        }
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)strlen(payload));
    }
    if (strcmp(method, "GET") == 0)
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    else if (strcmp(method, "POST") == 0 && !body)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, "");
    if (strcmp(method, "GET") != 0 && strcmp(method, "POST") != 0)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    CURLcode cc = perform(c);
    if (cc == CURLE_WRITE_ERROR && b.failed) {
        rc = err_set(err, RC_TOOBIG, "the answer of %s is larger than %d bytes", c->base,
                     DA_HTTP_RESPONSE_MAX);
        goto out;
    }
    if (cc != CURLE_OK) {
        rc = transport_error(c, cc, err);
        goto out;
    }
    if (b.len > 0)
        answer = json_loadb(buf_cstr(&b), b.len, JSON_REJECT_DUPLICATES, NULL);
    if (c->status < 200 || c->status > 299)
        rc = answer_error(c, answer, err);
    else if (b.len > 0 && !answer)
        rc = err_set(err, RC_INVALID, "the answer of %s is not JSON; is it a da server?", c->base);
    if (out_json) {
        *out_json = answer;
        answer = NULL;
    }
out:
    if (answer) {
        hc_json_wipe(answer, "access_token");
        hc_json_wipe(answer, "token");
        json_decref(answer);
    }
    if (b.data) /* answers carry tokens */
        mem_wipe(b.data, b.len);
    buf_cleanup(&b);
    wipe_string(payload);
    free_headers(headers);
    return rc;
}

enum rc hc_get(struct hc *c, const char *path, json_t **out_json, struct err *err)
{
    return hc_call(c, "GET", path, NULL, out_json, err);
}

enum rc hc_post(struct hc *c, const char *path, const json_t *body, json_t **out_json,
                struct err *err)
{
    return hc_call(c, "POST", path, body, out_json, err);
}

enum rc hc_delete(struct hc *c, const char *path, json_t **out_json, struct err *err)
{
    return hc_call(c, "DELETE", path, NULL, out_json, err);
}

/* ---------------------------------------------------------------- downloads */

struct download {
    struct hc *c;
    int fd;
    const struct hc_download_opts *opts;
    struct hc_download_result *out;
    struct buf error_body; /* the body of an error answer */
    bool write_failed;
    int write_errno;
    bool cancelled;
};

static bool body_wanted(struct download *d)
{
    long status = 0;
    curl_easy_getinfo(d->c->curl, CURLINFO_RESPONSE_CODE, &status);
    return status == 200 || status == 206;
}

static size_t download_write(char *data, size_t size, size_t n, void *ctx)
{
    struct download *d = ctx;
    size_t len = size * n;
    if (!body_wanted(d)) {
        if (d->error_body.len + len <= d->error_body.max) {
            enum rc kept = buf_append(&d->error_body, data, len);
            (void)kept; /* fits, checked above; the rest of a long one is dropped */
        }
        return len;
    }
    for (size_t done = 0; done < len;) {
        ssize_t w = write(d->fd, data + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0) {
            d->write_failed = true;
            d->write_errno = errno;
            return 0;
        }
        done += (size_t)w;
    }
    d->out->bytes += len;
    return len;
}

/* Keeps the ETag and Content-Range of the final answer (an interim one starts afresh). */
static size_t download_header(char *data, size_t size, size_t n, void *ctx)
{
    struct download *d = ctx;
    size_t len = size * n;
    char line[256];
    clean_text(data, len < sizeof(line) - 1 ? len : sizeof(line) - 1, line, sizeof(line));
    size_t l = strlen(line);
    while (l > 0 && (line[l - 1] == '?' || line[l - 1] == ' '))
        line[--l] = '\0'; /* the CR LF, now "??" */
    if (strncmp(line, "HTTP/", 5) == 0) {
        d->out->etag[0] = '\0';
        d->out->content_range[0] = '\0';
    } else if (strncasecmp(line, "ETag:", 5) == 0) {
        snprintf(d->out->etag, sizeof(d->out->etag), "%s", line + 5 + strspn(line + 5, " "));
    } else if (strncasecmp(line, "Content-Range:", 14) == 0) {
        snprintf(d->out->content_range, sizeof(d->out->content_range), "%s",
                 line + 14 + strspn(line + 14, " "));
    }
    return len;
}

static int download_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                             curl_off_t ulnow)
{
    (void)ultotal;
    (void)ulnow;
    struct download *d = ctx;
    if (!d->opts || !d->opts->progress || !body_wanted(d))
        return 0;
    if (d->opts->progress(d->opts->progress_ctx, (uint64_t)dlnow, (uint64_t)dltotal) != 0) {
        d->cancelled = true;
        return 1;
    }
    return 0;
}

enum rc hc_download(struct hc *c, const char *path, int fd, const struct hc_download_opts *opts,
                    struct hc_download_result *out, struct err *err)
{
    struct curl_slist *headers = NULL;
    char *extra_h[4] = { NULL, NULL, NULL, NULL };
    size_t n = 0;
    memset(out, 0, sizeof(*out));
    if (opts && opts->if_none_match)
        extra_h[n++] = xasprintf("If-None-Match: %s", opts->if_none_match);
    if (opts && opts->range)
        extra_h[n++] = xasprintf("Range: %s", opts->range);
    if (opts && opts->if_range)
        extra_h[n++] = xasprintf("If-Range: %s", opts->if_range);
    struct download d = { .c = c, .fd = fd, .opts = opts, .out = out };
    buf_init(&d.error_body, HC_ERROR_BODY_MAX);
    prepare(c, path, (const char *const *)extra_h, &headers);
    CURL *h = c->curl;
    curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    /* no overall limit for big files; a stalled transfer fails instead */
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)HC_STALL_TIMEOUT_S);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, download_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &d);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, download_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &d);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, download_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, &d);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    CURLcode cc = perform(c);
    out->status = c->status;
    enum rc rc = RC_OK;
    if (d.cancelled) {
        rc = err_set(err, RC_CONFLICT, "download cancelled");
    } else if (d.write_failed) {
        out->write_errno = d.write_errno;
        rc = err_set(err, RC_IO, "cannot write the download of %s: %s", path,
                     strerror(d.write_errno));
    } else if (cc != CURLE_OK) {
        rc = transport_error(c, cc, err);
    } else if (c->status != 200 && c->status != 206 && c->status != 304) {
        json_t *j = d.error_body.len
                        ? json_loadb(buf_cstr(&d.error_body), d.error_body.len, 0, NULL)
                        : NULL;
        rc = answer_error(c, j, err);
        json_decref(j);
    }
    buf_cleanup(&d.error_body);
    free_headers(headers);
    for (size_t i = 0; i < n; i++)
        free(extra_h[i]);
    return rc;
}

/* ---------------------------------------------------------------- raw answers and uploads */

/* Ends a call whose answer was collected in b from offset start: a 2xx keeps it; any other
 * answer is turned into its error (from the JSON detail) and taken back out of b. */
static enum rc finish_raw(struct hc *c, CURLcode cc, struct buf *b, size_t start, struct err *err)
{
    if (cc == CURLE_WRITE_ERROR && b->failed)
        return err_set(err, RC_TOOBIG, "the answer of %s is larger than %zu bytes", c->base,
                       b->max);
    /* a server refusing an upload may close before the whole body is sent: its answer counts */
    if (cc != CURLE_OK && !(cc == CURLE_SEND_ERROR && c->status >= 400))
        return transport_error(c, cc, err);
    if (c->status >= 200 && c->status <= 299)
        return RC_OK;
    json_t *j = b->len > start ? json_loadb(b->data + start, b->len - start, 0, NULL) : NULL;
    enum rc rc = answer_error(c, j, err);
    json_decref(j);
    buf_truncate(b, start);
    return rc;
}

enum rc hc_post_raw(struct hc *c, const char *path, const json_t *body, long total_s,
                    struct buf *out, struct err *err)
{
    struct curl_slist *headers = NULL;
    const char *json_type[] = { "Content-Type: application/json", NULL };
    char *payload = body ? json_dumps(body, JSON_COMPACT) : NULL;
    if (body && !payload)
        return err_set(err, RC_INVALID, "cannot encode the request as JSON");
    size_t start = out->len;
    prepare(c, path, body ? json_type : NULL, &headers);
    CURL *h = c->curl;
    curl_easy_setopt(h, CURLOPT_TIMEOUT, total_s > 0 ? total_s : c->total_s);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, to_buf);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, payload ? payload : "");
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, (long)(payload ? strlen(payload) : 0));
    CURLcode cc = perform(c);
    enum rc rc = finish_raw(c, cc, out, start, err);
    free(payload);
    free_headers(headers);
    return rc;
}

/* The headers of prepare with "Expect:" (which turns 100-continue off) replaced by
 * "Expect: 100-continue". The old list is freed. */
static struct curl_slist *expect_continue(struct curl_slist *old)
{
    struct curl_slist *list = NULL;
    for (struct curl_slist *p = old; p; p = p->next)
        list = curl_slist_append(list, strcmp(p->data, "Expect:") == 0 ? "Expect: 100-continue"
                                                                       : p->data);
    free_headers(old);
    if (!list) {
        fputs("da: out of memory\n", stderr);
        abort();
    }
    return list;
}

enum rc hc_upload_file(struct hc *c, const char *path, const char *field, const char *file_path,
                       json_t **out_json, struct err *err)
{
    struct curl_slist *headers = NULL;
    struct buf b;
    enum rc rc = RC_OK;
    if (out_json)
        *out_json = NULL;
    buf_init(&b, DA_HTTP_RESPONSE_MAX);
    prepare(c, path, NULL, &headers);
    CURL *h = c->curl;
    headers = expect_continue(headers);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, headers);
    curl_mime *mime = curl_mime_init(h);
    curl_mimepart *part = mime ? curl_mime_addpart(mime) : NULL;
    if (!part || curl_mime_name(part, field) != CURLE_OK) {
        rc = err_set(err, RC_NOMEM, "out of memory");
        goto out;
    }
    /* the part reads the file as it is sent, and names it after the file's base name */
    if (curl_mime_filedata(part, file_path) != CURLE_OK) {
        rc = err_set(err, RC_IO, "cannot read %s", file_path);
        goto out;
    }
    curl_easy_setopt(h, CURLOPT_MIMEPOST, mime);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(h, CURLOPT_LOW_SPEED_TIME, (long)HC_STALL_TIMEOUT_S);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, to_buf);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
    CURLcode cc = perform(c);
    if (cc == CURLE_READ_ERROR) {
        rc = err_set(err, RC_IO, "cannot read %s", file_path);
        goto out;
    }
    rc = finish_raw(c, cc, &b, 0, err);
    json_t *answer =
        b.len > 0 ? json_loadb(buf_cstr(&b), b.len, JSON_REJECT_DUPLICATES, NULL) : NULL;
    if (!rc && b.len > 0 && !answer)
        rc = err_set(err, RC_INVALID, "the answer of %s is not JSON; is it a da server?", c->base);
    if (out_json)
        *out_json = answer;
    else
        json_decref(answer);
out:
    curl_easy_setopt(h, CURLOPT_MIMEPOST, NULL);
    curl_mime_free(mime);
    buf_cleanup(&b);
    free_headers(headers);
    return rc;
}
