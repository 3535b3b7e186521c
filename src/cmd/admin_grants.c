/* admin_grants.c — `da admin grants`: who may read which table, over /api/admin/permissions.
 * A grant gives one user (named by email or id) or one group read access to a table id or
 * to every table of a bucket ("<bucket>.*"). Answers carry user ids; lists show emails,
 * looked up in GET /api/users. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "cmd/admin_int.h"

/* The email of the user with id in users (an array of users), else the id itself. */
static const char *email_of(const json_t *users, const char *id)
{
    size_t i;
    json_t *u;
    json_array_foreach(users, i, u)
    {
        if (strcmp(admin_str(u, "id"), id) == 0)
            return admin_str(u, "email");
    }
    return id;
}

/* ---------------------------------------------------------------- list */

static const char list_help[] =
    "Usage: da admin grants list [--user USER | --group GROUP]\n"
    "\n"
    "List the grants: who (a user or a group) may read which dataset (a table id, or\n"
    "'<bucket>.*' for every table of a bucket). Admins read every table without grants, and\n"
    "tables registered as public are readable by everyone.\n"
    "Columns: user or group, the email or the group's name, the dataset, the access.\n"
    "\n"
    "Options:\n"
    "  --user USER     only the grants of this user (an email or an id); on a terminal\n"
    "                  the groups they belong to follow\n"
    "  --group GROUP   only the grants of this group\n";

static int grants_list_check(struct admin_run *r)
{
    if (admin_flag(r, ADMIN_OPT_USER) && admin_flag(r, ADMIN_OPT_GROUP))
        return cmd_usage_error(r->cmd, "choose one of --user and --group");
    return 0;
}

static int grants_list(struct admin_run *r)
{
    const char *who = r->opt[ADMIN_OPT_USER], *group = r->opt[ADMIN_OPT_GROUP];
    int code = 0;
    struct err err = { { 0 } };
    json_t *users = NULL, *user = NULL, *answer = NULL, *g;
    char *path = NULL;
    size_t i;
    enum rc rc = RC_OK;
    if (who)
        rc = admin_find_user(r, who, &user, &err);
    if (!rc) {
        char *id = user ? hc_escape(admin_str(user, "id")) : NULL;
        path = id ? xasprintf("/api/admin/permissions/%s", id) : xstrdup("/api/admin/permissions");
        free(id);
        rc = hc_get(r->cl.hc, path, &answer, &err);
    }
    if (!rc && !r->json)
        rc = admin_list_users(r, &users, &err);
    if (rc) {
        code = admin_fail(r, rc, &err);
        goto out;
    }
    json_t *list = json_object_get(answer, "permissions");
    if (group) { /* the API has no per-group list: keep the group's rows */
        json_t *mine = json_array();
        json_array_foreach(list, i, g)
        {
            if (strcmp(admin_str(g, "group"), group) == 0)
                json_array_append(mine, g);
        }
        json_object_set_new(answer, "permissions", mine);
        list = mine;
    }
    if (r->json) {
        admin_print_json(r, answer);
        goto out;
    }
    struct admin_table t;
    admin_table_init(&t, (const char *[]){ "KIND", "WHO", "DATASET", "ACCESS", NULL });
    json_array_foreach(list, i, g)
    {
        bool is_group = *admin_str(g, "group") != '\0';
        admin_table_add(&t, (const char *[]){ is_group ? "group" : "user",
                                              is_group ? admin_str(g, "group")
                                                       : email_of(users, admin_str(g, "user_id")),
                                              admin_str(g, "dataset"), admin_str(g, "access") });
    }
    admin_table_print(r, &t, "No grants.");
    json_t *groups = json_object_get(answer, "groups");
    if (r->tty && user && json_array_size(groups) > 0) {
        admin_say("\n%s is a member of:", admin_str(user, "email"));
        json_array_foreach(groups, i, g)
        {
            admin_say("%s %s", i ? "," : "", json_string_value(g) ? json_string_value(g) : "");
        }
        admin_say("\n");
    }
out:
    free(path);
    json_decref(users);
    json_decref(user);
    json_decref(answer);
    return code;
}

/* ---------------------------------------------------------------- grant and revoke */

