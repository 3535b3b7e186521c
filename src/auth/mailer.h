/* mailer.h — sending one plain-text mail (a sign-in link, a notice) through an SMTP relay with
 * libcurl. Addresses and headers are checked so that no caller-supplied value can add a header
 * or a recipient. */
#ifndef DA_AUTH_MAILER_H
#define DA_AUTH_MAILER_H

#include <stdbool.h>

#include "base/compat.h"
#include "base/rc.h"

#define MAIL_ADDRESS_MAX 254          /* characters of an address (RFC 5321 path limit) */
#define MAIL_SUBJECT_MAX 512          /* bytes of a subject before encoding */
#define MAIL_BODY_MAX    (256 * 1024) /* bytes of a text body before encoding */
#define MAIL_CONNECT_MS  5000
#define MAIL_TIMEOUT_MS  15000

/* The relay. All strings are borrowed for the duration of the call. */
struct mail_server {
    const char *url;                 /* smtp://host:port or smtps://host:port */
    const char *username, *password; /* both NULL for no authentication */
    const char *from;                /* "da <noreply@example.com>" or a bare address */
    bool require_tls;                /* smtp:// must upgrade with STARTTLS (smtps:// always TLS) */
};

/* Sends text_body (UTF-8; LF or CRLF line ends) to the single address to with subject (UTF-8,
 * encoded per RFC 2047 when not ASCII). The message carries Date, From, To, Subject, a random
 * Message-ID and a quoted-printable text/plain; charset=utf-8 body. RC_INVALID for a URL that is
 * not smtp:// or smtps://, a CR or LF in to, subject or from, a to that is not one plain
 * local@domain address, or a from without one; RC_TOOBIG over MAIL_SUBJECT_MAX or MAIL_BODY_MAX;
 * RC_IO when the relay cannot be reached, refuses TLS when required, refuses the credentials or
 * the message (the reason is in err). Blocks for at most MAIL_TIMEOUT_MS. */
enum rc mail_send(const struct mail_server *s, const char *to, const char *subject,
                  const char *text_body, struct err *err) WARN_UNUSED;

#endif
