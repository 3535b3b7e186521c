/* result.c — encoding a query's result (see result.h). A query is prepared once; its plan says
 * per column how a value is written: read from the vector and encoded here (the common types,
 * and lists, structs and maps of them), or converted by DuckDB in a wrapping statement
 * (to_json for JSON, a cast to VARCHAR for CSV) for the types whose text is DuckDB's own. Rows
 * are fetched from a streaming result and encoded one at a time into a scratch buffer, so the
 * caps are checked per row exactly as before, and the query stops when one is reached. */
#include "data/result.h"

#include <duckdb.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/mem.h"
#include "data/duck.h"

#define WRAP_SQL_MAX  (4 * 1024 * 1024)
#define STMT_OVERHEAD 4096 /* a guess at DuckDB's own memory per prepared statement */

__extension__ typedef unsigned __int128 u128;

struct column {
    char *name;
    char *type;
};

struct columns {
    struct column *items;
    int len;
    size_t cap;
};

static void columns_free(struct columns *c)
{
    for (int i = 0; i < c->len; i++) {
        free(c->items[i].name);
        free(c->items[i].type);
    }
    free(c->items);
    memset(c, 0, sizeof(*c));
}

static enum rc read_column(void *ctx, int ncols, const char *const *vals, struct err *err)
{
    (void)err;
    struct columns *c = ctx;
    if (ncols < 2)
        return err_set(err, RC_INTERNAL, "DESCRIBE returned %d columns", ncols);
    c->items = xgrow(c->items, &c->cap, (size_t)c->len + 1, sizeof(*c->items));
    c->items[c->len].name = xstrdup(vals[0] ? vals[0] : "");
    c->items[c->len].type = xstrdup(vals[1] ? vals[1] : "");
    c->len++;
    return RC_OK;
}

/* The query without trailing blanks and semicolons (it becomes a subquery), heap. */
static char *strip_query(const char *sql)
{
    size_t n = strlen(sql);
    while (n > 0 && (sql[n - 1] == ';' || sql[n - 1] == ' ' || sql[n - 1] == '\n' ||
                     sql[n - 1] == '\r' || sql[n - 1] == '\t'))
        n--;
    return xstrndup(sql, n);
}

static bool type_is(const char *type, const char *name)
{
    return strcmp(type, name) == 0;
}

/* ---- the plan ---- */

/* How a value is written. */
enum how {
    HOW_NATIVE, /* read from the vector (the type's node says how) */
    HOW_RAW,    /* DuckDB made it JSON text (to_json): written as it is, in CSV quoted */
    HOW_TEXT,   /* DuckDB made it VARCHAR: a JSON string, in CSV quoted */
};

/* One type, as the encoder walks it: children for lists, arrays (one), structs (one per
 * field) and maps (key and value). */
struct node {
    duckdb_type t;
    duckdb_type storage;  /* DECIMAL: its integer type */
    uint8_t width, scale; /* DECIMAL */
    idx_t array_size;     /* ARRAY */
    int n_children;
    struct node *children;
    char **names; /* STRUCT field names */
};

struct col {
    char *name;
    char *type;      /* DuckDB's name of the type */
    enum how how[2]; /* per format: RESULT_JSON, RESULT_CSV */
    struct node node;
};

struct result_stmt {
    struct duck *conn;
    duckdb_prepared_statement raw;        /* the query as given */
    duckdb_prepared_statement wrapped[2]; /* per format, when a column needs DuckDB's text */
    char *sql;
    int n_cols;
    struct col *cols;
    size_t size;
};

static void node_free(struct node *n)
{
    for (int i = 0; i < n->n_children; i++) {
        node_free(&n->children[i]);
        if (n->names)
            free(n->names[i]);
    }
    free(n->children);
    free(n->names);
    memset(n, 0, sizeof(*n));
}

/* Fills n from a logical type. False for a type the encoder does not read itself (it may
 * still be filled partly; node_free cleans up). */
static bool node_from(struct node *n, duckdb_logical_type lt, bool nested)
{
    memset(n, 0, sizeof(*n));
    n->t = duckdb_get_type_id(lt);
    char *alias = duckdb_logical_type_get_alias(lt);
    if (alias) {
        duckdb_free(alias);
        return false; /* JSON and user types: DuckDB's text */
    }
    switch (n->t) {
    case DUCKDB_TYPE_BOOLEAN:
    case DUCKDB_TYPE_TINYINT:
    case DUCKDB_TYPE_SMALLINT:
    case DUCKDB_TYPE_INTEGER:
    case DUCKDB_TYPE_BIGINT:
    case DUCKDB_TYPE_UTINYINT:
    case DUCKDB_TYPE_USMALLINT:
    case DUCKDB_TYPE_UINTEGER:
    case DUCKDB_TYPE_UBIGINT:
    case DUCKDB_TYPE_HUGEINT:
    case DUCKDB_TYPE_UHUGEINT:
    case DUCKDB_TYPE_VARCHAR:
    case DUCKDB_TYPE_DATE:
    case DUCKDB_TYPE_UUID:
        return true;
    case DUCKDB_TYPE_DECIMAL:
        /* read for CSV; JSON writes decimals as DuckDB's JSON numbers (to_json: through a
         * double up to 18 digits), so there and inside nested values DuckDB converts them */
        n->width = duckdb_decimal_width(lt);
        n->scale = duckdb_decimal_scale(lt);
        n->storage = duckdb_decimal_internal_type(lt);
        return !nested;
    /* inside a nested value DuckDB writes these as their VARCHAR text, not as result.h says */
    case DUCKDB_TYPE_BLOB:
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_S:
    case DUCKDB_TYPE_TIMESTAMP_MS:
    case DUCKDB_TYPE_TIMESTAMP_NS:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
        return !nested;
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_ARRAY: {
        duckdb_logical_type c = n->t == DUCKDB_TYPE_LIST ? duckdb_list_type_child_type(lt)
                                                         : duckdb_array_type_child_type(lt);
        if (n->t == DUCKDB_TYPE_ARRAY)
            n->array_size = duckdb_array_type_array_size(lt);
        n->children = xcalloc(1, sizeof(*n->children));
        n->n_children = 1;
        bool ok = node_from(&n->children[0], c, true);
        duckdb_destroy_logical_type(&c);
        return ok;
    }
    case DUCKDB_TYPE_MAP: {
        duckdb_logical_type k = duckdb_map_type_key_type(lt), v = duckdb_map_type_value_type(lt);
        n->children = xcalloc(2, sizeof(*n->children));
        n->n_children = 2;
        bool ok = duckdb_get_type_id(k) == DUCKDB_TYPE_VARCHAR &&
                  node_from(&n->children[0], k, true) && node_from(&n->children[1], v, true);
        duckdb_destroy_logical_type(&k);
        duckdb_destroy_logical_type(&v);
        return ok;
    }
    case DUCKDB_TYPE_STRUCT: {
        idx_t count = duckdb_struct_type_child_count(lt);
        n->children = xcalloc(count ? count : 1, sizeof(*n->children));
        n->names = xcalloc(count ? count : 1, sizeof(*n->names));
        n->n_children = (int)count;
        bool ok = true;
        for (idx_t i = 0; i < count; i++) {
            char *name = duckdb_struct_type_child_name(lt, i);
            n->names[i] = xstrdup(name ? name : "");
            duckdb_free(name);
            duckdb_logical_type c = duckdb_struct_type_child_type(lt, i);
            ok = node_from(&n->children[i], c, true) && ok;
            duckdb_destroy_logical_type(&c);
        }
        return ok;
    }
    default:
        return false;
    }
}

