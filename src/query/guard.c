/* guard.c — the SQL guard (see guard.h). The text goes through three steps: a cost check of
 * the text that can only refuse, DuckDB's parser (json_serialize_sql), and a walk of the parse
 * tree that records what the text reads (guard_parse); then the caller's policy is asked about
 * each catalog table it names (guard_decide). The walk visits every member of every object, so
 * no part of the tree is skipped, and acts on the shapes DuckDB 1.4.4 produces:
 *   query nodes  {"type": "SELECT_NODE" | "SET_OPERATION_NODE" | "RECURSIVE_CTE_NODE",
 *                 "cte_map": {"map": [{"key": name, "value": {"query": {"node": ...}}}]}};
 *                a recursive CTE's body is {"type": "RECURSIVE_CTE_NODE", "cte_name", "left",
 *                "right"}; any other query node (CTE_NODE: a MATERIALIZED CTE) is refused
 *   FROM items   {"type": "BASE_TABLE", "catalog_name", "schema_name", "table_name"},
 *                {"type": "TABLE_FUNCTION", "function": {function expression}}, JOIN (left,
 *                right), SUBQUERY, EXPRESSION_LIST (VALUES), PIVOT (source), EMPTY, and
 *                SHOW_REF, which is what DESCRIBE, SHOW and SUMMARIZE become
 *   expressions  {"class": ..., "function_name", "schema", "catalog"} for function calls;
 *                subqueries are {"class": "SUBQUERY", "subquery": {"node": ...}} */
#include "query/guard.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/ident.h"
#include "base/mem.h"
#include "base/utf8.h"
#include "data/duck.h"
#include "query/functions.h"
#include "query/guard_int.h"

/* ---- small helpers ---- */

static char ascii_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Case-insensitive equality on ASCII letters only, as DuckDB compares identifiers. */
static bool ascii_ieq(const char *a, const char *b)
{
    for (; *a && *b; a++, b++)
        if (ascii_lower(*a) != ascii_lower(*b))
            return false;
    return *a == *b;
}

static bool ascii_ieq_len(const char *a, size_t len, const char *b)
{
    for (size_t i = 0; i < len; i++)
        if (!b[i] || ascii_lower(a[i]) != ascii_lower(b[i]))
            return false;
    return b[len] == '\0';
}

/* A member of obj as a string, "" when it is missing or not a string. */
static const char *member_str(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

static void refuse(struct guard_parse *out, enum guard_verdict v, const char *fmt, ...)
    PRINTF_FMT(3, 4);
static void result_refuse(struct guard_result *out, enum guard_verdict v, const char *fmt, ...)
    PRINTF_FMT(3, 4);

/* Records the verdict; the first refusal wins, so the message names the first problem. */
static void refuse(struct guard_parse *out, enum guard_verdict v, const char *fmt, ...)
{
    if (out->verdict != GUARD_OK)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->message, sizeof(out->message), fmt, ap);
    va_end(ap);
    out->verdict = v;
}

/* The same for a caller's verdict. */
static void result_refuse(struct guard_result *out, enum guard_verdict v, const char *fmt, ...)
{
    if (out->verdict != GUARD_OK)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(out->message, sizeof(out->message), fmt, ap);
    va_end(ap);
    out->verdict = v;
}

/* ---- the cost check of the text ----
 * DuckDB 1.4.4's parser copies CTE definitions into one another: its time and memory grow
 * exponentially with WITH clauses nested inside a WITH query (12 levels, 400 bytes: 16 s and
 * 14 GB) and quadratically with the number of CTEs, and a MATERIALIZED CTE repeats the whole
 * CTE list in json_serialize_sql's output. This check makes no access decision: it only refuses
 * texts too costly to parse, before DuckDB sees them. It is a lexer, so words in strings,
 * quoted names and comments do not count, and it follows DuckDB's lexical rules for those
 * (nested comments, E'' and dollar-quoted strings) so that it cannot be made to skip code. */

enum tok_kind { TOK_END, TOK_WORD, TOK_OPEN, TOK_CLOSE, TOK_OTHER };

struct tok {
    enum tok_kind kind;
    const char *s; /* the word, for TOK_WORD */
    size_t len;
};

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static bool is_word_start(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}

static bool is_word_char(unsigned char c)
{
    return is_word_start(c) || (c >= '0' && c <= '9') || c == '$';
}

