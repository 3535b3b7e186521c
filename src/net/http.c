/* http.c — the connectors' HTTP calls over libcurl (see http.h). Every call resets the handle
 * and sets every option again, so nothing of one call (a method, a body, a header) leaks into
 * the next; the connection itself is kept. */
#include "net/http.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/mem.h"
#include "base/version.h"

struct net_http {
    CURL *curl;
    long connect_s, total_s;
    char errbuf[CURL_ERROR_SIZE];
};

struct net_http *net_http_new(void)
{
    CURL *curl = curl_easy_init();
    if (!curl) {
        fputs("da: cannot start libcurl (out of memory)\n", stderr);
        abort();
    }
    struct net_http *h = xcalloc(1, sizeof(*h));
    h->curl = curl;
    h->connect_s = NET_CONNECT_TIMEOUT_S;
    h->total_s = NET_TIMEOUT_S;
    return h;
}

void net_http_free(struct net_http **h)
{
    if (!h || !*h)
        return;
    curl_easy_cleanup((*h)->curl);
    free(*h);
    *h = NULL;
}

void net_http_set_timeouts(struct net_http *h, long connect_s, long total_s)
{
    if (connect_s > 0)
        h->connect_s = connect_s;
    if (total_s > 0)
        h->total_s = total_s;
}

void net_response_cleanup(struct net_response *r)
{
    buf_cleanup(&r->body);
    r->status = 0;
}

char *net_escape(const char *s)
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

void net_url_host(const char *url, char *out, size_t size)
{
    snprintf(out, size, "?");
    CURLU *u = curl_url();
    char *host = NULL;
    if (u && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
        curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
        /* a host name is printable; anything else is replaced, so a hostile URL cannot write
         * control characters into a log line */
        size_t n = 0;
        for (const char *p = host; *p && n + 1 < size; p++)
            out[n++] = (*p > 0x20 && *p < 0x7f) ? *p : '?';
        out[n] = '\0';
    }
    curl_free(host);
    curl_url_cleanup(u);
}

static bool is_http_url(const char *url)
{
    return url && strlen(url) <= NET_URL_MAX &&
           (strncasecmp(url, "http://", 7) == 0 || strncasecmp(url, "https://", 8) == 0);
}

/* Frees a header list after wiping it: it may hold a token. */
static void free_headers(struct curl_slist *l)
{
    for (struct curl_slist *p = l; p; p = p->next)
        mem_wipe(p->data, strlen(p->data));
    curl_slist_free_all(l);
}

/* Resets the handle and sets what every call needs. *out_headers is freed by the caller. */
static void prepare(struct net_http *h, const char *url, const char *const *extra, bool follow,
                    struct curl_slist **out_headers)
{
    CURL *c = h->curl;
    curl_easy_reset(c);
    h->errbuf[0] = '\0';
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, follow ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_MAXREDIRS, 5L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_USERAGENT, "da/" DA_VERSION);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, h->connect_s);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf);
    struct curl_slist *l = curl_slist_append(NULL, "Expect:");
    for (size_t i = 0; l && extra && extra[i]; i++) {
        struct curl_slist *n = curl_slist_append(l, extra[i]);
        if (!n) {
            free_headers(l);
            l = NULL;
        }
        l = n;
    }
    if (!l) {
        fputs("da: out of memory\n", stderr);
        abort();
    }
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, l);
    *out_headers = l;
}

/* The error of a transfer that got no answer. Names the host only: a path may hold a table
 * id, a query string a signature. */
static enum rc transport_error(const char *url, CURLcode cc, struct err *err)
{
    char host[256], why[CURL_ERROR_SIZE];
    net_url_host(url, host, sizeof(host));
    switch (cc) {
    case CURLE_COULDNT_RESOLVE_HOST:
        snprintf(why, sizeof(why), "the host name is not known (DNS)");
        break;
    case CURLE_OPERATION_TIMEDOUT:
        snprintf(why, sizeof(why), "no answer in time");
        break;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CERTPROBLEM:
        snprintf(why, sizeof(why), "TLS failed, the certificate is not trusted or does not match");
        break;
    default:
        /* curl_easy_strerror, not errbuf: errbuf can quote the URL */
        snprintf(why, sizeof(why), "%s", curl_easy_strerror(cc));
    }
    return err_set(err, RC_IO, "cannot reach %s: %s", host, why);
}

