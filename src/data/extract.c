/* extract.c — reading and checking one extract (see extract.h). The checks trust nothing in the
 * file: names are checked with ident_valid before they reach SQL, and a view's SQL is parsed by
 * DuckDB (json_serialize_sql) and walked, so the set of files a table reads is exact rather than
 * guessed from text. Writing an extract lives in extract_writer.c. */
#include "data/extract.h"

#include <errno.h>
#include <glob.h>
#include <jansson.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "base/mem.h"
#include "data/duck.h"

#define SQL_MAX     (4 * 1024 * 1024) /* a view's SQL quoted into json_serialize_sql(...) */
#define PROBLEM_MAX 512

struct string_list {
    char **items;
    size_t len, cap;
};

static void list_push(struct string_list *l, char *s)
{
    l->items = xgrow(l->items, &l->cap, l->len + 1, sizeof(*l->items));
    l->items[l->len++] = s;
}

static void list_free(char **items, size_t len)
{
    for (size_t i = 0; i < len; i++)
        free(items[i]);
    free(items);
}

void extract_info_cleanup(struct extract_info *info)
{
    if (!info)
        return;
    for (size_t i = 0; i < info->n_tables; i++) {
        struct extract_table *t = &info->tables[i];
        free(t->description);
        free(t->remote_alias);
        list_free(t->files, t->n_files);
        free(t->problem);
    }
    free(info->tables);
    for (size_t i = 0; i < info->n_remotes; i++)
        free(info->remotes[i].url);
    free(info->remotes);
    list_free(info->problems, info->n_problems);
    memset(info, 0, sizeof(*info));
}

static char **copy_strings(char *const *items, size_t len)
{
    if (len == 0)
        return NULL;
    char **out = xcalloc(len, sizeof(*out));
    for (size_t i = 0; i < len; i++)
        out[i] = xstrdup(items[i]);
    return out;
}