/* DuckDB's name of a type, for the types whose name needs no quoting rules; false for the
 * others (STRUCT, UNION, ENUM, aliases, NULL), which DESCRIBE names. */
static bool type_name(struct buf *b, duckdb_logical_type lt)
{
    static const struct {
        duckdb_type t;
        const char *name;
    } simple[] = {
        { DUCKDB_TYPE_BOOLEAN, "BOOLEAN" },
        { DUCKDB_TYPE_TINYINT, "TINYINT" },
        { DUCKDB_TYPE_SMALLINT, "SMALLINT" },
        { DUCKDB_TYPE_INTEGER, "INTEGER" },
        { DUCKDB_TYPE_BIGINT, "BIGINT" },
        { DUCKDB_TYPE_UTINYINT, "UTINYINT" },
        { DUCKDB_TYPE_USMALLINT, "USMALLINT" },
        { DUCKDB_TYPE_UINTEGER, "UINTEGER" },
        { DUCKDB_TYPE_UBIGINT, "UBIGINT" },
        { DUCKDB_TYPE_FLOAT, "FLOAT" },
        { DUCKDB_TYPE_DOUBLE, "DOUBLE" },
        { DUCKDB_TYPE_TIMESTAMP, "TIMESTAMP" },
        { DUCKDB_TYPE_DATE, "DATE" },
        { DUCKDB_TYPE_TIME, "TIME" },
        { DUCKDB_TYPE_INTERVAL, "INTERVAL" },
        { DUCKDB_TYPE_HUGEINT, "HUGEINT" },
        { DUCKDB_TYPE_UHUGEINT, "UHUGEINT" },
        { DUCKDB_TYPE_VARCHAR, "VARCHAR" },
        { DUCKDB_TYPE_BLOB, "BLOB" },
        { DUCKDB_TYPE_TIMESTAMP_S, "TIMESTAMP_S" },
        { DUCKDB_TYPE_TIMESTAMP_MS, "TIMESTAMP_MS" },
        { DUCKDB_TYPE_TIMESTAMP_NS, "TIMESTAMP_NS" },
        { DUCKDB_TYPE_UUID, "UUID" },
        { DUCKDB_TYPE_BIT, "BIT" },
        { DUCKDB_TYPE_TIME_TZ, "TIME WITH TIME ZONE" },
        { DUCKDB_TYPE_TIMESTAMP_TZ, "TIMESTAMP WITH TIME ZONE" },
    };
    char *alias = duckdb_logical_type_get_alias(lt);
    if (alias) {
        duckdb_free(alias);
        return false;
    }
    duckdb_type t = duckdb_get_type_id(lt);
    for (size_t i = 0; i < ARRAY_LEN(simple); i++)
        if (simple[i].t == t)
            return buf_append_str(b, simple[i].name) == RC_OK;
    bool ok = false;
    duckdb_logical_type c = NULL, v = NULL;
    switch (t) {
    case DUCKDB_TYPE_DECIMAL:
        return buf_printf(b, "DECIMAL(%d,%d)", duckdb_decimal_width(lt),
                          duckdb_decimal_scale(lt)) == RC_OK;
    case DUCKDB_TYPE_LIST:
        c = duckdb_list_type_child_type(lt);
        ok = type_name(b, c) && buf_append_str(b, "[]") == RC_OK;
        break;
    case DUCKDB_TYPE_ARRAY:
        c = duckdb_array_type_child_type(lt);
        ok = type_name(b, c) &&
             buf_printf(b, "[%llu]", (unsigned long long)duckdb_array_type_array_size(lt)) == RC_OK;
        break;
    case DUCKDB_TYPE_MAP:
        c = duckdb_map_type_key_type(lt);
        v = duckdb_map_type_value_type(lt);
        ok = buf_append_str(b, "MAP(") == RC_OK && type_name(b, c) &&
             buf_append_str(b, ", ") == RC_OK && type_name(b, v) && buf_append_str(b, ")") == RC_OK;
        break;
    default:
        break;
    }
    if (c)
        duckdb_destroy_logical_type(&c);
    if (v)
        duckdb_destroy_logical_type(&v);
    return ok;
}

static bool is_nested(duckdb_type t)
{
    return t == DUCKDB_TYPE_LIST || t == DUCKDB_TYPE_ARRAY || t == DUCKDB_TYPE_STRUCT ||
           t == DUCKDB_TYPE_MAP || t == DUCKDB_TYPE_UNION;
}

