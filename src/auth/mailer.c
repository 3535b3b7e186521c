/* mailer.c — one plain-text mail per call through an SMTP relay with libcurl, for the magic-link
 * sign-in (api/auth.c) and notices. It refuses anything that could smuggle a header or a
 * recipient (CR, LF, a second address), writes an RFC 5322 message with CRLF line ends, encodes
 * a non-ASCII subject per RFC 2047 and the body as quoted-printable (RFC 2045), so the message is
 * 7-bit clean whatever the relay supports. libcurl does the SMTP dialogue and dot-stuffing. */
#include "auth/mailer.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "base/buf.h"
#include "base/hex.h"
#include "base/mem.h"
#include "base/rand.h"
#include "base/utf8.h"

#define MAIL_HEADERS_MAX 8192
#define MAIL_QP_LINE     75 /* characters before a soft line break ("=" makes 76) */
/* RFC 2047 §2: header lines holding encoded-words stay within 76 characters. An encoded-word
 * "=?UTF-8?Q?...?=" spends 12 on its frame; the first line also holds "Subject: ", the next
 * ones a folding space. */
#define MAIL_WORD_FIRST 55
#define MAIL_WORD_NEXT  63

static bool is_alnum(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* True when len bytes at s are one plain address local@domain: a dot-atom local part and a
 * host name of letters, digits and hyphens with at least one dot. No spaces, quotes, angle
 * brackets, commas or comments: exactly the shape a sign-in form should accept. */
static bool address_ok(const char *s, size_t len)
{
    const char *at = memchr(s, '@', len);
    if (len > MAIL_ADDRESS_MAX || !at || memchr(at + 1, '@', len - (size_t)(at + 1 - s)))
        return false;
    size_t local_len = (size_t)(at - s), domain_len = len - local_len - 1;
    if (local_len == 0 || local_len > 64 || domain_len == 0)
        return false;
    for (size_t i = 0; i < local_len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '.') {
            if (i == 0 || i == local_len - 1 || s[i - 1] == '.')
                return false;
        } else if (!is_alnum(c) && (c == 0 || !strchr("!#$%&'*+-/=?^_`{|}~", c))) {
            return false;
        }
    }
    const char *d = at + 1;
    size_t label = 0, dots = 0;
    for (size_t i = 0; i < domain_len; i++) {
        unsigned char c = (unsigned char)d[i];
        if (c == '.') {
            if (label == 0 || d[i - 1] == '-')
                return false;
            label = 0;
            dots++;
        } else if (is_alnum(c) || c == '-') {
            if ((label == 0 && c == '-') || ++label > 63)
                return false;
        } else {
            return false;
        }
    }
    return dots > 0 && label > 0 && d[domain_len - 1] != '-';
}

/* Finds the address in from ("Name <addr>" or "addr"): *out_addr and *out_len point into from.
 * The display name may hold printable ASCII other than the specials that would change the
 * header's meaning. */
static bool parse_from(const char *from, const char **out_addr, size_t *out_len)
{
    const char *lt = strchr(from, '<');
    if (!lt) {
        *out_addr = from;
        *out_len = strlen(from);
        return address_ok(from, *out_len);
    }
    const char *gt = strchr(lt, '>');
    if (!gt || gt[1] != '\0' || strchr(lt + 1, '<'))
        return false;
    for (const char *p = from; p < lt; p++) {
        if (*p < 0x20 || *p > 0x7e || strchr("\"(),:;<>@[\\]", *p))
            return false;
    }
    *out_addr = lt + 1;
    *out_len = (size_t)(gt - lt - 1);
    return address_ok(*out_addr, *out_len);
}

/* True when s holds a CR or LF. */
static bool has_line_break(const char *s)
{
    return strpbrk(s, "\r\n") != NULL;
}

/* Appends "Subject: ..." with CRLF: as is when printable ASCII, else as RFC 2047 "Q"
 * encoded-words, each holding whole UTF-8 characters, folded onto continuation lines of at most
 * 76 characters. RC_INVALID for control characters or malformed UTF-8. */