/* Skips whitespace and comments; block comments nest, as in DuckDB. */
static const char *skip_blank(const char *p)
{
    for (;;) {
        while (is_space(*p))
            p++;
        if (p[0] == '-' && p[1] == '-') {
            while (*p && *p != '\n' && *p != '\r')
                p++;
        } else if (p[0] == '/' && p[1] == '*') {
            int depth = 0;
            do {
                if (p[0] == '/' && p[1] == '*')
                    depth++, p += 2;
                else if (p[0] == '*' && p[1] == '/')
                    depth--, p += 2;
                else
                    p++;
            } while (*p && depth > 0);
        } else {
            return p;
        }
    }
}

/* Skips a quoted string or name opening at p (*p is the quote); a doubled quote stays inside.
 * With backslashes (E'...' strings) a backslash escapes the next character. */
static const char *skip_quoted(const char *p, bool backslashes)
{
    char q = *p++;
    for (; *p; p++) {
        if (backslashes && *p == '\\' && p[1])
            p++;
        else if (*p == q && p[1] == q)
            p++;
        else if (*p == q)
            return p + 1;
    }
    return p;
}

/* Skips a dollar-quoted string $tag$...$tag$ (the tag may be empty) if one opens at p, else
 * returns NULL. An unterminated one runs to the end, as DuckDB would read it (and fail). */
static const char *skip_dollar(const char *p)
{
    const char *t = p + 1;
    if (is_word_start((unsigned char)*t))
        while (is_word_start((unsigned char)*t) || (*t >= '0' && *t <= '9'))
            t++;
    if (*t != '$')
        return NULL;
    size_t tag_len = (size_t)(t - p) + 1; /* "$tag$" */
    for (const char *end = t + 1; *end; end++)
        if (strncmp(end, p, tag_len) == 0)
            return end + tag_len;
    return p + strlen(p);
}

/* The next token at *pp; strings, quoted names, numbers and operators are TOK_OTHER. */
static struct tok next_tok(const char **pp)
{
    const char *p = skip_blank(*pp);
    struct tok t = { TOK_OTHER, p, 0 };
    unsigned char c = (unsigned char)*p;
    if (!c) {
        t.kind = TOK_END;
    } else if (is_word_start(c)) {
        while (is_word_char((unsigned char)*p))
            p++;
        t.kind = TOK_WORD;
        t.len = (size_t)(p - t.s);
        if (*p == '\'' && t.len == 1) { /* E'..', X'..', B'..', N'..': one string token */
            p = skip_quoted(p, *t.s == 'e' || *t.s == 'E');
            t.kind = TOK_OTHER;
        }
    } else if (c == '\'' || c == '"') {
        p = skip_quoted(p, false);
    } else if (c == '$' && skip_dollar(p)) {
        p = skip_dollar(p);
    } else {
        t.kind = c == '(' ? TOK_OPEN : c == ')' ? TOK_CLOSE : TOK_OTHER;
        p++;
    }
    *pp = p;
    return t;
}

static bool tok_is(struct tok t, const char *word)
{
    return t.kind == TOK_WORD && ascii_ieq_len(t.s, t.len, word);
}

/* The k-th token after p (k >= 1), without moving. */
static struct tok peek_tok(const char *p, int k)
{
    struct tok t = { TOK_END, p, 0 };
    while (k-- > 0 && (t = next_tok(&p)).kind != TOK_END)
        ;
    return t;
}

/* Whether the WITH before p opens a CTE list. Only two other WITHs can appear in a SELECT:
 * TIMESTAMP WITH TIME ZONE, and WITH ORDINALITY right after a table function's ')' (where no
 * query can start). Anything else counts, so that a CTE named time or ordinality still does. */
static bool opens_cte_list(const char *p, bool after_close)
{
    struct tok n1 = peek_tok(p, 1);
    if (tok_is(n1, "time") && tok_is(peek_tok(p, 2), "zone"))
        return false;
    return !(after_close && tok_is(n1, "ordinality"));
}

/* Refuses (GUARD_BAD_SQL) texts that are too costly to parse: a WITH inside a WITH query,
 * MATERIALIZED CTEs, more than GUARD_MAX_CTES CTE definitions. Returns false when it did. */
