/* admin_packages.c — `da admin packages list|create|update|delete`: the packages users
 * subscribe to (named bundles of tables and buckets) over /api/packages (admins). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/mem.h"
#include "cmd/admin_int.h"

#define NAMES_MAX 1000 /* --table or --bucket values of one command */

static const char list_help[] =
    "Usage: da admin packages list\n"
    "\n"
    "List the packages: name, subscribers, the tables and buckets each names, and its\n"
    "description. Admins only.\n";

/* The strings of array a joined by ",". Heap; the caller frees it. */
static char *joined(const json_t *a)
{
    size_t i;
    json_t *s;
    struct buf b;
    buf_init(&b, 1 << 20);
    json_array_foreach(a, i, s)
    {
        if (buf_printf(&b, "%s%s", i ? "," : "", json_string_value(s) ? json_string_value(s) : ""))
            break; /* never: the server keeps 1000 names of 128 bytes; the buffer is then "" */
    }
    char *out = xstrdup(buf_cstr(&b));
    buf_cleanup(&b);
    return out;
}

static int packages_list(struct admin_run *r)
{
    struct err err = { { 0 } };
    json_t *answer = NULL, *p;
    size_t i;
    enum rc rc = hc_get(r->cl.hc, "/api/packages", &answer, &err);
    if (rc) {
        json_decref(answer); /* an error's body, when the server answered */
        return admin_fail(r, rc, &err);
    }
    if (r->json) {
        admin_print_json(r, answer);
        json_decref(answer);
        return 0;
    }
    struct admin_table t;
    admin_table_init(
        &t, (const char *[]){ "NAME", "SUBSCRIBERS", "TABLES", "BUCKETS", "DESCRIPTION", NULL });
    json_array_foreach(json_object_get(answer, "packages"), i, p)
    {
        const json_t *def = json_object_get(p, "definition");
        char subs[32];
        snprintf(subs, sizeof(subs), "%lld",
                 (long long)json_integer_value(json_object_get(p, "subscribers")));
        char *tables = joined(json_object_get(def, "tables"));
        char *buckets = joined(json_object_get(def, "buckets"));
        admin_table_add(&t, (const char *[]){ admin_str(p, "name"), subs, tables, buckets,
                                              admin_str(p, "description") });
        free(tables);
        free(buckets);
    }
    admin_table_print(r, &t, "No packages.");
    json_decref(answer);
    return 0;
}

/* The body of a create (with name) or an update: the options given. */
static json_t *package_body(const struct admin_run *r, const char *name)
{
    json_t *body = name ? json_pack("{s:s}", "name", name) : json_object();
    const char *values[NAMES_MAX];
    if (admin_flag(r, ADMIN_OPT_DESCRIPTION))
        json_object_set_new(body, "description", json_string(r->opt[ADMIN_OPT_DESCRIPTION]));
    static const char *const lists[][2] = { { "table", "tables" }, { "bucket", "buckets" } };
    for (size_t l = 0; l < 2; l++) {
        int n = admin_opt_all(r, lists[l][0], values, NAMES_MAX);
        if (n == 0)
            continue;
        json_t *a = json_array();
        for (int i = 0; i < n; i++)
            json_array_append_new(a, json_string(values[i]));
        json_object_set_new(body, lists[l][1], a);
    }
    return body;
}

/* Sends the create or update, and says what was done. */
static int package_write(struct admin_run *r, bool create)
{
    struct err err = { { 0 } };
    json_t *answer = NULL;
    json_t *body = package_body(r, create ? r->args[0] : NULL);
    char *name = hc_escape(r->args[0]);
    char *path = xasprintf("/api/packages/%s", name);
    enum rc rc = create ? hc_post(r->cl.hc, "/api/packages", body, &answer, &err)
                        : hc_call(r->cl.hc, "PUT", path, body, &answer, &err);
    free(path);
    free(name);
    json_decref(body);
    if (rc) {
        json_decref(answer);
        return admin_fail(r, rc, &err);
    }
    if (r->json) {
        admin_print_json(r, answer);
    } else if (r->tty) {
        const json_t *def = json_object_get(answer, "definition");
        char *tables = joined(json_object_get(def, "tables"));
        char *buckets = joined(json_object_get(def, "buckets"));
        admin_say("%s package %s: tables [%s], buckets [%s].\n", create ? "Created" : "Updated",
                  admin_str(answer, "name"), tables, buckets);
        free(tables);
        free(buckets);
    }
    json_decref(answer);
    return 0;
}

