/* conntrack.h — deadlines libmicrohttpd does not have: the whole request head must arrive
 * within head_timeout_s, and a body must keep arriving at body_min_rate bytes per second
 * (measured over windows of body_window_s). libmicrohttpd only closes a connection that is
 * idle, so a client sending one header line every few seconds, or one body byte a second,
 * would hold its connection (and its thread) for ever.
 *
 * server.c registers each connection (conntrack_open/conntrack_close from libmicrohttpd's
 * connection notifications) and reports its progress; a reaper thread shuts down the sockets
 * of offenders, which makes libmicrohttpd's next recv fail and close the connection. Entries
 * are keyed by the connection's record, not its descriptor, and conntrack_close (called before
 * libmicrohttpd closes the descriptor) takes the lock the reaper holds while it shuts a socket
 * down, so the reaper never touches a descriptor that was closed and reused. Internal to
 * src/http. */
#ifndef DA_HTTP_CONNTRACK_H
#define DA_HTTP_CONNTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/rc.h"

struct conntrack_opts {
    int head_timeout_s;    /* a request head must be complete this long after the
                              connection opened; 0: off */
    int keepalive_idle_s;  /* on a kept-alive connection the next head gets this long on
                              top, counted from the previous answer (the idle time
                              libmicrohttpd allows anyway: an idle client is not a slow one) */
    int body_window_s;     /* the body's rate is measured over windows this long */
    int64_t body_min_rate; /* bytes per second a body must average over each window;
                              0 (or a window of 0): off */
};

struct conntrack;
struct conntrack_conn;

/* Starts the reaper thread. Stop it with conntrack_stop(). */
enum rc conntrack_start(const struct conntrack_opts *opts, struct conntrack **out,
                        struct err *err) WARN_UNUSED;

/* Stops the reaper and frees every entry still registered. Accepts NULL or a pointer to
 * NULL. */
void conntrack_stop(struct conntrack **ct);

/* Registers a new connection on socket fd from address ip (copied). Its head deadline starts
 * now. The entry belongs to ct until conntrack_close. */
struct conntrack_conn *conntrack_open(struct conntrack *ct, int fd, const char *ip);

/* Forgets the connection (before its socket is closed). Accepts NULL. */
void conntrack_close(struct conntrack *ct, struct conntrack_conn *c);

/* The head of a request arrived (request_id is copied, for the log and the 408): from now
 * on the body's arrival rate is checked. */
void conntrack_head_done(struct conntrack *ct, struct conntrack_conn *c, const char *request_id);

/* n bytes of body arrived. False when the connection was cut for a slow body: the caller
 * stops processing it. Accepts NULL c (then true). */
bool conntrack_body(struct conntrack *ct, struct conntrack_conn *c, size_t n);

/* The body is complete (the handler runs now; no deadline applies while it does). False when
 * the connection was cut first. Accepts NULL c (then true). */
bool conntrack_body_done(struct conntrack *ct, struct conntrack_conn *c);

/* The response was sent: a kept-alive connection's next head deadline starts now. Accepts
 * NULL c. */
void conntrack_request_done(struct conntrack *ct, struct conntrack_conn *c);

/* Connections cut so far (head deadline, slow body): for tests and metrics. */
uint64_t conntrack_cut_count(struct conntrack *ct);

#endif
