/* test_client_http.c — unit tests of the client's HTTP calls (src/client/http_client.c)
 * against a one-shot loopback server in a thread that records the request and sends a canned
 * answer: URL normalisation, the headers and JSON body of a call, the server's error detail
 * (with control characters removed), answers that are not da's, redirects that are not
 * followed, and downloads (200 with ETag and progress, 304, an error answer, a cancel). */
/* clang-format off: cmocka.h needs these four first */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* clang-format on */

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "base/mem.h"
#include "base/version.h"
#include "client/client.h"
#include "client/http_client.h"

/* ---- a one-shot server ------------------------------------------------------------------ */

struct canned {
    const char *response; /* the whole raw answer */
    char request[16384];  /* what the client sent: head and body */
    size_t request_len;
    int listen_fd;
    int port;
    pthread_t thread;
};

static void *serve_once(void *arg)
{
    struct canned *c = arg;
    int fd = accept(c->listen_fd, NULL, NULL);
    if (fd < 0)
        return NULL;
    size_t want = 0; /* the whole request's length, once the head is in */
    while (c->request_len < sizeof(c->request) - 1) {
        ssize_t n = read(fd, c->request + c->request_len, sizeof(c->request) - 1 - c->request_len);
        if (n <= 0)
            break;
        c->request_len += (size_t)n;
        c->request[c->request_len] = '\0';
        char *end = strstr(c->request, "\r\n\r\n");
        if (end && !want) {
            const char *cl = strstr(c->request, "Content-Length: ");
            want = (size_t)(end + 4 - c->request) + (cl ? strtoul(cl + 16, NULL, 10) : 0);
        }
        if (want && c->request_len >= want)
            break;
    }
    ssize_t w = write(fd, c->response, strlen(c->response));
    (void)w;
    shutdown(fd, SHUT_WR);
    char drain[256];
    while (read(fd, drain, sizeof(drain)) > 0) {
    }
    close(fd);
    return NULL;
}

