/* query.c — `da query`: SQL over the analyst's synced copy of the data (local, the default)
 * or over the server's catalog (--remote, POST /api/query, governed there).
 *
 * Both ways produce the same result JSON — the server's answer, or result_run over the
 * local database — and one renderer shows it: an aligned table on a terminal, CSV when
 * piped, or the JSON itself. Values therefore look the same whichever way they came. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/limits.h"
#include "base/mem.h"
#include "base/parse.h"
#include "client/client.h"
#include "client/local_query.h"
#include "client/output.h"
#include "client/syncdir.h"
#include "cmd/cmd.h"

#define QUERY_DEFAULT_LIMIT  1000
#define QUERY_SQL_MAX        GUARD_SQL_MAX       /* what the server accepts; the same locally */
#define QUERY_REMOTE_TIMEOUT (15 * 60)           /* s; the server's own limit ends a query first */
#define QUERY_REMOTE_BUF_MAX (256 * 1024 * 1024) /* a server's answer, held in memory */
#define QUERY_CELL_MAX       48                  /* display columns of a table cell */

enum format { FMT_AUTO, FMT_TABLE, FMT_CSV, FMT_JSON };

static void query_help(void)
{
    printf("Usage: da query [--remote] [--format table|csv|json] [--limit N] [--dir DIR]\n"
           "                [--server URL] SQL\n"
           "\n"
           "Run one SQL query and print its result. SQL - reads the query from standard input.\n"
           "\n"
           "By default the query runs here, on the data `da sync` keeps in the sync folder\n"
           "(DuckDB, read-only: the query never changes the folder), without the network.\n"
           "Besides SELECT (WITH, FROM, VALUES ...), SHOW TABLES, DESCRIBE t and SUMMARIZE t\n"
           "work. With --remote the server runs it over its whole catalog instead, as the\n"
           "governed SQL of POST /api/query: one SELECT over the tables you may read, within\n"
           "the server's time and row limits. Values look the same either way.\n"
           "\n"
           "Output: an aligned table on a terminal (NULL shown as NULL, long values cut short,\n"
           "a row count below); CSV when the output is piped or redirected (a header\n"
           "line, every value quoted, NULL empty); --format json prints the result as the\n"
           "server's JSON: {columns, types, rows, row_count, truncated, truncated_by}. When a\n"
           "result is cut at the limit the table says so, CSV gets a note on standard error,\n"
           "and the JSON has \"truncated\": true.\n"
           "\n"
           "Options:\n"
           "  --remote          run the query on the server\n"
           "  --format FORMAT   table, csv or json (default: table on a terminal, else csv)\n"
           "  --limit N         at most N rows (default %d; locally at most %d; the server\n"
           "                    has its own maximum)\n"
           "  --dir DIR         the sync folder (default: the one `da sync` uses)\n"
           "  --server URL      the server (default: $DA_SERVER, else the current server)\n"
           "  -h, --help        show this help\n"
           "\n"
           "Examples:\n"
           "  da query 'SELECT status, count(*) FROM orders GROUP BY 1'\n"
           "  da query --remote --format json 'SELECT * FROM customers LIMIT 5'\n"
           "  da query - < report.sql > report.csv\n"
           "\n"
           "Exit codes:\n"
           "  0  success\n"
           "  1  the query failed or was refused (bad SQL, a table you may not read, the\n"
           "     server's time limit or too many queries at once), or no synced data here\n"
           "  2  bad command line\n"
           "  3  the server could not be reached (--remote)\n"
           "  4  not logged in, or the server refused the credential (--remote)\n",
           QUERY_DEFAULT_LIMIT, LOCAL_QUERY_MAX_ROWS);
}

struct query_args {
    const char *server, *dir, *sql;
    bool remote;
    enum format format;
    int64_t limit; /* 0: not given */
};

