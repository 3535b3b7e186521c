/* catalog.c — generations of the analytics catalog (see catalog.h). Two locks: rebuild_mu
 * serialises rebuilds and sweeps (slow: DuckDB work, file checks); mu guards only the current
 * pointer, the live list and reference counts (fast: never held across DuckDB calls), so a
 * query never waits for a rebuild. A generation's database is closed by whoever drops its last
 * reference, outside mu. */
#include "data/catalog.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "base/isotime.h"
#include "base/log.h"
#include "base/mem.h"
#include "data/duck.h"
#include "data/extract.h"

#define LIVE_MAX 64 /* generations alive at once; more means queries hang on to old ones */

/* One extract folder as a generation saw it. */
struct catalog_source_state {
    char name[IDENT_MAX_LEN + 1];
    dev_t dev;
    ino_t ino;
    int64_t mtime_ns;
    off_t size;
    bool attached;
    struct extract_info info; /* what the check found; reused while the file is unchanged */
};

struct catalog {
    char *data_dir;
    char *extracts_dir;
    char *extension_dir;
    char *results_dir;   /* where queries write Parquet results; emptied at open */
    char *snapshots_dir; /* the generations' links of the extract files; emptied at open */
    char *memory_limit;  /* NULL: DuckDB's default */
    int threads;         /* 0: DuckDB's default */
    pthread_mutex_t mu;
    pthread_cond_t released; /* signalled when a generation is freed */
    pthread_mutex_t rebuild_mu;
    struct catalog_gen *current;
    struct catalog_gen *live[LIVE_MAX]; /* every generation not yet freed */
    size_t n_live;
    bool sweep_due;
};

/* A generation as this file sees it: the fields callers read (catalog.h) first, so the struct
 * catalog_gen pointers they hold convert back (gen_of), then what only the catalog touches. */
struct gen {
    struct catalog_gen pub;
    struct duck *db;
    char **snapshots; /* the hard links (or copies) of the extracts it attached */
    size_t n_snapshots, cap_snapshots;
    int refs;                            /* under catalog.mu */
    struct catalog_source_state *states; /* every extract folder this generation saw */
    size_t n_states, cap_states;
};

static struct gen *gen_of(struct catalog_gen *g)
{
    return (struct gen *)g; /* pub is the first member */
}

static const struct gen *const_gen_of(const struct catalog_gen *g)
{
    return (const struct gen *)g;
}

/* A new, empty generation (freed by gen_free). */
static struct catalog_gen *gen_new(void)
{
    struct gen *x = xcalloc(1, sizeof(*x));
    return &x->pub;
}

static const char *const reserved_names[] = {
    "main", "system", "temp", "memory", "information_schema", "pg_catalog"
};

const char *catalog_status_str(enum catalog_status s)
{
    switch (s) {
    case CATALOG_OK:
        return "ok";
    case CATALOG_UNAVAILABLE:
        return "unavailable";
    case CATALOG_ERROR:
        return "error";
    }
    return "error";
}

void catalog_rebuild_stats_cleanup(struct catalog_rebuild_stats *s)
{
    for (size_t i = 0; i < s->n_problems; i++)
        free(s->problems[i]);
    free(s->problems);
    memset(s, 0, sizeof(*s));
}

/* ---- generations ---- */

static void table_cleanup(struct catalog_table *t)
{
    free(t->description);
    free(t->reason);
    for (size_t i = 0; i < t->n_files; i++)
        free(t->files[i]);
    free(t->files);
}

static void gen_free(struct catalog_gen *g)
{
    if (!g)
        return;
    struct gen *x = gen_of(g);
    duck_close(&x->db);
    for (size_t i = 0; i < x->n_snapshots; i++) {
        (void)unlink(x->snapshots[i]); /* processes that attached it keep their open file */
        free(x->snapshots[i]);
    }
    free(x->snapshots);
    catalog_recipe_cleanup(&g->recipe);
    for (size_t i = 0; i < g->n_tables; i++)
        table_cleanup(&g->tables[i]);
    free(g->tables);
    for (size_t i = 0; i < g->n_sources; i++)
        free(g->sources[i]);
    free(g->sources);
    for (size_t i = 0; i < x->n_states; i++)
        extract_info_cleanup(&x->states[i].info);
    for (size_t i = 0; i < g->n_problems; i++)
        free(g->problems[i]);
    free(g->problems);
    free(x->states);
    free(x);
}

/* ---- recipes ---- */

void catalog_recipe_cleanup(struct catalog_recipe *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->steps[i].sql);
        free(r->steps[i].token_env);
        free(r->steps[i].tail);
    }
    free(r->steps);
    memset(r, 0, sizeof(*r));
}

