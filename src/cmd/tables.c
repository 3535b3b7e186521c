/* tables.c — `da tables`: which of the tables you may read `da sync` copies. The switches live
 * on the server (per user, GET /api/settings and PUT /api/settings/dataset), so every
 * machine of the user syncs the same selection; `da sync` applies them (and `da sync --table`
 * syncs one table once without changing them). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/format.h"
#include "base/mem.h"
#include "client/client.h"
#include "client/output.h"
#include "cmd/cmd.h"

#define TABLES_NAME_MAX  256 /* bytes of a table or bucket name given */
#define TABLES_NAMES_MAX 256 /* names in one command */

const struct cmd tables_actions[] = {
    { "list", "the tables you may read, switched on or off for sync, with sizes" },
    { "enable", "switch tables (or --bucket B: all of a bucket) on for sync" },
    { "disable", "switch tables (or --bucket B) off for sync; the next da sync removes them" },
    { NULL },
};

static void tables_help(void)
{
    printf("Usage: da tables [list] [--json] [--server URL]\n"
           "       da tables enable|disable [TABLE]... [--bucket BUCKET]... [--server URL]\n"
           "\n"
           "Choose which of the tables you may read da sync copies to this machine (and to\n"
           "your other machines: the choice is kept on the server, for you).\n"
           "\n"
           "  list      every table you may read: TABLE, BUCKET, SYNC (on/off), WHY (what\n"
           "            decided it: your switch for the table, a package you subscribe to,\n"
           "            your switch for its bucket, or the default for a new table, which is\n"
           "            off for very large tables), SIZE and ROWS\n"
           "  enable    switch the named tables on; --bucket B switches every table of\n"
           "            bucket B on (and clears your switches of its single tables). A name\n"
           "            that is not a table of yours but a bucket is taken as the bucket\n"
           "  disable   switch them off; the next da sync removes their local files, view\n"
           "            and DATA.md entry (da tables enable brings them back)\n"
           "\n"
           "The change applies at the next da sync. To sync one table once without changing\n"
           "the switches: da sync --table TABLE. Packages switch sets of tables on in one\n"
           "step: da packages.\n"
           "\n"
           "Options:\n"
           "  --bucket B     a bucket to switch (repeatable)\n"
           "  --json         list: print {tables: [{table, bucket, enabled, why, package,\n"
           "                 size_bytes, rows}], table_mode, packages}\n"
           "  --server URL   the server (default: $DA_SERVER, else the current server)\n"
           "  -h, --help     show this help\n"
           "\n"
           "Exit codes:\n"
           "  0  success\n"
           "  1  any other failure (an unexpected answer)\n"
           "  2  bad command line\n"
           "  3  the server could not be reached\n"
           "  4  not logged in, the server refused the credential, or you may not read a\n"
           "     table or bucket named (\"you may not read X\"; the others named are\n"
           "     still switched)\n");
}