static enum rc append_subject(struct buf *b, const char *subject, struct err *err)
{
    const unsigned char *s = (const unsigned char *)subject;
    size_t len = strlen(subject);
    bool ascii = true;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < 0x20 || s[i] == 0x7f)
            return err_set(err, RC_INVALID, "mail subject holds a control character");
        if (s[i] > 0x7e)
            ascii = false;
    }
    enum rc rc = buf_append_str(b, "Subject: ");
    if (ascii) {
        if (!rc)
            rc = buf_append(b, subject, len);
        if (!rc)
            rc = buf_append_str(b, "\r\n");
        return rc;
    }
    size_t word = 0, room = MAIL_WORD_FIRST; /* encoded characters in the current word */
    if (!rc)
        rc = buf_append_str(b, "=?UTF-8?Q?");
    for (size_t i = 0; i < len && !rc;) {
        uint32_t cp;
        size_t n = utf8_decode(s + i, len - i, &cp);
        if (n == 0)
            return err_set(err, RC_INVALID, "mail subject is not valid UTF-8");
        char enc[12];
        size_t elen = 0;
        for (size_t j = 0; j < n; j++) {
            unsigned char c = s[i + j];
            if (c == ' ') {
                enc[elen++] = '_';
            } else if (is_alnum(c) || strchr("!*+-/", c)) {
                enc[elen++] = (char)c;
            } else {
                enc[elen++] = '=';
                hex_byte_upper(c, enc + elen);
                elen += 2;
            }
        }
        if (word + elen > room) {
            rc = buf_append_str(b, "?=\r\n =?UTF-8?Q?");
            word = 0;
            room = MAIL_WORD_NEXT;
        }
        if (!rc)
            rc = buf_append(b, enc, elen);
        word += elen;
        i += n;
    }
    if (!rc)
        rc = buf_append_str(b, "?=\r\n");
    return rc;
}

/* Appends body as quoted-printable with CRLF line ends: LF and CRLF end lines, every line of
 * the result is at most 76 characters, and trailing spaces are encoded. */
static enum rc append_qp_body(struct buf *b, const char *body)
{
    enum rc rc = RC_OK;
    size_t col = 0;
    const unsigned char *p = (const unsigned char *)body;
    while (*p && !rc) {
        if (*p == '\n' || (p[0] == '\r' && p[1] == '\n')) {
            rc = buf_append_str(b, "\r\n");
            p += *p == '\r' ? 2 : 1;
            col = 0;
            continue;
        }
        unsigned char c = *p;
        bool line_end = p[1] == '\0' || p[1] == '\n' || (p[1] == '\r' && p[2] == '\n');
        char enc[3];
        size_t elen;
        if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !line_end)) {
            enc[0] = (char)c;
            elen = 1;
        } else {
            enc[0] = '=';
            hex_byte_upper(c, enc + 1);
            elen = 3;
        }
        if (col + elen > MAIL_QP_LINE) {
            rc = buf_append_str(b, "=\r\n");
            col = 0;
        }
        if (!rc)
            rc = buf_append(b, enc, elen);
        col += elen;
        p++;
    }
    if (!rc && col > 0)
        rc = buf_append_str(b, "\r\n");
    return rc;
}

/* Appends the Date header in the RFC 5322 form, independent of the locale. */
static enum rc append_date(struct buf *b)
{
    static const char days[7][4] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    time_t now = time(NULL);
    struct tm tm;
    if (!gmtime_r(&now, &tm) || tm.tm_wday < 0 || tm.tm_wday > 6 || tm.tm_mon < 0 || tm.tm_mon > 11)
        return RC_INTERNAL;
    return buf_printf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n", days[tm.tm_wday],
                      tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
                      tm.tm_sec);
}

/* Builds the whole message into b. from_domain names the Message-ID's right side. */
static enum rc build_message(struct buf *b, const char *from, const char *from_domain,
                             size_t from_domain_len, const char *to, const char *subject,
                             const char *text_body, struct err *err)
{
    char id[33];
    enum rc rc = rand_hex(id, 16, err);
    if (rc)
        return rc;
    rc = append_date(b);
    if (!rc)
        rc = buf_printf(b, "From: %s\r\nTo: %s\r\n", from, to);
    if (!rc)
        rc = append_subject(b, subject, err);
    if (rc == RC_INVALID)
        return rc;
    if (!rc)
        rc = buf_printf(b, "Message-ID: <%s@%.*s>\r\n", id, (int)from_domain_len, from_domain);
    if (!rc)
        rc = buf_append_str(b, "MIME-Version: 1.0\r\n"
                               "Content-Type: text/plain; charset=utf-8\r\n"
                               "Content-Transfer-Encoding: quoted-printable\r\n"
                               "\r\n");
    if (!rc)
        rc = append_qp_body(b, text_body);
    if (rc)
        return err_set(err, rc == RC_TOOBIG ? RC_TOOBIG : RC_INTERNAL, "cannot build the mail");
    return RC_OK;
}

struct mail_reader {
    const char *data;
    size_t len, pos;
};