static int parse_args(int argc, char **argv, struct query_args *a)
{
    enum { OPT_REMOTE = 256, OPT_FORMAT, OPT_LIMIT, OPT_DIR, OPT_SERVER };
    static const struct option opts[] = {
        { "remote", no_argument, NULL, OPT_REMOTE },
        { "format", required_argument, NULL, OPT_FORMAT },
        { "limit", required_argument, NULL, OPT_LIMIT },
        { "dir", required_argument, NULL, OPT_DIR },
        { "server", required_argument, NULL, OPT_SERVER },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, ":h", opts, NULL)) != -1;) {
        switch (c) {
        case 'h':
            query_help();
            return -1;
        case OPT_REMOTE:
            a->remote = true;
            break;
        case OPT_FORMAT:
            if (strcmp(optarg, "table") == 0)
                a->format = FMT_TABLE;
            else if (strcmp(optarg, "csv") == 0)
                a->format = FMT_CSV;
            else if (strcmp(optarg, "json") == 0)
                a->format = FMT_JSON;
            else
                return cmd_usage_error("query", "--format must be table, csv or json");
            break;
        case OPT_LIMIT:
            if (!parse_i64(optarg, 1, INT32_MAX, &a->limit))
                return cmd_usage_error("query", "--limit must be a whole number of rows, 1 or "
                                                "more");
            break;
        case OPT_DIR:
            a->dir = optarg;
            break;
        case OPT_SERVER:
            a->server = optarg;
            break;
        case ':':
            return cmd_usage_error("query", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cmd_usage_error("query", "unknown option '%s'; see 'da query --help'",
                                   argv[optind - 1]);
        }
    }
    if (optind >= argc)
        return cmd_usage_error("query", "no SQL given; see 'da query --help'");
    if (optind + 1 < argc)
        return cmd_usage_error("query",
                               "give the SQL as one argument (in quotes); '%s' is one "
                               "too many",
                               argv[optind + 1]);
    a->sql = argv[optind];
    if (a->remote && a->dir)
        return cmd_usage_error("query", "--dir is for local queries, not --remote");
    if (!a->remote && a->limit > LOCAL_QUERY_MAX_ROWS)
        return cmd_usage_error("query", "--limit is at most %d for a local query",
                               LOCAL_QUERY_MAX_ROWS);
    return 0;
}

/* The SQL of "-": all of standard input, at most QUERY_SQL_MAX bytes. *out is freed by the
 * caller. */
static int read_stdin_sql(char **out)
{
    struct buf b;
    char chunk[8192];
    buf_init(&b, QUERY_SQL_MAX);
    for (;;) {
        size_t n = fread(chunk, 1, sizeof(chunk), stdin);
        if (n > 0 && buf_append(&b, chunk, n) != RC_OK)
            return cmd_usage_error("query", "the SQL on standard input is longer than %d bytes",
                                   QUERY_SQL_MAX);
        if (n < sizeof(chunk))
            break;
    }
    if (ferror(stdin)) {
        buf_cleanup(&b);
        fprintf(stderr, "da query: cannot read the SQL from standard input\n");
        return CLIENT_EXIT_FAIL;
    }
    *out = buf_take(&b, NULL);
    return 0;
}

static bool blank(const char *s)
{
    return s[strspn(s, " \t\r\n;")] == '\0';
}

/* ---------------------------------------------------------------- the two ways to run */

/* Runs the query on the sync folder's database; the result JSON goes to out. */
static int run_local(const struct query_args *a, const char *sql, struct buf *out)
{
    struct err err = { { 0 } };
    char *server = NULL, *dir = NULL, *db = NULL;
    int code = 0;
    enum rc rc = RC_OK;
    if (!a->dir) { /* the folder is named after the server */
        rc = client_server(a->server, &server, &err);
        if (rc) {
            code = rc == RC_NOTFOUND || rc == RC_INVALID
                       ? cmd_usage_error("query", "%s; or give the sync folder with --dir", err.msg)
                       : client_fail("query", NULL, rc, &err);
            goto out;
        }
    }
    rc = syncdir_path(server, a->dir, &dir, &err);
    if (rc) {
        code = client_fail("query", NULL, rc, &err);
        goto out;
    }
    db = syncdir_db_path(dir);
    struct result_stats st;
    rc = local_query(db, sql, a->limit ? a->limit : QUERY_DEFAULT_LIMIT, out, &st, &err);
    if (rc == RC_NOTFOUND) {
        fprintf(stderr,
                "da query: no synced data in %s; run: da sync (or ask the server with "
                "--remote)\n",
                dir);
        code = CLIENT_EXIT_FAIL;
    } else if (rc) {
        code = client_fail("query", NULL, rc, &err);
        if (rc == RC_DB && strstr(err.msg, "Catalog Error") && client_is_tty(STDERR_FILENO))
            fprintf(stderr, "(the tables here are those of the last da sync: da query 'SHOW "
                            "TABLES' lists them; --remote asks the server)\n");
    }
out:
    free(db);
    free(dir);
    free(server);
    return code;
}

