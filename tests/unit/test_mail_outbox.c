/* test_mail_outbox.c — background mail is tracked: a finished send is joined, shutdown waits
 * for sends under way for a bounded time only, and nothing is sent once shutdown began. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "auth/mail_outbox.h"
#include "base/isotime.h"
#include "base/mem.h"
#include "helpers.h"

/* A listening socket that never answers: an SMTP client waits for its greeting. */
static int silent_server(int *out_port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t len = sizeof(a);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(listen(fd, 8), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    *out_port = ntohs(a.sin_port);
    return fd;
}

static void test_sends_are_tracked_and_drained_within_a_bound(void **state)
{
    (void)state;
    /* a relay that refuses the connection: the send ends by itself and is joined */
    int closed_port = 0;
    int fd = silent_server(&closed_port);
    close(fd); /* nothing listens there now */
    char *url = xasprintf("smtp://127.0.0.1:%d", closed_port);
    struct mail_server s = { url, NULL, NULL, "da <noreply@example.com>", false };
    mail_outbox_send(&s, "a@example.com", "hello", xstrdup("a body"), "a test mail");
    for (int i = 0; i < 500 && mail_outbox_pending() > 0; i++)
        usleep(10 * 1000);
    assert_int_equal(mail_outbox_pending(), 0);
    free(url);

    /* a relay that never answers: drain waits for its bound, then reports the mail */
    int port = 0;
    int silent = silent_server(&port);
    url = xasprintf("smtp://127.0.0.1:%d", port);
    s.url = url;
    mail_outbox_send(&s, "b@example.com", "hello", xstrdup("b body"), "a test mail");
    assert_int_equal(mail_outbox_pending(), 1);
    int64_t t0 = clock_mono_us();
    assert_int_equal(mail_outbox_drain(300), 1);
    printf("drain returned after %.0f ms with one mail under way\n",
           (double)(clock_mono_us() - t0) / 1000.0);
    /* once draining, nothing more goes out */
    mail_outbox_send(&s, "c@example.com", "hello", xstrdup("c body"), "a test mail");
    assert_int_equal(mail_outbox_pending(), 1);
    close(silent); /* the pending send now fails and its thread ends */
    for (int i = 0; i < 500 && mail_outbox_pending() > 0; i++)
        usleep(10 * 1000);
    assert_int_equal(mail_outbox_drain(5000), 0);
    free(url);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sends_are_tracked_and_drained_within_a_bound),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
