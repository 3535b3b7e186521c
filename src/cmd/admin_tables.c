/* admin_tables.c — `da admin tables`: the table registry over /api/admin/register-table and
 * /api/admin/registry: list, show, register, remove. The registry adds a name, a
 * description and visibility (public or by grant) to the tables the extracts provide; a
 * table's id is canonical (the server derives it from the name unless --id is given). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/mem.h"
#include "cmd/admin_int.h"

/* A registry value as text: strings as they are, booleans yes/no, null "". Borrowed. */
static const char *value_text(const json_t *row, const char *key)
{
    const json_t *v = json_object_get(row, key);
    if (json_is_boolean(v))
        return json_is_true(v) ? "yes" : "no";
    return json_string_value(v) ? json_string_value(v) : "";
}

/* "/api/admin/registry/<escaped id>"; freed by the caller. */
static char *table_path(const char *id)
{
    char *e = hc_escape(id);
    char *path = xasprintf("/api/admin/registry/%s", e);
    free(e);
    return path;
}

/* A 404 of the registry says "Table not found"; name the table that was asked for. */
static enum rc name_missing(enum rc rc, const char *id, struct err *err)
{
    if (rc == RC_NOTFOUND)
        return err_set(err, rc,
                       "no table '%.128s' in the registry; 'da admin tables list' "
                       "shows the ids",
                       id);
    return rc;
}

/* ---------------------------------------------------------------- list and show */

static const char list_help[] =
    "Usage: da admin tables list\n"
    "\n"
    "List the registered tables, ordered by name: id, name, bucket, source type, query mode\n"
    "(local: synced and queried on the laptop; remote: queried on the server) and whether\n"
    "the table is public (readable by every user; otherwise by grant). 'da admin tables\n"
    "show ID' or --json shows every field.\n";

static int tables_list(int argc, char **argv)
{
    struct admin_run r;
    int code = admin_begin(&r, "admin tables list", list_help, NULL, 0, 0, argc, argv);
    if (code)
        return code < 0 ? 0 : code;
    struct err err = { { 0 } };
    json_t *answer = NULL, *row;
    size_t i;
    enum rc rc = hc_get(r.cl.hc, "/api/admin/registry", &answer, &err);
    if (rc) {
        code = admin_fail(&r, rc, &err);
        goto out;
    }
    if (r.json) {
        admin_print_json(&r, answer);
        goto out;
    }
    struct admin_table t;
    admin_table_init(
        &t, (const char *[]){ "ID", "NAME", "BUCKET", "SOURCE", "QUERY_MODE", "PUBLIC", NULL });
    json_array_foreach(json_object_get(answer, "tables"), i, row)
    {
        admin_table_add(
            &t, (const char *[]){ value_text(row, "id"), value_text(row, "name"),
                                  value_text(row, "bucket"), value_text(row, "source_type"),
                                  value_text(row, "query_mode"), value_text(row, "is_public") });
    }
    admin_table_print(&r, &t, "No tables are registered.");
out:
    json_decref(answer);
    return admin_end(&r, code);
}

static const char show_help[] =
    "Usage: da admin tables show ID\n"
    "\n"
    "Show every field of the registered table ID, one per line (a field and its value,\n"
    "tab-separated when piped).\n";

static const char *const row_fields[] = {
    "id",           "name",       "description",        "bucket",        "source_type",
    "source_table", "query_mode", "sync_strategy",      "sync_schedule", "primary_key",
    "folder",       "is_public",  "profile_after_sync", "registered_by", "registered_at",
    "updated_at",
};

static int tables_show(int argc, char **argv)
{
    struct admin_run r;
    int code = admin_begin(&r, "admin tables show", show_help, NULL, 1, 1, argc, argv);
    if (code)
        return code < 0 ? 0 : code;
    struct err err = { { 0 } };
    json_t *row = NULL;
    char *path = table_path(r.args[0]);
    enum rc rc = name_missing(hc_get(r.cl.hc, path, &row, &err), r.args[0], &err);
    if (rc) {
        code = admin_fail(&r, rc, &err);
        goto out;
    }
    if (r.json) {
        admin_print_json(&r, row);
        goto out;
    }
    struct admin_table t;
    admin_table_init(&t, (const char *[]){ "FIELD", "VALUE", NULL });
    for (size_t i = 0; i < ARRAY_LEN(row_fields); i++)
        admin_table_add(&t, (const char *[]){ row_fields[i], value_text(row, row_fields[i]) });
    admin_table_print(&r, &t, "");
out:
    free(path);
    json_decref(row);
    return admin_end(&r, code);
}

/* ---------------------------------------------------------------- register */

static const char register_help[] =
    "Usage: da admin tables register NAME [OPTIONS]\n"
    "\n"
    "Register a table: its id is --id, else NAME lower-cased with spaces and '-' turned\n"
    "into '_' (\"Customer Orders\" -> customer_orders). A table is private (readable by\n"
    "grant) unless --public.\n"
    "\n"
    "Options:\n"
    "  --id ID                  the canonical id: lower-case letters, digits and '_'\n"
    "  --description TEXT       what the table holds (for people and AI assistants)\n"
    "  --bucket BUCKET          the bucket it belongs to (grants of '<bucket>.*' cover it)\n"
    "  --source-type TYPE       where it comes from (keboola, bigquery, jira, files, ...)\n"
    "  --source-table NAME      its name in the source\n"
    "  --query-mode MODE        local (synced to laptops; default) or remote (queried on\n"
    "                           the server only)\n"
    "  --sync-strategy S        full_refresh (default), incremental or append\n"
    "  --sync-schedule S        'every <N>m', 'every <N>h' or 'daily HH:MM[,HH:MM...]'\n"
    "  --primary-key COLS       the key columns, comma-separated\n"
    "  --folder FOLDER          a folder name to group tables by\n"
    "  --public                 readable by every user\n"
    "  --no-profile             do not profile the table after each sync\n";