static char *copy_opt(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

void extract_info_copy(const struct extract_info *src, struct extract_info *dst)
{
    *dst = *src;
    dst->tables = src->n_tables ? xcalloc(src->n_tables, sizeof(*dst->tables)) : NULL;
    for (size_t i = 0; i < src->n_tables; i++) {
        const struct extract_table *a = &src->tables[i];
        struct extract_table *b = &dst->tables[i];
        *b = *a;
        b->description = copy_opt(a->description);
        b->remote_alias = copy_opt(a->remote_alias);
        b->files = copy_strings(a->files, a->n_files);
        b->problem = copy_opt(a->problem);
    }
    dst->remotes = src->n_remotes ? xcalloc(src->n_remotes, sizeof(*dst->remotes)) : NULL;
    for (size_t i = 0; i < src->n_remotes; i++) {
        dst->remotes[i] = src->remotes[i];
        dst->remotes[i].url = copy_opt(src->remotes[i].url);
    }
    dst->problems = copy_strings(src->problems, src->n_problems);
}

static void add_problem(struct extract_info *info, const char *fmt, ...) PRINTF_FMT(2, 3);
static void add_problem(struct extract_info *info, const char *fmt, ...)
{
    char msg[PROBLEM_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    info->problems =
        xgrow(info->problems, &info->cap_problems, info->n_problems + 1, sizeof(char *));
    info->problems[info->n_problems++] = xstrdup(msg);
}

/* Marks table t unusable (the first problem wins) and lists the problem for the report. */
static void table_problem(struct extract_info *info, struct extract_table *t, const char *fmt, ...)
    PRINTF_FMT(3, 4);
static void table_problem(struct extract_info *info, struct extract_table *t, const char *fmt, ...)
{
    char msg[PROBLEM_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (!t->problem)
        t->problem = xstrdup(msg);
    add_problem(info, "table %s: %s", t->name[0] ? t->name : "(unnamed)", msg);
}

/* ---- schemas ---- */

struct column_spec {
    const char *name;
    const char *type;
};

static const struct column_spec meta_columns[] = {
    { "table_name", "VARCHAR" }, { "description", "VARCHAR" },    { "rows", "BIGINT" },
    { "size_bytes", "BIGINT" },  { "extracted_at", "TIMESTAMP" }, { "query_mode", "VARCHAR" },
};

static const struct column_spec remote_columns[] = {
    { "alias", "VARCHAR" },
    { "extension", "VARCHAR" },
    { "url", "VARCHAR" },
    { "token_env", "VARCHAR" },
};

struct columns_seen {
    const struct column_spec *spec;
    size_t n_spec;
    bool found[8];
    struct extract_info *info;
    const char *table;
};

static enum rc check_column(void *ctx, int ncols, const char *const *vals, struct err *err)
{
    (void)err;
    (void)ncols;
    struct columns_seen *c = ctx;
    for (size_t i = 0; i < c->n_spec; i++) {
        if (!vals[0] || strcmp(vals[0], c->spec[i].name) != 0)
            continue;
        c->found[i] = true;
        /* TIMESTAMP WITH TIME ZONE is as good as TIMESTAMP for extracted_at */
        if (vals[1] && strncmp(vals[1], c->spec[i].type, strlen(c->spec[i].type)) != 0)
            add_problem(c->info, "%s.%s is %s, the contract says %s", c->table, vals[0], vals[1],
                        c->spec[i].type);
    }
    return RC_OK;
}

/* Appends "<literal alias>" for use in WHERE database_name = ... */
static enum rc sql_with_alias(struct buf *b, const char *before, const char *alias,
                              const char *after)
{
    enum rc rc = buf_append_str(b, before);
    if (!rc)
        rc = duck_sql_quote_literal(b, alias);
    if (!rc)
        rc = buf_append_str(b, after);
    return rc;
}

/* Checks that table name exists in the extract with the spec's columns. *out_present tells
 * whether the table exists at all. */
static enum rc check_schema(struct duck *duck, const char *alias, const char *name,
                            const struct column_spec *spec, size_t n_spec,
                            struct extract_info *info, bool *out_present, struct err *err)
{
    struct buf sql;
    struct columns_seen seen = { .spec = spec, .n_spec = n_spec, .info = info, .table = name };
    buf_init(&sql, 4096);
    enum rc rc = sql_with_alias(&sql,
                                "SELECT column_name, data_type FROM duckdb_columns()"
                                " WHERE schema_name = 'main' AND database_name = ",
                                alias, " AND table_name = ");
    if (!rc)
        rc = duck_sql_quote_literal(&sql, name);
    if (rc) {
        rc = err_set(err, RC_INTERNAL, "schema query too long");
        goto out;
    }
    rc = duck_query_rows(duck, buf_cstr(&sql), check_column, &seen, err);
    if (rc)
        goto out;
    bool any = false;
    for (size_t i = 0; i < n_spec; i++)
        any = any || seen.found[i];
    *out_present = any;
    for (size_t i = 0; any && i < n_spec; i++)
        if (!seen.found[i])
            add_problem(info, "%s has no column %s (%s)", name, spec[i].name, spec[i].type);
out:
    buf_cleanup(&sql);
    return rc;
}

/* ---- reading _meta and _remote_attach ---- */

static enum rc read_meta_row(void *ctx, int ncols, const char *const *vals, struct err *err)
{
    (void)err;
    (void)ncols;
    struct extract_info *info = ctx;
    info->tables =
        xgrow(info->tables, &info->cap_tables, info->n_tables + 1, sizeof(*info->tables));
    struct extract_table *t = &info->tables[info->n_tables++];
    memset(t, 0, sizeof(*t));
    t->description = xstrdup(vals[1] ? vals[1] : "");
    t->rows = vals[2] ? strtoll(vals[2], NULL, 10) : 0;
    t->size_bytes = vals[3] ? strtoll(vals[3], NULL, 10) : 0;
    if (vals[4])
        snprintf(t->extracted_at, sizeof(t->extracted_at), "%s", vals[4]);
    if (!vals[0] || !ident_valid(vals[0])) {
        /* never copied into a name: it must not reach SQL, a path or a log line unescaped */
        table_problem(info, t,
                      "_meta.table_name is not a safe identifier"
                      " ([A-Za-z_][A-Za-z0-9_]{0,63}); table skipped");
        return RC_OK;
    }
    snprintf(t->name, sizeof(t->name), "%s", vals[0]);
    if (!ident_table_id(t->name, t->id))
        table_problem(info, t, "no canonical id");
    const char *mode = vals[5] ? vals[5] : "local";
    if (strcmp(mode, "remote") == 0)
        t->remote = true;
    else if (strcmp(mode, "local") != 0)
        table_problem(info, t, "query_mode must be 'local' or 'remote'");
    if (t->rows < 0 || t->size_bytes < 0)
        table_problem(info, t, "rows and size_bytes must not be negative");
    return RC_OK;
}

static enum rc read_remote_row(void *ctx, int ncols, const char *const *vals, struct err *err)
{
    (void)err;
    (void)ncols;
    struct extract_info *info = ctx;
    if (!vals[0] || !ident_valid(vals[0]) || !vals[1] || !ident_valid(vals[1])) {
        add_problem(info, "_remote_attach: alias and extension must be safe identifiers;"
                          " row skipped");
        return RC_OK;
    }
    const char *env = vals[3] ? vals[3] : "";
    if (*env && !ident_valid(env)) {
        add_problem(info, "_remote_attach %s: token_env is not a variable name; row skipped",
                    vals[0]);
        return RC_OK;
    }
    info->remotes =
        xgrow(info->remotes, &info->cap_remotes, info->n_remotes + 1, sizeof(*info->remotes));
    struct extract_remote *r = &info->remotes[info->n_remotes++];
    memset(r, 0, sizeof(*r));
    snprintf(r->alias, sizeof(r->alias), "%s", vals[0]);
    snprintf(r->extension, sizeof(r->extension), "%s", vals[1]);
    r->url = xstrdup(vals[2] ? vals[2] : "");
    snprintf(r->token_env, sizeof(r->token_env), "%s", env);
    return RC_OK;
}

static bool is_remote_alias(const struct extract_info *info, const char *name)
{
    for (size_t i = 0; i < info->n_remotes; i++)
        if (strcasecmp(info->remotes[i].alias, name) == 0)
            return true;
    return false;
}

/* ---- views ---- */

struct view_def {
    char *name;
    char *sql;
};

struct view_list {
    struct view_def *items;
    size_t len, cap;
};

static enum rc read_view_row(void *ctx, int ncols, const char *const *vals, struct err *err)
{
    (void)err;
    (void)ncols;
    struct view_list *l = ctx;
    l->items = xgrow(l->items, &l->cap, l->len + 1, sizeof(*l->items));
    l->items[l->len].name = xstrdup(vals[0] ? vals[0] : "");
    l->items[l->len].sql = vals[1] ? xstrdup(vals[1]) : NULL;
    l->len++;
    return RC_OK;
}

static void view_list_free(struct view_list *l)
{
    for (size_t i = 0; i < l->len; i++) {
        free(l->items[i].name);
        free(l->items[i].sql);
    }
    free(l->items);
}

/* Skips a quoted ("...", "" inside) or bare identifier at *p. */
static bool skip_ident(const char **p)
{
    const char *s = *p;
    if (*s == '"') {
        for (s++; *s; s++) {
            if (*s == '"' && s[1] == '"')
                s++;
            else if (*s == '"')
                break;
        }
        if (*s != '"')
            return false;
        *p = s + 1;
        return true;
    }
    const char *start = s;
    while (*s && *s != ' ' && *s != '(' && *s != '.')
        s++;
    *p = s;
    return s > start;
}

/* The query of a view as DuckDB stores it, "CREATE VIEW name [(cols)] AS query;": returns a
 * heap copy of query, or NULL when the text has another shape. */
static char *view_query(const char *create_sql)
{
    static const char head[] = "CREATE VIEW ";
    if (strncmp(create_sql, head, sizeof(head) - 1) != 0)
        return NULL;
    const char *p = create_sql + sizeof(head) - 1;
    do {
        if (*p == '.')
            p++;
        if (!skip_ident(&p))
            return NULL;
    } while (*p == '.');
    if (strncmp(p, " (", 2) == 0) {
        p += 2;
        while (*p && *p != ')') {
            if (*p == '"') {
                if (!skip_ident(&p))
                    return NULL;
            } else {
                p++;
            }
        }
        if (*p != ')')
            return NULL;
        p++;
    }
    if (strncmp(p, " AS ", 4) != 0)
        return NULL;
    p += 4;
    size_t len = strlen(p);
    while (len > 0 && (p[len - 1] == ';' || p[len - 1] == ' ' || p[len - 1] == '\n'))
        len--;
    return xstrndup(p, len);
}

/* What walking one view's parse tree found. */
struct view_walk {
    struct extract_info *info;
    struct extract_table *table;
    const char *extract_dir;
    const char *real_extract_dir;
    const char *data_dir;
    struct string_list files;
};

/* Normalises path (absolute) lexically into out: no "." or empty components; false for "..". */
static bool normalise_path(const char *path, char *out, size_t size)
{
    size_t n = 0;
    const char *p = path;
    while (*p) {
        while (*p == '/')
            p++;
        const char *end = strchr(p, '/');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return false;
        if (len > 0 && !(len == 1 && p[0] == '.')) {
            if (n + 1 + len + 1 > size)
                return false;
            out[n++] = '/';
            memcpy(out + n, p, len);
            n += len;
        }
        p += len;
    }
    if (n == 0 || n >= size)
        return false;
    out[n] = '\0';
    return true;
}

static bool has_prefix_dir(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && path[n] == '/';
}

/* Checks one path a view reads and records the files it matches. */
static void check_path(struct view_walk *w, const char *path)
{
    char abs[PATH_MAX], norm[PATH_MAX];
    if (strstr(path, "://") || strncmp(path, "s3:", 3) == 0) {
        table_problem(w->info, w->table,
                      "its view reads a URL (%s); only files inside the"
                      " extract folder may be read",
                      path);
        return;
    }
    if (path[0] == '/')
        snprintf(abs, sizeof(abs), "%s", path);
    else
        snprintf(abs, sizeof(abs), "%s/%s", w->data_dir, path);
    if (!normalise_path(abs, norm, sizeof(norm)) || !has_prefix_dir(norm, w->extract_dir)) {
        table_problem(w->info, w->table, "its view reads %s, outside the extract folder %s", path,
                      w->extract_dir);
        return;
    }
    /* the folder part is literal (it may hold '[' or '\\'); only the rest may be a pattern */
    char pattern[PATH_MAX * 2];
    size_t dir_len = strlen(w->extract_dir), n = 0;
    for (size_t i = 0; i < dir_len && n + 2 < sizeof(pattern); i++) {
        if (strchr("*?[]\\", w->extract_dir[i]))
            pattern[n++] = '\\';
        pattern[n++] = w->extract_dir[i];
    }
    snprintf(pattern + n, sizeof(pattern) - n, "%s", norm + dir_len);
    glob_t g;
    memset(&g, 0, sizeof(g));
    int grc = glob(pattern, GLOB_NOSORT, NULL, &g);
    if (grc != 0) {
        table_problem(w->info, w->table, "its view reads %s, which matches no file", path);
        globfree(&g);
        return;
    }
    for (size_t i = 0; i < g.gl_pathc; i++) {
        char *real = realpath(g.gl_pathv[i], NULL);
        /* a symbolic link must not lead out of the folder either */
        if (!real || !has_prefix_dir(real, w->real_extract_dir)) {
            table_problem(w->info, w->table,
                          "its view reads %s, which resolves outside the"
                          " extract folder",
                          g.gl_pathv[i]);
            free(real);
            continue;
        }
        list_push(&w->files, real);
    }
    globfree(&g);
}

/* The string value of a CONSTANT node, or NULL. */
static const char *constant_string(json_t *node)
{
    const char *cls = json_string_value(json_object_get(node, "class"));
    if (!cls || strcmp(cls, "CONSTANT") != 0)
        return NULL;
    json_t *value = json_object_get(node, "value");
    if (json_is_true(json_object_get(value, "is_null")))
        return NULL;
    return json_string_value(json_object_get(value, "value"));
}

static void check_table_function(struct view_walk *w, json_t *fn)
{
    const char *name = json_string_value(json_object_get(fn, "function_name"));
    if (!name || (strcmp(name, "read_parquet") != 0 && strcmp(name, "parquet_scan") != 0)) {
        table_problem(w->info, w->table,
                      "its view calls table function %s; only read_parquet"
                      " is part of the contract",
                      name ? name : "(unknown)");
        return;
    }
    json_t *first = json_array_get(json_object_get(fn, "children"), 0);
    const char *path = constant_string(first);
    if (path) {
        check_path(w, path);
        return;
    }
    const char *inner = json_string_value(json_object_get(first, "function_name"));
    if (inner && strcmp(inner, "list_value") == 0) {
        size_t i;
        json_t *child;
        json_array_foreach(json_object_get(first, "children"), i, child)
        {
            const char *p = constant_string(child);
            if (!p) {
                table_problem(w->info, w->table,
                              "its view passes read_parquet a path that is"
                              " not a constant");
                return;
            }
            check_path(w, p);
        }
        return;
    }
    table_problem(w->info, w->table,
                  "its view passes read_parquet a path that is not a"
                  " constant");
}

static void check_base_table(struct view_walk *w, json_t *node)
{
    const char *catalog = json_string_value(json_object_get(node, "catalog_name"));
    const char *schema = json_string_value(json_object_get(node, "schema_name"));
    const char *table = json_string_value(json_object_get(node, "table_name"));
    const char *qualifier = catalog && *catalog ? catalog : schema;
    if (!qualifier || !*qualifier || strcmp(qualifier, "main") == 0)
        return; /* a table or view of this extract, or a CTE */
    if (is_remote_alias(w->info, qualifier)) {
        if (!w->table->remote_alias)
            w->table->remote_alias = xstrdup(qualifier);
        return;
    }
    table_problem(w->info, w->table,
                  "its view reads %s.%s, which is neither in the extract"
                  " nor in a catalog of _remote_attach",
                  qualifier, table ? table : "?");
}

static void walk(struct view_walk *w, json_t *node)
{
    if (json_is_array(node)) {
        size_t i;
        json_t *v;
        json_array_foreach(node, i, v) walk(w, v);
        return;
    }
    if (!json_is_object(node))
        return;
    const char *type = json_string_value(json_object_get(node, "type"));
    if (type && strcmp(type, "TABLE_FUNCTION") == 0)
        check_table_function(w, json_object_get(node, "function"));
    else if (type && strcmp(type, "BASE_TABLE") == 0)
        check_base_table(w, node);
    const char *key;
    json_t *v;
    json_object_foreach(node, key, v) walk(w, v);
}

/* Parses text (one or more statements) with DuckDB's parser; *out_stmts is the array of
 * statement trees (a reference into *out_root, which the caller releases with json_decref).
 * RC_INVALID when DuckDB cannot parse it or it holds anything but SELECT statements. */
static enum rc parse_statements(struct duck *duck, const char *text, json_t **out_root,
                                json_t **out_stmts, struct err *err)
{
    struct buf sql;
    char *json = NULL;
    json_t *root = NULL;
    buf_init(&sql, SQL_MAX);
    enum rc rc = buf_append_str(&sql, "SELECT json_serialize_sql(");
    if (!rc)
        rc = duck_sql_quote_literal(&sql, text);
    if (!rc)
        rc = buf_append_str(&sql, ")");
    if (rc) {
        rc = err_set(err, RC_TOOBIG, "view SQL is too long");
        goto out;
    }
    rc = duck_query_text(duck, buf_cstr(&sql), &json, err);
    if (rc)
        goto out;
    /* unset positions are 2^64-1, too big for a jansson integer: read integers as reals */
    root = json_loads(json, JSON_DECODE_INT_AS_REAL, NULL);
    json_t *stmts = json_object_get(root, "statements");
    if (!root || json_is_true(json_object_get(root, "error")) || !json_is_array(stmts)) {
        const char *msg = json_string_value(json_object_get(root, "error_message"));
        rc = err_set(err, RC_INVALID, "%s", msg ? msg : "not a SELECT statement");
        goto out;
    }
    *out_stmts = stmts;
    *out_root = root;
    root = NULL;
out:
    json_decref(root);
    free(json);
    buf_cleanup(&sql);
    return rc;
}

/* Walks one view's parse tree and settles what it found on w->table. */
static void check_tree(struct view_walk *w, json_t *tree)
{
    walk(w, tree);
    struct extract_table *t = w->table;
    if (t->problem) {
        list_free(w->files.items, w->files.len);
    } else {
        t->files = w->files.items;
        t->n_files = w->files.len;
        if (!t->remote && t->remote_alias)
            table_problem(w->info, t, "query_mode is local but its view reads catalog %s",
                          t->remote_alias);
        else if (t->remote && !t->remote_alias)
            table_problem(w->info, t,
                          "query_mode is remote but its view reads no catalog of"
                          " _remote_attach");
    }
    w->files = (struct string_list){ 0 };
}

/* Checks one view on its own. */
static void check_view(struct duck *duck, struct view_walk *w, const char *query)
{
    struct err perr = { 0 };
    json_t *root = NULL, *stmts = NULL;
    if (parse_statements(duck, query, &root, &stmts, &perr) != RC_OK) {
        table_problem(w->info, w->table, "its view's SQL cannot be analysed: %s", perr.msg);
        return;
    }
    if (json_array_size(stmts) != 1)
        table_problem(w->info, w->table, "its view's SQL is not one SELECT statement");
    else
        check_tree(w, json_object_get(json_array_get(stmts, 0), "node"));
    json_decref(root);
}

/* A view waiting for its check: the table and the view's query. */
struct pending_view {
    struct extract_table *table;
    char *query;
};

/* Checks every pending view with one call to DuckDB's parser (per-call overhead dominates
 * for small views); falls back to one call per view when the batch does not split into
 * exactly one statement per view, which only a hand-crafted view text can cause. */
static void check_views(struct duck *duck, struct view_walk *w, struct pending_view *p, size_t n)
{
    struct buf text;
    json_t *root = NULL, *stmts = NULL;
    struct err perr = { 0 };
    buf_init(&text, SQL_MAX);
    enum rc rc = RC_OK;
    for (size_t i = 0; !rc && i < n; i++)
        rc = buf_printf(&text, "%s;\n", p[i].query);
    bool batched = !rc && parse_statements(duck, buf_cstr(&text), &root, &stmts, &perr) == RC_OK &&
                   json_array_size(stmts) == n;
    for (size_t i = 0; i < n; i++) {
        w->table = p[i].table;
        if (batched)
            check_tree(w, json_object_get(json_array_get(stmts, i), "node"));
        else
            check_view(duck, w, p[i].query);
    }
    json_decref(root);
    buf_cleanup(&text);
}

static enum rc read_views(struct duck *duck, const char *alias, struct view_list *views,
                          struct view_list *tables, struct err *err)
{
    struct buf sql;
    buf_init(&sql, 4096);
    enum rc rc = sql_with_alias(&sql,
                                "SELECT view_name, sql FROM duckdb_views()"
                                " WHERE NOT internal AND schema_name = 'main'"
                                " AND database_name = ",
                                alias, "");
    if (!rc)
        rc = duck_query_rows(duck, buf_cstr(&sql), read_view_row, views, err);
    if (rc)
        goto out;
    buf_reset(&sql);
    rc = sql_with_alias(&sql,
                        "SELECT table_name, NULL::VARCHAR FROM duckdb_tables()"
                        " WHERE schema_name = 'main' AND database_name = ",
                        alias, "");
    if (!rc)
        rc = duck_query_rows(duck, buf_cstr(&sql), read_view_row, tables, err);
out:
    buf_cleanup(&sql);
    return rc;
}

static const struct view_def *find_def(const struct view_list *l, const char *name)
{
    for (size_t i = 0; i < l->len; i++)
        if (strcmp(l->items[i].name, name) == 0)
            return &l->items[i];
    return NULL;
}

/* Checks every usable _meta row against the views and tables of the extract. */
static enum rc check_tables(struct duck *duck, const char *alias, struct view_walk *w,
                            struct err *err)
{
    struct view_list views = { 0 }, tables = { 0 };
    struct extract_info *info = w->info;
    struct pending_view *pending = xcalloc(info->n_tables ? info->n_tables : 1, sizeof(*pending));
    size_t n_pending = 0;
    enum rc rc = read_views(duck, alias, &views, &tables, err);
    for (size_t i = 0; !rc && i < info->n_tables; i++) {
        struct extract_table *t = &info->tables[i];
        if (t->problem)
            continue;
        for (size_t j = 0; j < i; j++) {
            if (!info->tables[j].problem && strcmp(info->tables[j].id, t->id) == 0) {
                table_problem(info, t, "its id %s repeats an earlier _meta row", t->id);
                break;
            }
        }
        if (t->problem)
            continue;
        const struct view_def *v = find_def(&views, t->name);
        char *query = v && v->sql ? view_query(v->sql) : NULL;
        if (query)
            pending[n_pending++] = (struct pending_view){ t, query };
        else if (v)
            table_problem(info, t, "its view's SQL cannot be read");
        else if (!find_def(&tables, t->name))
            table_problem(info, t, "the extract has no view or table of this name");
        else if (t->remote)
            table_problem(info, t, "query_mode is remote but it is a stored table");
    }
    if (!rc && n_pending > 0)
        check_views(duck, w, pending, n_pending);
    for (size_t i = 0; i < n_pending; i++)
        free(pending[i].query);
    free(pending);
    view_list_free(&views);
    view_list_free(&tables);
    return rc;
}

static enum rc read_rows(struct duck *duck, const char *alias, const char *select_list,
                         const char *table, duck_row_fn fn, void *ctx, struct err *err)
{
    struct buf sql;
    buf_init(&sql, 4096);
    enum rc rc = buf_printf(&sql, "SELECT %s FROM ", select_list);
    if (!rc)
        rc = duck_sql_quote_ident(&sql, alias);
    if (!rc)
        rc = buf_printf(&sql, ".%s", table);
    if (!rc)
        rc = duck_query_rows(duck, buf_cstr(&sql), fn, ctx, err);
    buf_cleanup(&sql);
    return rc;
}

enum rc extract_inspect_attached(struct duck *duck, const char *alias, const char *extract_dir,
                                 const char *data_dir, struct extract_info *out, struct err *err)
{
    struct view_walk w = { .info = out, .extract_dir = extract_dir, .data_dir = data_dir };
    bool meta = false, remote = false;
    char *real_dir = NULL;
    memset(out, 0, sizeof(*out));
    if (!ident_valid(alias))
        return err_set(err, RC_INVALID, "extract alias is not a safe identifier");

    real_dir = realpath(extract_dir, NULL);
    if (!real_dir)
        return err_set(err, RC_IO, "cannot resolve %s: %s", extract_dir, strerror(errno));
    w.real_extract_dir = real_dir;

    size_t problems_before = out->n_problems;
    enum rc rc =
        check_schema(duck, alias, "_meta", meta_columns, ARRAY_LEN(meta_columns), out, &meta, err);
    if (rc)
        goto out;
    if (!meta) {
        add_problem(out, "the extract has no _meta table");
        goto out;
    }
    if (out->n_problems > problems_before)
        goto out; /* a _meta of another shape cannot be read safely */
    rc = check_schema(duck, alias, "_remote_attach", remote_columns, ARRAY_LEN(remote_columns), out,
                      &remote, err);
    if (rc)
        goto out;
    if (remote) {
        rc = read_rows(duck, alias, "alias, extension, url, token_env", "_remote_attach",
                       read_remote_row, out, err);
        if (rc)
            goto out;
    }
    rc = read_rows(duck, alias,
                   "table_name, description, rows::VARCHAR, size_bytes::VARCHAR,"
                   " strftime(extracted_at::TIMESTAMP, '%Y-%m-%dT%H:%M:%SZ'), query_mode",
                   "_meta", read_meta_row, out, err);
    if (rc)
        goto out;
    out->usable = true;
    rc = check_tables(duck, alias, &w, err);
out:
    free(real_dir);
    if (rc)
        extract_info_cleanup(out);
    return rc;
}

enum rc extract_inspect(const char *dir, const char *db_file, const char *data_dir,
                        struct extract_info *out, struct err *err)
{
    struct duck *duck = NULL;
    struct buf sql;
    char *abs_dir = NULL, *db = NULL, *parent = NULL;
    memset(out, 0, sizeof(*out));
    buf_init(&sql, 8192);

    abs_dir = realpath(dir, NULL);
    if (!abs_dir) {
        enum rc rc = errno == ENOENT ? RC_NOTFOUND : RC_IO;
        return err_set(err, rc, "cannot open extract folder %s: %s", dir, strerror(errno));
    }
    db = xasprintf("%s/%s", abs_dir, db_file ? db_file : EXTRACT_DB_FILE);
    enum rc rc = RC_OK;
    if (!file_exists(db)) {
        rc = err_set(err, RC_NOTFOUND, "%s has no %s", dir, db_file ? db_file : EXTRACT_DB_FILE);
        goto out;
    }
    const char *source = strrchr(abs_dir, '/') + 1;
    if (!data_dir) {
        parent = xasprintf("%s/../..", abs_dir);
        data_dir = parent;
    }
    rc = duck_open(NULL, &duck, err);
    if (rc)
        goto out;
    /* the alias is the source name when that is safe, so messages read as the catalog's */
    const char *alias = ident_valid(source) ? source : "extract";
    rc = buf_append_str(&sql, "ATTACH ");
    if (!rc)
        rc = duck_sql_quote_literal(&sql, db);
    if (!rc)
        rc = buf_append_str(&sql, " AS ");
    if (!rc)
        rc = duck_sql_quote_ident(&sql, alias);
    if (!rc)
        rc = buf_append_str(&sql, " (READ_ONLY)");
    if (rc) {
        rc = err_set(err, RC_INVALID, "extract path is too long");
        goto out;
    }
    rc = duck_exec(duck, buf_cstr(&sql), err);
    if (rc)
        goto out;
    char *real_parent = realpath(data_dir, NULL);
    rc = extract_inspect_attached(duck, alias, abs_dir, real_parent ? real_parent : data_dir, out,
                                  err);
    free(real_parent);
    if (!rc && !ident_valid(source))
        add_problem(out, "the folder name %s is not a safe identifier; the catalog skips it",
                    source);
out:
    duck_close(&duck);
    buf_cleanup(&sql);
    free(parent);
    free(db);
    free(abs_dir);
    return rc;
}

const char *extract_run_of_file(const char *dir, const char *path, size_t *out_len)
{
    size_t n = strlen(dir);
    if (strncmp(path, dir, n) != 0 || strncmp(path + n, "/data/" EXTRACT_RUN_PREFIX, 10) != 0)
        return NULL;
    const char *run = path + n + 6;
    const char *slash = strchr(run, '/');
    if (!slash)
        return NULL;
    *out_len = (size_t)(slash - run);
    return run;
}