static const char *member(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* The member key of obj, or JSON null (borrowed either way). */
static json_t *or_null(const json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return v ? v : json_null();
}

/* What decided a table's switch, for a person. */
static char *why_text(const json_t *row)
{
    const char *by = member(row, "enabled_by"), *pkg = member(row, "package");
    if (by && strcmp(by, "package") == 0)
        return xasprintf("package %s", pkg ? pkg : "?");
    if (by && strcmp(by, "table") == 0)
        return xstrdup("your switch");
    if (by && strcmp(by, "bucket") == 0)
        return xstrdup("bucket switch");
    if (by && strcmp(by, "default") == 0)
        return xstrdup("default");
    return xstrdup(by ? by : "-");
}

static int list(struct client *cl, bool as_json)
{
    struct err err = { { 0 } };
    json_t *answer = NULL;
    enum rc rc = hc_get(cl->hc, "/api/settings", &answer, &err);
    if (rc) {
        int code = client_fail("tables", cl->hc, rc, &err);
        json_decref(answer);
        return code;
    }
    const json_t *rows = json_object_get(answer, "sync_settings");
    size_t i;
    json_t *row;
    if (as_json) {
        json_t *out = json_array();
        json_array_foreach(rows, i, row)
        {
            json_t *o = json_pack(
                "{s:s?, s:O, s:b, s:s?, s:s?, s:O, s:O}", "table", member(row, "table"), "bucket",
                or_null(row, "bucket"), "enabled", !json_is_false(json_object_get(row, "enabled")),
                "why", member(row, "enabled_by"), "package", member(row, "package"), "size_bytes",
                or_null(row, "size_bytes"), "rows", or_null(row, "rows"));
            if (o)
                json_array_append_new(out, o);
        }
        json_t *packages = json_object_get(answer, "packages");
        json_t *o =
            json_pack("{s:o, s:O, s:o}", "tables", out, "table_mode", or_null(answer, "table_mode"),
                      "packages", packages ? json_incref(packages) : json_array());
        char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
        if (text)
            printf("%s\n", text);
        free(text);
        json_decref(o);
        json_decref(answer);
        return fflush(stdout) == 0 ? 0 : CLIENT_EXIT_FAIL;
    }
    if (json_array_size(rows) == 0) {
        printf("No tables you may read yet.\n");
        json_decref(answer);
        return 0;
    }
    struct table t;
    table_init(&t, 6);
    static const char *const heads[] = { "TABLE", "BUCKET", "SYNC", "WHY", "SIZE", "ROWS" };
    for (int c = 0; c < 6; c++)
        table_head(&t, c, heads[c], c >= 4);
    uint64_t on_bytes = 0;
    size_t on = 0;
    json_array_foreach(rows, i, row)
    {
        bool enabled = !json_is_false(json_object_get(row, "enabled"));
        char size[32];
        uint64_t bytes = (uint64_t)json_integer_value(json_object_get(row, "size_bytes"));
        format_bytes(bytes, size);
        table_add(&t, member(row, "table"));
        table_add(&t, member(row, "bucket") ? member(row, "bucket") : "-");
        table_add(&t, enabled ? "on" : "off");
        table_add_take(&t, why_text(row));
        table_add(&t, size);
        table_addf(&t, "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(row, "rows")));
        if (enabled) {
            on++;
            on_bytes += bytes;
        }
    }
    struct table_style style = { 60, output_term_width(STDOUT_FILENO), "" };
    table_print(stdout, &t, &style);
    table_free(&t);
    char total[32];
    format_bytes(on_bytes, total);
    printf("%zu of %zu table%s switched on for sync (%s).\n", on, json_array_size(rows),
           json_array_size(rows) == 1 ? "" : "s", total);
    json_decref(answer);
    return fflush(stdout) == 0 ? 0 : CLIENT_EXIT_FAIL;
}

/* PUT /api/settings/dataset for one name; prints what changed. */
static int switch_one(struct client *cl, const char *name, bool bucket, bool enabled)
{
    struct err err = { { 0 } };
    json_t *answer = NULL;
    json_t *body = json_pack("{s:s, s:b}", bucket ? "bucket" : "dataset", name, "enabled", enabled);
    enum rc rc = hc_call(cl->hc, "PUT", "/api/settings/dataset", body, &answer, &err);
    json_decref(body);
    int code = 0;
    if (rc == RC_FORBIDDEN) { /* also for names that do not exist: the server tells no more */
        fprintf(stderr, "da tables: you may not read %s'", bucket ? "bucket " : "");
        output_print_clean(stderr, name);
        fprintf(stderr, "' (or there is none of that name); da tables lists yours\n");
        code = CLIENT_EXIT_AUTH;
    } else if (rc) {
        code = client_fail("tables", cl->hc, rc, &err);
    } else if (client_is_tty(STDOUT_FILENO)) {
        const json_t *tables = json_object_get(answer, "tables");
        const char *kind = member(answer, "kind");
        bool is_bucket = kind && strcmp(kind, "bucket") == 0;
        printf("%s", is_bucket ? "bucket " : "");
        output_print_clean(stdout, name);
        printf(": switched %s", enabled ? "on" : "off");
        if (is_bucket)
            printf(" (%zu table%s)", json_array_size(tables),
                   json_array_size(tables) == 1 ? "" : "s");
        printf("\n");
        size_t i;
        json_t *t;
        json_array_foreach(tables, i, t)
        {
            bool now = !json_is_false(json_object_get(t, "enabled"));
            if (now != enabled) { /* a package (or a bucket) still decides otherwise */
                char *why = why_text(t);
                printf("  note: ");
                output_print_clean(stdout, member(t, "table"));
                printf(" stays %s: ", now ? "on" : "off");
                output_print_clean(stdout, why);
                printf("\n");
                free(why);
            }
        }
    }
    json_decref(answer);
    return code;
}

static int change(struct client *cl, bool enabled, const char *const *names, size_t n_names,
                  const char *const *buckets, size_t n_buckets)
{
    int code = 0;
    for (size_t i = 0; i < n_names; i++) {
        int c = switch_one(cl, names[i], false, enabled);
        if (c && !code)
            code = c;
        if (c == CLIENT_EXIT_UNREACHABLE)
            return code; /* the rest would fail the same way */
    }
    for (size_t i = 0; i < n_buckets; i++) {
        int c = switch_one(cl, buckets[i], true, enabled);
        if (c && !code)
            code = c;
        if (c == CLIENT_EXIT_UNREACHABLE)
            return code;
    }
    if (!code && client_is_tty(STDOUT_FILENO))
        printf("The next da sync applies it.\n");
    return code;
}

static int add_name(const char **list, size_t *n, const char *name)
{
    if (!*name || strlen(name) > TABLES_NAME_MAX)
        return cmd_usage_error("tables", "a table or bucket name is 1 to %d bytes",
                               TABLES_NAME_MAX);
    if (*n == TABLES_NAMES_MAX)
        return cmd_usage_error("tables", "at most %d names at a time", TABLES_NAMES_MAX);
    list[(*n)++] = name;
    return 0;
}

int cmd_tables(int argc, char **argv)
{
    enum { OPT_SERVER = 256, OPT_JSON, OPT_BUCKET };
    static const struct option opts[] = {
        { "server", required_argument, NULL, OPT_SERVER },
        { "json", no_argument, NULL, OPT_JSON },
        { "bucket", required_argument, NULL, OPT_BUCKET },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *server = NULL;
    const char **names = xcalloc(TABLES_NAMES_MAX, sizeof(*names));
    const char **buckets = xcalloc(TABLES_NAMES_MAX, sizeof(*buckets));
    size_t n_names = 0, n_buckets = 0;
    bool as_json = false;
    int code = 0;
    opterr = 0;
    optind = 1;
    for (int c; !code && (c = getopt_long(argc, argv, ":h", opts, NULL)) != -1;) {
        switch (c) {
        case 'h':
            tables_help();
            code = -1;
            break;
        case OPT_SERVER:
            server = optarg;
            break;
        case OPT_JSON:
            as_json = true;
            break;
        case OPT_BUCKET:
            code = add_name(buckets, &n_buckets, optarg);
            break;
        case ':':
            code = cmd_usage_error("tables", "option '%s' needs a value", argv[optind - 1]);
            break;
        default:
            code = cmd_usage_error("tables", "unknown option '%s'; see 'da tables --help'",
                                   argv[optind - 1]);
        }
    }
    const char *action = !code && optind < argc ? argv[optind++] : "list";
    bool is_list = strcmp(action, "list") == 0;
    bool enable = strcmp(action, "enable") == 0;
    if (!code && !is_list && !enable && strcmp(action, "disable") != 0)
        code = cmd_usage_error("tables", "unknown action '%.64s'; use list, enable or disable",
                               action);
    for (; !code && optind < argc; optind++)
        code = is_list ? cmd_usage_error("tables", "unexpected argument '%.64s'", argv[optind])
                       : add_name(names, &n_names, argv[optind]);
    if (!code && is_list && n_buckets)
        code = cmd_usage_error("tables", "--bucket goes with enable or disable");
    if (!code && !is_list && as_json)
        code = cmd_usage_error("tables", "--json goes with list");
    if (!code && !is_list && n_names + n_buckets == 0)
        code = cmd_usage_error("tables", "name the tables to %s (or --bucket B)", action);
    struct client cl = { 0 };
    struct err err = { { 0 } };
    if (!code) {
        enum rc rc = client_open(server, &cl, &err);
        if (rc)
            code = client_fail("tables", NULL, rc, &err);
        else if (is_list)
            code = list(&cl, as_json);
        else
            code = change(&cl, enable, names, n_names, buckets, n_buckets);
    }
    client_close(&cl);
    free(names);
    free(buckets);
    return code < 0 ? 0 : code;
}