static bool cost_ok(const char *sql, struct guard_parse *out)
{
    const char *p = sql;
    int depth = 0, with_depth = -1; /* paren depth of the open WITH clause, -1 for none */
    unsigned ctes = 0;
    bool after_close = false;
    for (struct tok t = next_tok(&p); t.kind != TOK_END; t = next_tok(&p)) {
        if (t.kind == TOK_OPEN) {
            depth++;
        } else if (t.kind == TOK_CLOSE) {
            if (--depth < with_depth)
                with_depth = -1;
        } else if (tok_is(t, "with") && opens_cte_list(p, after_close)) {
            if (with_depth >= 0) {
                refuse(out, GUARD_BAD_SQL,
                       "a WITH clause inside another WITH query is not"
                       " supported: define every CTE in the outer WITH");
                return false;
            }
            with_depth = depth;
        } else if (tok_is(t, "as")) {
            /* a CTE definition: AS (, AS NOT MATERIALIZED (, AS MATERIALIZED ( */
            struct tok n1 = peek_tok(p, 1), n2 = peek_tok(p, 2);
            if (tok_is(n1, "materialized") && n2.kind == TOK_OPEN) {
                refuse(out, GUARD_BAD_SQL, "MATERIALIZED CTEs are not supported");
                return false;
            }
            bool cte = n1.kind == TOK_OPEN || (tok_is(n1, "not") && tok_is(n2, "materialized"));
            if (cte && ++ctes > GUARD_MAX_CTES) {
                refuse(out, GUARD_BAD_SQL, "a query may define at most %d CTEs", GUARD_MAX_CTES);
                return false;
            }
        }
        after_close = t.kind == TOK_CLOSE;
    }
    return true;
}

/* ---- parsing ---- */

/* Parses sql with DuckDB into *out_root (json_serialize_sql's output). When the tree cannot be
 * read *out_root stays NULL and out holds the verdict. */
static enum rc parse_tree(struct duck *duck, const char *sql, struct guard_parse *out,
                          json_t **out_root, struct err *err)
{
    struct buf q;
    char *json = NULL;
    buf_init(&q, 2 * GUARD_SQL_MAX + 64); /* every quote may be doubled */
    enum rc rc = buf_append_str(&q, "SELECT json_serialize_sql(");
    if (!rc)
        rc = duck_sql_quote_literal(&q, sql);
    if (!rc)
        rc = buf_append_str(&q, ")");
    if (rc) {
        rc = err_set(err, RC_TOOBIG, "the query is longer than %d bytes", GUARD_SQL_MAX);
        goto out;
    }
    rc = duck_query_text(duck, buf_cstr(&q), &json, err);
    if (rc) {
        rc = RC_DB;
        goto out;
    }
    /* integers as reals: DuckDB writes an unset query_location as 2^64-1, too big for
     * jansson's integers (the walk reads no numbers) */
    json_error_t jerr;
    *out_root = json_loads(json, JSON_DECODE_INT_AS_REAL, &jerr);
    if (!*out_root) /* in practice: deeper than jansson's nesting limit */
        refuse(out, GUARD_BAD_SQL, "the query cannot be checked: %s", jerr.text);
out:
    free(json);
    buf_cleanup(&q);
    return rc;
}

/* The one SELECT statement of the parse, or NULL with the verdict in out. json_serialize_sql
 * reports an error for anything but SELECT statements, and lists one tree per statement. */
static json_t *one_select(json_t *root, struct guard_parse *out)
{
    if (json_is_true(json_object_get(root, "error"))) {
        const char *msg = member_str(root, "error_message");
        /* "not implemented" is the answer for every statement but SELECT */
        if (strcmp(member_str(root, "error_type"), "not implemented") == 0 || !*msg)
            refuse(out, GUARD_BAD_SQL, "only one SELECT statement is allowed");
        else
            refuse(out, GUARD_BAD_SQL, "%s", msg);
        return NULL;
    }
    json_t *stmts = json_object_get(root, "statements");
    if (json_array_size(stmts) == 0)
        refuse(out, GUARD_BAD_SQL, "the query is empty");
    else if (json_array_size(stmts) > 1)
        refuse(out, GUARD_BAD_SQL, "only one SELECT statement is allowed");
    return out->verdict == GUARD_OK ? json_array_get(stmts, 0) : NULL;
}