void catalog_recipe_add(struct catalog_recipe *r, const char *sql, const char *token_env,
                        const char *tail)
{
    r->steps = xgrow(r->steps, &r->cap, r->n + 1, sizeof(*r->steps));
    r->steps[r->n++] = (struct catalog_step){
        .sql = xstrdup(sql),
        .token_env = token_env ? xstrdup(token_env) : NULL,
        .tail = token_env ? xstrdup(tail ? tail : "") : NULL,
    };
}

/* Runs one step on d; a token is read from the environment and wiped after use. */
static enum rc run_step(struct duck *d, const struct catalog_step *s, struct err *err)
{
    if (!s->token_env)
        return duck_exec(d, s->sql, err);
    const char *token = getenv(s->token_env);
    if (!token || !*token)
        return err_set(err, RC_INVALID,
                       "environment variable %s (a remote catalog's token) is"
                       " not set",
                       s->token_env);
    struct buf sql;
    buf_init(&sql, 64 * 1024);
    enum rc rc = buf_append_str(&sql, s->sql);
    if (!rc)
        rc = duck_sql_quote_literal(&sql, token);
    if (!rc)
        rc = buf_append_str(&sql, s->tail);
    if (rc)
        rc = err_set(err, RC_TOOBIG, "remote catalog statement too long");
    else if (duck_exec(d, buf_cstr(&sql), err) != RC_OK)
        rc = err_set(err, RC_DB, "a remote catalog cannot be attached again");
    if (sql.data)
        explicit_bzero(sql.data, sql.len);
    buf_cleanup(&sql);
    return rc;
}

enum rc catalog_replay(const struct catalog_recipe *r, struct duck **out, struct err *err)
{
    enum rc rc = duck_open(NULL, out, err);
    for (size_t i = 0; !rc && i < r->n; i++)
        rc = run_step(*out, &r->steps[i], err);
    if (rc)
        duck_close(out);
    return rc;
}

/* Runs sql on g's database and, when it succeeds, adds it to g's recipe. */
static enum rc gen_exec(struct catalog_gen *g, const char *sql, struct err *err)
{
    enum rc rc = duck_exec(gen_of(g)->db, sql, err);
    if (!rc)
        catalog_recipe_add(&g->recipe, sql, NULL, NULL);
    return rc;
}

static enum rc exec_with_literal(struct catalog_gen *g, const char *before, const char *literal,
                                 const char *after, struct err *err)
{
    struct buf sql;
    buf_init(&sql, 16384);
    enum rc rc = buf_append_str(&sql, before);
    if (!rc)
        rc = duck_sql_quote_literal(&sql, literal);
    if (!rc)
        rc = buf_append_str(&sql, after);
    if (rc)
        rc = err_set(err, RC_TOOBIG, "statement too long");
    else
        rc = gen_exec(g, buf_cstr(&sql), err);
    buf_cleanup(&sql);
    return rc;
}

/* A fresh in-memory database for a generation, with the settings every one shares. */
static enum rc gen_open_db(struct catalog *c, struct catalog_gen *g, struct err *err)
{
    enum rc rc = duck_open(NULL, &gen_of(g)->db, err);
    if (!rc)
        rc = gen_exec(g, "SET autoload_known_extensions = false", err);
    if (!rc)
        rc = exec_with_literal(g, "SET extension_directory = ", c->extension_dir, "", err);
    /* the original's connectors wrote view paths relative to the data folder */
    if (!rc)
        rc = exec_with_literal(g, "SET file_search_path = ", c->data_dir, "", err);
    /* a Parquet file's footer is read once per database, not once per query: a point lookup
     * would otherwise pay for the metadata every time (the files never change in place) */
    if (!rc)
        rc = gen_exec(g, "SET GLOBAL parquet_metadata_cache = true", err);
    return rc;
}

/* Locks a built generation down (see catalog.h); nothing can change its settings after. Files
 * are reachable in two folders only: the extracts (read) and the results folder (written by
 * the engine's COPY of a Parquet result; the SQL guard lets no query name a file at all). */
static enum rc gen_lock_down(struct catalog *c, struct catalog_gen *g, struct err *err)
{
    char *extracts = xasprintf("%s/", c->extracts_dir);
    char *results = xasprintf("%s/", c->results_dir);
    struct buf sql;
    buf_init(&sql, 16384);
    enum rc rc = RC_OK;
    if (buf_append_str(&sql, "SET allowed_directories = [") ||
        duck_sql_quote_literal(&sql, extracts) || buf_append_str(&sql, ", ") ||
        duck_sql_quote_literal(&sql, results) || buf_append_str(&sql, "]"))
        rc = err_set(err, RC_TOOBIG, "data folder path too long");
    if (!rc)
        rc = gen_exec(g, buf_cstr(&sql), err);
    if (!rc)
        rc = gen_exec(g, "SET enable_external_access = false", err);
    if (!rc && c->memory_limit)
        rc = exec_with_literal(g, "SET memory_limit = ", c->memory_limit, "", err);
    if (!rc && c->threads > 0) {
        char set_threads[48];
        snprintf(set_threads, sizeof(set_threads), "SET threads = %d", c->threads);
        rc = gen_exec(g, set_threads, err);
    }
    if (!rc)
        rc = gen_exec(g, "SET lock_configuration = true", err);
    buf_cleanup(&sql);
    free(extracts);
    free(results);
    return rc;
}

