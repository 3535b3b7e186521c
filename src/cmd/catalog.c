/* catalog.c — `da catalog`: the tables of the server an analyst may read (and those they may
 * ask for), or one table in detail: its columns and types, a summary of its profile, its
 * freshness and how it is queried. Aligned text for a person, --json for scripts (the
 * server's answer as it is). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/format.h"
#include "base/mem.h"
#include "client/client.h"
#include "client/output.h"
#include "cmd/cmd.h"

#define CATALOG_CELL_MAX 60 /* display columns of a description or a value */

static void catalog_help(void)
{
    printf("Usage: da catalog [--json] [--server URL] [TABLE]\n"
           "\n"
           "Without TABLE: list the server's tables you may read (id, rows, size, when the\n"
           "data was extracted, how it is queried, description), then those you may only ask\n"
           "for (access \"requestable\": request it in the web UI).\n"
           "\n"
           "With TABLE: that table's description, freshness and query mode, its columns and\n"
           "types, and a summary of its profile (share of NULLs, distinct values, min, max).\n"
           "\n"
           "Query modes: local tables are copied by da sync and read by da query; remote\n"
           "tables stay at their source and are read with da query --remote.\n"
           "\n"
           "Options:\n"
           "  --json         print the server's answer as JSON\n"
           "  --server URL   the server (default: $DA_SERVER, else the current server)\n"
           "  -h, --help     show this help\n"
           "\n"
           "Exit codes:\n"
           "  0  success\n"
           "  1  no such table (or you may not read it), or any other failure\n"
           "  2  bad command line\n"
           "  3  the server could not be reached\n"
           "  4  not logged in, or the server refused the credential\n");
}

static const char *member(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

static void print_json(const json_t *j)
{
    char *text = json_dumps(j, JSON_COMPACT);
    if (text)
        printf("%s\n", text);
    free(text);
}

/* "2026-11-27 00:10" of an ISO time, or "-". */
static void short_time(const char *iso, char out[32])
{
    if (!iso || strlen(iso) < 16) {
        snprintf(out, 32, "-");
        return;
    }
    snprintf(out, 32, "%.10s %.5s", iso, iso + 11);
}

static void print_list(const json_t *answer)
{
    const json_t *tables = json_object_get(answer, "tables");
    if (json_array_size(tables) == 0) {
        printf("No tables you may read or ask for yet.\n");
        return;
    }
    struct table t;
    table_init(&t, 7);
    static const char *const heads[] = { "TABLE", "ROWS",   "SIZE",       "UPDATED (UTC)",
                                         "MODE",  "ACCESS", "DESCRIPTION" };
    for (int c = 0; c < 7; c++)
        table_head(&t, c, heads[c], c == 1 || c == 2);
    size_t i;
    json_t *row;
    json_array_foreach(tables, i, row)
    {
        bool readable = !member(row, "access") || strcmp(member(row, "access"), "read") == 0;
        char size[32], when[32];
        table_add(&t, member(row, "id"));
        if (readable) {
            format_bytes((uint64_t)json_integer_value(json_object_get(row, "size_bytes")), size);
            short_time(member(row, "extracted_at"), when);
            table_addf(&t, "%" JSON_INTEGER_FORMAT,
                       json_integer_value(json_object_get(row, "rows")));
            table_add(&t, size);
            table_add(&t, when);
            table_add(&t, member(row, "query_mode"));
        } else {
            for (int c = 0; c < 4; c++)
                table_add(&t, "-");
        }
        table_add(&t, member(row, "access"));
        table_add(&t, member(row, "description"));
    }
    struct table_style style = { CATALOG_CELL_MAX, output_term_width(STDOUT_FILENO), "" };
    table_print(stdout, &t, &style);
    table_free(&t);
    json_int_t readable = json_integer_value(json_object_get(answer, "count"));
    json_int_t requestable = json_integer_value(json_object_get(answer, "requestable"));
    printf("%" JSON_INTEGER_FORMAT " table%s you may read", readable, readable == 1 ? "" : "s");
    if (requestable > 0)
        printf(", %" JSON_INTEGER_FORMAT " you may ask for (request access in the web UI)",
               requestable);
    printf("\n");
}

/* The profile's entry for column name, or NULL. */
static const json_t *profile_column(const json_t *profile, const char *name)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(profile, "columns"), i, c)
    {
        if (name && member(c, "name") && strcmp(member(c, "name"), name) == 0)
            return c;
    }
    return NULL;
}

/* One "  label  value" line, the value cleaned. */
static void line(const char *label, const char *value)
{
    printf("  %-12s ", label);
    output_print_clean(stdout, value ? value : "-");
    printf("\n");
}

