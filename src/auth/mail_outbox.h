/* mail_outbox.h — mail sent in the background (so that an SMTP conversation, seconds long,
 * never holds up an answer), by threads that are tracked and joined: at shutdown
 * mail_outbox_drain waits, for a bounded time, for the mails under way instead of cutting
 * them off or leaving threads behind. One outbox per process (its state is module-level,
 * like the log's). */
#ifndef DA_AUTH_MAIL_OUTBOX_H
#define DA_AUTH_MAIL_OUTBOX_H

#include "auth/mailer.h"

/* Sends one mail (see mail_send) on a new thread. Everything is copied; body is taken over
 * (wiped and freed: it may hold a sign-in link). what names the mail in the log ("the
 * sign-in link"). After mail_outbox_drain began, nothing more is sent. */
void mail_outbox_send(const struct mail_server *s, const char *to, const char *subject, char *body,
                      const char *what);

/* Stops taking mail and waits up to timeout_ms for the sends under way, joining each thread
 * that ends. Returns how many were still running (left to the exit; each ends within
 * MAIL_TIMEOUT_MS anyway). */
int mail_outbox_drain(int timeout_ms);

/* Sends under way (for tests). */
int mail_outbox_pending(void);

#endif