enum rc catalog_open(const struct catalog_options *opt, struct catalog **out, struct err *err)
{
    struct catalog *c = xcalloc(1, sizeof(*c));
    *out = NULL;
    c->data_dir = realpath(opt->data_dir, NULL);
    if (!c->data_dir) {
        free(c);
        return err_set(err, RC_IO, "cannot resolve data folder %s: %s", opt->data_dir,
                       strerror(errno));
    }
    c->extracts_dir = xasprintf("%s/extracts", c->data_dir);
    c->extension_dir =
        opt->extension_dir ? xstrdup(opt->extension_dir) : xasprintf("%s/extensions", c->data_dir);
    c->results_dir = xasprintf("%s/state/results", c->data_dir);
    c->snapshots_dir = xasprintf("%s/state/snapshots", c->data_dir);
    c->memory_limit = opt->memory_limit ? xstrdup(opt->memory_limit) : NULL;
    c->threads = opt->threads;
    pthread_mutex_init(&c->mu, NULL);
    pthread_cond_init(&c->released, NULL);
    pthread_mutex_init(&c->rebuild_mu, NULL);
    struct catalog_gen *g = gen_new();
    isotime_now(g->built_at);
    enum rc rc = file_scratch_dir(c->results_dir, err);
    if (!rc)
        rc = file_scratch_dir(c->snapshots_dir, err);
    if (!rc)
        rc = gen_open_db(c, g, err);
    if (!rc)
        rc = gen_lock_down(c, g, err);
    if (rc) {
        gen_free(g);
        catalog_close(&c);
        return rc;
    }
    gen_of(g)->refs = 1; /* the reference of being current */
    c->current = g;
    c->live[c->n_live++] = g;
    c->sweep_due = true; /* a killed run of an earlier server may have left runs behind */
    *out = c;
    return RC_OK;
}

const char *catalog_results_dir(const struct catalog *c)
{
    return c->results_dir;
}

struct catalog_gen *catalog_acquire(struct catalog *c)
{
    pthread_mutex_lock(&c->mu);
    struct catalog_gen *g = c->current;
    gen_of(g)->refs++;
    pthread_mutex_unlock(&c->mu);
    return g;
}

struct catalog_gen *catalog_hold(struct catalog *c, struct catalog_gen *g)
{
    pthread_mutex_lock(&c->mu);
    gen_of(g)->refs++;
    pthread_mutex_unlock(&c->mu);
    return g;
}

void catalog_release(struct catalog *c, struct catalog_gen *g)
{
    if (!g)
        return;
    bool last = false;
    pthread_mutex_lock(&c->mu);
    if (--gen_of(g)->refs == 0) {
        last = true;
        for (size_t i = 0; i < c->n_live; i++) {
            if (c->live[i] == g) {
                c->live[i] = c->live[--c->n_live];
                break;
            }
        }
        c->sweep_due = true;
    }
    pthread_mutex_unlock(&c->mu);
    if (last) {
        gen_free(g);
        pthread_mutex_lock(&c->mu);
        pthread_cond_broadcast(&c->released);
        pthread_mutex_unlock(&c->mu);
    }
}

enum rc catalog_connect(struct catalog_gen *g, struct duck **out, struct err *err)
{
    return duck_connect(gen_of(g)->db, out, err);
}

static int table_cmp_id(const void *a, const void *b)
{
    return strcmp(((const struct catalog_table *)a)->id, ((const struct catalog_table *)b)->id);
}

const struct catalog_table *catalog_find(const struct catalog_gen *g, const char *id)
{
    struct catalog_table key = { 0 }; /* the comparator reads only id */
    if (!id || strlen(id) > IDENT_MAX_LEN || g->n_tables == 0)
        return NULL;
    snprintf(key.id, sizeof(key.id), "%s", id);
    return bsearch(&key, g->tables, g->n_tables, sizeof(*g->tables), table_cmp_id);
}

void catalog_close(struct catalog **cp)
{
    if (!cp || !*cp)
        return;
    struct catalog *c = *cp;
    pthread_mutex_lock(&c->mu);
    struct catalog_gen *cur = c->current;
    c->current = NULL;
    pthread_mutex_unlock(&c->mu);
    catalog_release(c, cur);
    pthread_mutex_lock(&c->mu);
    while (c->n_live > 0)
        pthread_cond_wait(&c->released, &c->mu);
    pthread_mutex_unlock(&c->mu);
    pthread_mutex_destroy(&c->mu);
    pthread_cond_destroy(&c->released);
    pthread_mutex_destroy(&c->rebuild_mu);
    free(c->data_dir);
    free(c->extracts_dir);
    free(c->extension_dir);
    free(c->results_dir);
    free(c->snapshots_dir);
    free(c->memory_limit);
    free(c);
    *cp = NULL;
}