/* Appends the wrapping statement's expression for column i in format fmt. */
static enum rc wrap_expr(struct buf *b, const struct col *c, int i, enum result_format fmt)
{
    duckdb_type t = c->node.t;
    bool real = t == DUCKDB_TYPE_DOUBLE || t == DUCKDB_TYPE_FLOAT;
    if (c->how[fmt] == HOW_NATIVE)
        return buf_printf(b, "q.c%d", i);
    const char *open = fmt == RESULT_JSON || is_nested(t) ? "to_json(" : "(";
    const char *close = fmt == RESULT_JSON || is_nested(t) ? ")" : ")::VARCHAR";
    if (real)
        return buf_printf(b, "%sCASE WHEN isfinite(q.c%d) THEN q.c%d END%s", open, i, i, close);
    return buf_printf(b, "%sq.c%d%s", open, i, close);
}

static enum rc prepare_error(duckdb_prepared_statement *st, struct err *err)
{
    const char *msg = duckdb_prepare_error(*st);
    enum rc rc = err_set(err, RC_DB, "%s", msg ? msg : "cannot prepare the query");
    duckdb_destroy_prepare(st);
    return rc;
}

/* The wrapping statement of format fmt, prepared on first use. */
static enum rc wrapped_stmt(struct result_stmt *s, enum result_format fmt,
                            duckdb_prepared_statement *out, struct err *err)
{
    bool need = false;
    for (int i = 0; i < s->n_cols; i++)
        need = need || s->cols[i].how[fmt] != HOW_NATIVE;
    if (!need) {
        *out = s->raw;
        return RC_OK;
    }
    if (s->wrapped[fmt]) {
        *out = s->wrapped[fmt];
        return RC_OK;
    }
    struct buf q;
    buf_init(&q, WRAP_SQL_MAX);
    char *query = strip_query(s->sql);
    enum rc rc = buf_append_str(&q, "SELECT ");
    for (int i = 0; !rc && i < s->n_cols; i++) {
        rc = i ? buf_append_str(&q, ", ") : RC_OK;
        if (!rc)
            rc = wrap_expr(&q, &s->cols[i], i, fmt);
    }
    if (!rc)
        rc = buf_printf(&q, " FROM (\n%s\n) AS q(", query);
    for (int i = 0; !rc && i < s->n_cols; i++)
        rc = buf_printf(&q, "%sc%d", i ? ", " : "", i);
    if (!rc)
        rc = buf_append_str(&q, ")");
    free(query);
    if (rc) {
        buf_cleanup(&q);
        return err_set(err, RC_TOOBIG, "query too long");
    }
    duckdb_connection conn = duck_connection_handle(s->conn);
    if (duckdb_prepare(conn, buf_cstr(&q), &s->wrapped[fmt]) != DuckDBSuccess)
        rc = prepare_error(&s->wrapped[fmt], err);
    buf_cleanup(&q);
    if (!rc)
        *out = s->wrapped[fmt];
    return rc;
}

void result_stmt_free(struct result_stmt **stmt)
{
    if (!stmt || !*stmt)
        return;
    struct result_stmt *s = *stmt;
    for (int i = 0; i < s->n_cols; i++) {
        free(s->cols[i].name);
        free(s->cols[i].type);
        node_free(&s->cols[i].node);
    }
    free(s->cols);
    for (int f = 0; f < 2; f++)
        if (s->wrapped[f])
            duckdb_destroy_prepare(&s->wrapped[f]);
    if (s->raw)
        duckdb_destroy_prepare(&s->raw);
    free(s->sql);
    free(s);
    *stmt = NULL;
}

size_t result_stmt_size(const struct result_stmt *stmt)
{
    return stmt->size;
}

enum rc result_prepare(struct duck *conn, const char *sql, struct result_stmt **out,
                       struct err *err)
{
    struct result_stmt *s = xcalloc(1, sizeof(*s));
    struct columns described = { 0 };
    struct buf tb;
    buf_init(&tb, 64 * 1024);
    *out = NULL;
    s->conn = conn;
    s->sql = xstrdup(sql);
    enum rc rc = RC_OK;
    /* one statement only: a PIVOT without an IN list is several to DuckDB (the server's
     * guard refuses it for that reason too) */
    if (duckdb_prepare(duck_connection_handle(conn), sql, &s->raw) != DuckDBSuccess) {
        rc = prepare_error(&s->raw, err);
        goto out;
    }
    if (duckdb_prepared_statement_type(s->raw) != DUCKDB_STATEMENT_TYPE_SELECT) {
        rc = err_set(err, RC_DB, "Parser Error: only a query (SELECT) can be run here");
        goto out;
    }
    s->n_cols = (int)duckdb_prepared_statement_column_count(s->raw);
    s->cols = xcalloc(s->n_cols ? (size_t)s->n_cols : 1, sizeof(*s->cols));
    s->size = sizeof(*s) + strlen(sql) + STMT_OVERHEAD;
    bool describe = false;
    for (int i = 0; i < s->n_cols; i++) {
        struct col *c = &s->cols[i];
        const char *name = duckdb_prepared_statement_column_name(s->raw, (idx_t)i);
        c->name = xstrdup(name ? name : "");
        duckdb_free((void *)(uintptr_t)name); /* the caller's to free */
        duckdb_logical_type lt = duckdb_prepared_statement_column_logical_type(s->raw, (idx_t)i);
        bool native = node_from(&c->node, lt, false);
        c->how[RESULT_JSON] = native && c->node.t != DUCKDB_TYPE_DECIMAL ? HOW_NATIVE : HOW_RAW;
        c->how[RESULT_CSV] = native ? HOW_NATIVE : HOW_TEXT;
        buf_reset(&tb);
        if (type_name(&tb, lt))
            c->type = xstrdup(buf_cstr(&tb));
        else
            describe = true;
        duckdb_destroy_logical_type(&lt);
        s->size += strlen(c->name) + (c->type ? strlen(c->type) : 0) + sizeof(*c);
    }
    for (int i = 0; i < s->n_cols; i++) {
        if (s->cols[i].how[RESULT_JSON] != HOW_NATIVE) {
            /* counted now: a cache sizes an entry when it is added */
            s->size += 2 * (strlen(sql) + STMT_OVERHEAD + 48 * (size_t)s->n_cols);
            break;
        }
    }
    if (describe) {
        /* a name with DuckDB's quoting rules (STRUCT fields, ENUM values): DuckDB says it,
         * once per prepared statement */
        char *query = strip_query(sql);
        char *d = xasprintf("DESCRIBE %s", query);
        free(query);
        rc = duck_query_rows(conn, d, read_column, &described, err);
        free(d);
        if (!rc && described.len != s->n_cols)
            rc = err_set(err, RC_INTERNAL, "DESCRIBE gave %d columns for %d", described.len,
                         s->n_cols);
        for (int i = 0; !rc && i < s->n_cols; i++) {
            if (!s->cols[i].type) {
                s->cols[i].type = xstrdup(described.items[i].type);
                s->size += strlen(s->cols[i].type);
            }
        }
    }
out:
    columns_free(&described);
    buf_cleanup(&tb);
    if (rc)
        result_stmt_free(&s);
    *out = s;
    return rc;
}

