/* output.c — results, tables and text for the client's commands (see output.h). The result
 * reader is a small JSON scanner of its own rather than jansson, because jansson turns
 * numbers into int64 or double: a HUGEINT past 2^63 would fail to parse and a DECIMAL would
 * lose digits, while the scanner keeps each number's text as the server wrote it. */
#include "client/output.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "base/isotime.h"
#include "base/mem.h"

#define SCAN_DEPTH_MAX 256 /* nesting of a list or struct value */
#define MIN_COL_WIDTH  8   /* a column cut to fit the terminal keeps at least this */
#define ELLIPSIS       "\xe2\x80\xa6"

/* ---------------------------------------------------------------- UTF-8 */

/* Decodes one UTF-8 sequence at s (at most n bytes). Returns its length and sets *cp, or
 * returns 0 for a byte that does not start a valid sequence. */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp)
{
    if (n == 0)
        return 0;
    if (s[0] < 0x80) {
        *cp = s[0];
        return 1;
    }
    size_t len;
    uint32_t c, min;
    if ((s[0] & 0xE0) == 0xC0) {
        len = 2, c = s[0] & 0x1F, min = 0x80;
    } else if ((s[0] & 0xF0) == 0xE0) {
        len = 3, c = s[0] & 0x0F, min = 0x800;
    } else if ((s[0] & 0xF8) == 0xF0) {
        len = 4, c = s[0] & 0x07, min = 0x10000;
    } else {
        return 0;
    }
    if (n < len)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        c = (c << 6) | (s[i] & 0x3F);
    }
    if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
        return 0; /* overlong, out of range, or a surrogate */
    *cp = c;
    return len;
}

static bool in_ranges(uint32_t c, const uint32_t (*r)[2], size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (c >= r[i][0] && c <= r[i][1])
            return true;
    return false;
}

/* Columns of one printable code point: the common ranges of Unicode's East Asian Width
 * (W, F) and of combining marks, which is what terminals follow. */
static int cp_width(uint32_t c)
{
    static const uint32_t zero[][2] = {
        { 0x0300, 0x036F }, { 0x0483, 0x0489 },   { 0x0591, 0x05BD }, { 0x0610, 0x061A },
        { 0x064B, 0x065F }, { 0x0E31, 0x0E31 },   { 0x0E34, 0x0E3A }, { 0x1AB0, 0x1AFF },
        { 0x1DC0, 0x1DFF }, { 0x200B, 0x200F },   { 0x20D0, 0x20FF }, { 0xFE00, 0xFE0F },
        { 0xFE20, 0xFE2F }, { 0xE0100, 0xE01EF },
    };
    static const uint32_t wide[][2] = {
        { 0x1100, 0x115F },   { 0x231A, 0x231B },   { 0x2329, 0x232A },   { 0x23E9, 0x23EC },
        { 0x25FD, 0x25FE },   { 0x2614, 0x2615 },   { 0x2648, 0x2653 },   { 0x26AA, 0x26AB },
        { 0x26BD, 0x26BE },   { 0x26C4, 0x26C5 },   { 0x2705, 0x2705 },   { 0x270A, 0x270B },
        { 0x2728, 0x2728 },   { 0x274C, 0x274C },   { 0x2753, 0x2755 },   { 0x2795, 0x2797 },
        { 0x2B1B, 0x2B1C },   { 0x2E80, 0x303E },   { 0x3041, 0x33FF },   { 0x3400, 0x4DBF },
        { 0x4E00, 0x9FFF },   { 0xA000, 0xA4CF },   { 0xA960, 0xA97F },   { 0xAC00, 0xD7A3 },
        { 0xF900, 0xFAFF },   { 0xFE10, 0xFE19 },   { 0xFE30, 0xFE6F },   { 0xFF00, 0xFF60 },
        { 0xFFE0, 0xFFE6 },   { 0x1F004, 0x1F004 }, { 0x1F0CF, 0x1F0CF }, { 0x1F18E, 0x1F18E },
        { 0x1F191, 0x1F19A }, { 0x1F200, 0x1F251 }, { 0x1F300, 0x1F64F }, { 0x1F680, 0x1F6FF },
        { 0x1F900, 0x1F9FF }, { 0x1FA70, 0x1FAFF }, { 0x20000, 0x2FFFD }, { 0x30000, 0x3FFFD },
    };
    if (in_ranges(c, zero, ARRAY_LEN(zero)))
        return 0;
    return in_ranges(c, wide, ARRAY_LEN(wide)) ? 2 : 1;
}

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
            ok = emit(ctx, (const char *)p, len, cp_width(cp));
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