/* ---- the folders on disk ---- */

static bool name_reserved(const char *name)
{
    for (size_t i = 0; i < ARRAY_LEN(reserved_names); i++)
        if (strcasecmp(name, reserved_names[i]) == 0)
            return true;
    return false;
}

/* A printable copy of a hostile name for messages: control characters become '?'. */
static void printable(const char *s, char *out, size_t size)
{
    size_t n = 0;
    for (; *s && n + 1 < size; s++)
        out[n++] = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;
    out[n] = '\0';
}

struct folder {
    char name[256];
    bool safe;
    bool has_extract;
    struct stat st; /* of extract.duckdb */
};

static int folder_cmp(const void *a, const void *b)
{
    return strcmp(((const struct folder *)a)->name, ((const struct folder *)b)->name);
}

/* The folders of extracts/, sorted by name. */
static void list_folders(const char *extracts_dir, struct folder **out, size_t *out_len)
{
    struct folder *list = NULL;
    size_t n = 0, cap = 0;
    DIR *d = opendir(extracts_dir);
    *out = NULL;
    *out_len = 0;
    if (!d)
        return;
    const struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        char *dir = xasprintf("%s/%s", extracts_dir, e->d_name);
        char *db = xasprintf("%s/" EXTRACT_DB_FILE, dir);
        struct stat dst;
        if (stat(dir, &dst) == 0 && S_ISDIR(dst.st_mode)) {
            list = xgrow(list, &cap, n + 1, sizeof(*list));
            struct folder *f = &list[n++];
            memset(f, 0, sizeof(*f));
            snprintf(f->name, sizeof(f->name), "%s", e->d_name);
            f->safe = ident_valid(e->d_name) && !name_reserved(e->d_name);
            f->has_extract = stat(db, &f->st) == 0 && S_ISREG(f->st.st_mode);
        }
        free(db);
        free(dir);
    }
    closedir(d);
    if (n > 1)
        qsort(list, n, sizeof(*list), folder_cmp);
    *out = list;
    *out_len = n;
}