/* ---- encoding ---- */

/* Appends the decimal digits of v with a '-' when neg. */
static enum rc put_u128(struct buf *b, u128 v, bool neg)
{
    char tmp[48];
    size_t i = sizeof(tmp);
    if (v <= UINT64_MAX) { /* 64-bit division is several times faster */
        uint64_t u = (uint64_t)v;
        do {
            tmp[--i] = (char)('0' + (int)(u % 10));
            u /= 10;
        } while (u);
        if (neg)
            tmp[--i] = '-';
        return buf_append(b, tmp + i, sizeof(tmp) - i);
    }
    do {
        tmp[--i] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v);
    if (neg)
        tmp[--i] = '-';
    return buf_append(b, tmp + i, sizeof(tmp) - i);
}

static enum rc put_i128(struct buf *b, int64_t upper, uint64_t lower)
{
    u128 v = ((u128)(uint64_t)upper << 64) | lower;
    bool neg = upper < 0;
    return put_u128(b, neg ? (u128)0 - v : v, neg);
}

static enum rc put_i64(struct buf *b, int64_t v)
{
    return v < 0 ? put_u128(b, (u128)(0 - (uint64_t)v), true) : put_u128(b, (u128)v, false);
}

/* A decimal's unscaled value with its point: DuckDB's text ("-0.05", "12.50", and ".5" when
 * the width is the scale). */
static enum rc put_decimal(struct buf *b, u128 mag, bool neg, uint8_t width, uint8_t scale)
{
    char tmp[48];
    size_t i = sizeof(tmp);
    int digits = 0;
    do {
        tmp[--i] = (char)('0' + (int)(mag % 10));
        mag /= 10;
        digits++;
    } while (mag);
    while (digits < scale || (digits == scale && width > scale)) { /* "0." unless width = scale */
        tmp[--i] = '0';
        digits++;
    }
    enum rc rc = neg ? buf_append(b, "-", 1) : RC_OK;
    size_t int_len = (size_t)(digits - scale);
    if (!rc)
        rc = buf_append(b, tmp + i, int_len);
    if (!rc && scale)
        rc = buf_append(b, ".", 1);
    if (!rc && scale)
        rc = buf_append(b, tmp + i + int_len, scale);
    return rc;
}

static enum rc put_json_string(struct buf *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    enum rc rc = buf_append(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; !rc && i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch >= 0x20 && ch != '"' && ch != '\\')
            continue;
        rc = buf_append(b, s + run, i - run);
        run = i + 1;
        char esc[6] = { '\\', 0, 0, 0, 0, 0 };
        size_t n = 2;
        switch (ch) {
        case '"':
            esc[1] = '"';
            break;
        case '\\':
            esc[1] = '\\';
            break;
        case '\n':
            esc[1] = 'n';
            break;
        case '\r':
            esc[1] = 'r';
            break;
        case '\t':
            esc[1] = 't';
            break;
        case '\b':
            esc[1] = 'b';
            break;
        case '\f':
            esc[1] = 'f';
            break;
        default:
            memcpy(esc + 1, "u00", 3);
            esc[4] = hex[ch >> 4];
            esc[5] = hex[ch & 15];
            n = 6;
        }
        if (!rc)
            rc = buf_append(b, esc, n);
    }
    if (!rc)
        rc = buf_append(b, s + run, len - run);
    return rc ? rc : buf_append(b, "\"", 1);
}

/* A CSV field: quoted, quotes doubled. */
static enum rc put_csv_field(struct buf *b, const char *s, size_t len)
{
    enum rc rc = buf_append(b, "\"", 1);
    size_t run = 0;
    for (size_t i = 0; !rc && i < len; i++) {
        if (s[i] != '"')
            continue;
        rc = buf_append(b, s + run, i + 1 - run);
        run = i; /* the quote again */
    }
    if (!rc)
        rc = buf_append(b, s + run, len - run);
    return rc ? rc : buf_append(b, "\"", 1);
}

