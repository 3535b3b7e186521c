/* json_scan.c — the query result reader (qresult_parse, see output.h). A small JSON scanner of
 * its own rather than jansson, because jansson turns numbers into int64 or double: a HUGEINT
 * past 2^63 would fail to parse and a DECIMAL would lose digits, while the scanner keeps each
 * number's text as the server wrote it. */
#include <stdlib.h>
#include <string.h>

#include "base/hex.h"
#include "base/mem.h"
#include "base/utf8.h"
#include "client/output.h"

#define SCAN_DEPTH_MAX 256 /* nesting of a list or struct value */

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
        if (e != 'u' || s->p - p < 4 || hex_u16(p) < 0)
            goto bad;
        uint32_t c = (uint32_t)hex_u16(p);
        p += 4;
        if (c >= 0xD800 && c <= 0xDBFF && s->p - p >= 6 && p[0] == '\\' && p[1] == 'u' &&
            hex_u16(p + 2) >= 0xDC00 && hex_u16(p + 2) <= 0xDFFF) {
            c = 0x10000 + ((c - 0xD800) << 10) + ((uint32_t)hex_u16(p + 2) - 0xDC00);
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
    size_t cap = 1;
    *out = xcalloc(1, sizeof(char *));
    *n = 0;
    if (!eat(s, '['))
        return false;
    if (eat(s, ']'))
        return true;
    do {
        *out = xgrow(*out, &cap, (size_t)*n + 1, sizeof(char *));
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
    c->items = xgrow(c->items, &c->cap, c->len + 1, sizeof(*c->items));
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