/* ---- the walk ---- */

struct walk {
    struct guard_parse *out;
    const char **scope; /* names of the CTEs in scope, innermost last (borrowed from the tree) */
    size_t n_scope, cap_scope;
    size_t cap_refs; /* of out->refs */
    /* the pathological shapes: see the limits in guard.h */
    unsigned n_expressions, n_from_items, subquery_depth, lambda_depth;
    uint64_t cost; /* the sum of 2^depth over every subquery and lambda */
};

static bool stopped(const struct walk *w)
{
    return w->out->verdict != GUARD_OK;
}

static void scope_push(struct walk *w, const char *name)
{
    w->scope = xgrow(w->scope, &w->cap_scope, w->n_scope + 1, sizeof(*w->scope));
    w->scope[w->n_scope++] = name;
}

static bool in_scope(const struct walk *w, const char *name)
{
    for (size_t i = 0; i < w->n_scope; i++)
        if (ascii_ieq(w->scope[i], name))
            return true;
    return false;
}

/* Records a reference to the catalog table id (written name), once: a later reference to the
 * same id gets the same answer from the policy, so only the first one can decide. */
static void add_ref(struct walk *w, const char *id, const char *name)
{
    struct guard_parse *out = w->out;
    for (size_t i = 0; i < out->n_refs; i++)
        if (strcmp(out->refs[i].id, id) == 0)
            return;
    out->refs = xgrow(out->refs, &w->cap_refs, out->n_refs + 1, sizeof(*out->refs));
    out->refs[out->n_refs++] = (struct guard_ref){ xstrdup(id), xstrdup(name) };
}

/* Names a BASE_TABLE could only mean as a file, URL or glob (DuckDB's replacement scans). */
static bool looks_like_path(const char *name)
{
    return strpbrk(name, "/\\.*?:[]{}~") != NULL || strchr("'\"`", name[0]) != NULL;
}

/* A base-table reference: a CTE in scope, or a table of the catalog, recorded for the policy
 * (guard_decide) to look up. */
static void check_base_table(struct walk *w, json_t *ref)
{
    const char *catalog = member_str(ref, "catalog_name");
    const char *schema = member_str(ref, "schema_name");
    const char *name = member_str(ref, "table_name");
    if (*catalog) {
        refuse(w->out, GUARD_BAD_SQL, "catalog-qualified names are not allowed: %s.%s.%s", catalog,
               schema, name);
        return;
    }
    if (*schema && !ascii_ieq(schema, "main")) {
        refuse(w->out, GUARD_BAD_SQL, "schema %s is not allowed: %s.%s", schema, schema, name);
        return;
    }
    if (!*schema && in_scope(w, name))
        return; /* a qualified name never means a CTE: main.x is the table x */
    if (looks_like_path(name)) {
        refuse(w->out, GUARD_BAD_SQL, "file paths cannot be read as tables: '%s'", name);
        return;
    }
    char id[IDENT_MAX_LEN + 1];
    size_t len = strlen(name);
    for (size_t i = 0; i < len && i < IDENT_MAX_LEN; i++)
        id[i] = ascii_lower(name[i]);
    id[len < IDENT_MAX_LEN ? len : IDENT_MAX_LEN] = '\0';
    if (len <= IDENT_MAX_LEN && ident_is_table_id(id))
        add_ref(w, id, name);
    else /* no table of the catalog can have this name, whoever asks */
        refuse(w->out, GUARD_BAD_SQL, "table %s does not exist", name);
}

/* Lower-cases a function name into buf (DuckDB function names are case-insensitive). NULL
 * for a name too long for buf: no function has such a name, and a truncated one must never
 * match one that is allowed. */
static const char *lower_name(const char *name, char *buf, size_t size)
{
    size_t i = 0;
    for (; name[i]; i++) {
        if (i + 1 >= size)
            return NULL;
        buf[i] = ascii_lower(name[i]);
    }
    buf[i] = '\0';
    return buf;
}

/* Refuses a function named in another catalog or schema: it could be a macro of an attached
 * extract, whose body may read that extract's tables. pg_catalog holds only built-ins. */
