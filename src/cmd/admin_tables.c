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

static int tables_list(struct admin_run *r)
{
    int code = 0;
    struct err err = { { 0 } };
    json_t *answer = NULL, *row;
    size_t i;
    enum rc rc = hc_get(r->cl.hc, "/api/admin/registry", &answer, &err);
    if (rc) {
        code = admin_fail(r, rc, &err);
        goto out;
    }
    if (r->json) {
        admin_print_json(r, answer);
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
    admin_table_print(r, &t, "No tables are registered.");
out:
    json_decref(answer);
    return code;
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

static int tables_show(struct admin_run *r)
{
    int code = 0;
    struct err err = { { 0 } };
    json_t *row = NULL;
    char *path = table_path(r->args[0]);
    enum rc rc = name_missing(hc_get(r->cl.hc, path, &row, &err), r->args[0], &err);
    if (rc) {
        code = admin_fail(r, rc, &err);
        goto out;
    }
    if (r->json) {
        admin_print_json(r, row);
        goto out;
    }
    struct admin_table t;
    admin_table_init(&t, (const char *[]){ "FIELD", "VALUE", NULL });
    for (size_t i = 0; i < ARRAY_LEN(row_fields); i++)
        admin_table_add(&t, (const char *[]){ row_fields[i], value_text(row, row_fields[i]) });
    admin_table_print(r, &t, "");
out:
    free(path);
    json_decref(row);
    return code;
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

/* The text fields of the body of register: the argument NAME, then one per option. */
static const struct {
    const char *key;
    enum admin_opt_id opt; /* ADMIN_OPT_COUNT: the argument NAME */
} register_fields[] = {
    { "name", ADMIN_OPT_COUNT },
    { "id", ADMIN_OPT_ID },
    { "description", ADMIN_OPT_DESCRIPTION },
    { "bucket", ADMIN_OPT_BUCKET },
    { "source_type", ADMIN_OPT_SOURCE_TYPE },
    { "source_table", ADMIN_OPT_SOURCE_TABLE },
    { "query_mode", ADMIN_OPT_QUERY_MODE },
    { "sync_strategy", ADMIN_OPT_SYNC_STRATEGY },
    { "sync_schedule", ADMIN_OPT_SYNC_SCHEDULE },
    { "primary_key", ADMIN_OPT_PRIMARY_KEY },
    { "folder", ADMIN_OPT_FOLDER },
};

static int tables_register(struct admin_run *r)
{
    bool is_public = admin_flag(r, ADMIN_OPT_PUBLIC);
    int code = 0;
    struct err err = { { 0 } };
    json_t *answer = NULL, *body = json_object();
    for (size_t i = 0; i < ARRAY_LEN(register_fields); i++) {
        const char *key = register_fields[i].key;
        enum admin_opt_id opt = register_fields[i].opt;
        const char *value = opt == ADMIN_OPT_COUNT ? r->args[0] : r->opt[opt];
        if (!value)
            continue;
        if (json_object_set_new(body, key, json_string(value)) != 0) {
            code = cmd_usage_error(r->cmd, "the value of %s is not valid UTF-8", key);
            goto out;
        }
    }
    if (is_public)
        json_object_set_new(body, "is_public", json_true());
    if (admin_flag(r, ADMIN_OPT_NO_PROFILE))
        json_object_set_new(body, "profile_after_sync", json_false());
    enum rc rc = hc_post(r->cl.hc, "/api/admin/register-table", body, &answer, &err);
    if (rc) {
        code = admin_fail(r, rc, &err);
        goto out;
    }
    if (r->json)
        admin_print_json(r, answer);
    else if (r->tty)
        admin_say("Registered '%s' as %s (%s).\n", admin_str(answer, "name"),
                  admin_str(answer, "id"), is_public ? "public" : "private: readable by grant");
out:
    json_decref(body);
    json_decref(answer);
    return code;
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

static int tables_remove_check(struct admin_run *r)
{
    if (!admin_flag(r, ADMIN_OPT_YES) && !client_is_tty(STDIN_FILENO))
        return cmd_usage_error(r->cmd, "removing a table needs --yes when there is no terminal "
                                       "to ask on");
    return 0;
}

static int tables_remove(struct admin_run *r)
{
    int code = 0;
    struct err err = { { 0 } };
    json_t *row = NULL, *answer = NULL;
    char *path = table_path(r->args[0]);
    /* look first, so a wrong id fails before any question */
    enum rc rc = name_missing(hc_get(r->cl.hc, path, &row, &err), r->args[0], &err);
    if (rc) {
        code = admin_fail(r, rc, &err);
        goto out;
    }
    if (!admin_flag(r, ADMIN_OPT_YES)) {
        char *q = xasprintf("Remove table %s with its grants, sync state and profile?", r->args[0]);
        bool go = admin_confirm(q);
        free(q);
        if (!go) {
            fprintf(stderr, "da %s: nothing removed\n", r->cmd);
            code = CLIENT_EXIT_FAIL;
            goto out;
        }
    }
    rc = name_missing(hc_delete(r->cl.hc, path, &answer, &err), r->args[0], &err);
    if (rc) {
        code = admin_fail(r, rc, &err);
        goto out;
    }
    if (r->json) {
        json_t *o = json_pack("{s:s, s:b}", "id", r->args[0], "removed", 1);
        admin_print_json(r, o);
        json_decref(o);
    } else if (r->tty) {
        admin_say("Removed table %s from the registry.\n", r->args[0]);
    }
out:
    free(path);
    json_decref(row);
    json_decref(answer);
    return code;
}

/* ---------------------------------------------------------------- discover */

static const char discover_help[] =
    "Usage: da admin tables discover SOURCE [--register]\n"
    "\n"
    "List the tables the server's connector for SOURCE (keboola) sees in the remote\n"
    "system: the remote id, the table id da suggests, columns, rows, last change, and\n"
    "whether a registry row has it already (or why it cannot be loaded). The server needs\n"
    "KEBOOLA_STORAGE_TOKEN and keboola.stack_url.\n"
    "\n"
    "With --register, every table that is neither registered nor skipped is registered\n"
    "under its suggested id (source_type SOURCE, source_table its remote id, full_refresh,\n"
    "the remote primary key, private) in one step.\n"
    "\n"
    "Options:\n"
    "  --register   register the tables not registered yet\n";

/* POST /api/admin/register-table for one discovered table t of source. */
static enum rc register_discovered(struct admin_run *r, const char *source, const json_t *t,
                                   struct err *err)
{
    char pk[129] = "";
    size_t i, n = 0;
    const json_t *k;
    json_array_foreach(json_object_get(t, "primary_key"), i, k)
    {
        const char *name = json_string_value(k);
        if (name && n + strlen(name) + 2 < sizeof(pk))
            n += (size_t)snprintf(pk + n, sizeof(pk) - n, "%s%s", n ? "," : "", name);
    }
    json_t *body = json_pack(
        "{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name", admin_str(t, "suggested_id"), "id",
        admin_str(t, "suggested_id"), "source_type", source, "source_table", admin_str(t, "id"),
        "sync_strategy", "full_refresh", "query_mode", "local", "bucket", admin_str(t, "bucket"));
    if (!body)
        return err_set(err, RC_INVALID, "table %s has a name that is not valid UTF-8",
                       admin_str(t, "id"));
    if (pk[0])
        json_object_set_new(body, "primary_key", json_string(pk));
    json_t *answer = NULL;
    enum rc rc = hc_post(r->cl.hc, "/api/admin/register-table", body, &answer, err);
    json_decref(answer);
    json_decref(body);
    return rc;
}

static int tables_discover(struct admin_run *r)
{
    int code = 0;
    struct err err = { { 0 } };
    json_t *answer = NULL, *t;
    size_t i;
    char *e = hc_escape(r->args[0]);
    char *path = xasprintf("/api/admin/discover-tables?source=%s", e);
    free(e);
    enum rc rc = hc_get(r->cl.hc, path, &answer, &err);
    free(path);
    if (rc) {
        code = admin_fail(r, rc, &err);
        goto out;
    }
    int registered = 0, failed = 0;
    json_array_foreach(json_object_get(answer, "tables"), i, t)
    {
        bool open = json_is_null(json_object_get(t, "registered")) &&
                    json_is_null(json_object_get(t, "skipped")) && admin_str(t, "suggested_id")[0];
        if (!admin_flag(r, ADMIN_OPT_REGISTER) || !open)
            continue;
        rc = register_discovered(r, r->args[0], t, &err);
        if (rc) {
            fprintf(stderr, "%s: %s: %s\n", r->cmd, admin_str(t, "id"), err.msg);
            failed++;
            continue;
        }
        json_object_set_new(t, "registered", json_string(admin_str(t, "suggested_id")));
        registered++;
    }
    if (r->json) {
        admin_print_json(r, answer);
    } else {
        struct admin_table tab;
        admin_table_init(&tab, (const char *[]){ "REMOTE_ID", "ID", "COLUMNS", "ROWS",
                                                 "LAST_CHANGE", "REGISTERED", NULL });
        json_array_foreach(json_object_get(answer, "tables"), i, t)
        {
            char cols[16], rows[24];
            snprintf(cols, sizeof(cols), "%zu", json_array_size(json_object_get(t, "columns")));
            const json_t *rv = json_object_get(t, "rows");
            snprintf(rows, sizeof(rows), "%lld",
                     json_is_integer(rv) ? (long long)json_integer_value(rv) : -1LL);
            const char *state = admin_str(t, "registered");
            if (!state[0])
                state = json_is_string(json_object_get(t, "skipped")) ? "skipped" : "no";
            admin_table_add(&tab,
                            (const char *[]){ admin_str(t, "id"), admin_str(t, "suggested_id"),
                                              cols, json_is_integer(rv) ? rows : "",
                                              admin_str(t, "last_change"), state });
        }
        admin_table_print(r, &tab, "The source has no tables.");
        if (admin_flag(r, ADMIN_OPT_REGISTER) && r->tty)
            admin_say("Registered %d table%s.\n", registered, registered == 1 ? "" : "s");
    }
    if (failed)
        code = CLIENT_EXIT_FAIL;
out:
    json_decref(answer);
    return code;
}

/* ---------------------------------------------------------------- the group */

const struct cmd admin_tables_commands[] = {
    { "list", "list the registered tables", .action = ADMIN_ACTION(tables_list, list_help) },
    { "show", "show every field of one table",
      .action = ADMIN_ACTION(tables_show, show_help, 0, 1) },
    { "register", "register a table (its name, description, visibility, ...)",
      .action = ADMIN_ACTION(tables_register, register_help,
                             ADMIN_OPT(ID) | ADMIN_OPT(DESCRIPTION) | ADMIN_OPT(BUCKET) |
                                 ADMIN_OPT(SOURCE_TYPE) | ADMIN_OPT(SOURCE_TABLE) |
                                 ADMIN_OPT(QUERY_MODE) | ADMIN_OPT(SYNC_STRATEGY) |
                                 ADMIN_OPT(SYNC_SCHEDULE) | ADMIN_OPT(PRIMARY_KEY) |
                                 ADMIN_OPT(FOLDER) | ADMIN_OPT(PUBLIC) | ADMIN_OPT(NO_PROFILE),
                             1) },
    { "discover", "list a source's remote tables, and register them (--register)",
      .action = ADMIN_ACTION(tables_discover, discover_help, ADMIN_OPT(REGISTER), 1) },
    { "remove", "remove a table from the registry",
      .action = ADMIN_ACTION(tables_remove, remove_help, ADMIN_OPT(YES), 1, tables_remove_check) },
    { NULL },
};

int admin_tables(int argc, char **argv)
{
    return admin_dispatch("admin tables",
                          "The table registry (admins only): the name, description, bucket and "
                          "visibility of the\ntables the server's extracts provide.",
                          admin_tables_commands, argc, argv);
}