static int tables_register(int argc, char **argv)
{
    const char *id = NULL, *description = NULL, *bucket = NULL, *source_type = NULL,
               *source_table = NULL, *query_mode = NULL, *strategy = NULL, *schedule = NULL,
               *primary_key = NULL, *folder = NULL;
    bool is_public = false, no_profile = false;
    const struct admin_opt opts[] = {
        { "id", &id },
        { "description", &description },
        { "bucket", &bucket },
        { "source-type", &source_type },
        { "source-table", &source_table },
        { "query-mode", &query_mode },
        { "sync-strategy", &strategy },
        { "sync-schedule", &schedule },
        { "primary-key", &primary_key },
        { "folder", &folder },
        { "public", NULL, &is_public },
        { "no-profile", NULL, &no_profile },
        { NULL },
    };
    struct admin_run r;
    int code = admin_begin(&r, "admin tables register", register_help, opts, 1, 1, argc, argv);
    if (code)
        return code < 0 ? 0 : code;
    struct err err = { { 0 } };
    json_t *answer = NULL, *body = json_object();
    const struct {
        const char *key, *value;
    } fields[] = {
        { "name", r.args[0] },          { "id", id },
        { "description", description }, { "bucket", bucket },
        { "source_type", source_type }, { "source_table", source_table },
        { "query_mode", query_mode },   { "sync_strategy", strategy },
        { "sync_schedule", schedule },  { "primary_key", primary_key },
        { "folder", folder },
    };
    for (size_t i = 0; i < ARRAY_LEN(fields); i++) {
        if (!fields[i].value)
            continue;
        if (json_object_set_new(body, fields[i].key, json_string(fields[i].value)) != 0) {
            code = cmd_usage_error(r.cmd, "the value of %s is not valid UTF-8", fields[i].key);
            goto out;
        }
    }
    if (is_public)
        json_object_set_new(body, "is_public", json_true());
    if (no_profile)
        json_object_set_new(body, "profile_after_sync", json_false());
    enum rc rc = hc_post(r.cl.hc, "/api/admin/register-table", body, &answer, &err);
    if (rc) {
        code = admin_fail(&r, rc, &err);
        goto out;
    }
    if (r.json)
        admin_print_json(&r, answer);
    else if (r.tty)
        admin_say("Registered '%s' as %s (%s).\n", admin_str(answer, "name"),
                  admin_str(answer, "id"), is_public ? "public" : "private: readable by grant");
out:
    json_decref(body);
    json_decref(answer);
    return admin_end(&r, code);
}

/* ---------------------------------------------------------------- remove */

static const char remove_help[] =
    "Usage: da admin tables remove ID [--yes]\n"
    "\n"
    "Remove table ID from the registry, with the grants of exactly that id, its sync state,\n"
    "its profile and pending access requests for it. The extract's data is not touched: a\n"
    "table an extract still provides stays in the catalog, private. Asks first on a\n"
    "terminal; --yes skips the question and is required when there is no terminal.\n"
    "\n"
    "Options:\n"
    "  --yes   do not ask\n";

static int tables_remove(int argc, char **argv)
{
    bool yes = false;
    const struct admin_opt opts[] = { { "yes", NULL, &yes }, { NULL } };
    struct admin_run r;
    int code = admin_parse(&r, "admin tables remove", remove_help, opts, 1, 1, argc, argv);
    if (code)
        return code < 0 ? 0 : code;
    if (!yes && !client_is_tty(STDIN_FILENO))
        return cmd_usage_error(r.cmd, "removing a table needs --yes when there is no terminal "
                                      "to ask on");
    code = admin_connect(&r);
    if (code)
        return code;
    struct err err = { { 0 } };
    json_t *row = NULL, *answer = NULL;
    char *path = table_path(r.args[0]);
    /* look first, so a wrong id fails before any question */
    enum rc rc = name_missing(hc_get(r.cl.hc, path, &row, &err), r.args[0], &err);
    if (rc) {
        code = admin_fail(&r, rc, &err);
        goto out;
    }
    if (!yes) {
        char *q = xasprintf("Remove table %s with its grants, sync state and profile?", r.args[0]);
        bool go = admin_confirm(q);
        free(q);
        if (!go) {
            fprintf(stderr, "da %s: nothing removed\n", r.cmd);
            code = CLIENT_EXIT_FAIL;
            goto out;
        }
    }
    rc = name_missing(hc_delete(r.cl.hc, path, &answer, &err), r.args[0], &err);
    if (rc) {
        code = admin_fail(&r, rc, &err);
        goto out;
    }
    if (r.json) {
        json_t *o = json_pack("{s:s, s:b}", "id", r.args[0], "removed", 1);
        admin_print_json(&r, o);
        json_decref(o);
    } else if (r.tty) {
        admin_say("Removed table %s from the registry.\n", r.args[0]);
    }
out:
    free(path);
    json_decref(row);
    json_decref(answer);
    return admin_end(&r, code);
}

/* ---------------------------------------------------------------- the group */

const struct cmd admin_tables_commands[] = {
    { "list", "list the registered tables", tables_list },
    { "show", "show every field of one table", tables_show },
    { "register", "register a table (its name, description, visibility, ...)", tables_register },
    { "remove", "remove a table from the registry", tables_remove },
    { NULL },
};

int admin_tables(int argc, char **argv)
{
    return admin_dispatch("admin tables",
                          "The table registry (admins only): the name, description, bucket and "
                          "visibility of the\ntables the server's extracts provide.",
                          admin_tables_commands, argc, argv);
}