static enum rc put_base64(struct buf *b, const uint8_t *p, size_t len)
{
    static const char tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char tmp[256];
    size_t n = 0;
    enum rc rc = RC_OK;
    for (size_t i = 0; !rc && i < len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16;
        if (i + 1 < len)
            v |= (uint32_t)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        tmp[n++] = tab[(v >> 18) & 63];
        tmp[n++] = tab[(v >> 12) & 63];
        tmp[n++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
        tmp[n++] = i + 2 < len ? tab[v & 63] : '=';
        if (n + 4 > sizeof(tmp)) {
            rc = buf_append(b, tmp, n);
            n = 0;
        }
    }
    return rc ? rc : buf_append(b, tmp, n);
}

/* Writes v as exactly width digits (zero-padded). */
static void put_digits(char *s, int32_t v, int width)
{
    for (int i = width - 1; i >= 0; i--) {
        s[i] = (char)('0' + v % 10);
        v /= 10;
    }
}

static enum rc put_date(struct buf *b, int32_t days)
{
    if (days == INT32_MAX)
        return buf_append_str(b, "infinity");
    if (days == -INT32_MAX)
        return buf_append_str(b, "-infinity");
    duckdb_date_struct d = duckdb_from_date((duckdb_date){ days });
    if (d.year >= 1 && d.year <= 9999) {
        char s[10];
        put_digits(s, d.year, 4);
        s[4] = '-';
        put_digits(s + 5, d.month, 2);
        s[7] = '-';
        put_digits(s + 8, d.day, 2);
        return buf_append(b, s, 10);
    }
    bool bc = d.year <= 0;
    int32_t year = bc ? 1 - d.year : d.year;
    return buf_printf(b, "%04d-%02d-%02d%s", (int)year, (int)d.month, (int)d.day,
                      bc ? " (BC)" : "");
}

/* strftime(ts, '%Y-%m-%dT%H:%M:%S.%f') of a TIMESTAMP in microseconds (zulu adds the "Z"). */
static enum rc put_timestamp(struct buf *b, int64_t micros, bool zulu)
{
    if (micros == INT64_MAX)
        return buf_append_str(b, "infinity");
    if (micros == -INT64_MAX)
        return buf_append_str(b, "-infinity");
    duckdb_timestamp_struct t = duckdb_from_timestamp((duckdb_timestamp){ micros });
    if (t.date.year >= 0 && t.date.year <= 9999) { /* the common case without printf */
        char s[28];
        put_digits(s, t.date.year, 4);
        s[4] = '-';
        put_digits(s + 5, t.date.month, 2);
        s[7] = '-';
        put_digits(s + 8, t.date.day, 2);
        s[10] = 'T';
        put_digits(s + 11, t.time.hour, 2);
        s[13] = ':';
        put_digits(s + 14, t.time.min, 2);
        s[16] = ':';
        put_digits(s + 17, t.time.sec, 2);
        s[19] = '.';
        put_digits(s + 20, t.time.micros, 6);
        s[26] = 'Z';
        return buf_append(b, s, zulu ? 27 : 26);
    }
    /* strftime's %Y: a negative year unpadded */
    return buf_printf(b,
                      t.date.year < 0 ? "%d-%02d-%02dT%02d:%02d:%02d.%06d%s"
                                      : "%04d-%02d-%02dT%02d:%02d:%02d.%06d%s",
                      (int)t.date.year, (int)t.date.month, (int)t.date.day, (int)t.time.hour,
                      (int)t.time.min, (int)t.time.sec, (int)t.time.micros, zulu ? "Z" : "");
}

static enum rc put_uuid(struct buf *b, duckdb_hugeint h)
{
    uint64_t hi = (uint64_t)h.upper ^ (UINT64_C(1) << 63);
    uint64_t lo = h.lower;
    return buf_printf(b, "%08x-%04x-%04x-%04x-%012llx", (unsigned)(hi >> 32),
                      (unsigned)((hi >> 16) & 0xffff), (unsigned)(hi & 0xffff),
                      (unsigned)(lo >> 48), (unsigned long long)(lo & 0xffffffffffffULL));
}

static bool valid_at(duckdb_vector v, idx_t row)
{
    uint64_t *validity = duckdb_vector_get_validity(v);
    return !validity || duckdb_validity_row_is_valid(validity, row);
}

/* Whether the value's JSON form is a string (then CSV quotes its bare text). */
static bool text_is_string(duckdb_type t)
{
    return t == DUCKDB_TYPE_VARCHAR || t == DUCKDB_TYPE_DATE || t == DUCKDB_TYPE_UUID ||
           t == DUCKDB_TYPE_BLOB || t == DUCKDB_TYPE_TIMESTAMP || t == DUCKDB_TYPE_TIMESTAMP_S ||
           t == DUCKDB_TYPE_TIMESTAMP_MS || t == DUCKDB_TYPE_TIMESTAMP_NS ||
           t == DUCKDB_TYPE_TIMESTAMP_TZ;
}

/* Appends the bare text of a valid scalar at row of v (no quotes: the caller adds JSON's or
 * CSV's), except VARCHAR, which the callers copy themselves. */
static enum rc put_scalar(struct buf *b, const struct node *n, const void *data, idx_t row)
{
    switch (n->t) {
    case DUCKDB_TYPE_BOOLEAN:
        return buf_append_str(b, ((const bool *)data)[row] ? "true" : "false");
    case DUCKDB_TYPE_TINYINT:
        return put_i64(b, ((const int8_t *)data)[row]);
    case DUCKDB_TYPE_SMALLINT:
        return put_i64(b, ((const int16_t *)data)[row]);
    case DUCKDB_TYPE_INTEGER:
        return put_i64(b, ((const int32_t *)data)[row]);
    case DUCKDB_TYPE_BIGINT:
        return put_i64(b, ((const int64_t *)data)[row]);
    case DUCKDB_TYPE_UTINYINT:
        return put_u128(b, ((const uint8_t *)data)[row], false);
    case DUCKDB_TYPE_USMALLINT:
        return put_u128(b, ((const uint16_t *)data)[row], false);
    case DUCKDB_TYPE_UINTEGER:
        return put_u128(b, ((const uint32_t *)data)[row], false);
    case DUCKDB_TYPE_UBIGINT:
        return put_u128(b, ((const uint64_t *)data)[row], false);
    case DUCKDB_TYPE_HUGEINT: {
        duckdb_hugeint h = ((const duckdb_hugeint *)data)[row];
        return put_i128(b, h.upper, h.lower);
    }
    case DUCKDB_TYPE_UHUGEINT: {
        duckdb_uhugeint h = ((const duckdb_uhugeint *)data)[row];
        return put_u128(b, ((u128)h.upper << 64) | h.lower, false);
    }
    case DUCKDB_TYPE_DECIMAL: {
        int64_t v = 0;
        switch (n->storage) {
        case DUCKDB_TYPE_SMALLINT:
            v = ((const int16_t *)data)[row];
            break;
        case DUCKDB_TYPE_INTEGER:
            v = ((const int32_t *)data)[row];
            break;
        case DUCKDB_TYPE_BIGINT:
            v = ((const int64_t *)data)[row];
            break;
        default: {
            duckdb_hugeint h = ((const duckdb_hugeint *)data)[row];
            u128 u = ((u128)(uint64_t)h.upper << 64) | h.lower;
            bool neg = h.upper < 0;
            return put_decimal(b, neg ? (u128)0 - u : u, neg, n->width, n->scale);
        }
        }
        return put_decimal(b, v < 0 ? (u128)(0 - (uint64_t)v) : (u128)v, v < 0, n->width, n->scale);
    }
    case DUCKDB_TYPE_DATE:
        return put_date(b, ((const int32_t *)data)[row]);
    case DUCKDB_TYPE_TIMESTAMP:
    case DUCKDB_TYPE_TIMESTAMP_TZ:
        return put_timestamp(b, ((const int64_t *)data)[row], n->t == DUCKDB_TYPE_TIMESTAMP_TZ);
    case DUCKDB_TYPE_TIMESTAMP_S: {
        int64_t v = ((const int64_t *)data)[row];
        return put_timestamp(b, v == INT64_MAX || v == -INT64_MAX ? v : v * 1000000, false);
    }
    case DUCKDB_TYPE_TIMESTAMP_MS: {
        int64_t v = ((const int64_t *)data)[row];
        return put_timestamp(b, v == INT64_MAX || v == -INT64_MAX ? v : v * 1000, false);
    }
    case DUCKDB_TYPE_TIMESTAMP_NS: {
        int64_t v = ((const int64_t *)data)[row];
        return put_timestamp(b, v == INT64_MAX || v == -INT64_MAX ? v : v / 1000, false);
    }
    case DUCKDB_TYPE_UUID:
        return put_uuid(b, ((const duckdb_hugeint *)data)[row]);
    case DUCKDB_TYPE_BLOB: {
        duckdb_string_t *s = &((duckdb_string_t *)(uintptr_t)data)[row];
        return put_base64(b, (const uint8_t *)duckdb_string_t_data(s), duckdb_string_t_length(*s));
    }
    default:
        return RC_INTERNAL;
    }
}

/* Appends the JSON of the value at row of v (NULL as null), recursively for nested values. */
static enum rc put_json(struct buf *b, const struct node *n, duckdb_vector v, idx_t row)
{
    if (!valid_at(v, row))
        return buf_append(b, "null", 4);
    void *data = duckdb_vector_get_data(v);
    enum rc rc = RC_OK;
    switch (n->t) {
    case DUCKDB_TYPE_VARCHAR: {
        duckdb_string_t *s = &((duckdb_string_t *)data)[row];
        return put_json_string(b, duckdb_string_t_data(s), duckdb_string_t_length(*s));
    }
    case DUCKDB_TYPE_LIST:
    case DUCKDB_TYPE_MAP: {
        duckdb_list_entry e = ((duckdb_list_entry *)data)[row];
        duckdb_vector child = duckdb_list_vector_get_child(v);
        bool map = n->t == DUCKDB_TYPE_MAP;
        duckdb_vector key = map ? duckdb_struct_vector_get_child(child, 0) : NULL;
        duckdb_vector val = map ? duckdb_struct_vector_get_child(child, 1) : NULL;
        rc = buf_append(b, map ? "{" : "[", 1);
        for (idx_t i = 0; !rc && i < e.length; i++) {
            if (i)
                rc = buf_append(b, ",", 1);
            if (!rc && map) {
                rc = put_json(b, &n->children[0], key, e.offset + i);
                if (!rc)
                    rc = buf_append(b, ":", 1);
                if (!rc)
                    rc = put_json(b, &n->children[1], val, e.offset + i);
            } else if (!rc) {
                rc = put_json(b, &n->children[0], child, e.offset + i);
            }
        }
        return rc ? rc : buf_append(b, map ? "}" : "]", 1);
    }
    case DUCKDB_TYPE_ARRAY: {
        duckdb_vector child = duckdb_array_vector_get_child(v);
        rc = buf_append(b, "[", 1);
        for (idx_t i = 0; !rc && i < n->array_size; i++) {
            if (i)
                rc = buf_append(b, ",", 1);
            if (!rc)
                rc = put_json(b, &n->children[0], child, row * n->array_size + i);
        }
        return rc ? rc : buf_append(b, "]", 1);
    }
    case DUCKDB_TYPE_STRUCT:
        rc = buf_append(b, "{", 1);
        for (int i = 0; !rc && i < n->n_children; i++) {
            if (i)
                rc = buf_append(b, ",", 1);
            if (!rc)
                rc = put_json_string(b, n->names[i], strlen(n->names[i]));
            if (!rc)
                rc = buf_append(b, ":", 1);
            if (!rc)
                rc = put_json(b, &n->children[i], duckdb_struct_vector_get_child(v, (idx_t)i), row);
        }
        return rc ? rc : buf_append(b, "}", 1);
    default:
        break;
    }
    bool quoted = text_is_string(n->t);
    rc = quoted ? buf_append(b, "\"", 1) : RC_OK;
    if (!rc)
        rc = put_scalar(b, n, data, row);
    if (!rc && quoted)
        rc = buf_append(b, "\"", 1);
    return rc;
}

/* A column of the chunk being encoded. */
struct colvec {
    duckdb_vector vec;
    void *data;
    uint64_t *validity;
};

/* Appends the CSV field of a column's value: NULL empty, the rest quoted. */
static enum rc put_csv(struct buf *b, struct buf *tmp, const struct col *c, const struct colvec *cv,
                       idx_t row)
{
    if (cv->validity && !duckdb_validity_row_is_valid(cv->validity, row))
        return RC_OK;
    duckdb_type t = c->node.t;
    if (c->how[RESULT_CSV] != HOW_NATIVE || t == DUCKDB_TYPE_VARCHAR) {
        duckdb_string_t *s = &((duckdb_string_t *)cv->data)[row];
        return put_csv_field(b, duckdb_string_t_data(s), duckdb_string_t_length(*s));
    }
    buf_reset(tmp);
    enum rc rc = is_nested(t) ? put_json(tmp, &c->node, cv->vec, row)
                              : put_scalar(tmp, &c->node, cv->data, row);
    return rc ? rc : put_csv_field(b, tmp->data ? tmp->data : "", tmp->len);
}

/* Appends the JSON of a column's value. */
static enum rc put_json_col(struct buf *b, const struct col *c, const struct colvec *cv, idx_t row)
{
    if (cv->validity && !duckdb_validity_row_is_valid(cv->validity, row))
        return buf_append(b, "null", 4);
    if (c->how[RESULT_JSON] == HOW_RAW) {
        duckdb_string_t *s = &((duckdb_string_t *)cv->data)[row];
        return buf_append(b, duckdb_string_t_data(s), duckdb_string_t_length(*s));
    }
    duckdb_type t = c->node.t;
    if (is_nested(t))
        return put_json(b, &c->node, cv->vec, row);
    if (t == DUCKDB_TYPE_VARCHAR) {
        duckdb_string_t *s = &((duckdb_string_t *)cv->data)[row];
        return put_json_string(b, duckdb_string_t_data(s), duckdb_string_t_length(*s));
    }
    bool quoted = text_is_string(t);
    enum rc rc = quoted ? buf_append(b, "\"", 1) : RC_OK;
    if (!rc)
        rc = put_scalar(b, &c->node, cv->data, row);
    if (!rc && quoted)
        rc = buf_append(b, "\"", 1);
    return rc;
}

/* The state of one run: where rows go and what the caps allow. */
struct run {
    const struct result_stmt *s;
    enum result_format fmt;
    const struct result_limits *lim;
    struct buf *out;
    struct result_stats *st;
    struct buf row; /* the row being encoded: its size decides before it reaches out */
    struct buf tmp; /* a CSV field's JSON or text */
    struct colvec *cv;
};

/* Encodes row i of the chunk whose vectors are in r->cv; STOP when a cap is reached. */
#define STOP RC_CONFLICT
static enum rc put_row(struct run *r, idx_t row)
{
    struct result_stats *st = r->st;
    if (st->rows == r->lim->max_rows) {
        st->truncated = true;
        st->truncated_by = "rows";
        return STOP;
    }
    buf_reset(&r->row);
    bool json = r->fmt == RESULT_JSON;
    enum rc rc = json ? buf_append(&r->row, "[", 1) : RC_OK;
    for (int c = 0; !rc && c < r->s->n_cols; c++) {
        if (c)
            rc = buf_append(&r->row, ",", 1);
        if (!rc)
            rc = json ? put_json_col(&r->row, &r->s->cols[c], &r->cv[c], row)
                      : put_csv(&r->row, &r->tmp, &r->s->cols[c], &r->cv[c], row);
    }
    if (!rc && json)
        rc = buf_append(&r->row, "]", 1);
    /* a row too big for its buffer is past the byte cap too (the buffer is reset for the next) */
    int64_t len = rc ? INT64_MAX / 2 : (int64_t)r->row.len + 1; /* with its ',' or newline */
    if (rc == RC_TOOBIG)
        buf_init(&r->row, (size_t)r->lim->max_bytes);
    else if (rc)
        return rc;
    if (st->bytes + len > r->lim->max_bytes) {
        st->truncated = true;
        st->truncated_by = "bytes";
        return STOP;
    }
    rc = json && st->rows > 0 ? buf_append(r->out, ",", 1) : RC_OK;
    if (!rc)
        rc = buf_append(r->out, buf_cstr(&r->row), r->row.len);
    if (!rc && !json)
        rc = buf_append(r->out, "\r\n", 2);
    if (rc)
        return RC_TOOBIG;
    st->rows++;
    st->bytes += len;
    return RC_OK;
}

static enum rc put_chunk(struct run *r, duckdb_data_chunk chunk)
{
    idx_t n = duckdb_data_chunk_get_size(chunk);
    for (int c = 0; c < r->s->n_cols; c++) {
        struct colvec *cv = &r->cv[c];
        cv->vec = duckdb_data_chunk_get_vector(chunk, (idx_t)c);
        cv->data = duckdb_vector_get_data(cv->vec);
        cv->validity = duckdb_vector_get_validity(cv->vec);
    }
    enum rc rc = RC_OK;
    for (idx_t i = 0; !rc && i < n; i++)
        rc = put_row(r, i);
    return rc;
}

/* JSON arrays of the names and the types, or the CSV header line. */
static enum rc write_header(struct buf *out, const struct result_stmt *s, enum result_format fmt)
{
    enum rc rc = RC_OK;
    if (fmt == RESULT_CSV) {
        for (int i = 0; !rc && i < s->n_cols; i++) {
            rc = i ? buf_append(out, ",", 1) : RC_OK;
            if (!rc)
                rc = put_csv_field(out, s->cols[i].name, strlen(s->cols[i].name));
        }
        return rc ? rc : buf_append(out, "\r\n", 2);
    }
    json_t *names = json_array(), *types = json_array();
    for (int i = 0; i < s->n_cols; i++) {
        json_array_append_new(names, json_string(s->cols[i].name));
        json_array_append_new(types, json_string(s->cols[i].type));
    }
    char *n = json_dumps(names, JSON_COMPACT), *t = json_dumps(types, JSON_COMPACT);
    rc = n && t ? buf_printf(out, "{\"columns\":%s,\"types\":%s,\"rows\":[", n, t) : RC_TOOBIG;
    free(n);
    free(t);
    json_decref(names);
    json_decref(types);
    return rc;
}

static enum rc result_error(duckdb_result *res, const char *fallback, struct err *err)
{
    const char *msg = duckdb_result_error(res);
    return err_set(err, RC_DB, "%s", msg ? msg : fallback);
}

enum rc result_exec(struct result_stmt *stmt, enum result_format fmt,
                    const struct result_limits *lim, struct buf *out, struct result_stats *st,
                    struct err *err)
{
    *st = (struct result_stats){ 0 };
    if (lim->max_rows < 1 || lim->max_bytes < 1)
        return err_set(err, RC_INVALID, "result limits must be at least 1");
    if (fmt != RESULT_JSON && fmt != RESULT_CSV)
        return err_set(err, RC_INVALID, "result_exec writes JSON or CSV");
    duckdb_prepared_statement ps = NULL;
    enum rc rc = wrapped_stmt(stmt, fmt, &ps, err);
    if (rc)
        return rc;
    duckdb_result res;
    memset(&res, 0, sizeof(res));
    struct run r = { .s = stmt, .fmt = fmt, .lim = lim, .out = out, .st = st };
    buf_init(&r.row, (size_t)lim->max_bytes);
    buf_init(&r.tmp, (size_t)lim->max_bytes);
    r.cv = xcalloc(stmt->n_cols ? (size_t)stmt->n_cols : 1, sizeof(*r.cv));
    st->columns = stmt->n_cols;
    /* streaming: chunks are computed as they are fetched, and no more once a cap is hit */
    if (duckdb_execute_prepared_streaming(ps, &res) != DuckDBSuccess) {
        rc = result_error(&res, "DuckDB query failed", err);
        goto out;
    }
    if (write_header(out, stmt, fmt)) {
        rc = err_set(err, RC_TOOBIG, "result too big for its buffer");
        goto out;
    }
    for (;;) {
        duckdb_data_chunk chunk = duckdb_fetch_chunk(res);
        if (!chunk) {
            if (duckdb_result_error(&res))
                rc = result_error(&res, "DuckDB query failed", err);
            break;
        }
        rc = put_chunk(&r, chunk);
        duckdb_destroy_data_chunk(&chunk);
        if (rc)
            break;
    }
    if (rc == STOP)
        rc = RC_OK;
    else if (rc == RC_TOOBIG)
        rc = err_set(err, RC_TOOBIG, "result too big for its buffer");
    else if (rc && rc != RC_DB)
        rc = err_set(err, rc, "cannot encode the result");
    if (!rc && fmt == RESULT_JSON &&
        buf_printf(out, "],\"row_count\":%lld,\"truncated\":%s,\"truncated_by\":%s%s%s}",
                   (long long)st->rows, st->truncated ? "true" : "false",
                   st->truncated_by ? "\"" : "", st->truncated_by ? st->truncated_by : "null",
                   st->truncated_by ? "\"" : ""))
        rc = err_set(err, RC_TOOBIG, "result too big for its buffer");
out:
    duckdb_destroy_result(&res);
    buf_cleanup(&r.row);
    buf_cleanup(&r.tmp);
    free(r.cv);
    if (rc)
        st->rows = st->bytes = 0;
    return rc;
}

enum rc result_run(struct duck *conn, const char *sql, enum result_format fmt,
                   const struct result_limits *lim, struct buf *out, struct result_stats *st,
                   struct err *err)
{
    struct result_stmt *s = NULL;
    *st = (struct result_stats){ 0 };
    if (lim->max_rows < 1 || lim->max_bytes < 1)
        return err_set(err, RC_INVALID, "result limits must be at least 1");
    enum rc rc = result_prepare(conn, sql, &s, err);
    if (!rc)
        rc = result_exec(s, fmt, lim, out, st, err);
    result_stmt_free(&s);
    return rc;
}

/* Appends the select list of the Parquet copy: every column as it is but the 128-bit
 * integers, which Parquet cannot hold (DuckDB would write them as DOUBLE, losing digits), so
 * they go as their exact decimal text. */
static enum rc parquet_columns(struct buf *b, const struct columns *cols)
{
    enum rc rc = RC_OK;
    for (int i = 0; !rc && i < cols->len; i++) {
        const char *type = cols->items[i].type;
        bool as_text = type_is(type, "HUGEINT") || type_is(type, "UHUGEINT");
        rc = buf_append_str(b, i ? ", " : "");
        if (!rc)
            rc = duck_sql_quote_ident(b, cols->items[i].name);
        if (!rc && as_text) {
            rc = buf_append_str(b, "::VARCHAR AS ");
            if (!rc)
                rc = duck_sql_quote_ident(b, cols->items[i].name);
        }
    }
    return rc;
}

/* The result goes into a temporary table first: its row count says whether the query had more
 * rows than the limit, which a COPY of "LIMIT n" alone cannot tell, and its column names are
 * unique (DuckDB renames duplicates). It is dropped when done, and replaced if a failed run on
 * the same connection left it behind. */
enum rc result_parquet(struct duck *conn, const char *sql, const char *path,
                       const struct result_limits *lim, struct result_stats *st, struct err *err)
{
    struct buf q;
    struct columns cols = { 0 };
    char *query = strip_query(sql);
    int64_t rows = 0;
    *st = (struct result_stats){ 0 };
    buf_init(&q, WRAP_SQL_MAX);
    enum rc rc = RC_OK;
    if (lim->max_rows < 1) {
        rc = err_set(err, RC_INVALID, "result limits must be at least 1");
        goto out;
    }
    if (buf_printf(
            &q, "CREATE OR REPLACE TEMP TABLE da_result AS SELECT * FROM (\n%s\n) AS q LIMIT %lld",
            query, (long long)lim->max_rows + 1)) {
        rc = err_set(err, RC_TOOBIG, "query too long");
        goto out;
    }
    rc = duck_exec(conn, buf_cstr(&q), err);
    if (!rc)
        rc = duck_query_i64(conn, "SELECT count(*) FROM da_result", &rows, err);
    if (!rc)
        rc = duck_query_rows(conn, "DESCRIBE da_result", read_column, &cols, err);
    if (rc)
        goto out;
    buf_reset(&q);
    if (buf_append_str(&q, "COPY (SELECT ") || parquet_columns(&q, &cols) ||
        buf_printf(&q, " FROM da_result LIMIT %lld) TO ", (long long)lim->max_rows) ||
        duck_sql_quote_literal(&q, path) ||
        buf_append_str(&q, " (FORMAT parquet, COMPRESSION zstd)")) {
        rc = err_set(err, RC_TOOBIG, "result path too long");
        goto out;
    }
    rc = duck_exec(conn, buf_cstr(&q), err);
    if (rc)
        goto out;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        rc = err_set(err, RC_IO, "the Parquet result was not written");
        goto out;
    }
    st->truncated = rows > lim->max_rows;
    st->truncated_by = st->truncated ? "rows" : NULL;
    st->rows = st->truncated ? lim->max_rows : rows;
    st->bytes = (int64_t)sb.st_size;
    st->columns = cols.len;
    rc = duck_exec(conn, "DROP TABLE temp.da_result", err);
out:
    if (rc) {
        /* the worker's connection lives on: do not leave the rows held in memory */
        struct err ignored = { { 0 } };
        (void)!duck_exec(conn, "DROP TABLE IF EXISTS temp.da_result", &ignored);
    }
    columns_free(&cols);
    buf_cleanup(&q);
    free(query);
    return rc;
}
