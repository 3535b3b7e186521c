/* output.c — text for a person (see output.h): values cleaned of control characters and bad
 * bytes, their width on a terminal, cut to fit; times and ages in words. Results, CSV and
 * tables are json_scan.c, result_text.c, csv.c and table.c. */
#include "client/output.h"

#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/isotime.h"
#include "base/mem.h"
#include "base/utf8.h"

#define ELLIPSIS "\xe2\x80\xa6"

/* Walks s as it is shown: calls emit for each piece (a valid printable character, or the
 * stand-in for anything else) with its width. Stops when emit returns false. */
typedef bool (*piece_fn)(void *ctx, const char *bytes, size_t len, int width);

static void walk_shown(const char *s, piece_fn emit, void *ctx)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t n = strlen(s);
    while (n > 0) {
        uint32_t cp = 0;
        size_t len = utf8_decode(p, n, &cp);
        bool ok;
        if (len == 0) {
            ok = emit(ctx, "?", 1, 1);
            len = 1;
        } else if (cp == '\t' || cp == '\n' || cp == '\r') {
            ok = emit(ctx, " ", 1, 1);
        } else if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0)) {
            ok = emit(ctx, "?", 1, 1);
        } else {
            ok = emit(ctx, (const char *)p, len, utf8_cp_width(cp));
        }
        if (!ok)
            return;
        p += len;
        n -= len;
    }
}

static bool add_width(void *ctx, const char *bytes, size_t len, int width)
{
    (void)bytes;
    (void)len;
    *(int *)ctx += width;
    return true;
}

int utf8_width(const char *s)
{
    int w = 0;
    walk_shown(s, add_width, &w);
    return w;
}

struct cut {
    char *out;
    size_t len;
    int width, max;
};

static bool add_piece(void *ctx, const char *bytes, size_t len, int width)
{
    struct cut *c = ctx;
    if (c->max > 0 && c->width + width > c->max)
        return false;
    memcpy(c->out + c->len, bytes, len);
    c->len += len;
    c->width += width;
    return true;
}

char *output_clean(const char *s, int max)
{
    /* a stand-in is never longer than the bytes it replaces, so strlen + the ellipsis fits */
    struct cut c = { xmalloc(strlen(s) + sizeof(ELLIPSIS)), 0, 0, 0 };
    int full = utf8_width(s);
    if (max > 0 && full > max)
        c.max = max - 1; /* room for the ellipsis */
    walk_shown(s, add_piece, &c);
    if (max > 0 && full > max) {
        memcpy(c.out + c.len, ELLIPSIS, sizeof(ELLIPSIS) - 1);
        c.len += sizeof(ELLIPSIS) - 1;
    }
    c.out[c.len] = '\0';
    return c.out;
}

void output_print_clean(FILE *f, const char *s)
{
    char *clean = output_clean(s, 0);
    fputs(clean, f);
    free(clean);
}

int output_term_width(int fd)
{
    struct winsize ws;
    if (isatty(fd) != 1 || ioctl(fd, TIOCGWINSZ, &ws) != 0)
        return 0;
    return ws.ws_col;
}

void output_ago(time_t then, time_t now, char out[32])
{
    static const struct {
        long seconds;
        const char *name;
    } units[] = { { 86400, "day" }, { 3600, "hour" }, { 60, "minute" } };
    long d = (long)difftime(now, then);
    if (d < -60) {
        snprintf(out, 32, "in the future");
        return;
    }
    for (size_t i = 0; i < ARRAY_LEN(units); i++) {
        long n = d / units[i].seconds;
        if (n >= 1) {
            snprintf(out, 32, "%ld %s%s ago", n, units[i].name, n == 1 ? "" : "s");
            return;
        }
    }
    snprintf(out, 32, "just now");
}

void output_when(const char *iso, time_t now, char out[96])
{
    time_t t;
    if (!iso) {
        snprintf(out, 96, "-");
        return;
    }
    if (!isotime_parse(iso, &t)) {
        char *clean = output_clean(iso, 60);
        snprintf(out, 96, "%s", clean);
        free(clean);
        return;
    }
    struct tm tm;
    char ago[32];
    gmtime_r(&t, &tm);
    output_ago(t, now, ago);
    snprintf(out, 96, "%04d-%02d-%02d %02d:%02d UTC (%s)", tm.tm_year + 1900, tm.tm_mon + 1,
             tm.tm_mday, tm.tm_hour, tm.tm_min, ago);
}

char *output_json_text(const json_t *v)
{
    char buf[64];
    if (!v)
        return NULL;
    switch (json_typeof(v)) {
    case JSON_STRING:
        return xstrdup(json_string_value(v));
    case JSON_INTEGER:
        snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return xstrdup(buf);
    case JSON_REAL:
        for (int prec = 1; prec <= 17; prec++) { /* the shortest text that reads back */
            snprintf(buf, sizeof(buf), "%.*g", prec, json_real_value(v));
            if (strtod(buf, NULL) == json_real_value(v))
                break;
        }
        return xstrdup(buf);
    case JSON_TRUE:
        return xstrdup("true");
    case JSON_FALSE:
        return xstrdup("false");
    case JSON_ARRAY:
    case JSON_OBJECT: {
        char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
        char *copy = xstrdup(text ? text : "");
        free(text);
        return copy;
    }
    default:
        return NULL;
    }
}
