/* fuzz_upload.c — the multipart/form-data upload body (upload_begin/feed/end over
 * libmicrohttpd's post processor). upload.c needs a real connection, so a libmicrohttpd daemon
 * without a listening socket runs for the whole run, and each input is one request handed to
 * it over a socket pair. The input's first line is the Content-Type header; the rest is the
 * body.
 *
 * Invariants: an accepted upload kept at most its cap, its spool file holds exactly
 * upload_size bytes, the client's file name is at most 255 bytes; a refusal is a 4xx with a
 * message. */
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "fuzz.h"
#include "http/upload.h"

#define MAX_BYTES 4096

static struct MHD_Daemon *daemon_;
static char spool[] = "/tmp/da-fuzz-upload-XXXXXX";

struct request {
    struct upload *u;
};

static void check_accepted(const struct upload *u)
{
    FUZZ_ASSERT(upload_size(u) <= MAX_BYTES);
    struct stat st;
    FUZZ_ASSERT(stat(upload_spool_path(u), &st) == 0);
    FUZZ_ASSERT((uint64_t)st.st_size == upload_size(u));
    const char *name = upload_filename(u);
    FUZZ_ASSERT(!name || strlen(name) <= 255);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *conn, const char *url,
                              const char *method, const char *version, const char *upload_data,
                              size_t *upload_data_size, void **con_cls)
{
    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    struct request *r = *con_cls;
    if (!r) {
        r = xcalloc(1, sizeof(*r));
        *con_cls = r;
        struct err err = { { 0 } };
        if (upload_begin(conn, "file", spool, MAX_BYTES, &r->u, &err) != RC_OK)
            FUZZ_ASSERT(r->u == NULL && err.msg[0]);
        return MHD_YES;
    }
    if (*upload_data_size) {
        if (r->u)
            upload_feed(r->u, upload_data, *upload_data_size);
        *upload_data_size = 0;
        return MHD_YES;
    }
    unsigned status = 415;
    if (r->u) {
        char msg[160] = "";
        int end = upload_end(r->u, msg, sizeof(msg));
        if (end == 0) {
            check_accepted(r->u);
            status = 200;
        } else {
            FUZZ_ASSERT(end >= 400 && end < 600 && msg[0]);
            status = (unsigned)end;
        }
    }
    struct MHD_Response *resp = MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
    enum MHD_Result ret = MHD_queue_response(conn, status, resp);
    MHD_destroy_response(resp);
    return ret;
}

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    (void)cls;
    (void)conn;
    (void)toe;
    struct request *r = *con_cls;
    if (r) {
        upload_free(r->u);
        free(r);
    }
    *con_cls = NULL;
}

static void cleanup(void)
{
    MHD_stop_daemon(daemon_);
    rmdir(spool);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    log_setup(LOG_ERROR, LOG_HUMAN);
    signal(SIGPIPE, SIG_IGN);
    if (!mkdtemp(spool))
        abort();
    daemon_ =
        MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_NO_LISTEN_SOCKET | MHD_USE_ITC,
                         0, NULL, NULL, answer, NULL, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
    if (!daemon_)
        abort();
    atexit(cleanup);
    return 0;
}

static void send_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = send(fd, p, len, MSG_NOSIGNAL);
        if (n <= 0)
            return; /* the daemon closed early (a refusal): fine */
        p += n;
        len -= (size_t)n;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64 * 1024)
        return -1;
    const uint8_t *nl = memchr(data, '\n', size);
    size_t tlen = nl ? (size_t)(nl - data) : size;
    char *type = fuzz_cstr(data, tlen);
    for (char *c = type; *c; c++)
        if (*c == '\r')
            *c = ' '; /* one header line; a bare CR would end it for libmicrohttpd */
    const char *body = nl ? (const char *)nl + 1 : "";
    size_t blen = nl ? size - tlen - 1 : 0;

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        abort();
    struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(0x7f000001) };
    if (MHD_add_connection(daemon_, sv[0], (const struct sockaddr *)&addr, sizeof(addr)) != MHD_YES)
        abort();
    char *head = xasprintf("POST /upload HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                           "Content-Type: %s\r\nContent-Length: %zu\r\n\r\n",
                           type, blen);
    send_all(sv[1], head, strlen(head));
    send_all(sv[1], body, blen);
    char buf[4096]; /* the answer, until the daemon closes (Connection: close) */
    while (read(sv[1], buf, sizeof(buf)) > 0)
        ;
    close(sv[1]);
    free(head);
    free(type);
    return 0;
}