static int64_t mtime_ns(const struct stat *st)
{
    return (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
}

static bool same_file(const struct catalog_source_state *s, const struct stat *st)
{
    return s->dev == st->st_dev && s->ino == st->st_ino && s->mtime_ns == mtime_ns(st) &&
           s->size == st->st_size;
}

static const struct catalog_source_state *find_state(const struct catalog_gen *g, const char *name)
{
    const struct gen *x = g ? const_gen_of(g) : NULL;
    for (size_t i = 0; x && i < x->n_states; i++)
        if (strcmp(x->states[i].name, name) == 0)
            return &x->states[i];
    return NULL;
}

bool catalog_changed_on_disk(struct catalog *c)
{
    struct folder *folders = NULL;
    size_t n = 0, seen = 0;
    list_folders(c->extracts_dir, &folders, &n);
    struct catalog_gen *g = catalog_acquire(c);
    bool changed = false;
    for (size_t i = 0; i < n && !changed; i++) {
        if (!folders[i].safe || !folders[i].has_extract)
            continue;
        seen++;
        const struct catalog_source_state *s = find_state(g, folders[i].name);
        changed = !s || !same_file(s, &folders[i].st);
    }
    if (!changed)
        changed = seen != gen_of(g)->n_states;
    catalog_release(c, g);
    free(folders);
    return changed;
}

/* ---- building a generation ---- */

/* An alias of _remote_attach as this generation attached it (or failed to). */
struct alias_state {
    char alias[IDENT_MAX_LEN + 1];
    char *reason; /* NULL when attached */
};

/* Which sources a rebuild checks again; the others reuse their check while unchanged. */
enum build_mode { BUILD_ALL, BUILD_ONE, BUILD_CHANGED };

struct build {
    struct catalog *c;
    struct catalog_gen *g;
    struct catalog_gen *prev;
    enum build_mode mode;
    const char *force; /* BUILD_ONE: the source */
    struct catalog_rebuild_stats *stats;
    struct alias_state *aliases;
    size_t n_aliases, cap_aliases;
    size_t cap_tables;
    size_t cap_sources;  /* of g->sources */
    size_t cap_problems; /* of stats->problems */
};

/* Adds a problem of this rebuild to its stats, and logs it. */
static void stats_problem(struct build *b, const char *fmt, ...) PRINTF_FMT(2, 3);
static void stats_problem(struct build *b, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_warn("catalog", "%s", msg);
    struct catalog_rebuild_stats *s = b->stats;
    s->problems = xgrow(s->problems, &b->cap_problems, s->n_problems + 1, sizeof(char *));
    s->problems[s->n_problems++] = xstrdup(msg);
}

/* The source already holding id in this generation, or NULL. */
static const char *source_of_id(const struct build *b, const char *id)
{
    for (size_t i = 0; i < b->g->n_tables; i++)
        if (strcmp(b->g->tables[i].id, id) == 0)
            return b->g->tables[i].source;
    return NULL;
}

/* Removes every occurrence of secret from msg (an engine message may echo the statement). */
static void redact(char *msg, const char *secret)
{
    size_t n = secret ? strlen(secret) : 0;
    if (n == 0)
        return;
    for (char *hit = strstr(msg, secret); hit; hit = strstr(hit, secret)) {
        memset(hit, '*', n);
        hit += n;
    }
}

/* Loads the extension and attaches one remote catalog; returns the reason it is unavailable
 * (heap), or NULL. */
static char *attach_remote(struct build *b, const struct extract_remote *r)
{
    struct err err = { { 0 } };
    struct buf sql;
    char *reason = NULL;
    const char *token = NULL;
    buf_init(&sql, 64 * 1024);

    if (!ident_valid(r->alias) || name_reserved(r->alias) || find_state(b->g, r->alias))
        return xasprintf("remote alias %s clashes with a source or reserved name", r->alias);
    if (r->token_env[0]) {
        token = getenv(r->token_env);
        if (!token || !*token)
            return xasprintf("environment variable %s (the token of %s) is not set", r->token_env,
                             r->alias);
    }
    char *ext_path = xasprintf("%s/%s.duckdb_extension", b->c->extension_dir, r->extension);
    struct stat st;
    if (stat(ext_path, &st) != 0) {
        reason = xasprintf("extension %s is not installed: put %s.duckdb_extension in %s"
                           " (da never downloads extensions)",
                           r->extension, r->extension, b->c->extension_dir);
        goto out;
    }
    if (exec_with_literal(b->g, "LOAD ", ext_path, "", &err) != RC_OK) {
        reason = xasprintf("extension %s cannot be loaded: %s", r->extension, err.msg);
        goto out;
    }
    enum rc rc = buf_append_str(&sql, "ATTACH ");
    if (!rc)
        rc = duck_sql_quote_literal(&sql, r->url);
    if (!rc)
        rc = buf_append_str(&sql, " AS ");
    if (!rc)
        rc = duck_sql_quote_ident(&sql, r->alias);
    if (!rc)
        rc = buf_printf(&sql, " (TYPE %s, READ_ONLY", r->extension);
    if (!rc && token)
        rc = buf_append_str(&sql, ", TOKEN ");
    /* the recipe keeps the statement up to the token and the variable's name */
    char *head = rc ? NULL : xstrdup(buf_cstr(&sql));
    if (!rc && token)
        rc = duck_sql_quote_literal(&sql, token);
    if (!rc)
        rc = buf_append_str(&sql, ")");
    if (rc) {
        free(head);
        reason = xasprintf("remote catalog %s: URL or token too long", r->alias);
        goto out;
    }
    if (duck_exec(gen_of(b->g)->db, buf_cstr(&sql), &err) != RC_OK) {
        redact(err.msg, token);
        reason = xasprintf("remote catalog %s cannot be attached: %s", r->alias, err.msg);
    } else if (token) {
        catalog_recipe_add(&b->g->recipe, head, r->token_env, ")");
    } else {
        catalog_recipe_add(&b->g->recipe, buf_cstr(&sql), NULL, NULL);
    }
    free(head);
out:
    free(ext_path);
    if (sql.data)
        explicit_bzero(sql.data, sql.len); /* it held the token */
    buf_cleanup(&sql);
    return reason;
}

/* The reason alias is unavailable in this generation (NULL: attached), attaching it first
 * when no earlier source did. */
static const char *alias_reason(struct build *b, const struct extract_info *info, const char *alias)
{
    for (size_t i = 0; i < b->n_aliases; i++)
        if (strcasecmp(b->aliases[i].alias, alias) == 0)
            return b->aliases[i].reason;
    const struct extract_remote *r = NULL;
    for (size_t i = 0; i < info->n_remotes && !r; i++)
        if (strcasecmp(info->remotes[i].alias, alias) == 0)
            r = &info->remotes[i];
    b->aliases = xgrow(b->aliases, &b->cap_aliases, b->n_aliases + 1, sizeof(*b->aliases));
    struct alias_state *a = &b->aliases[b->n_aliases++];
    snprintf(a->alias, sizeof(a->alias), "%s", alias);
    a->reason = r ? attach_remote(b, r) : xasprintf("remote catalog %s is not described", alias);
    if (a->reason)
        log_warn("catalog", "%s", a->reason);
    return a->reason;
}

static struct catalog_table *new_table(struct build *b)
{
    struct catalog_gen *g = b->g;
    g->tables = xgrow(g->tables, &b->cap_tables, g->n_tables + 1, sizeof(*g->tables));
    struct catalog_table *t = &g->tables[g->n_tables++];
    memset(t, 0, sizeof(*t));
    return t;
}

static enum rc create_view(struct catalog_gen *g, const char *id, const char *source,
                           const char *name, struct err *err)
{
    struct buf sql;
    buf_init(&sql, 1024);
    enum rc rc = buf_append_str(&sql, "CREATE VIEW main.");
    if (!rc)
        rc = duck_sql_quote_ident(&sql, id);
    if (!rc)
        rc = buf_append_str(&sql, " AS SELECT * FROM ");
    if (!rc)
        rc = duck_sql_quote_ident(&sql, source);
    if (!rc)
        rc = buf_append_str(&sql, ".");
    if (!rc)
        rc = duck_sql_quote_ident(&sql, name);
    if (rc)
        rc = err_set(err, RC_INTERNAL, "view statement too long");
    else
        rc = gen_exec(g, buf_cstr(&sql), err);
    buf_cleanup(&sql);
    return rc;
}

/* Adds the tables of one checked source to the generation, with a view for each usable one. */
static void add_tables(struct build *b, const char *source, const struct extract_info *info)
{
    for (size_t i = 0; i < info->n_tables; i++) {
        const struct extract_table *e = &info->tables[i];
        if (!e->id[0])
            continue; /* no safe name: reported by the check, nothing to show */
        const char *holder = source_of_id(b, e->id);
        if (holder) {
            /* ids are unique in a generation: the source sorted first keeps it */
            stats_problem(b, "source %s: table %s is skipped, source %s serves that id", source,
                          e->id, holder);
            b->stats->tables_error++;
            continue;
        }
        struct catalog_table *t = new_table(b);
        snprintf(t->id, sizeof(t->id), "%s", e->id);
        snprintf(t->source, sizeof(t->source), "%.64s", source);
        snprintf(t->name, sizeof(t->name), "%s", e->name);
        t->description = xstrdup(e->description ? e->description : "");
        t->rows = e->rows;
        t->size_bytes = e->size_bytes;
        snprintf(t->extracted_at, sizeof(t->extracted_at), "%s", e->extracted_at);
        t->remote = e->remote;
        const char *why = NULL;
        struct err err = { { 0 } };
        if (e->problem) {
            t->status = CATALOG_ERROR;
            t->reason = xstrdup(e->problem);
        } else if (e->remote && (why = alias_reason(b, info, e->remote_alias)) != NULL) {
            t->status = CATALOG_UNAVAILABLE;
            t->reason = xstrdup(why);
        } else if (create_view(b->g, e->id, source, e->name, &err) != RC_OK) {
            t->status = CATALOG_ERROR;
            t->reason = xasprintf("its view fails: %s", err.msg);
        } else {
            t->status = CATALOG_OK;
        }
        if (t->status == CATALOG_OK) {
            t->files = e->n_files ? xcalloc(e->n_files, sizeof(char *)) : NULL;
            for (size_t f = 0; f < e->n_files; f++)
                t->files[f] = xstrdup(e->files[f]);
            t->n_files = e->n_files;
        }
        if (t->status == CATALOG_OK)
            b->stats->tables_ok++;
        else if (t->status == CATALOG_UNAVAILABLE)
            b->stats->tables_unavailable++;
        else
            b->stats->tables_error++;
    }
}

/* Copies from to a new file to (owner only), for a snapshot across file systems. */
static enum rc copy_file(const char *from, const char *to, struct err *err)
{
    int in = open(from, O_RDONLY | O_CLOEXEC);
    if (in < 0)
        return err_set(err, RC_IO, "cannot open %s: %s", from, strerror(errno));
    int out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    enum rc rc = out < 0 ? err_set(err, RC_IO, "cannot create %s: %s", to, strerror(errno)) : RC_OK;
    char chunk[65536];
    while (!rc) {
        ssize_t n = read(in, chunk, sizeof(chunk));
        if (n == 0)
            break;
        if (n < 0 || write(out, chunk, (size_t)n) != n)
            rc = err_set(err, RC_IO, "cannot copy %s: %s", from, strerror(errno));
    }
    if (out >= 0 && close(out) != 0 && !rc)
        rc = err_set(err, RC_IO, "cannot copy %s: %s", from, strerror(errno));
    close(in);
    if (rc && out >= 0)
        (void)unlink(to);
    return rc;
}

/* Links the extract file db into the snapshots folder for generation g (see catalog.h) and
 * returns the link's path (owned by g), or NULL with err set. */
static char *snapshot(struct catalog *c, struct catalog_gen *g, const char *source, const char *db,
                      struct err *err)
{
    char *path =
        xasprintf("%s/g%llu-%s.duckdb", c->snapshots_dir, (unsigned long long)g->number, source);
    (void)unlink(path); /* a failed rebuild of the same number may have left it */
    if (link(db, path) != 0) {
        if (errno != EXDEV) {
            err_set(err, RC_IO, "cannot link %s: %s", db, strerror(errno));
            free(path);
            return NULL;
        }
        if (copy_file(db, path, err) != RC_OK) {
            free(path);
            return NULL;
        }
    }
    struct gen *x = gen_of(g);
    x->snapshots = xgrow(x->snapshots, &x->cap_snapshots, x->n_snapshots + 1, sizeof(char *));
    x->snapshots[x->n_snapshots++] = path;
    return path;
}

/* Attaches one source folder and adds its tables; problems go to the stats. */
static void add_source(struct build *b, const struct folder *f)
{
    struct catalog_gen *g = b->g;
    struct gen *x = gen_of(g);
    struct err err = { { 0 } };
    char *dir = xasprintf("%s/%s", b->c->extracts_dir, f->name);
    char *db = xasprintf("%s/" EXTRACT_DB_FILE, dir);
    char *attach_tail = xasprintf(" AS \"%s\" (READ_ONLY)", f->name); /* f->name is safe */

    x->states = xgrow(x->states, &x->cap_states, x->n_states + 1, sizeof(*x->states));
    struct catalog_source_state *s = &x->states[x->n_states++];
    memset(s, 0, sizeof(*s));
    snprintf(s->name, sizeof(s->name), "%.64s", f->name);
    s->dev = f->st.st_dev;
    s->ino = f->st.st_ino;
    s->mtime_ns = mtime_ns(&f->st);
    s->size = f->st.st_size;

    char *snap = snapshot(b->c, g, f->name, db, &err);
    if (!snap) {
        stats_problem(b, "source %s cannot be attached: %s", f->name, err.msg);
        goto out;
    }
    if (exec_with_literal(g, "ATTACH ", snap, attach_tail, &err) != RC_OK) {
        stats_problem(b, "source %s cannot be attached: %s", f->name, err.msg);
        goto out;
    }
    s->attached = true;
    const struct catalog_source_state *old = find_state(b->prev, f->name);
    bool recheck = b->mode == BUILD_ALL || !old || !same_file(old, &f->st) ||
                   (b->mode == BUILD_ONE && strcmp(b->force, f->name) == 0);
    if (recheck) {
        b->stats->sources_checked++;
        if (extract_inspect_attached(x->db, f->name, dir, b->c->data_dir, &s->info, &err) !=
            RC_OK) {
            stats_problem(b, "source %s cannot be checked: %s", f->name, err.msg);
            goto out;
        }
    } else {
        extract_info_copy(&old->info, &s->info);
    }
    if (!s->info.usable) {
        stats_problem(b, "source %s is skipped: %s", f->name,
                      s->info.n_problems ? s->info.problems[0] : "unusable extract");
        goto out;
    }
    g->sources = xgrow(g->sources, &b->cap_sources, g->n_sources + 1, sizeof(char *));
    g->sources[g->n_sources++] = xstrdup(f->name);
    b->stats->sources++;
    add_tables(b, f->name, &s->info);
out:
    free(attach_tail);
    free(db);
    free(dir);
}

static enum rc build_generation(struct build *b, struct err *err)
{
    struct folder *folders = NULL;
    size_t n = 0;
    list_folders(b->c->extracts_dir, &folders, &n);
    bool forced_found = false;
    for (size_t i = 0; i < n; i++) {
        const struct folder *f = &folders[i];
        if (!f->safe) {
            char shown[256];
            printable(f->name, shown, sizeof(shown));
            stats_problem(b,
                          "extract folder '%s' is skipped: its name is not a safe"
                          " identifier or is reserved",
                          shown);
            continue;
        }
        if (!f->has_extract)
            continue;
        if (b->mode == BUILD_ONE && strcmp(b->force, f->name) == 0)
            forced_found = true;
        add_source(b, f);
    }
    free(folders);
    if (b->mode == BUILD_ONE && !forced_found)
        return err_set(err, RC_NOTFOUND, "source %s has no extract", b->force);
    if (b->g->n_tables > 1)
        qsort(b->g->tables, b->g->n_tables, sizeof(*b->g->tables), table_cmp_id);
    return RC_OK;
}

static enum rc rebuild(struct catalog *c, enum build_mode mode, const char *source,
                       struct catalog_rebuild_stats *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    int64_t t0 = clock_mono_us();
    pthread_mutex_lock(&c->rebuild_mu);
    pthread_mutex_lock(&c->mu);
    size_t live = c->n_live;
    pthread_mutex_unlock(&c->mu);
    if (live >= LIVE_MAX) {
        pthread_mutex_unlock(&c->rebuild_mu);
        return err_set(err, RC_CONFLICT,
                       "%zu catalog generations are still in use by running"
                       " queries; try again when they end",
                       live);
    }
    struct catalog_gen *prev = catalog_acquire(c);
    struct catalog_gen *g = gen_new();
    struct build b = { .c = c, .g = g, .prev = prev, .mode = mode, .force = source, .stats = out };
    g->number = prev->number + 1;
    enum rc rc = gen_open_db(c, g, err);
    if (!rc)
        rc = build_generation(&b, err);
    if (!rc)
        rc = gen_lock_down(c, g, err);
    for (size_t i = 0; i < b.n_aliases; i++)
        free(b.aliases[i].reason);
    free(b.aliases);
    catalog_release(c, prev);
    if (rc) {
        gen_free(g);
        pthread_mutex_unlock(&c->rebuild_mu);
        return rc;
    }
    isotime_now(g->built_at);
    g->problems = out->n_problems ? xcalloc(out->n_problems, sizeof(char *)) : NULL;
    for (size_t i = 0; i < out->n_problems; i++)
        g->problems[i] = xstrdup(out->problems[i]);
    g->n_problems = out->n_problems;
    gen_of(g)->refs = 1;
    pthread_mutex_lock(&c->mu);
    struct catalog_gen *old = c->current;
    c->current = g;
    c->live[c->n_live++] = g;
    pthread_mutex_unlock(&c->mu);
    catalog_release(c, old); /* drops the reference of being current */
    pthread_mutex_unlock(&c->rebuild_mu);
    out->generation = g->number;
    out->duration_us = clock_mono_us() - t0;
    log_info("catalog",
             "generation %llu: %d sources (%d checked), %d tables served,"
             " %d unavailable, %d with errors, in %.1f ms",
             (unsigned long long)g->number, out->sources, out->sources_checked, out->tables_ok,
             out->tables_unavailable, out->tables_error, (double)out->duration_us / 1000.0);
    return RC_OK;
}

enum rc catalog_rebuild(struct catalog *c, const char *source, struct catalog_rebuild_stats *out,
                        struct err *err)
{
    if (source && !ident_valid(source)) {
        memset(out, 0, sizeof(*out));
        return err_set(err, RC_INVALID, "source name is not a safe identifier");
    }
    return rebuild(c, source ? BUILD_ONE : BUILD_ALL, source, out, err);
}

enum rc catalog_refresh(struct catalog *c, struct catalog_rebuild_stats *out, struct err *err)
{
    return rebuild(c, BUILD_CHANGED, NULL, out, err);
}

/* ---- removing old Parquet runs ---- */

struct string_set {
    char **items;
    size_t len, cap;
};

static void set_add(struct string_set *s, const char *p, size_t len)
{
    for (size_t i = 0; i < s->len; i++)
        if (strlen(s->items[i]) == len && strncmp(s->items[i], p, len) == 0)
            return;
    s->items = xgrow(s->items, &s->cap, s->len + 1, sizeof(char *));
    s->items[s->len++] = xstrndup(p, len);
}

static void set_free(struct string_set *s)
{
    for (size_t i = 0; i < s->len; i++)
        free(s->items[i]);
    free(s->items);
    memset(s, 0, sizeof(*s));
}

/* The run folders of source that a live generation reads. */
static void runs_of_live(struct catalog *c, const char *source, struct string_set *out)
{
    char *dir = xasprintf("%s/%s", c->extracts_dir, source);
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n_live; i++) {
        const struct catalog_gen *g = c->live[i];
        for (size_t t = 0; t < g->n_tables; t++) {
            if (strcmp(g->tables[t].source, source) != 0)
                continue;
            for (size_t f = 0; f < g->tables[t].n_files; f++) {
                size_t len = 0;
                const char *run = extract_run_of_file(dir, g->tables[t].files[f], &len);
                if (run)
                    set_add(out, run, len);
            }
        }
    }
    pthread_mutex_unlock(&c->mu);
    free(dir);
}

