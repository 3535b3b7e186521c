/* table_profile.c — the table profiler (see table_profile.h for the JSON it returns). Pure
 * computation over one relation of a caller's struct duck: it reads, and writes nothing but a TEMP
 * sample table that it drops again. The work is a few SQL passes, each batched over all columns:
 *   1. count(*) over the relation (exact, even when sampling);
 *   2. only when the relation is bigger than sample_rows: a reservoir sample into a TEMP table;
 *   3. DESCRIBE, for names and types;
 *   4. one aggregate pass: per column a struct of VARCHAR fields in one list, unnested to one
 *      row per column (so any number of columns fits duck_query_rows);
 *   5. one grouped pass: GROUPING SETS with a set per top-values column and per histogram
 *      column (bucket numbers computed from pass 4's min and max), each set's top values
 *      picked with min_by(.., N) rather than a window sort.
 * Column names only ever reach SQL through duck_sql_quote_ident. Called by the catalog code. */
#include "data/table_profile.h"

#include <jansson.h>
#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/isotime.h"
#include "base/mem.h"
#include "base/parse.h"
#include "base/utf8.h"

#define PROFILE_SQL_MAX             (64 * 1024 * 1024)
#define PROFILE_DEFAULT_SAMPLE_ROWS 1000000
#define PROFILE_DEFAULT_TOP_VALUES  10
#define PROFILE_DEFAULT_BINS        15
#define PROFILE_DEFAULT_FEW         20
#define PROFILE_MONTHS_MAX          36 /* month bins when min and max are fewer months apart */
#define PROFILE_EXACT_INT           9007199254740992LL /* 2^53: larger integers lose precision */

enum cat { CAT_NUMERIC, CAT_STRING, CAT_DATE, CAT_TIMESTAMP, CAT_BOOLEAN, CAT_OTHER };

static const char *const cat_names[] = {
    [CAT_NUMERIC] = "numeric",     [CAT_STRING] = "string",   [CAT_DATE] = "date",
    [CAT_TIMESTAMP] = "timestamp", [CAT_BOOLEAN] = "boolean", [CAT_OTHER] = "other",
};

enum numk { NUM_INT, NUM_DECIMAL, NUM_FLOAT };

struct top {
    char *value;
    int64_t count;
};

struct col {
    char *name;
    char *type;
    enum cat cat;
    enum numk numk; /* CAT_NUMERIC only */
    bool wide;      /* HUGEINT, UHUGEINT or DECIMAL: averaged as DOUBLE */
    bool tz;        /* TIMESTAMP WITH TIME ZONE: read in UTC */
    /* pass 4 */
    int64_t nonnull;
    int64_t distinct;
    char *min, *max, *mean, *sd;
    char *hlo, *hhi; /* histogram range: finite min/max as DOUBLE text, or month numbers */
    /* pass 5 */
    int top_set;  /* grouping set of the top values, -1 for none */
    int hist_set; /* grouping set of the histogram, -1 for none */
    struct top *tops;
    int ntops;
    size_t cap_tops;
    int64_t *bins;
    int nbins;
    double lo, width; /* numeric histogram */
    int64_t first;    /* date histogram: month number (year*12 + month-1) or year of bin 0 */
    int years;        /* date histogram: 0 = by month, else years per bin */
};

struct prof {
    struct col *cols;
    int ncols;
    size_t cap;
    int64_t rows; /* profiled rows */
    int next;     /* pass 4: the column the next row belongs to */
    int nsets;    /* pass 5: number of grouping sets */
    struct col **set_col;
};

struct opts {
    int64_t sample_rows;
    int top_values;
    int bins;
    int few;
    int64_t top_min_count;
    int64_t size_bytes;
};

static _Atomic unsigned long sample_seq;

/* ---- small helpers ----------------------------------------------------------------------- */