static const char grant_help[] =
    "Usage: da admin grants grant DATASET (--user USER | --group GROUP)\n"
    "\n"
    "Let a user (an email or an id) or a group read DATASET: a registered table's id, or\n"
    "'<bucket>.*' for every table of a bucket, also those registered later. It applies to\n"
    "their very next request and their next sync.\n"
    "\n"
    "Options:\n"
    "  --user USER     the user who may read it\n"
    "  --group GROUP   the group whose members may read it\n";

static const char revoke_help[] =
    "Usage: da admin grants revoke DATASET (--user USER | --group GROUP)\n"
    "\n"
    "Take back a grant made with 'da admin grants grant'. Only that grant goes: the user may\n"
    "still read DATASET through a grant of its bucket, of a group they are in, or when the\n"
    "table is public. Fails (exit code 1) when there was no such grant.\n"
    "\n"
    "Options:\n"
    "  --user USER     the user of the grant (an email or an id)\n"
    "  --group GROUP   the group of the grant\n";

static int grant_check(struct admin_run *r)
{
    if (admin_flag(r, ADMIN_OPT_USER) == admin_flag(r, ADMIN_OPT_GROUP))
        return cmd_usage_error(r->cmd, "give one of --user USER and --group GROUP");
    return 0;
}

static int grant_or_revoke(struct admin_run *r, bool grant)
{
    const char *who = r->opt[ADMIN_OPT_USER], *group = r->opt[ADMIN_OPT_GROUP];
    int code = 0;
    struct err err = { { 0 } };
    json_t *user = NULL, *body = NULL, *answer = NULL;
    const char *dataset = r->args[0];
    enum rc rc = RC_OK;
    if (who)
        rc = admin_find_user(r, who, &user, &err);
    if (!rc) {
        body =
            json_pack("{s:s, s:s, s:s}", user ? "user_id" : "group",
                      user ? admin_str(user, "id") : group, "dataset", dataset, "access", "read");
        rc = body ? hc_call(r->cl.hc, grant ? "POST" : "DELETE", "/api/admin/permissions", body,
                            &answer, &err)
                  : err_set(&err, RC_INVALID, "the dataset or group is not valid UTF-8");
    }
    if (rc == RC_NOTFOUND && group && strstr(err.msg, "Group not found"))
        err_set(&err, rc, "no group '%.128s'", group);
    if (rc) {
        code = admin_fail(r, rc, &err);
        goto out;
    }
    const char *whom = user ? admin_str(user, "email") : group;
    const char *kind = user ? "" : "group ";
    if (!grant && !json_is_true(json_object_get(answer, "revoked"))) {
        if (r->json)
            admin_print_json(r, answer);
        fprintf(stderr,
                "da %s: %s%s has no grant of '%s'; 'da admin grants list' shows the "
                "grants\n",
                r->cmd, kind, whom, dataset);
        code = CLIENT_EXIT_FAIL;
        goto out;
    }
    if (r->json)
        admin_print_json(r, answer);
    else if (r->tty && grant)
        admin_say("%s%s may now read %s.\n", kind, whom, dataset);
    else if (r->tty)
        admin_say("Revoked the grant of %s to %s%s.\n", dataset, kind, whom);
out:
    json_decref(user);
    json_decref(body);
    json_decref(answer);
    return code;
}

static int grants_grant(struct admin_run *r)
{
    return grant_or_revoke(r, true);
}

static int grants_revoke(struct admin_run *r)
{
    return grant_or_revoke(r, false);
}

/* ---------------------------------------------------------------- the group */

const struct cmd admin_grants_commands[] = {
    { "list", "list the grants, of everyone, one user or one group",
      .action = ADMIN_ACTION(grants_list, list_help, ADMIN_OPT(USER) | ADMIN_OPT(GROUP), 0,
                             grants_list_check) },
    { "grant", "let a user or a group read a table or a bucket",
      .action = ADMIN_ACTION(grants_grant, grant_help, ADMIN_OPT(USER) | ADMIN_OPT(GROUP), 1,
                             grant_check) },
    { "revoke", "take a grant back",
      .action = ADMIN_ACTION(grants_revoke, revoke_help, ADMIN_OPT(USER) | ADMIN_OPT(GROUP), 1,
                             grant_check) },
    { NULL },
};

int admin_grants(int argc, char **argv)
{
    return admin_dispatch("admin grants",
                          "Who may read which table (admins only). A grant gives a user or a "
                          "group read access to\na table id or to every table of a bucket "
                          "('<bucket>.*').",
                          admin_grants_commands, argc, argv);
}