static void start(struct canned *c, const char *response)
{
    memset(c, 0, sizeof(*c));
    c->response = response;
    c->listen_fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(c->listen_fd >= 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    assert_int_equal(bind(c->listen_fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(c->listen_fd, 1), 0);
    socklen_t len = sizeof(a);
    assert_int_equal(getsockname(c->listen_fd, (struct sockaddr *)&a, &len), 0);
    c->port = ntohs(a.sin_port);
    assert_int_equal(pthread_create(&c->thread, NULL, serve_once, c), 0);
}

static void finish(struct canned *c)
{
    pthread_join(c->thread, NULL);
    close(c->listen_fd);
}

static struct hc *client_for(const struct canned *c)
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", c->port);
    struct hc *hc = NULL;
    struct err err;
    assert_int_equal(hc_new(url, &hc, &err), RC_OK);
    return hc;
}

#define JSON_ANSWER(status, body)                                                                  \
    "HTTP/1.1 " status "\r\nContent-Type: application/json\r\nConnection: close\r\n"               \
    "Content-Length: " #body "\r\n\r\n"

/* ---- URLs -------------------------------------------------------------------------------- */

static void test_normalize_url(void **state)
{
    (void)state;
    static const struct {
        const char *in, *out; /* out NULL: refused */
    } cases[] = {
        { "https://da.example.com", "https://da.example.com" },
        { "HTTPS://Da.Example.COM/", "https://da.example.com" },
        { "http://127.0.0.1:8000//", "http://127.0.0.1:8000" },
        { "https://da.example.com:443/", "https://da.example.com" },
        { "https://corp.example.com/da/", "https://corp.example.com/da" },
        { "http://[::1]:8000", "http://[::1]:8000" },
        { "da.example.com", NULL },
        { "ftp://da.example.com", NULL },
        { "https://user:secret@da.example.com", NULL },
        { "https://da.example.com/?token=x", NULL },
        { "https://da.example.com/#x", NULL },
        { "https://", NULL },
        { "", NULL },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *out = NULL;
        struct err err = { { 0 } };
        enum rc rc = hc_normalize_url(cases[i].in, &out, &err);
        if (cases[i].out) {
            if (rc)
                fail_msg("%s: %s", cases[i].in, err.msg);
            assert_string_equal(out, cases[i].out);
        } else {
            if (rc != RC_INVALID)
                fail_msg("%s was accepted as %s", cases[i].in, out ? out : "?");
            assert_null(out);
            assert_true(err.msg[0] != '\0');
        }
        free(out);
    }
    char *e = hc_escape("a b/c");
    assert_string_equal(e, "a%20b%2Fc");
    free(e);
}

/* ---- calls -------------------------------------------------------------------------------- */

static void test_call_sends_token_agent_and_json(void **state)
{
    (void)state;
    struct canned c;
    start(&c, "HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nConnection: close\r\n"
              "Content-Length: 11\r\n\r\n{\"id\":\"x\"}\n");
    struct hc *hc = client_for(&c);
    hc_set_token(hc, "da_pat_secret");
    json_t *body = json_pack("{s:s, s:i}", "name", "laptop", "n", 1);
    json_t *answer = NULL;
    struct err err = { { 0 } };
    enum rc rc = hc_post(hc, "/api/tokens", body, &answer, &err);
    finish(&c);
    if (rc)
        fail_msg("%s", err.msg);
    assert_true(hc_reached(hc));
    assert_int_equal(hc_status(hc), 201);
    assert_string_equal(json_string_value(json_object_get(answer, "id")), "x");
    assert_non_null(strstr(c.request, "POST /api/tokens HTTP/1.1\r\n"));
    assert_non_null(strstr(c.request, "\r\nUser-Agent: da/" DA_VERSION "\r\n"));
    assert_non_null(strstr(c.request, "\r\nAuthorization: Bearer da_pat_secret\r\n"));
    assert_non_null(strstr(c.request, "\r\nContent-Type: application/json\r\n"));
    assert_non_null(strstr(c.request, "\r\n\r\n{\"name\":\"laptop\",\"n\":1}"));
    json_decref(answer);
    json_decref(body);
    hc_free(&hc);
}

static void test_error_detail_is_quoted_and_cleaned(void **state)
{
    (void)state;
    struct canned c;
    start(&c,
          JSON_ANSWER("401 Unauthorized", 39) "{\"detail\": \"bad \\u001b[31mtoken\\n!\"}\n\n\n");
    struct hc *hc = client_for(&c);
    json_t *answer = NULL;
    struct err err = { { 0 } };
    enum rc rc = hc_get(hc, "/api/me", &answer, &err);
    finish(&c);
    assert_int_equal(rc, RC_UNAUTHORIZED);
    assert_true(hc_reached(hc));
    assert_string_equal(err.msg, "the server answered 401: bad ?[31mtoken?!");
    assert_non_null(answer); /* callers may read the error body */
    assert_non_null(strstr(c.request, "GET /api/me HTTP/1.1\r\n"));
    assert_null(strstr(c.request, "Authorization:")); /* no token set, none sent */
    json_decref(answer);
    hc_free(&hc);
}

/* A busy server (503) is "retry", never a refused credential: exit code 1, not 4 ("log in"). */
static void test_busy_server_is_not_an_auth_failure(void **state)
{
    (void)state;
    struct canned c;
    const char *body = "{\"detail\": \"the server is busy; retry shortly (request id x1)\"}";
    char answer_text[512];
    snprintf(answer_text, sizeof(answer_text),
             "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n"
             "Retry-After: 1\r\nConnection: close\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(body), body);
    start(&c, answer_text);
    struct hc *hc = client_for(&c);
    json_t *answer = NULL;
    struct err err = { { 0 } };
    enum rc rc = hc_get(hc, "/api/me", &answer, &err);
    finish(&c);
    assert_int_equal(rc, RC_BUSY);
    assert_int_not_equal(client_exit_code(hc, rc), CLIENT_EXIT_AUTH);
    assert_int_equal(client_exit_code(hc, rc), CLIENT_EXIT_FAIL);
    assert_string_equal(err.msg, "the server answered 503: the server is busy; retry shortly "
                                 "(request id x1)");
    json_decref(answer);
    hc_free(&hc);
}

static void test_oauth_error_body(void **state)
{
    (void)state;
    struct canned c;
    start(&c, JSON_ANSWER("400 Bad Request", 35) "{\"error\":\"authorization_pending\"}\n\n");
    struct hc *hc = client_for(&c);
    json_t *answer = NULL;
    struct err err = { { 0 } };
    enum rc rc = hc_post(hc, "/auth/device/token", NULL, &answer, &err);
    finish(&c);
    assert_int_equal(rc, RC_INVALID);
    assert_string_equal(json_string_value(json_object_get(answer, "error")),
                        "authorization_pending");
    assert_non_null(strstr(err.msg, "400: authorization_pending"));
    assert_non_null(strstr(c.request, "Content-Length: 0\r\n"));
    json_decref(answer);
    hc_free(&hc);
}

static void test_not_a_da_server(void **state)
{
    (void)state;
    struct canned c;
    start(&c, "HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nConnection: close\r\n"
              "Content-Length: 13\r\n\r\n<html></html>");
    struct hc *hc = client_for(&c);
    struct err err = { { 0 } };
    json_t *answer = NULL;
    enum rc rc = hc_get(hc, "/api/me", &answer, &err);
    finish(&c);
    assert_int_equal(rc, RC_INTERNAL);
    assert_null(answer);
    assert_non_null(strstr(err.msg, "the server answered 502"));
    assert_non_null(strstr(err.msg, "a da server?"));
    hc_free(&hc);

    start(&c, "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nConnection: close\r\n"
              "Content-Length: 5\r\n\r\nhello");
    hc = client_for(&c);
    rc = hc_get(hc, "/api/me", &answer, &err);
    finish(&c);
    assert_int_equal(rc, RC_INVALID);
    assert_non_null(strstr(err.msg, "not JSON"));
    hc_free(&hc);
}

static void test_redirect_is_not_followed(void **state)
{
    (void)state;
    struct canned c;
    start(&c, "HTTP/1.1 301 Moved Permanently\r\nLocation: https://elsewhere.example.com/api/me"
              "\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
    struct hc *hc = client_for(&c);
    hc_set_token(hc, "da_pat_secret");
    struct err err = { { 0 } };
    enum rc rc = hc_get(hc, "/api/me", NULL, &err);
    finish(&c);
    assert_int_equal(rc, RC_INVALID);
    assert_int_equal(hc_status(hc), 301);
    assert_non_null(strstr(err.msg, "redirects to https://elsewhere.example.com/api/me"));
    hc_free(&hc);
}

/* ---- downloads -------------------------------------------------------------------------- */

struct progress_seen {
    int calls;
    uint64_t last, total;
    bool cancel;
};

static int on_progress(void *ctx, uint64_t received, uint64_t total)
{
    struct progress_seen *p = ctx;
    p->calls++;
    p->last = received;
    p->total = total;
    return p->cancel;
}

static int temp_fd(void)
{
    char path[] = "/tmp/da-unit-dl-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    return fd;
}

static size_t fd_contents(int fd, char *out, size_t size)
{
    ssize_t n = pread(fd, out, size - 1, 0);
    assert_true(n >= 0);
    out[n] = '\0';
    return (size_t)n;
}

static void test_download_writes_body_and_reads_etag(void **state)
{
    (void)state;
    struct canned c;
    start(&c, "HTTP/1.1 206 Partial Content\r\nETag: \"abc123\"\r\nContent-Range: bytes 5-15/16"
              "\r\nConnection: close\r\nContent-Length: 11\r\n\r\nhello world");
    struct hc *hc = client_for(&c);
    hc_set_token(hc, "da_pat_secret");
    struct progress_seen seen = { 0 };
    struct hc_download_opts o = { .if_none_match = "\"old\"",
                                  .range = "bytes=5-",
                                  .if_range = "\"abc123\"",
                                  .progress = on_progress,
                                  .progress_ctx = &seen };
    struct hc_download_result r;
    struct err err = { { 0 } };
    int fd = temp_fd();
    enum rc rc = hc_download(hc, "/api/data/orders/download", fd, &o, &r, &err);
    finish(&c);
    if (rc)
        fail_msg("%s", err.msg);
    assert_int_equal(r.status, 206);
    assert_int_equal(r.bytes, 11);
    assert_string_equal(r.etag, "\"abc123\"");
    assert_string_equal(r.content_range, "bytes 5-15/16");
    char got[64];
    assert_int_equal(fd_contents(fd, got, sizeof(got)), 11);
    assert_string_equal(got, "hello world");
    assert_true(seen.calls > 0);
    assert_int_equal(seen.last, 11);
    assert_non_null(strstr(c.request, "\r\nIf-None-Match: \"old\"\r\n"));
    assert_non_null(strstr(c.request, "\r\nRange: bytes=5-\r\n"));
    assert_non_null(strstr(c.request, "\r\nIf-Range: \"abc123\"\r\n"));
    assert_non_null(strstr(c.request, "\r\nAuthorization: Bearer da_pat_secret\r\n"));
    close(fd);
    hc_free(&hc);
}

static void test_download_not_modified_writes_nothing(void **state)
{
    (void)state;
    struct canned c;
    start(&c, "HTTP/1.1 304 Not Modified\r\nETag: \"abc123\"\r\nConnection: close\r\n\r\n");
    struct hc *hc = client_for(&c);
    struct hc_download_result r;
    struct err err = { { 0 } };
    int fd = temp_fd();
    enum rc rc = hc_download(hc, "/f", fd, NULL, &r, &err);
    finish(&c);
    assert_int_equal(rc, RC_OK);
    assert_int_equal(r.status, 304);
    assert_int_equal(r.bytes, 0);
    char got[8];
    assert_int_equal(fd_contents(fd, got, sizeof(got)), 0);
    close(fd);
    hc_free(&hc);
}

static void test_download_error_answer_writes_nothing(void **state)
{
    (void)state;
    struct canned c;
    start(&c, JSON_ANSWER("404 Not Found", 29) "{\"detail\": \"Table not found\"}");
    struct hc *hc = client_for(&c);
    struct hc_download_result r;
    struct err err = { { 0 } };
    int fd = temp_fd();
    enum rc rc = hc_download(hc, "/f", fd, NULL, &r, &err);
    finish(&c);
    assert_int_equal(rc, RC_NOTFOUND);
    assert_string_equal(err.msg, "the server answered 404: Table not found");
    char got[64];
    assert_int_equal(fd_contents(fd, got, sizeof(got)), 0);
    close(fd);
    hc_free(&hc);
}

static void test_download_cancel(void **state)
{
    (void)state;
    struct canned c;
    start(&c, "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 11\r\n\r\nhello world");
    struct hc *hc = client_for(&c);
    struct progress_seen seen = { .cancel = true };
    struct hc_download_opts o = { .progress = on_progress, .progress_ctx = &seen };
    struct hc_download_result r;
    struct err err = { { 0 } };
    int fd = temp_fd();
    enum rc rc = hc_download(hc, "/f", fd, &o, &r, &err);
    finish(&c);
    assert_int_equal(rc, RC_CONFLICT);
    assert_true(hc_reached(hc));
    close(fd);
    hc_free(&hc);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_normalize_url),
        cmocka_unit_test(test_call_sends_token_agent_and_json),
        cmocka_unit_test(test_error_detail_is_quoted_and_cleaned),
        cmocka_unit_test(test_busy_server_is_not_an_auth_failure),
        cmocka_unit_test(test_oauth_error_body),
        cmocka_unit_test(test_not_a_da_server),
        cmocka_unit_test(test_redirect_is_not_followed),
        cmocka_unit_test(test_download_writes_body_and_reads_etag),
        cmocka_unit_test(test_download_not_modified_writes_nothing),
        cmocka_unit_test(test_download_error_answer_writes_nothing),
        cmocka_unit_test(test_download_cancel),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    curl_global_cleanup();
    return failed;
}