static bool has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* Sets the category of c from its DuckDB type text. */
static void classify(struct col *c)
{
    static const char *const ints[] = {
        "TINYINT",  "SMALLINT",  "INTEGER",  "BIGINT",  "HUGEINT",
        "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT", "UHUGEINT",
    };
    static const char *const stamps[] = {
        "TIMESTAMP", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS", "TIMESTAMP WITH TIME ZONE",
    };
    const char *t = c->type;
    size_t len = strlen(t);
    c->cat = CAT_OTHER;
    if (len == 0 || t[len - 1] == ']') /* LIST and ARRAY, whatever their element type */
        return;
    for (size_t i = 0; i < ARRAY_LEN(ints); i++) {
        if (strcmp(t, ints[i]) == 0) {
            c->cat = CAT_NUMERIC;
            c->numk = NUM_INT;
            c->wide = strstr(t, "HUGEINT") != NULL;
            return;
        }
    }
    for (size_t i = 0; i < ARRAY_LEN(stamps); i++) {
        if (strcmp(t, stamps[i]) == 0) {
            c->cat = CAT_TIMESTAMP;
            c->tz = strcmp(t, "TIMESTAMP WITH TIME ZONE") == 0;
            return;
        }
    }
    if (has_prefix(t, "DECIMAL(")) {
        c->cat = CAT_NUMERIC;
        c->numk = NUM_DECIMAL;
        c->wide = true;
    } else if (strcmp(t, "FLOAT") == 0 || strcmp(t, "DOUBLE") == 0) {
        c->cat = CAT_NUMERIC;
        c->numk = NUM_FLOAT;
    } else if (strcmp(t, "VARCHAR") == 0 || has_prefix(t, "VARCHAR COLLATE") ||
               has_prefix(t, "ENUM(")) {
        c->cat = CAT_STRING;
    } else if (strcmp(t, "DATE") == 0) {
        c->cat = CAT_DATE;
    } else if (strcmp(t, "BOOLEAN") == 0) {
        c->cat = CAT_BOOLEAN;
    }
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

static bool parse_count(const char *s, int64_t *out_v)
{
    return s && parse_i64(s, 0, INT64_MAX, out_v);
}

/* Parses DuckDB's text of a DOUBLE ("1.5", "nan", "-inf", "1e+300"). */
static bool parse_double(const char *s, double *out_v)
{
    if (!s || !*s)
        return false;
    char *end = NULL;
    double d = strtod(s, &end);
    if (*end)
        return false;
    *out_v = d;
    return true;
}

/* floor(a / b) for b > 0. */
static int64_t floor_div(int64_t a, int64_t b)
{
    int64_t q = a / b;
    return (a % b != 0 && a < 0) ? q - 1 : q;
}

static double round4(double x)
{
    return round(x * 10000.0) / 10000.0;
}

/* ---- JSON building: a sticky failure flag instead of a check per call --------------------- */

static void put(json_t *obj, const char *key, json_t *v, bool *bad)
{
    if (!v || json_object_set_new(obj, key, v) != 0)
        *bad = true;
}

static void push(json_t *arr, json_t *v, bool *bad)
{
    if (!v || json_array_append_new(arr, v) != 0)
        *bad = true;
}

/* A JSON string of the first max bytes of s at most, cut at a character boundary (and before
 * a malformed sequence, which DuckDB never stores). Should jansson still refuse it, the value
 * degrades to null instead of failing the profile. */
static json_t *utf8_json(const char *s, size_t max)
{
    json_t *j = json_stringn(s, utf8_prefix(s, strlen(s), max));
    return j ? j : json_null();
}

/* A value's text, cut to PROFILE_TEXT_MAX bytes. */
static json_t *text_json(const char *s)
{
    return utf8_json(s, PROFILE_TEXT_MAX);
}

/* A column name or type text, whole. */
static json_t *name_json(const char *s)
{
    return utf8_json(s, SIZE_MAX);
}

/* Whether the numeric text s survives as a JSON number: a double must hold it exactly. */
static bool num_exact(const char *s, enum numk k)
{
    int64_t v;
    double d;
    if (!s)
        return true;
    switch (k) {
    case NUM_INT:
        return parse_i64(s, -PROFILE_EXACT_INT, PROFILE_EXACT_INT, &v);
    case NUM_FLOAT: {
        if (!parse_double(s, &d))
            return false;
        if (!isfinite(d))
            return true; /* becomes null either way */
        char tmp[64];
        snprintf(tmp, sizeof(tmp), "%.15g", d);
        return strtod(tmp, NULL) == d;
    }
    case NUM_DECIMAL: {
        /* significant digits: from the first non-zero digit to the last non-zero one */
        int digits = 0, pending = 0;
        bool started = false;
        for (const char *p = s; *p; p++) {
            if (*p < '0' || *p > '9')
                continue;
            if (*p == '0') {
                if (started)
                    pending++;
                continue;
            }
            started = true;
            digits += pending + 1;
            pending = 0;
        }
        /* trailing zeros are not counted: "%.15g" writes 12300 as 12300 and 1e20 as
         * 1e+20, both the exact value */
        return digits <= 15;
    }
    }
    return false;
}

/* A numeric value as JSON: null for none, NaN or Infinity; the exact text when as_text. */
static json_t *num_json(const char *s, enum numk k, bool as_text)
{
    double d;
    int64_t v;
    if (!s)
        return json_null();
    if (k == NUM_FLOAT) {
        if (!parse_double(s, &d) || !isfinite(d))
            return json_null();
        return as_text ? json_string(s) : json_real(d);
    }
    if (as_text)
        return json_string(s);
    if (k == NUM_INT && parse_i64(s, INT64_MIN, INT64_MAX, &v))
        return json_integer(v);
    if (parse_double(s, &d) && isfinite(d))
        return json_real(d);
    return json_string(s);
}

/* A DOUBLE statistic (mean, stddev) as a JSON number, null when absent or not finite. */
static json_t *real_json(const char *s)
{
    double d;
    if (!parse_double(s, &d) || !isfinite(d))
        return json_null();
    return json_real(d);
}

/* DuckDB's timestamp text as ISO-8601: "2024-01-02 03:04:05.123" -> "2024-01-02T03:04:05.123",
 * with "Z" when the value is in UTC (TIMESTAMP WITH TIME ZONE). Infinity stays as it is. */
static json_t *stamp_json(const char *s, bool utc)
{
    if (!s)
        return json_null();
    if (!(s[0] >= '0' && s[0] <= '9'))
        return text_json(s);
    char *t = xasprintf("%s%s", s, utc ? "Z" : "");
    char *sp = strchr(t, ' ');
    if (sp)
        *sp = 'T';
    json_t *j = text_json(t);
    free(t);
    return j;
}

/* "YYYY-MM-01" of a month number (year*12 + month-1). */
static json_t *month_json(int64_t m)
{
    int64_t y = floor_div(m, 12);
    char tmp[48];
    snprintf(tmp, sizeof(tmp), "%04lld-%02d-01", (long long)y, (int)(m - y * 12 + 1));
    return json_string(tmp);
}

/* ---- pass 3: columns --------------------------------------------------------------------- */

static enum rc on_column(void *ctx, int ncols, const char *const *vals, struct err *err)
{
    struct prof *p = ctx;
    if (ncols != 2 || !vals[0] || !vals[1])
        return err_set(err, RC_INTERNAL, "DESCRIBE returned an unexpected row");
    p->cols = xgrow(p->cols, &p->cap, (size_t)p->ncols + 1, sizeof(*p->cols));
    struct col *c = &p->cols[p->ncols++];
    memset(c, 0, sizeof(*c));
    c->name = xstrdup(vals[0]);
    c->type = xstrdup(vals[1]);
    c->top_set = -1;
    c->hist_set = -1;
    classify(c);
    return RC_OK;
}

/* ---- pass 4: aggregates ------------------------------------------------------------------ */

/* Appends the aggregate struct of column c (its quoted name q) to the SELECT list: every field
 * VARCHAR, the same fields for every column, so that the list of structs has one type. */
static enum rc append_aggs(struct buf *b, const struct col *c, const char *q)
{
    enum rc rc = buf_printf(b,
                            "{'n': count(*)::VARCHAR, 'nn': count(%s)::VARCHAR, "
                            "'ad': approx_count_distinct(%s)::VARCHAR",
                            q, q);
    switch (c->cat) {
    case CAT_NUMERIC:
        /* avg over HUGEINT and DECIMAL sums in a HUGEINT and raises an error on overflow;
         * a DOUBLE sum cannot fail */
        if (!rc)
            rc = buf_printf(b,
                            ", 'mn': min(%s)::VARCHAR, 'mx': max(%s)::VARCHAR, "
                            "'av': avg(%s%s)::DOUBLE::VARCHAR",
                            q, q, q, c->wide ? "::DOUBLE" : "");
        /* stddev_samp raises an error instead of returning Infinity, and then the whole
         * profile would fail: for FLOAT and DOUBLE only finite data, and values up to 1e100
         * (whose squares cannot overflow) read directly, larger ones scaled down */
        if (!rc && c->numk == NUM_FLOAT)
            rc = buf_printf(b,
                            ", 'sd': (CASE WHEN bool_and(isfinite(%s)) THEN CASE WHEN "
                            "max(abs(%s)) < 1e100 THEN stddev_samp(%s) FILTER (WHERE abs(%s) < "
                            "1e100) ELSE (stddev_samp(%s / 1e200) FILTER (WHERE isfinite(%s))) "
                            "* 1e200 END END)::DOUBLE::VARCHAR",
                            q, q, q, q, q, q);
        else if (!rc)
            rc = buf_printf(b, ", 'sd': stddev_samp(%s)::DOUBLE::VARCHAR", q);
        if (!rc && c->numk == NUM_FLOAT)
            rc = buf_printf(b,
                            ", 'hl': (min(%s::DOUBLE) FILTER (WHERE isfinite(%s)))::VARCHAR"
                            ", 'hh': (max(%s::DOUBLE) FILTER (WHERE isfinite(%s)))::VARCHAR}",
                            q, q, q, q);
        else if (!rc)
            rc = buf_printf(b,
                            ", 'hl': min(%s)::DOUBLE::VARCHAR, "
                            "'hh': max(%s)::DOUBLE::VARCHAR}",
                            q, q);
        return rc;
    case CAT_STRING:
        if (!rc)
            rc = buf_printf(b,
                            ", 'mn': left(min(%s)::VARCHAR, %d), "
                            "'mx': left(max(%s)::VARCHAR, %d), 'av': NULL::VARCHAR, "
                            "'sd': NULL::VARCHAR, 'hl': NULL::VARCHAR, 'hh': NULL::VARCHAR}",
                            q, PROFILE_TEXT_MAX, q, PROFILE_TEXT_MAX);
        return rc;
    case CAT_DATE:
    case CAT_TIMESTAMP: {
        /* min/max in UTC for TIMESTAMPTZ (timezone() is monotonic, so it can wrap the
         * aggregate); the histogram range as month numbers of the finite min and max */
        const char *pre = c->tz ? "timezone('UTC', " : "(";
        if (!rc)
            rc = buf_printf(b,
                            ", 'mn': %smin(%s))::VARCHAR, 'mx': %smax(%s))::VARCHAR, "
                            "'av': NULL::VARCHAR, 'sd': NULL::VARCHAR",
                            pre, q, pre, q);
        for (int i = 0; !rc && i < 2; i++) {
            const char *fn = i == 0 ? "min" : "max";
            rc = buf_printf(b,
                            ", '%s': (year(%s%s(%s) FILTER (WHERE isfinite(%s))))*12 + "
                            "month(%s%s(%s) FILTER (WHERE isfinite(%s)))) - 1)::VARCHAR",
                            i == 0 ? "hl" : "hh", pre, fn, q, q, pre, fn, q, q);
        }
        if (!rc)
            rc = buf_append_str(b, "}");
        return rc;
    }
    case CAT_BOOLEAN:
    case CAT_OTHER:
        break;
    }
    if (!rc)
        rc = buf_append_str(b, ", 'mn': NULL::VARCHAR, 'mx': NULL::VARCHAR, 'av': NULL::VARCHAR,"
                               " 'sd': NULL::VARCHAR, 'hl': NULL::VARCHAR, 'hh': NULL::VARCHAR}");
    return rc;
}

enum { AGG_N, AGG_NN, AGG_AD, AGG_MN, AGG_MX, AGG_AV, AGG_SD, AGG_HL, AGG_HH, AGG_FIELDS };

static enum rc on_aggs(void *ctx, int ncols, const char *const *vals, struct err *err)
{
    struct prof *p = ctx;
    if (ncols != AGG_FIELDS || p->next >= p->ncols)
        return err_set(err, RC_INTERNAL, "the aggregate pass returned an unexpected row");
    struct col *c = &p->cols[p->next++];
    if (!parse_count(vals[AGG_N], &p->rows) || !parse_count(vals[AGG_NN], &c->nonnull) ||
        !parse_count(vals[AGG_AD], &c->distinct))
        return err_set(err, RC_INTERNAL, "the aggregate pass returned a bad count");
    if (c->distinct > c->nonnull) /* HyperLogLog can overshoot a little */
        c->distinct = c->nonnull;
    c->min = dup_or_null(vals[AGG_MN]);
    c->max = dup_or_null(vals[AGG_MX]);
    c->mean = dup_or_null(vals[AGG_AV]);
    c->sd = dup_or_null(vals[AGG_SD]);
    c->hlo = dup_or_null(vals[AGG_HL]);
    c->hhi = dup_or_null(vals[AGG_HH]);
    return RC_OK;
}

static enum rc run_aggs(struct duck *duck, struct prof *p, const char *src, struct err *err)
{
    struct buf b, q;
    buf_init(&b, PROFILE_SQL_MAX);
    buf_init(&q, PROFILE_SQL_MAX);
    enum rc rc = buf_append_str(&b, "SELECT unnest(s, recursive := true) FROM (SELECT [");
    for (int i = 0; !rc && i < p->ncols; i++) {
        buf_reset(&q);
        rc = duck_sql_quote_ident(&q, p->cols[i].name);
        if (!rc && i > 0)
            rc = buf_append_str(&b, ", ");
        if (!rc)
            rc = append_aggs(&b, &p->cols[i], buf_cstr(&q));
    }
    if (!rc)
        rc = buf_printf(&b, "] AS s FROM %s)", src);
    if (rc) {
        rc = err_set(err, rc, "the profile query is too big");
        goto out;
    }
    p->next = 0;
    rc = duck_query_rows(duck, buf_cstr(&b), on_aggs, p, err);
    if (!rc && p->next != p->ncols)
        rc = err_set(err, RC_INTERNAL, "the aggregate pass returned %d rows for %d columns",
                     p->next, p->ncols);
out:
    buf_cleanup(&q);
    buf_cleanup(&b);
    return rc;
}

/* ---- pass 5: top values and histograms --------------------------------------------------- */

/* Decides the histogram of c from its range; false when it has none. */
static bool plan_histogram(struct col *c, int bins)
{
    if (c->cat == CAT_NUMERIC) {
        double lo, hi;
        if (!parse_double(c->hlo, &lo) || !parse_double(c->hhi, &hi) || !isfinite(lo) ||
            !isfinite(hi) || hi < lo)
            return false;
        c->lo = lo;
        /* hi/bins - lo/bins cannot overflow where (hi - lo) can */
        c->width = hi / bins - lo / bins;
        c->nbins = (hi > lo && c->width > 0) ? bins : 1;
        if (c->nbins == 1)
            c->width = hi - lo;
        return true;
    }
    if (c->cat == CAT_DATE || c->cat == CAT_TIMESTAMP) {
        int64_t m0, m1;
        if (!c->hlo || !c->hhi || !parse_i64(c->hlo, INT64_MIN / 2, INT64_MAX / 2, &m0) ||
            !parse_i64(c->hhi, INT64_MIN / 2, INT64_MAX / 2, &m1) || m1 < m0)
            return false;
        if (m1 - m0 < PROFILE_MONTHS_MAX) {
            c->years = 0;
            c->first = m0;
            c->nbins = (int)(m1 - m0 + 1);
            return true;
        }
        int64_t y0 = floor_div(m0, 12), y1 = floor_div(m1, 12);
        int64_t nyears = y1 - y0 + 1;
        int64_t step = (nyears + PROFILE_DATE_BINS_MAX - 1) / PROFILE_DATE_BINS_MAX;
        c->years = (int)step;
        c->first = y0;
        c->nbins = (int)((nyears + step - 1) / step);
        return true;
    }
    return false;
}

/* Appends the bucket expression of column c (quoted name q): the 0-based bin of each row,
 * NULL for rows outside the histogram. */
static enum rc append_bucket(struct buf *b, const struct col *c, const char *q)
{
    if (c->cat == CAT_NUMERIC) {
        const char *guard = c->numk == NUM_FLOAT ? "isfinite(" : "(";
        const char *test = c->numk == NUM_FLOAT ? ")" : " IS NOT NULL)";
        if (c->nbins == 1)
            return buf_printf(b, "CASE WHEN %s%s%s THEN 0 END", guard, q, test);
        /* clamped: DuckDB's DECIMAL to DOUBLE may differ from strtod by an ulp */
        return buf_printf(b,
                          "CASE WHEN %s%s%s THEN greatest(0, least(%d, floor((%s::DOUBLE - "
                          "(%.17g)) / (%.17g))))::BIGINT END",
                          guard, q, test, c->nbins - 1, q, c->lo, c->width);
    }
    char *v = c->tz ? xasprintf("timezone('UTC', %s)", q) : xstrdup(q);
    enum rc rc;
    if (c->years == 0)
        rc = buf_printf(b,
                        "CASE WHEN isfinite(%s) THEN year(%s)::BIGINT * 12 + month(%s) - 1 - "
                        "(%lld) END",
                        q, v, v, (long long)c->first);
    else
        rc = buf_printf(b, "CASE WHEN isfinite(%s) THEN (year(%s)::BIGINT - (%lld)) // %d END", q,
                        v, (long long)c->first, c->years);
    free(v);
    return rc;
}

static enum rc on_group(void *ctx, int ncols, const char *const *vals, struct err *err)
{
    struct prof *p = ctx;
    int64_t k, n;
    if (ncols != 3 || !vals[0] || !vals[1] || !parse_i64(vals[0], 0, p->nsets - 1, &k) ||
        !parse_count(vals[2], &n))
        return err_set(err, RC_INTERNAL, "the grouped pass returned an unexpected row");
    struct col *c = p->set_col[k];
    if (c->top_set == (int)k) {
        c->tops = xgrow(c->tops, &c->cap_tops, (size_t)c->ntops + 1, sizeof(*c->tops));
        c->tops[c->ntops].value = xstrdup(vals[1]);
        c->tops[c->ntops].count = n;
        c->ntops++;
        return RC_OK;
    }
    int64_t bin;
    if (!parse_i64(vals[1], 0, c->nbins - 1, &bin))
        return err_set(err, RC_INTERNAL, "the grouped pass returned a bin out of range");
    c->bins[bin] += n;
    return RC_OK;
}

/* Plans the grouping sets (which columns get top values, which a histogram) and runs them in
 * one query. */
static enum rc run_groups(struct duck *duck, struct prof *p, const char *src, const struct opts *o,
                          struct err *err)
{
    struct buf b, q, inner, proj;
    enum rc rc = RC_OK;
    int ntop = 0;

    p->set_col = xcalloc((size_t)p->ncols * 2 + 1, sizeof(*p->set_col));
    for (int i = 0; i < p->ncols; i++) {
        struct col *c = &p->cols[i];
        if (c->nonnull == 0)
            continue;
        if (c->cat == CAT_STRING || c->cat == CAT_BOOLEAN ||
            (c->cat == CAT_NUMERIC && c->distinct <= o->few)) {
            c->top_set = p->nsets;
            p->set_col[p->nsets++] = c;
        }
    }
    ntop = p->nsets;
    for (int i = 0; i < p->ncols; i++) {
        struct col *c = &p->cols[i];
        if (c->nonnull > 0 && plan_histogram(c, o->bins)) {
            c->bins = xcalloc((size_t)c->nbins, sizeof(*c->bins));
            c->hist_set = p->nsets;
            p->set_col[p->nsets++] = c;
        }
    }
    if (p->nsets == 0)
        return RC_OK;

    /* The grouped rows (set number k, value or bin v as text, count n, and the native value
     * g<k> of a top-values set for ordering) are folded into one list per set: min_by with
     * the key (-n, g<k>) keeps the top N of a set in order (most frequent first, ties by
     * value) with a heap, far cheaper than a window sort over every distinct value; a
     * histogram set keeps all its bins. The lists are unnested to rows (k, v, n):
     *   SELECT k, v, n FROM unnest([{k: 0, l: min_by(..) FILTER (WHERE k = 0)}, ..])
     *   FROM (SELECT k, v, count(*) AS n, g.. FROM (SELECT <expr> AS g0, .. FROM src)
     *         GROUP BY GROUPING SETS ((g0), ..)) WHERE v IS NOT NULL
     * NULL values (v IS NULL) are counted as null_count, never listed. */
    buf_init(&b, PROFILE_SQL_MAX);
    buf_init(&q, PROFILE_SQL_MAX);
    buf_init(&inner, PROFILE_SQL_MAX);
    buf_init(&proj, PROFILE_SQL_MAX);
    rc = buf_append_str(&b, "SELECT s.k::VARCHAR AS ks, e.v, e.n::VARCHAR AS ns FROM (SELECT s, "
                            "unnest(s.l) AS e FROM (SELECT unnest([");
    if (!rc)
        rc = buf_append_str(&inner, "SELECT CASE");
    for (int s = 0; !rc && s < p->nsets; s++) {
        const struct col *c = p->set_col[s];
        if (s < ntop)
            rc = buf_printf(&b,
                            "%s{'k': %d, 'l': min_by({'v': v, 'n': n}, {'a': -n, 'b': g%d}, %d) "
                            "FILTER (WHERE k = %d AND n >= %lld)}",
                            s > 0 ? ", " : "", s, s, o->top_values, s, (long long)o->top_min_count);
        else
            rc = buf_printf(&b, "%s{'k': %d, 'l': list({'v': v, 'n': n}) FILTER (WHERE k = %d)}",
                            s > 0 ? ", " : "", s, s);
        if (!rc)
            rc = buf_printf(&inner, " WHEN grouping(g%d) = 0 THEN %d", s, s);
        if (!rc)
            rc = buf_printf(&proj, "%s", s > 0 ? ", " : "");
        buf_reset(&q);
        if (!rc)
            rc = duck_sql_quote_ident(&q, c->name);
        /* NaN and Infinity would print as null: not listed */
        if (!rc && s < ntop && c->cat == CAT_NUMERIC && c->numk == NUM_FLOAT)
            rc =
                buf_printf(&proj, "CASE WHEN isfinite(%s) THEN %s END", buf_cstr(&q), buf_cstr(&q));
        else if (!rc && s < ntop)
            rc = buf_append_str(&proj, buf_cstr(&q));
        else if (!rc)
            rc = append_bucket(&proj, c, buf_cstr(&q));
        if (!rc)
            rc = buf_printf(&proj, " AS g%d", s);
    }
    if (!rc)
        rc = buf_append_str(&inner, " END AS k, COALESCE(");
    for (int s = 0; !rc && s < p->nsets; s++) {
        if (s < ntop)
            rc = buf_printf(&inner, "%sleft(g%d::VARCHAR, %d)", s > 0 ? ", " : "", s,
                            PROFILE_TEXT_MAX);
        else
            rc = buf_printf(&inner, "%sg%d::VARCHAR", s > 0 ? ", " : "", s);
    }
    if (!rc)
        rc = buf_append_str(&inner, ") AS v, count(*) AS n");
    for (int s = 0; !rc && s < ntop; s++)
        rc = buf_printf(&inner, ", g%d", s);
    if (!rc)
        rc = buf_printf(&inner, " FROM (SELECT %s FROM %s) GROUP BY GROUPING SETS (",
                        buf_cstr(&proj), src);
    for (int s = 0; !rc && s < p->nsets; s++)
        rc = buf_printf(&inner, "%s(g%d)", s > 0 ? ", " : "", s);
    if (!rc)
        rc = buf_printf(&b, "]) AS s FROM (%s)) WHERE v IS NOT NULL))", buf_cstr(&inner));
    if (rc) {
        rc = err_set(err, rc, "the profile query is too big");
        goto out;
    }
    rc = duck_query_rows(duck, buf_cstr(&b), on_group, p, err);
out:
    buf_cleanup(&proj);
    buf_cleanup(&inner);
    buf_cleanup(&q);
    buf_cleanup(&b);
    return rc;
}

/* ---- JSON -------------------------------------------------------------------------------- */

static json_t *histogram_json(const struct col *c, bool *bad)
{
    json_t *h = json_object();
    json_t *arr = json_array();
    if (!h || !arr) {
        *bad = true;
        json_decref(arr);
        return h;
    }
    put(h, "kind", json_string(c->cat == CAT_NUMERIC ? "numeric" : "date"), bad);
    for (int i = 0; i < c->nbins; i++) {
        json_t *bin = json_object();
        if (!bin) {
            *bad = true;
            break;
        }
        if (c->cat == CAT_NUMERIC) {
            double hi = i == c->nbins - 1 ? strtod(c->hhi, NULL) : c->lo + (i + 1) * c->width;
            put(bin, "lo", json_real(c->lo + i * c->width), bad);
            put(bin, "hi", json_real(hi), bad);
        } else if (c->years == 0) {
            put(bin, "lo", month_json(c->first + i), bad);
            put(bin, "hi", month_json(c->first + i + 1), bad);
        } else {
            put(bin, "lo", month_json((c->first + (int64_t)i * c->years) * 12), bad);
            put(bin, "hi", month_json((c->first + (int64_t)(i + 1) * c->years) * 12), bad);
        }
        put(bin, "count", json_integer(c->bins[i]), bad);
        push(arr, bin, bad);
    }
    put(h, "bins", arr, bad);
    return h;
}

static json_t *column_json(const struct col *c, int64_t rows, bool *bad)
{
    json_t *o = json_object();
    if (!o) {
        *bad = true;
        return NULL;
    }
    int64_t nulls = rows - c->nonnull;
    put(o, "name", name_json(c->name), bad);
    put(o, "type", name_json(c->type), bad);
    put(o, "category", json_string(cat_names[c->cat]), bad);
    put(o, "null_count", json_integer(nulls), bad);
    put(o, "null_share", rows > 0 ? json_real(round4((double)nulls / (double)rows)) : json_null(),
        bad);
    put(o, "approx_distinct", json_integer(c->distinct), bad);

    bool num_text = false;
    if (c->cat == CAT_NUMERIC) {
        num_text = !num_exact(c->min, c->numk) || !num_exact(c->max, c->numk);
        put(o, "min", num_json(c->min, c->numk, num_text), bad);
        put(o, "max", num_json(c->max, c->numk, num_text), bad);
        put(o, "mean", real_json(c->mean), bad);
        put(o, "stddev", real_json(c->sd), bad);
    } else if (c->cat == CAT_STRING || c->cat == CAT_DATE) {
        put(o, "min", c->min ? text_json(c->min) : json_null(), bad);
        put(o, "max", c->max ? text_json(c->max) : json_null(), bad);
    } else if (c->cat == CAT_TIMESTAMP) {
        put(o, "min", stamp_json(c->min, c->tz), bad);
        put(o, "max", stamp_json(c->max, c->tz), bad);
    }

    bool wants_top = c->cat == CAT_STRING || c->cat == CAT_BOOLEAN || c->top_set >= 0;
    if (wants_top) {
        json_t *arr = json_array();
        bool top_text = false;
        for (int i = 0; c->cat == CAT_NUMERIC && i < c->ntops; i++)
            top_text = top_text || !num_exact(c->tops[i].value, c->numk);
        for (int i = 0; arr && i < c->ntops; i++) {
            const struct top *t = &c->tops[i];
            json_t *v;
            if (c->cat == CAT_BOOLEAN)
                v = json_boolean(strcmp(t->value, "true") == 0);
            else if (c->cat == CAT_NUMERIC)
                v = num_json(t->value, c->numk, top_text);
            else
                v = text_json(t->value);
            double share = rows > 0 ? round4((double)t->count / (double)rows) : 0.0;
            push(arr,
                 json_pack("{s:o?, s:I, s:f}", "value", v, "count", (json_int_t)t->count, "share",
                           share),
                 bad);
        }
        put(o, "top_values", arr, bad);
    }
    if (c->hist_set >= 0)
        put(o, "histogram", histogram_json(c, bad), bad);
    return o;
}

static enum rc build_json(const struct prof *p, int64_t row_count, bool sampled,
                          const struct opts *o, char **out_json, struct err *err)
{
    bool bad = false;
    char now[ISOTIME_SIZE];
    json_t *root = json_object();
    json_t *cols = json_array();
    if (!root || !cols)
        bad = true;
    for (int i = 0; !bad && i < p->ncols; i++)
        push(cols, column_json(&p->cols[i], p->rows, &bad), &bad);
    isotime_format(time(NULL), now);
    if (!bad) {
        put(root, "row_count", json_integer(row_count), &bad);
        put(root, "size_bytes", json_integer(o->size_bytes), &bad);
        put(root, "sampled", json_boolean(sampled), &bad);
        put(root, "profiled_rows", json_integer(p->rows), &bad);
        put(root, "column_count", json_integer(p->ncols), &bad);
        put(root, "columns", cols, &bad);
        cols = NULL;
        put(root, "profiled_at", json_string(now), &bad);
    }
    /* 15 digits: what a double keeps of any decimal, and 0.1 prints as 0.1 */
    char *text = bad ? NULL : json_dumps(root, JSON_COMPACT | JSON_REAL_PRECISION(15));
    json_decref(cols);
    json_decref(root);
    if (!text)
        return err_set(err, RC_NOMEM, "cannot build the profile JSON");
    /* json_dumps allocates with malloc by default, so the caller frees with free() */
    *out_json = text;
    return RC_OK;
}

/* ---- the entry point --------------------------------------------------------------------- */

static enum rc check_options(const struct profile_options *opt, struct opts *o, struct err *err)
{
    struct profile_options z = { 0 };
    if (!opt)
        opt = &z;
    if (opt->sample_rows < 0 || opt->top_values < 0 || opt->top_values > PROFILE_TOP_VALUES_MAX ||
        opt->histogram_bins < 0 || opt->histogram_bins > PROFILE_BINS_MAX ||
        opt->few_distinct < 0 || opt->top_min_count < 0 || opt->size_bytes < 0)
        return err_set(err, RC_INVALID, "profile options out of range");
    o->sample_rows = opt->sample_rows ? opt->sample_rows : PROFILE_DEFAULT_SAMPLE_ROWS;
    o->top_values = opt->top_values ? opt->top_values : PROFILE_DEFAULT_TOP_VALUES;
    o->bins = opt->histogram_bins ? opt->histogram_bins : PROFILE_DEFAULT_BINS;
    o->few = opt->few_distinct ? opt->few_distinct : PROFILE_DEFAULT_FEW;
    o->top_min_count = opt->top_min_count ? opt->top_min_count : 1;
    o->size_bytes = opt->size_bytes;
    return RC_OK;
}

static void prof_cleanup(struct prof *p)
{
    for (int i = 0; i < p->ncols; i++) {
        struct col *c = &p->cols[i];
        free(c->name);
        free(c->type);
        free(c->min);
        free(c->max);
        free(c->mean);
        free(c->sd);
        free(c->hlo);
        free(c->hhi);
        for (int j = 0; j < c->ntops; j++)
            free(c->tops[j].value);
        free(c->tops);
        free(c->bins);
    }
    free(p->cols);
    free(p->set_col);
}

enum rc profile_compute(struct duck *duck, const char *relation_sql,
                        const struct profile_options *opt, char **out_json, struct err *err)
{
    struct prof p = { 0 };
    struct opts o = { 0 };
    struct buf sql, sample;
    int64_t row_count = 0;
    bool sampled = false;
    char *json = NULL;
    enum rc rc;

    buf_init(&sql, PROFILE_SQL_MAX);
    buf_init(&sample, PROFILE_SQL_MAX);
    if (out_json)
        *out_json = NULL;
    if (!duck || !relation_sql || !*relation_sql || !out_json) {
        rc = err_set(err, RC_INVALID, "profile_compute needs a database, a relation and an output");
        goto out;
    }
    rc = check_options(opt, &o, err);
    if (rc)
        goto out;

    rc = buf_printf(&sql, "SELECT count(*) FROM %s", relation_sql);
    if (rc) {
        rc = err_set(err, rc, "the relation is too long");
        goto out;
    }
    rc = duck_query_i64(duck, buf_cstr(&sql), &row_count, err);
    if (rc)
        goto out;

    const char *src = relation_sql;
    if (row_count > o.sample_rows) {
        /* one scan into a TEMP table (the temp catalog is writable even when the database is
         * attached read-only), so every later pass sees the same rows */
        char name[64];
        snprintf(name, sizeof(name), "da_profile_sample_%ld_%lu", (long)getpid(),
                 atomic_fetch_add(&sample_seq, 1));
        rc = buf_append_str(&sample, "temp.main.");
        if (!rc)
            rc = duck_sql_quote_ident(&sample, name);
        buf_reset(&sql);
        if (!rc)
            rc = buf_printf(&sql,
                            "CREATE TEMP TABLE %s AS SELECT * FROM %s USING SAMPLE "
                            "reservoir(%lld ROWS) REPEATABLE (42)",
                            buf_cstr(&sample), relation_sql, (long long)o.sample_rows);
        if (rc) {
            rc = err_set(err, rc, "the relation is too long");
            goto out;
        }
        sampled = true; /* from here on, dropped at out: even a failed CREATE */
        rc = duck_exec(duck, buf_cstr(&sql), err);
        if (rc)
            goto out;
        src = buf_cstr(&sample);
    }

    buf_reset(&sql);
    rc = buf_printf(&sql,
                    "SELECT column_name::VARCHAR, column_type::VARCHAR "
                    "FROM (DESCRIBE SELECT * FROM %s)",
                    src);
    if (rc) {
        rc = err_set(err, rc, "the relation is too long");
        goto out;
    }
    rc = duck_query_rows(duck, buf_cstr(&sql), on_column, &p, err);
    if (rc)
        goto out;
    if (p.ncols == 0) {
        rc = err_set(err, RC_INVALID, "the relation has no column");
        goto out;
    }
    p.rows = row_count;
    rc = run_aggs(duck, &p, src, err);
    if (rc)
        goto out;
    rc = run_groups(duck, &p, src, &o, err);
    if (rc)
        goto out;
    rc = build_json(&p, row_count, sampled, &o, &json, err);
out:
    if (sampled) {
        struct err drop_err;
        buf_reset(&sql);
        enum rc drc = buf_printf(&sql, "DROP TABLE IF EXISTS %s", buf_cstr(&sample));
        if (!drc)
            drc = duck_exec(duck, buf_cstr(&sql), &drop_err);
        if (drc && !rc) {
            rc = err_set(err, drc, "cannot drop the sample table: %s",
                         drc == RC_DB ? drop_err.msg : "query too long");
        }
    }
    if (rc) {
        free(json);
        json = NULL;
    }
    if (out_json)
        *out_json = json;
    prof_cleanup(&p);
    buf_cleanup(&sample);
    buf_cleanup(&sql);
    return rc;
}