static const char create_help[] =
    "Usage: da admin packages create NAME [--description D] [--table T]... [--bucket B]...\n"
    "\n"
    "Create package NAME (a lower-case letter, then up to 63 lower-case letters, digits, '_'\n"
    "or '-') naming tables (--table, repeatable: registered or served table ids) and buckets\n"
    "(--bucket, repeatable: buckets of registered tables). A user who subscribes gets the\n"
    "tables of it they may read enabled for sync, and nothing more. Admins only.\n"
    "\n"
    "Options:\n"
    "  --description D   what the package is for\n"
    "  --table T         a table id (repeatable)\n"
    "  --bucket B        a bucket (repeatable)\n";

static int packages_create(struct admin_run *r)
{
    return package_write(r, true);
}

static const char update_help[] =
    "Usage: da admin packages update NAME [--description D] [--table T]... [--bucket B]...\n"
    "\n"
    "Change package NAME: each option given replaces that field (all --table values replace\n"
    "the list of tables, all --bucket values the list of buckets); the others stay. Admins\n"
    "only.\n"
    "\n"
    "Options:\n"
    "  --description D   what the package is for\n"
    "  --table T         a table id (repeatable)\n"
    "  --bucket B        a bucket (repeatable)\n";

static int packages_update_check(struct admin_run *r)
{
    if (!admin_flag(r, ADMIN_OPT_DESCRIPTION) && !admin_flag(r, ADMIN_OPT_TABLE) &&
        !admin_flag(r, ADMIN_OPT_BUCKET))
        return cmd_usage_error(r->cmd, "nothing to change: give --description, --table or "
                                       "--bucket");
    return 0;
}

static int packages_update(struct admin_run *r)
{
    return package_write(r, false);
}

static const char delete_help[] =
    "Usage: da admin packages delete NAME [--yes]\n"
    "\n"
    "Delete package NAME with its subscriptions (the subscribers' tables fall back to their\n"
    "own switches and defaults). Asks first on a terminal; --yes does not ask. Admins only.\n";

static int packages_delete_check(struct admin_run *r)
{
    if (!admin_flag(r, ADMIN_OPT_YES) && !client_is_tty(STDIN_FILENO))
        return cmd_usage_error(r->cmd, "deleting a package needs --yes when there is no "
                                       "terminal to ask on");
    return 0;
}

static int packages_delete(struct admin_run *r)
{
    struct err err = { { 0 } };
    json_t *answer = NULL;
    if (!admin_flag(r, ADMIN_OPT_YES)) {
        char *q = xasprintf("Delete package %s and its subscriptions?", r->args[0]);
        bool go = admin_confirm(q);
        free(q);
        if (!go) {
            fprintf(stderr, "da %s: nothing deleted\n", r->cmd);
            return CLIENT_EXIT_FAIL;
        }
    }
    char *name = hc_escape(r->args[0]);
    char *path = xasprintf("/api/packages/%s", name);
    enum rc rc = hc_delete(r->cl.hc, path, &answer, &err);
    free(path);
    free(name);
    json_decref(answer);
    if (rc)
        return admin_fail(r, rc, &err);
    if (r->json) {
        json_t *o = json_pack("{s:s, s:b}", "name", r->args[0], "deleted", 1);
        admin_print_json(r, o);
        json_decref(o);
    } else if (r->tty) {
        admin_say("Deleted package %s.\n", r->args[0]);
    }
    return 0;
}

const struct cmd admin_packages_commands[] = {
    { "list", "list the packages", .action = ADMIN_ACTION(packages_list, list_help) },
    { "create", "create a package of tables and buckets",
      .action = ADMIN_ACTION(packages_create, create_help,
                             ADMIN_OPT(DESCRIPTION) | ADMIN_OPT(TABLE) | ADMIN_OPT(BUCKET), 1) },
    { "update", "replace a package's description, tables or buckets",
      .action = ADMIN_ACTION(packages_update, update_help,
                             ADMIN_OPT(DESCRIPTION) | ADMIN_OPT(TABLE) | ADMIN_OPT(BUCKET), 1,
                             packages_update_check) },
    { "delete", "delete a package and its subscriptions",
      .action =
          ADMIN_ACTION(packages_delete, delete_help, ADMIN_OPT(YES), 1, packages_delete_check) },
    { NULL },
};

int admin_packages(int argc, char **argv)
{
    return admin_dispatch("admin packages",
                          "Packages: named bundles of tables and buckets that users subscribe to\n"
                          "in one step ('da packages subscribe NAME').",
                          admin_packages_commands, argc, argv);
}