/* Sends the query to the server; the result JSON goes to out. */
static int run_remote(const struct query_args *a, const char *sql, struct buf *out)
{
    struct client cl;
    struct err err = { { 0 } };
    int code = 0;
    json_t *body = NULL;
    enum rc rc = client_open(a->server, &cl, &err);
    if (rc) {
        code = client_fail("query", NULL, rc, &err);
        goto out;
    }
    body = json_pack("{s:s, s:s}", "sql", sql, "format", "json");
    if (!body) {
        fprintf(stderr, "da query: the SQL is not valid UTF-8\n");
        code = CLIENT_EXIT_USAGE;
        goto out;
    }
    if (a->limit)
        json_object_set_new(body, "limit", json_integer((json_int_t)a->limit));
    rc = hc_post_raw(cl.hc, "/api/query", body, QUERY_REMOTE_TIMEOUT, out, &err);
    if (rc) {
        code = client_fail("query", cl.hc, rc, &err);
        /* 403 here is the SQL guard refusing a table, not the credential */
        if (rc == RC_FORBIDDEN)
            code = CLIENT_EXIT_FAIL;
    }
out:
    json_decref(body);
    client_close(&cl);
    return code;
}

/* ---------------------------------------------------------------- output */

static void print_footer(const struct qresult *r)
{
    printf("%zu row%s", r->nrows, r->nrows == 1 ? "" : "s");
    if (r->truncated && r->truncated_by && strcmp(r->truncated_by, "bytes") == 0)
        printf(" (cut at the size limit; there are more)");
    else if (r->truncated)
        printf(" (there are more; raise --limit to see them)");
    printf("\n");
}

static int render(enum format fmt, const struct buf *raw)
{
    struct qresult r;
    struct err err = { { 0 } };
    if (fmt == FMT_JSON) {
        fwrite(raw->data ? raw->data : "", 1, raw->len, stdout);
        fputc('\n', stdout);
        return fflush(stdout) == 0 ? 0 : CLIENT_EXIT_FAIL;
    }
    enum rc rc = qresult_parse(buf_cstr(raw), raw->len, &r, &err);
    if (rc) {
        qresult_free(&r);
        return client_fail("query", NULL, rc, &err);
    }
    int code = 0;
    if (fmt == FMT_CSV) {
        if (!qresult_write_csv(stdout, &r))
            code = CLIENT_EXIT_FAIL;
        else if (r.truncated)
            fprintf(stderr, "da query: note: the result was cut after %zu rows%s\n", r.nrows,
                    r.truncated_by && strcmp(r.truncated_by, "bytes") == 0
                        ? " (the size limit)"
                        : "; raise --limit for more");
    } else {
        struct table t;
        struct table_style style = { QUERY_CELL_MAX, output_term_width(STDOUT_FILENO), "NULL" };
        qresult_to_table(&r, &t);
        table_print(stdout, &t, &style);
        print_footer(&r);
        table_free(&t);
        if (fflush(stdout) != 0)
            code = CLIENT_EXIT_FAIL;
    }
    qresult_free(&r);
    return code;
}

int cmd_query(int argc, char **argv)
{
    struct query_args a = { 0 };
    int code = parse_args(argc, argv, &a);
    if (code)
        return code < 0 ? 0 : code;
    char *stdin_sql = NULL;
    if (strcmp(a.sql, "-") == 0) {
        code = read_stdin_sql(&stdin_sql);
        if (code)
            return code;
    }
    const char *sql = stdin_sql ? stdin_sql : a.sql;
    struct buf raw;
    buf_init(&raw, a.remote ? QUERY_REMOTE_BUF_MAX : LOCAL_QUERY_BUF_MAX);
    if (blank(sql)) {
        code = cmd_usage_error("query", "the SQL is empty");
        goto out;
    }
    if (strlen(sql) > QUERY_SQL_MAX) {
        code = cmd_usage_error("query", "the SQL is longer than %d bytes", QUERY_SQL_MAX);
        goto out;
    }
    code = a.remote ? run_remote(&a, sql, &raw) : run_local(&a, sql, &raw);
    if (code)
        goto out;
    enum format fmt = a.format;
    if (fmt == FMT_AUTO)
        fmt = client_is_tty(STDOUT_FILENO) ? FMT_TABLE : FMT_CSV;
    code = render(fmt, &raw);
out:
    buf_cleanup(&raw);
    free(stdin_sql);
    return code;
}