static bool function_place_ok(struct walk *w, json_t *fn, const char *name, bool table_fn)
{
    const char *catalog = member_str(fn, "catalog");
    const char *schema = member_str(fn, "schema");
    if (*catalog) {
        refuse(w->out, GUARD_BAD_SQL, "catalog-qualified names are not allowed: %s.%s.%s", catalog,
               schema, name);
        return false;
    }
    if (*schema && !ascii_ieq(schema, "main") && (table_fn || !ascii_ieq(schema, "pg_catalog"))) {
        refuse(w->out, GUARD_BAD_SQL, "schema %s is not allowed: %s.%s", schema, schema, name);
        return false;
    }
    return true;
}

/* Allows the function called in fn (an expression, or a FROM item's function) only when the
 * reviewed table (functions.c) says it computes on its arguments alone. A name unknown in
 * this position but known in the other one is refused with that family's reason, so that
 * read_csv('x') as an expression says it reads files rather than that it is unknown. */
static void check_function_call(struct walk *w, json_t *fn, enum fn_kind kind)
{
    const char *what = kind == FN_TABLE ? "table function" : "function";
    const char *raw = member_str(fn, "function_name");
    char buf[128];
    const char *name = lower_name(raw, buf, sizeof(buf));
    if (!name) {
        refuse(w->out, GUARD_BAD_SQL, "%s %.64s... is not allowed: its name is too long", what,
               raw);
        return;
    }
    if (!function_place_ok(w, fn, name, kind == FN_TABLE))
        return;
    enum fn_family f = functions_family(name, kind);
    if (f == FN_COMPUTES)
        return;
    if (f == FN_NONE)
        f = functions_family(name, kind == FN_TABLE ? FN_SCALAR : FN_TABLE);
    if (f == FN_COMPUTES) /* allowed only in the other position */
        f = FN_NONE;
    refuse(w->out, GUARD_BAD_SQL, "%s %s is not allowed: %s", what, *name ? name : "?",
           functions_reason(f));
}

/* SQL value functions: a bare column name that no column matches becomes a call, in DuckDB's
 * binder (current_user -> current_user()). The refused ones are refused as names too, unless
 * qualified (t.user), which the binder never turns into a call. */
static void check_column_ref(struct walk *w, json_t *ref)
{
    static const char *const value_functions[] = { "current_catalog", "current_role",
                                                   "current_schema",  "current_user",
                                                   "session_user",    "user" };
    json_t *names = json_object_get(ref, "column_names");
    const char *name = json_string_value(json_array_get(names, 0));
    if (json_array_size(names) != 1 || !name)
        return;
    for (size_t i = 0; i < ARRAY_LEN(value_functions); i++)
        if (ascii_ieq(name, value_functions[i]))
            refuse(w->out, GUARD_BAD_SQL,
                   "%s is not allowed: %s (a column of that name must be qualified with its"
                   " table: t.%s)",
                   value_functions[i], functions_reason(FN_CATALOG), value_functions[i]);
}

/* A type named in a cast: only DuckDB's own (unqualified, main or pg_catalog), never one of
 * another catalog or schema, whose values would come from that catalog. */
static void check_user_type(struct walk *w, json_t *info)
{
    const char *catalog = member_str(info, "catalog");
    const char *schema = member_str(info, "schema");
    const char *name = member_str(info, "user_type_name");
    if (*catalog)
        refuse(w->out, GUARD_BAD_SQL,
               "type %s.%s.%s is not allowed: types of other catalogs"
               " cannot be used",
               catalog, schema, name);
    else if (*schema && !ascii_ieq(schema, "main") && !ascii_ieq(schema, "pg_catalog"))
        refuse(w->out, GUARD_BAD_SQL,
               "type %s.%s is not allowed: types of other schemas"
               " cannot be used",
               schema, name);
}

/* Checks that item (a FROM clause, a side of a JOIN, the source of a PIVOT) is a kind of FROM
 * item the walk knows; the walk of its members happens as for any object. */
static void check_from_item(struct walk *w, json_t *item)
{
    static const char *const known[] = { "BASE_TABLE",      "TABLE_FUNCTION", "JOIN", "SUBQUERY",
                                         "EXPRESSION_LIST", "PIVOT",          "EMPTY" };
    const char *type = member_str(item, "type");
    for (size_t i = 0; i < ARRAY_LEN(known); i++)
        if (strcmp(type, known[i]) == 0)
            return;
    if (strcmp(type, "SHOW_REF") == 0)
        refuse(w->out, GUARD_BAD_SQL, "DESCRIBE, SHOW and SUMMARIZE are not allowed");
    else
        refuse(w->out, GUARD_BAD_SQL, "unsupported FROM clause: %s", *type ? type : "?");
}

