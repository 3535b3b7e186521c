/* table.c — aligned text tables (table_*, see output.h): cells are kept as given and cleaned,
 * measured in display columns (client/output.c) and cut only when printed. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "client/output.h"

#define MIN_COL_WIDTH 8 /* a column cut to fit the terminal keeps at least this */

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
    t->cells = xgrow(t->cells, &t->cap, t->ncells + 1, sizeof(char *));
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
    l->s = xgrow(l->s, &l->cap, l->len + n + 1, 1);
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