static size_t on_read(char *dst, size_t size, size_t n, void *userdata)
{
    struct mail_reader *r = userdata;
    size_t room = size * n, left = r->len - r->pos;
    size_t len = left < room ? left : room;
    memcpy(dst, r->data + r->pos, len);
    r->pos += len;
    return len;
}

enum rc mail_send(const struct mail_server *s, const char *to, const char *subject,
                  const char *text_body, struct err *err)
{
    CURL *curl = NULL;
    struct curl_slist *rcpt = NULL;
    struct buf msg;
    char *envelope_from = NULL, *envelope_to = NULL;
    char ebuf[CURL_ERROR_SIZE];
    enum rc rc = RC_OK;
    ebuf[0] = '\0';
    buf_init(&msg, MAIL_HEADERS_MAX + 4 * (size_t)MAIL_BODY_MAX);
    if (!s || !s->url || !s->from || !to || !subject || !text_body) {
        rc = err_set(err, RC_INVALID, "mail server, from, to, subject or body missing");
        goto out;
    }
    bool smtps = strncasecmp(s->url, "smtps://", 8) == 0;
    if (!smtps && strncasecmp(s->url, "smtp://", 7) != 0) {
        rc = err_set(err, RC_INVALID, "mail server URL must start with smtp:// or smtps://");
        goto out;
    }
    if (has_line_break(to) || has_line_break(subject) || has_line_break(s->from)) {
        rc = err_set(err, RC_INVALID, "line break in a mail header value");
        goto out;
    }
    if (!address_ok(to, strlen(to))) {
        rc = err_set(err, RC_INVALID, "recipient is not one plain email address");
        goto out;
    }
    const char *from_addr = NULL;
    size_t from_len = 0;
    if (!parse_from(s->from, &from_addr, &from_len)) {
        rc = err_set(err, RC_INVALID, "sender is not an address or \"Name <address>\"");
        goto out;
    }
    if (strlen(subject) > MAIL_SUBJECT_MAX || strlen(text_body) > MAIL_BODY_MAX) {
        rc = err_set(err, RC_TOOBIG, "mail subject over %d or body over %d bytes", MAIL_SUBJECT_MAX,
                     MAIL_BODY_MAX);
        goto out;
    }
    const char *from_at = memchr(from_addr, '@', from_len); /* parse_from found one */
    const char *from_domain = from_at + 1;
    rc = build_message(&msg, s->from, from_domain, from_len - (size_t)(from_domain - from_addr), to,
                       subject, text_body, err);
    if (rc)
        goto out;
    envelope_from = xasprintf("<%.*s>", (int)from_len, from_addr);
    envelope_to = xasprintf("<%s>", to);
    struct mail_reader reader = { .data = buf_cstr(&msg), .len = msg.len, .pos = 0 };
    curl = curl_easy_init();
    rcpt = curl_slist_append(NULL, envelope_to);
    if (!curl || !rcpt) {
        rc = err_set(err, RC_NOMEM, "cannot set up the SMTP transfer");
        goto out;
    }
    CURLcode cc = curl_easy_setopt(curl, CURLOPT_URL, s->url);
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, (long)MAIL_CONNECT_MS);
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)MAIL_TIMEOUT_MS);
    if (!cc && !smtps && s->require_tls)
        cc = curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
    if (!cc && s->username)
        cc = curl_easy_setopt(curl, CURLOPT_USERNAME, s->username);
    if (!cc && s->password)
        cc = curl_easy_setopt(curl, CURLOPT_PASSWORD, s->password);
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_MAIL_FROM, envelope_from);
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_INFILESIZE_LARGE, (curl_off_t)reader.len);
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_READFUNCTION, on_read);
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_READDATA, &reader);
    if (!cc)
        cc = curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, ebuf);
    if (cc) {
        rc = err_set(err, RC_INTERNAL, "cannot configure the SMTP transfer: %s",
                     curl_easy_strerror(cc));
        goto out;
    }
    cc = curl_easy_perform(curl);
    if (cc == CURLE_USE_SSL_FAILED) {
        rc = err_set(err, RC_IO, "mail relay does not offer STARTTLS");
        goto out;
    }
    if (cc == CURLE_LOGIN_DENIED) {
        rc = err_set(err, RC_IO, "mail relay refused the credentials");
        goto out;
    }
    if (cc) {
        /* not the URL: it may carry credentials */
        rc = err_set(err, RC_IO, "mail relay: %s", ebuf[0] ? ebuf : curl_easy_strerror(cc));
        goto out;
    }
out:
    curl_easy_cleanup(curl);
    curl_slist_free_all(rcpt);
    free(envelope_from);
    free(envelope_to);
    buf_cleanup(&msg);
    return rc;
}