static void walk_value(struct walk *w, json_t *v);

/* Walks every member of obj but the two named (either may be NULL). */
static void walk_members(struct walk *w, json_t *obj, const char *skip1, const char *skip2)
{
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v)
    {
        if ((skip1 && strcmp(key, skip1) == 0) || (skip2 && strcmp(key, skip2) == 0))
            continue;
        walk_value(w, v);
        if (stopped(w))
            return;
    }
}

/* Walks the CTE bodies of node in order, each with the CTEs before it in scope, and leaves
 * every name in scope for the rest of node. */
static void walk_cte_map(struct walk *w, json_t *node)
{
    json_t *map = json_object_get(json_object_get(node, "cte_map"), "map");
    if (!json_is_array(map)) {
        refuse(w->out, GUARD_BAD_SQL, "unsupported query: no CTE list");
        return;
    }
    size_t i;
    json_t *entry;
    json_array_foreach(map, i, entry)
    {
        const char *name = json_string_value(json_object_get(entry, "key"));
        if (!name) {
            refuse(w->out, GUARD_BAD_SQL, "unsupported query: a CTE without a name");
            return;
        }
        walk_value(w, json_object_get(entry, "value"));
        if (stopped(w))
            return;
        scope_push(w, name); /* in scope for later CTEs and the node's body, not its own */
    }
}

/* A query node: its CTEs are in scope inside it and nowhere else. CTE_NODE (what a
 * MATERIALIZED CTE becomes) is refused as unknown: cost_ok refuses MATERIALIZED first. */