void output_size(uint64_t bytes, char out[32])
{
    static const char *const units[] = { "KiB", "MiB", "GiB", "TiB", "PiB" };
    if (bytes < 1024) {
        snprintf(out, 32, "%llu B", (unsigned long long)bytes);
        return;
    }
    double v = (double)bytes / 1024;
    size_t u = 0;
    while (v >= 1024 && u + 1 < ARRAY_LEN(units)) {
        v /= 1024;
        u++;
    }
    snprintf(out, 32, v < 10 ? "%.1f %s" : "%.0f %s", v, units[u]);
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

/* ---------------------------------------------------------------- the result reader */

struct scan {
    const char *p, *end;
};

static void skip_ws(struct scan *s)
{
    while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
        s->p++;
}

/* Consumes ch (after blanks) when it is next. */
static bool eat(struct scan *s, char ch)
{
    skip_ws(s);
    if (s->p < s->end && *s->p == ch) {
        s->p++;
        return true;
    }
    return false;
}

static bool eat_word(struct scan *s, const char *word)
{
    size_t n = strlen(word);
    if ((size_t)(s->end - s->p) >= n && memcmp(s->p, word, n) == 0) {
        s->p += n;
        return true;
    }
    return false;
}

static int hex4(const char *p)
{
    int v = 0;
    for (int i = 0; i < 4; i++) {
        char ch = p[i];
        int d = ch >= '0' && ch <= '9'   ? ch - '0'
                : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
                : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                                         : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

static size_t utf8_encode(uint32_t c, char *out)
{
    if (c < 0x80) {
        out[0] = (char)c;
        return 1;
    }
    if (c < 0x800) {
        out[0] = (char)(0xC0 | (c >> 6));
        out[1] = (char)(0x80 | (c & 0x3F));
        return 2;
    }
    if (c < 0x10000) {
        out[0] = (char)(0xE0 | (c >> 12));
        out[1] = (char)(0x80 | ((c >> 6) & 0x3F));
        out[2] = (char)(0x80 | (c & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (c >> 18));
    out[1] = (char)(0x80 | ((c >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((c >> 6) & 0x3F));
    out[3] = (char)(0x80 | (c & 0x3F));
    return 4;
}

/* A JSON string at s->p (after blanks), unescaped into *out (heap). A lone surrogate
 * escape becomes U+FFFD. */
static bool scan_string(struct scan *s, char **out)
{
    if (!eat(s, '"'))
        return false;
    const char *start = s->p;
    while (s->p < s->end && *s->p != '"') /* the unescaped text is never longer */
        s->p += *s->p == '\\' && s->p + 1 < s->end ? 2 : 1;
    if (s->p >= s->end)
        return false;
    char *o = xmalloc((size_t)(s->p - start) + 1);
    size_t n = 0;
    for (const char *p = start; p < s->p;) {
        if ((unsigned char)*p < 0x20)
            goto bad;
        if (*p != '\\') {
            o[n++] = *p++;
            continue;
        }
        char e = p[1];
        p += 2;
        const char *simple = strchr("\"\\/bfnrt", e);
        if (e && simple) {
            o[n++] = "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
            continue;
        }
        if (e != 'u' || s->p - p < 4 || hex4(p) < 0)
            goto bad;
        uint32_t c = (uint32_t)hex4(p);
        p += 4;
        if (c >= 0xD800 && c <= 0xDBFF && s->p - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
            hex4(p + 2) >= 0xDC00 && hex4(p + 2) <= 0xDFFF) {
            c = 0x10000 + ((c - 0xD800) << 10) + ((uint32_t)hex4(p + 2) - 0xDC00);
            p += 6;
        } else if (c >= 0xD800 && c <= 0xDFFF) {
            c = 0xFFFD;
        }
        n += utf8_encode(c, o + n); /* 6 or 12 escape bytes become at most 4 */
    }
    o[n] = '\0';
    s->p++; /* the closing quote */
    *out = o;
    return true;
bad:
    free(o);
    return false;
}

/* Skips one JSON value of any kind, checking its form. */
static bool skip_value(struct scan *s, int depth)
{
    skip_ws(s);
    if (s->p >= s->end || depth > SCAN_DEPTH_MAX)
        return false;
    char ch = *s->p;
    if (ch == '"') {
        char *tmp = NULL;
        bool ok = scan_string(s, &tmp);
        free(tmp);
        return ok;
    }
    if (ch == '[' || ch == '{') {
        char close = ch == '[' ? ']' : '}';
        s->p++;
        if (eat(s, close))
            return true;
        do {
            if (ch == '{') {
                char *key = NULL;
                bool ok = scan_string(s, &key);
                free(key);
                if (!ok || !eat(s, ':'))
                    return false;
            }
            if (!skip_value(s, depth + 1))
                return false;
        } while (eat(s, ','));
        return eat(s, close);
    }
    if (eat_word(s, "true") || eat_word(s, "false") || eat_word(s, "null"))
        return true;
    const char *start = s->p;
    while (s->p < s->end && *s->p && strchr("+-0123456789.eE", *s->p))
        s->p++;
    return s->p > start;
}

/* An array of strings into *out (heap array of heap strings) and *n. */
static bool scan_strings(struct scan *s, char ***out, int *n)
{
    if (*out) /* a repeated key */
        return false;
    *out = xcalloc(1, sizeof(char *));
    *n = 0;
    if (!eat(s, '['))
        return false;
    if (eat(s, ']'))
        return true;
    do {
        *out = xrealloc(*out, (size_t)(*n + 1) * sizeof(char *));
        (*out)[*n] = NULL;
        if (!scan_string(s, &(*out)[*n]))
            return false;
        (*n)++;
    } while (eat(s, ','));
    return eat(s, ']');
}

struct cells {
    struct qcell *items;
    size_t len, cap;
};

static void cells_push(struct cells *c, enum qcell_kind kind, char *text)
{
    if (c->len == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 64;
        c->items = xrealloc(c->items, c->cap * sizeof(*c->items));
    }
    c->items[c->len++] = (struct qcell){ kind, text };
}

/* One value of a row. */
static bool scan_cell(struct scan *s, struct cells *c)
{
    skip_ws(s);
    if (s->p >= s->end)
        return false;
    char ch = *s->p;
    const char *start = s->p;
    if (ch == '"') {
        char *text = NULL;
        if (!scan_string(s, &text))
            return false;
        cells_push(c, QCELL_STRING, text);
        return true;
    }
    if (eat_word(s, "null")) {
        cells_push(c, QCELL_NULL, NULL);
        return true;
    }
    if (eat_word(s, "true") || eat_word(s, "false")) {
        cells_push(c, QCELL_BOOL, xstrndup(start, (size_t)(s->p - start)));
        return true;
    }
    if (!skip_value(s, 0))
        return false;
    cells_push(c, ch == '[' || ch == '{' ? QCELL_NESTED : QCELL_NUMBER,
               xstrndup(start, (size_t)(s->p - start)));
    return true;
}

/* "rows": [[...], ...]; every row must have as many values as the first. */
static bool scan_rows(struct scan *s, struct cells *c, size_t *nrows, size_t *row_len)
{
    if (!eat(s, '['))
        return false;
    if (eat(s, ']'))
        return true;
    do {
        size_t before = c->len;
        if (!eat(s, '['))
            return false;
        if (!eat(s, ']')) {
            do {
                if (!scan_cell(s, c))
                    return false;
            } while (eat(s, ','));
            if (!eat(s, ']'))
                return false;
        }
        size_t len = c->len - before;
        if (*nrows > 0 && len != *row_len)
            return false;
        *row_len = len;
        (*nrows)++;
    } while (eat(s, ','));
    return eat(s, ']');
}

enum rc qresult_parse(const char *json, size_t len, struct qresult *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    struct scan s = { json, json + len };
    struct cells c = { 0 };
    size_t nrows = 0, row_len = 0;
    int ntypes = 0;
    bool have_rows = false, ok = eat(&s, '{');
    if (ok && !eat(&s, '}')) {
        do {
            char *key = NULL;
            ok = scan_string(&s, &key) && eat(&s, ':');
            if (!ok) {
                free(key);
                break;
            }
            skip_ws(&s);
            if (strcmp(key, "columns") == 0) {
                ok = scan_strings(&s, &out->columns, &out->ncols);
            } else if (strcmp(key, "types") == 0) {
                ok = scan_strings(&s, &out->types, &ntypes);
            } else if (strcmp(key, "rows") == 0 && !have_rows) {
                have_rows = true;
                ok = scan_rows(&s, &c, &nrows, &row_len);
            } else if (strcmp(key, "row_count") == 0) {
                const char *start = s.p;
                ok = skip_value(&s, 0) && s.p - start < 24;
                char digits[24] = "", *end = NULL;
                if (ok) /* a copy: the text need not be NUL-terminated */
                    memcpy(digits, start, (size_t)(s.p - start));
                out->row_count = ok ? strtoll(digits, &end, 10) : 0;
                ok = ok && end && *end == '\0' && end > digits;
            } else if (strcmp(key, "truncated") == 0) {
                out->truncated = eat_word(&s, "true");
                ok = out->truncated || eat_word(&s, "false");
            } else if (strcmp(key, "truncated_by") == 0 && !out->truncated_by) {
                ok = eat_word(&s, "null") || scan_string(&s, &out->truncated_by);
            } else {
                ok = skip_value(&s, 0);
            }
            free(key);
        } while (ok && eat(&s, ','));
        ok = ok && eat(&s, '}');
    }
    skip_ws(&s);
    out->cells = c.items;
    out->nrows = nrows;
    if (!ok || s.p != s.end || !out->columns || !have_rows)
        goto bad;
    if (out->ncols == 0 || (nrows > 0 && row_len != (size_t)out->ncols) ||
        (out->types && ntypes != out->ncols))
        goto bad;
    if (!out->types) /* an answer without types: shown, just not aligned as numbers */
        out->types = xcalloc((size_t)out->ncols, sizeof(char *));
    for (int i = 0; i < out->ncols; i++)
        if (!out->types[i])
            out->types[i] = xstrdup("");
    return RC_OK;
bad:
    /* keep what was read freeable: the cells count as one row of whatever was read */
    out->nrows = 0;
    for (size_t i = 0; i < c.len; i++)
        free(c.items[i].text);
    free(c.items);
    out->cells = NULL;
    if (out->types) {
        for (int i = 0; i < ntypes; i++)
            free(out->types[i]);
        free(out->types);
        out->types = NULL;
    }
    return err_set(err, RC_INVALID, "the result is not in the form of a query answer");
}

void qresult_free(struct qresult *r)
{
    for (size_t i = 0; i < r->nrows * (size_t)r->ncols; i++)
        free(r->cells[i].text);
    for (int i = 0; r->columns && i < r->ncols; i++)
        free(r->columns[i]);
    for (int i = 0; r->types && i < r->ncols; i++)
        free(r->types[i]);
    free(r->cells);
    free(r->columns);
    free(r->types);
    free(r->truncated_by);
    memset(r, 0, sizeof(*r));
}

/* ---------------------------------------------------------------- values as text */

bool output_type_numeric(const char *type)
{
    static const char *const names[] = { "TINYINT", "SMALLINT", "INTEGER",   "BIGINT",
                                         "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                                         "UBIGINT", "UHUGEINT", "FLOAT",     "DOUBLE" };
    for (size_t i = 0; i < ARRAY_LEN(names); i++)
        if (strcmp(type, names[i]) == 0)
            return true;
    return strncmp(type, "DECIMAL(", 8) == 0;
}

/* A decimal's digits as sent ("5.0", "129.97") with exactly scale digits after the point:
 * JSON writers drop trailing zeros, but 5.00 is what a DECIMAL(10,2) holds. Text in another
 * form (an exponent) is kept as it is. */
static char *decimal_text(const char *raw, long scale)
{
    if (strpbrk(raw, "eE") || scale < 0 || scale > 76)
        return xstrdup(raw);
    const char *dot = strchr(raw, '.');
    size_t int_len = dot ? (size_t)(dot - raw) : strlen(raw);
    const char *frac = dot ? dot + 1 : "";
    size_t frac_len = strlen(frac);
    for (size_t i = (size_t)scale; i < frac_len; i++)
        if (frac[i] != '0')
            return xstrdup(raw); /* more digits than the scale: keep them all */
    if (scale == 0)
        return xstrndup(raw, int_len);
    char *out = xmalloc(int_len + 1 + (size_t)scale + 1);
    memcpy(out, raw, int_len);
    out[int_len] = '.';
    for (size_t i = 0; i < (size_t)scale; i++)
        out[int_len + 1 + i] = i < frac_len ? frac[i] : '0';
    out[int_len + 1 + (size_t)scale] = '\0';
    return out;
}

/* A FLOAT sent as the double nearest to it ("0.10000000149011612"): the shortest text that
 * reads back as the same float. */
static char *float_text(const char *raw)
{
    char *end = NULL;
    double d = strtod(raw, &end);
    if (!end || *end || !isfinite(d))
        return xstrdup(raw);
    float f = (float)d;
    char buf[64];
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, (double)f);
        if ((float)strtod(buf, NULL) == f)
            break;
    }
    return xstrdup(buf);
}

char *qresult_text(const struct qresult *r, size_t row, int col)
{
    const struct qcell *c = &r->cells[row * (size_t)r->ncols + (size_t)col];
    const char *type = r->types[col];
    if (c->kind == QCELL_NULL)
        return NULL;
    if (c->kind == QCELL_NUMBER && strncmp(type, "DECIMAL(", 8) == 0) {
        const char *comma = strchr(type, ',');
        return decimal_text(c->text, comma ? strtol(comma + 1, NULL, 10) : 0);
    }
    if (c->kind == QCELL_NUMBER && strcmp(type, "FLOAT") == 0)
        return float_text(c->text);
    return xstrdup(c->text);
}

static void csv_field(FILE *f, const char *text)
{
    fputc('"', f);
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

bool qresult_write_csv(FILE *f, const struct qresult *r)
{
    for (int i = 0; i < r->ncols; i++) {
        if (i)
            fputc(',', f);
        csv_field(f, r->columns[i]);
    }
    fputs("\r\n", f);
    for (size_t row = 0; row < r->nrows; row++) {
        for (int i = 0; i < r->ncols; i++) {
            if (i)
                fputc(',', f);
            char *text = qresult_text(r, row, i);
            if (text) /* NULL stays an empty, unquoted field */
                csv_field(f, text);
            free(text);
        }
        fputs("\r\n", f);
    }
    return fflush(f) == 0 && !ferror(f);
}

/* ---------------------------------------------------------------- tables */

void table_init(struct table *t, int ncols)
{
    memset(t, 0, sizeof(*t));
    t->ncols = ncols;
    t->head = xcalloc((size_t)ncols, sizeof(char *));
    t->right = xcalloc((size_t)ncols, sizeof(bool));
}

void table_head(struct table *t, int col, const char *title, bool right)
{
    free(t->head[col]);
    t->head[col] = xstrdup(title);
    t->right[col] = right;
}

void table_add_take(struct table *t, char *text)
{
    if (t->ncells == t->cap) {
        t->cap = t->cap ? t->cap * 2 : 64;
        t->cells = xrealloc(t->cells, t->cap * sizeof(char *));
    }
    t->cells[t->ncells++] = text;
}

void table_add(struct table *t, const char *text)
{
    table_add_take(t, text ? xstrdup(text) : NULL);
}

void table_addf(struct table *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    char *s = xmalloc(n > 0 ? (size_t)n + 1 : 1);
    s[0] = '\0';
    va_start(ap, fmt);
    if (n > 0)
        vsnprintf(s, (size_t)n + 1, fmt, ap);
    va_end(ap);
    table_add_take(t, s);
}

size_t table_rows(const struct table *t)
{
    return t->ncols ? (t->ncells + (size_t)t->ncols - 1) / (size_t)t->ncols : 0;
}

void table_free(struct table *t)
{
    for (int i = 0; i < t->ncols; i++)
        free(t->head[i]);
    for (size_t i = 0; i < t->ncells; i++)
        free(t->cells[i]);
    free(t->head);
    free(t->right);
    free(t->cells);
    memset(t, 0, sizeof(*t));
}

/* One line of a table, built whole so that its trailing blanks can be dropped. */
struct line {
    char *s;
    size_t len, cap;
};

static void line_put(struct line *l, const char *text, size_t n)
{
    if (l->len + n + 1 > l->cap) {
        l->cap = (l->len + n + 1) * 2;
        l->s = xrealloc(l->s, l->cap);
    }
    memcpy(l->s + l->len, text, n);
    l->len += n;
    l->s[l->len] = '\0';
}

static void line_pad(struct line *l, int n)
{
    for (int i = 0; i < n; i++)
        line_put(l, " ", 1);
}

/* Writes the line without trailing blanks and empties it. */
static void line_end(FILE *f, struct line *l)
{
    while (l->len > 0 && l->s[l->len - 1] == ' ')
        l->len--;
    fwrite(l->s ? l->s : "", 1, l->len, f);
    fputc('\n', f);
    l->len = 0;
}

/* Appends the cell text (shown cleaned and cut to w columns) padded to w, then the gap. */
static void line_cell(struct line *l, const char *text, int w, bool right)
{
    char *shown = output_clean(text, w);
    int pad = w - utf8_width(shown);
    if (right)
        line_pad(l, pad);
    line_put(l, shown, strlen(shown));
    if (!right)
        line_pad(l, pad);
    line_pad(l, 2);
    free(shown);
}

void table_print(FILE *f, const struct table *t, const struct table_style *s)
{
    int n = t->ncols;
    size_t rows = table_rows(t);
    int *w = xcalloc((size_t)n, sizeof(int));
    const char *null_text = s->null_text ? s->null_text : "";
    struct line l = { 0 };
    /* natural widths, each within max_cell */
    for (int c = 0; c < n; c++) {
        w[c] = utf8_width(t->head[c] ? t->head[c] : "");
        for (size_t r = 0; r < rows; r++) {
            size_t i = r * (size_t)n + (size_t)c;
            const char *text = i < t->ncells && t->cells[i] ? t->cells[i] : null_text;
            int cw = utf8_width(text);
            if (cw > w[c])
                w[c] = cw;
        }
        if (s->max_cell > 0 && w[c] > s->max_cell)
            w[c] = s->max_cell;
    }
    /* then the widest columns give way until the line fits the terminal */
    if (s->max_width > 0) {
        int total = 2 * (n - 1);
        for (int c = 0; c < n; c++)
            total += w[c];
        while (total > s->max_width) {
            int widest = 0;
            for (int c = 1; c < n; c++)
                if (w[c] > w[widest])
                    widest = c;
            if (w[widest] <= MIN_COL_WIDTH)
                break;
            w[widest]--;
            total--;
        }
    }
    for (int c = 0; c < n; c++)
        line_cell(&l, t->head[c] ? t->head[c] : "", w[c], t->right[c]);
    line_end(f, &l);
    for (int c = 0; c < n; c++) {
        for (int i = 0; i < w[c]; i++)
            line_put(&l, "-", 1);
        line_pad(&l, 2);
    }
    line_end(f, &l);
    for (size_t r = 0; r < rows; r++) {
        for (int c = 0; c < n; c++) {
            size_t i = r * (size_t)n + (size_t)c;
            line_cell(&l, i < t->ncells && t->cells[i] ? t->cells[i] : null_text, w[c],
                      t->right[c]);
        }
        line_end(f, &l);
    }
    free(l.s);
    free(w);
}

void qresult_to_table(const struct qresult *r, struct table *t)
{
    table_init(t, r->ncols);
    for (int c = 0; c < r->ncols; c++)
        table_head(t, c, r->columns[c], output_type_numeric(r->types[c]));
    for (size_t row = 0; row < r->nrows; row++)
        for (int c = 0; c < r->ncols; c++)
            table_add_take(t, qresult_text(r, row, c));
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