static size_t to_buf(char *data, size_t size, size_t n, void *ctx)
{
    struct buf *b = ctx;
    return buf_append(b, data, size * n) == RC_OK ? size * n : 0;
}

enum rc net_request(struct net_http *h, const struct net_request *req, struct net_response *out,
                    struct err *err)
{
    out->status = 0;
    buf_init(&out->body, req->max_body ? req->max_body : NET_BODY_MAX);
    if (!is_http_url(req->url))
        return err_set(err, RC_INVALID, "not an http(s) URL");
    struct curl_slist *headers = NULL;
    prepare(h, req->url, req->headers, req->follow_redirects, &headers);
    CURL *c = h->curl;
    curl_easy_setopt(c, CURLOPT_TIMEOUT, h->total_s);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, to_buf);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &out->body);
    if (strcmp(req->method, "POST") == 0) {
        const char *form = req->form ? req->form : "";
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, form);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(form));
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    CURLcode cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &out->status);
    enum rc rc = RC_OK;
    if (cc == CURLE_WRITE_ERROR && out->body.failed) {
        char host[256];
        net_url_host(req->url, host, sizeof(host));
        rc = err_set(err, RC_TOOBIG, "the answer of %s is larger than %zu bytes", host,
                     out->body.max);
    } else if (cc != CURLE_OK) {
        rc = transport_error(req->url, cc, err);
    } else if (buf_append(&out->body, "", 0) != RC_OK) { /* a NUL-terminated empty body */
        rc = err_set(err, RC_NOMEM, "out of memory");
    }
    free_headers(headers);
    return rc;
}

/* ---------------------------------------------------------------- downloads */

struct download {
    CURL *curl;
    int fd;
    int64_t max, bytes;
    bool too_big, write_failed;
    int write_errno;
};

static size_t download_write(char *data, size_t size, size_t n, void *ctx)
{
    struct download *d = ctx;
    size_t len = size * n;
    long status = 0;
    curl_easy_getinfo(d->curl, CURLINFO_RESPONSE_CODE, &status);
    if (status < 200 || status > 299)
        return len; /* an error page: dropped, the status says enough */
    if (d->max > 0 && d->bytes + (int64_t)len > d->max) {
        d->too_big = true;
        return 0;
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
    d->bytes += (int64_t)len;
    return len;
}

enum rc net_download(struct net_http *h, const char *url, const char *const *headers, int fd,
                     int64_t max_bytes, long *out_status, int64_t *out_bytes, struct err *err)
{
    long status = 0;
    if (out_status)
        *out_status = 0;
    if (out_bytes)
        *out_bytes = 0;
    if (!is_http_url(url))
        return err_set(err, RC_INVALID, "not an http(s) URL");
    struct curl_slist *list = NULL;
    prepare(h, url, headers, false, &list);
    CURL *c = h->curl;
    struct download d = { .curl = c, .fd = fd, .max = max_bytes };
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_LIMIT, 1L);
    curl_easy_setopt(c, CURLOPT_LOW_SPEED_TIME, (long)NET_STALL_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, download_write);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &d);
    CURLcode cc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    char host[256];
    net_url_host(url, host, sizeof(host));
    enum rc rc = RC_OK;
    if (d.too_big)
        rc = err_set(err, RC_TOOBIG, "the download from %s is larger than %lld bytes", host,
                     (long long)max_bytes);
    else if (d.write_failed)
        rc = err_set(err, RC_IO, "cannot write the download from %s: %s", host,
                     strerror(d.write_errno));
    else if (cc != CURLE_OK)
        rc = transport_error(url, cc, err);
    else if (status < 200 || status > 299)
        rc = err_set(err, RC_INVALID, "%s answered %ld", host, status);
    free_headers(list);
    if (out_status)
        *out_status = status;
    if (out_bytes)
        *out_bytes = d.bytes;
    return rc;
}
