/* http.h — a small generic HTTP layer over libcurl for the connectors: one call (GET or a form
 * POST) whose answer is kept in memory up to a cap, and one streaming download to a file
 * descriptor up to a cap. TLS verification is always on, redirects are not followed unless a
 * call asks, and every call has a connect and a total (or stall) time limit.
 *
 * Secrets: request headers may carry tokens; they are wiped once a call is done, and no
 * message ever holds a header or a URL's query string (presigned download URLs carry their
 * signature there): errors name the host only ("cannot reach host: why").
 *
 * A struct net_http owns one libcurl easy handle and is used by one thread at a time; make
 * one per thread. curl_global_init must have run (main does it). */
#ifndef DA_NET_HTTP_H
#define DA_NET_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/compat.h"
#include "base/rc.h"

#define NET_CONNECT_TIMEOUT_S 10
#define NET_TIMEOUT_S         60 /* a whole in-memory call */
#define NET_STALL_TIMEOUT_S   60 /* a download slower than 1 byte/s for this long fails */
#define NET_URL_MAX           8192

struct net_http;

/* A new handle (the caller frees it with net_http_free). */
struct net_http *net_http_new(void);

/* Frees *h. Accepts NULL or a pointer to NULL. */
void net_http_free(struct net_http **h);

/* Seconds to wait for a connection and for a whole call (0 keeps the current value). */
void net_http_set_timeouts(struct net_http *h, long connect_s, long total_s);

struct net_request {
    const char *method;         /* "GET" or "POST" */
    const char *url;            /* absolute http:// or https:// URL */
    const char *const *headers; /* "Name: value" lines ended by NULL, or NULL */
    const char *form;           /* POST: an application/x-www-form-urlencoded body, or NULL */
    size_t max_body;            /* the answer's cap in bytes (0: NET_BODY_MAX) */
    bool follow_redirects;      /* off unless asked: a redirect could carry a token away */
};

#define NET_BODY_MAX (16 * 1024 * 1024)

/* What came back: every HTTP answer is one, whatever its status. */
struct net_response {
    long status;
    struct buf body; /* NUL-terminated; the caller frees it with net_response_cleanup */
};

void net_response_cleanup(struct net_response *r);

/* Performs req. RC_OK when the server answered (any status, in out->status; the body in
 * out->body, which the caller cleans up either way); RC_IO "cannot reach HOST: why" when it
 * did not (connection, DNS, TLS, time limit); RC_TOOBIG when the answer exceeds the cap;
 * RC_INVALID for a URL that is not http(s). */
enum rc net_request(struct net_http *h, const struct net_request *req, struct net_response *out,
                    struct err *err) WARN_UNUSED;

/* Streams GET url into fd. Only a 2xx body is written; *out_status (may be NULL) gets the
 * status and *out_bytes (may be NULL) the bytes written. RC_OK for a 2xx, RC_INVALID
 * "HOST answered STATUS" for any other answer (with out_status set, so callers can tell
 * 5xx from 4xx), RC_IO when there was no answer or fd could not be written, RC_TOOBIG when
 * the body exceeds max_bytes (0: no cap). Stalls fail after NET_STALL_TIMEOUT_S. */
enum rc net_download(struct net_http *h, const char *url, const char *const *headers, int fd,
                     int64_t max_bytes, long *out_status, int64_t *out_bytes,
                     struct err *err) WARN_UNUSED;

/* s percent-encoded for a URL path segment or a form value (heap; the caller frees it). */
char *net_escape(const char *s);

/* The host of url (lower-case as given, without user, port, path or query) into out, for
 * messages; "?" when url cannot be parsed. */
void net_url_host(const char *url, char *out, size_t size);

#endif