static void walk_query_node(struct walk *w, json_t *node, const char *type)
{
    size_t base = w->n_scope;
    if (strcmp(type, "SELECT_NODE") == 0) {
        walk_cte_map(w, node);
        if (!stopped(w))
            check_from_item(w, json_object_get(node, "from_table"));
        if (!stopped(w))
            walk_members(w, node, "cte_map", NULL);
    } else if (strcmp(type, "SET_OPERATION_NODE") == 0) {
        walk_cte_map(w, node);
        if (!stopped(w))
            walk_members(w, node, "cte_map", NULL);
    } else if (strcmp(type, "RECURSIVE_CTE_NODE") == 0) {
        /* the name means the CTE itself only in the recursive (right) side: DuckDB binds a
         * same-named table in the left side to the real table */
        walk_cte_map(w, node);
        if (!stopped(w))
            walk_value(w, json_object_get(node, "left"));
        if (!stopped(w)) {
            scope_push(w, member_str(node, "cte_name"));
            walk_members(w, node, "cte_map", "left");
        }
    } else {
        refuse(w->out, GUARD_BAD_SQL, "unsupported query: %s", type);
    }
    w->n_scope = base;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* Counts one level of nesting on entering a subquery or lambda at depth *depth + 1, and the
 * binder's cost of it (see GUARD_MAX_NESTING_COST); false after refusing. */
static bool enter_nested(struct walk *w, unsigned *depth, unsigned max, const char *what)
{
    if (++*depth > max) {
        refuse(w->out, GUARD_BAD_SQL, "%s may be nested at most %u deep", what, max);
        return false;
    }
    w->cost += (uint64_t)1 << *depth;
    if (w->cost > GUARD_MAX_NESTING_COST) {
        refuse(w->out, GUARD_BAD_SQL,
               "the query nests too many subqueries and lambda functions to be planned"
               " (nesting cost over %d: write it with fewer or shallower ones)",
               GUARD_MAX_NESTING_COST);
        return false;
    }
    return true;
}

/* An expression: its function call and its pathological shapes; then its members. */
static void walk_expression(struct walk *w, json_t *expr)
{
    const char *cls = member_str(expr, "class");
    if (++w->n_expressions > GUARD_MAX_EXPRESSIONS) {
        refuse(w->out, GUARD_BAD_SQL, "the query has more than %d expressions",
               GUARD_MAX_EXPRESSIONS);
        return;
    }
    if (json_object_get(expr, "function_name") || strcmp(cls, "FUNCTION") == 0 ||
        strcmp(cls, "WINDOW") == 0) /* a call without a name is refused as unknown */
        check_function_call(w, expr, FN_SCALAR);
    else if (strcmp(cls, "COLUMN_REF") == 0)
        check_column_ref(w, expr);
    if (stopped(w))
        return;
    if (strcmp(cls, "SUBQUERY") == 0) {
        if (enter_nested(w, &w->subquery_depth, GUARD_MAX_SUBQUERY_DEPTH, "subqueries"))
            walk_members(w, expr, NULL, NULL);
        w->subquery_depth--;
    } else if (strcmp(cls, "LAMBDA") == 0) {
        if (enter_nested(w, &w->lambda_depth, GUARD_MAX_LAMBDA_DEPTH, "lambda functions"))
            walk_members(w, expr, NULL, NULL);
        w->lambda_depth--;
    } else {
        walk_members(w, expr, NULL, NULL);
    }
}

/* Counts one table, table function or subquery (a VALUES list is one) in a FROM clause:
 * DuckDB's join order optimizer takes time that grows steeply with them; false after
 * refusing. */
static bool count_from_item(struct walk *w)
{
    if (++w->n_from_items <= GUARD_MAX_FROM_ITEMS)
        return true;
    refuse(w->out, GUARD_BAD_SQL,
           "the query reads more than %d tables, table functions and subqueries in FROM",
           GUARD_MAX_FROM_ITEMS);
    return false;
}

/* Dispatches one object on its shape, then walks its members. */
static void walk_object(struct walk *w, json_t *obj)
{
    const char *type = member_str(obj, "type");
    if ((strcmp(type, "BASE_TABLE") == 0 || strcmp(type, "TABLE_FUNCTION") == 0 ||
         strcmp(type, "SUBQUERY") == 0) &&
        !json_is_string(json_object_get(obj, "class")) && !count_from_item(w))
        return;
    if (json_is_string(json_object_get(obj, "class"))) {
        walk_expression(w, obj);
        return;
    } else if (ends_with(type, "_NODE")) {
        walk_query_node(w, obj, type);
        return;
    } else if (strcmp(type, "BASE_TABLE") == 0) {
        check_base_table(w, obj);
    } else if (strcmp(type, "TABLE_FUNCTION") == 0) {
        /* the function is checked as a table function, its arguments as expressions */
        json_t *fn = json_object_get(obj, "function");
        check_function_call(w, fn, FN_TABLE);
        if (!stopped(w))
            walk_members(w, obj, "function", NULL);
        if (!stopped(w) && json_is_object(fn))
            walk_members(w, fn, NULL, NULL);
        return;
    } else if (strcmp(type, "SUBQUERY") == 0) {
        if (enter_nested(w, &w->subquery_depth, GUARD_MAX_SUBQUERY_DEPTH, "subqueries"))
            walk_members(w, obj, NULL, NULL);
        w->subquery_depth--;
        return;
    } else if (strcmp(type, "USER_TYPE_INFO") == 0) {
        check_user_type(w, obj);
    } else if (strcmp(type, "SHOW_REF") == 0) {
        check_from_item(w, obj);
    } else if (strcmp(type, "JOIN") == 0) {
        check_from_item(w, json_object_get(obj, "left"));
        if (!stopped(w))
            check_from_item(w, json_object_get(obj, "right"));
    } else if (strcmp(type, "PIVOT") == 0) {
        check_from_item(w, json_object_get(obj, "source"));
    }
    if (!stopped(w))
        walk_members(w, obj, NULL, NULL);
}

static void walk_value(struct walk *w, json_t *v)
{
    if (stopped(w))
        return;
    if (json_is_object(v)) {
        walk_object(w, v);
    } else if (json_is_array(v)) {
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            walk_value(w, item);
            if (stopped(w))
                return;
        }
    }
}

static void check_statement(json_t *stmt, struct guard_parse *out)
{
    struct walk w = { .out = out };
    walk_value(&w, stmt);
    free(w.scope);
}

/* ---- the entry points ---- */

/* The text check into a parse; false with the refusal in out. */
static bool text_ok(const char *sql, struct guard_parse *out)
{
    if (!sql) {
        refuse(out, GUARD_BAD_SQL, "the query is empty");
        return false;
    }
    if (!utf8_valid(sql, strlen(sql))) {
        refuse(out, GUARD_BAD_SQL, "the query is not valid UTF-8 text");
        return false;
    }
    return cost_ok(sql, out);
}