enum rc catalog_sweep(struct catalog *c, int *out_removed, struct err *err)
{
    *out_removed = 0;
    pthread_mutex_lock(&c->mu);
    bool due = c->sweep_due;
    c->sweep_due = false;
    pthread_mutex_unlock(&c->mu);
    if (!due)
        return RC_OK;
    pthread_mutex_lock(&c->rebuild_mu);
    struct folder *folders = NULL;
    size_t n = 0;
    enum rc rc = RC_OK;
    list_folders(c->extracts_dir, &folders, &n);
    for (size_t i = 0; !rc && i < n; i++) {
        if (!folders[i].safe)
            continue;
        struct string_set keep = { 0 };
        runs_of_live(c, folders[i].name, &keep);
        char *dir = xasprintf("%s/%s", c->extracts_dir, folders[i].name);
        int removed = 0;
        rc = extract_remove_stale_runs(dir, (const char *const *)keep.items, keep.len, &removed,
                                       err);
        if (removed > 0)
            *out_removed += removed;
        else if (removed < 0) {
            pthread_mutex_lock(&c->mu);
            c->sweep_due = true; /* a writer was busy: try again next time */
            pthread_mutex_unlock(&c->mu);
        }
        free(dir);
        set_free(&keep);
    }
    free(folders);
    pthread_mutex_unlock(&c->rebuild_mu);
    return rc;
}