static void print_table(const json_t *tj)
{
    time_t now = time(NULL);
    const char *id = member(tj, "id"), *desc = member(tj, "description");
    const char *mode = member(tj, "query_mode");
    const json_t *profile = json_object_get(tj, "profile");
    char buf[96], size[32];
    output_print_clean(stdout, id ? id : "?");
    if (desc && *desc) {
        printf(": ");
        output_print_clean(stdout, desc);
    }
    printf("\n");
    if (member(tj, "name") && id && strcmp(member(tj, "name"), id) != 0)
        line("name", member(tj, "name"));
    line("source", member(tj, "source"));
    if (mode && strcmp(mode, "remote") == 0)
        line("query mode", "remote: stays at its source; read it with da query --remote");
    else
        line("query mode", "local: da sync copies it here; da query reads the copy");
    snprintf(buf, sizeof(buf), "%" JSON_INTEGER_FORMAT,
             json_integer_value(json_object_get(tj, "rows")));
    line("rows", buf);
    format_bytes((uint64_t)json_integer_value(json_object_get(tj, "size_bytes")), size);
    line("size", size);
    output_when(member(tj, "extracted_at"), now, buf);
    line("extracted", buf);
    if (member(tj, "primary_key"))
        line("primary key", member(tj, "primary_key"));
    if (json_is_object(profile)) {
        output_when(member(profile, "profiled_at"), now, buf);
        if (json_is_true(json_object_get(profile, "sampled")))
            snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf),
                     ", on a sample of %" JSON_INTEGER_FORMAT " rows",
                     json_integer_value(json_object_get(profile, "profiled_rows")));
        line("profiled", buf);
    } else {
        line("profiled", "not yet");
    }
    printf("\n");

    bool with_profile = json_is_object(profile);
    struct table t;
    table_init(&t, with_profile ? 7 : 3);
    table_head(&t, 0, "COLUMN", false);
    table_head(&t, 1, "TYPE", false);
    table_head(&t, 2, "NULLABLE", false);
    if (with_profile) {
        table_head(&t, 3, "NULLS", true);
        table_head(&t, 4, "DISTINCT", true);
        table_head(&t, 5, "MIN", false);
        table_head(&t, 6, "MAX", false);
    }
    size_t i;
    json_t *col;
    json_array_foreach(json_object_get(tj, "columns"), i, col)
    {
        table_add(&t, member(col, "name"));
        table_add(&t, member(col, "type"));
        table_add(&t, json_is_true(json_object_get(col, "nullable")) ? "yes" : "no");
        if (!with_profile)
            continue;
        const json_t *pc = profile_column(profile, member(col, "name"));
        const json_t *share = json_object_get(pc, "null_share");
        if (json_is_number(share))
            table_addf(&t, "%.1f%%", json_number_value(share) * 100);
        else
            table_add(&t, "-");
        const json_t *distinct = json_object_get(pc, "approx_distinct");
        if (json_is_integer(distinct))
            table_addf(&t, "~%" JSON_INTEGER_FORMAT, json_integer_value(distinct));
        else
            table_add(&t, "-");
        char *min = output_json_text(json_object_get(pc, "min"));
        char *max = output_json_text(json_object_get(pc, "max"));
        table_add_take(&t, min ? min : xstrdup("-"));
        table_add_take(&t, max ? max : xstrdup("-"));
    }
    struct table_style style = { CATALOG_CELL_MAX, output_term_width(STDOUT_FILENO), "" };
    table_print(stdout, &t, &style);
    table_free(&t);
}

int cmd_catalog(int argc, char **argv)
{
    const char *server = NULL;
    bool as_json = false;
    int usage = cmd_client_opts("catalog", catalog_help, argc, argv, &server, &as_json, 1);
    if (usage)
        return usage < 0 ? 0 : usage;
    const char *table = optind < argc ? argv[optind] : NULL;
    if (table && !*table)
        return cmd_usage_error("catalog", "the table name is empty");

    struct client cl;
    struct err err = { { 0 } };
    json_t *answer = NULL;
    char *path = NULL;
    int code = 0;
    enum rc rc = client_open(server, &cl, &err);
    if (rc) {
        code = client_fail("catalog", NULL, rc, &err);
        goto out;
    }
    if (table) {
        char *id = hc_escape(table);
        path = xasprintf("/api/catalog/tables/%s", id);
        free(id);
    }
    rc = hc_get(cl.hc, path ? path : "/api/catalog/tables", &answer, &err);
    if (rc == RC_NOTFOUND && table) {
        fprintf(stderr, "da catalog: no table '");
        output_print_clean(stderr, table);
        fprintf(stderr, "' that you may read; da catalog lists them\n");
        code = CLIENT_EXIT_FAIL;
        goto out;
    }
    if (rc) {
        code = client_fail("catalog", cl.hc, rc, &err);
        goto out;
    }
    if (as_json)
        print_json(answer);
    else if (table)
        print_table(answer);
    else
        print_list(answer);
    if (fflush(stdout) != 0)
        code = CLIENT_EXIT_FAIL;
out:
    json_decref(answer);
    free(path);
    client_close(&cl);
    return code;
}