bool guard_text_ok(const char *sql, struct guard_result *out)
{
    struct guard_parse parse = { 0 };
    memset(out, 0, sizeof(*out));
    bool ok = text_ok(sql, &parse);
    out->verdict = parse.verdict;
    memcpy(out->message, parse.message, sizeof(out->message));
    guard_parse_cleanup(&parse); /* the text check records no tables */
    return ok;
}

void guard_parse_tree(json_t *root, struct guard_parse *out)
{
    memset(out, 0, sizeof(*out));
    json_t *stmt = one_select(root, out);
    if (stmt && !ends_with(member_str(json_object_get(stmt, "node"), "type"), "_NODE"))
        refuse(out, GUARD_BAD_SQL, "unsupported query: no query node");
    else if (stmt)
        check_statement(stmt, out);
}

void guard_check_tree(json_t *root, const struct guard_policy *p, struct guard_result *out)
{
    struct guard_parse parse;
    guard_parse_tree(root, &parse);
    guard_decide(&parse, p, out);
    guard_parse_cleanup(&parse);
}

enum rc guard_parse(struct duck *duck, const char *sql, struct guard_parse *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    if (sql && strlen(sql) > GUARD_SQL_MAX)
        return err_set(err, RC_TOOBIG, "the query is longer than %d bytes", GUARD_SQL_MAX);
    if (!text_ok(sql, out))
        return RC_OK;
    json_t *root = NULL;
    enum rc rc = parse_tree(duck, sql, out, &root, err);
    if (rc || !root)
        return rc;
    guard_parse_tree(root, out);
    json_decref(root);
    return RC_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void guard_decide(const struct guard_parse *parse, const struct guard_policy *p,
                  struct guard_result *out)
{
    memset(out, 0, sizeof(*out));
    /* the references come in the order the walk met them, and only those met before the
     * parse's own refusal: the first problem in the text still names the verdict */
    for (size_t i = 0; i < parse->n_refs && out->verdict == GUARD_OK; i++) {
        const struct guard_ref *r = &parse->refs[i];
        enum guard_access a = p->table ? p->table(p->ctx, r->id) : GUARD_NO_SUCH_TABLE;
        if (a == GUARD_NO_SUCH_TABLE)
            result_refuse(out, GUARD_BAD_SQL, "table %s does not exist", r->name);
        else if (a == GUARD_NOT_READABLE && !p->admin)
            result_refuse(out, GUARD_FORBIDDEN, "table %s: you may not read it", r->id);
    }
    if (out->verdict == GUARD_OK && parse->verdict != GUARD_OK)
        result_refuse(out, parse->verdict, "%s", parse->message);
    if (out->verdict != GUARD_OK || parse->n_refs == 0)
        return;
    out->tables = xmalloc(parse->n_refs * sizeof(*out->tables));
    for (size_t i = 0; i < parse->n_refs; i++)
        out->tables[i] = xstrdup(parse->refs[i].id);
    out->n_tables = parse->n_refs; /* unique already: the walk records an id once */
    qsort(out->tables, out->n_tables, sizeof(*out->tables), cmp_str);
}

enum rc guard_check(struct duck *duck, const char *sql, const struct guard_policy *p,
                    struct guard_result *out, struct err *err)
{
    struct guard_parse parse;
    memset(out, 0, sizeof(*out));
    enum rc rc = guard_parse(duck, sql, &parse, err);
    if (!rc)
        guard_decide(&parse, p, out);
    else /* fail closed, for a caller that looks only at the verdict */
        result_refuse(out, GUARD_BAD_SQL, "the query could not be checked: %s",
                      err ? err->msg : "");
    guard_parse_cleanup(&parse);
    return rc;
}

void guard_parse_cleanup(struct guard_parse *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n_refs; i++) {
        free(p->refs[i].id);
        free(p->refs[i].name);
    }
    free(p->refs);
    memset(p, 0, sizeof(*p));
}

void guard_result_cleanup(struct guard_result *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_tables; i++)
        free(r->tables[i]);
    free(r->tables);
    memset(r, 0, sizeof(*r));
}
