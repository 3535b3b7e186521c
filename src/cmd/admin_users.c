/* admin_users.c — `da admin users`: list, add (with a password from standard input or typed
 * without echo, or else a single-use set-up link for the person), set-role, deactivate,
 * activate, revoke-sessions, setup-link and remove, over /api/users. A user is named by
 * email or id; admin_find_user turns either into the user's row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/mem.h"
#include "cmd/admin_int.h"

/* "/api/users/<escaped id><rest>"; freed by the caller. */
static char *user_path(const json_t *user, const char *rest)
{
    char *id = hc_escape(admin_str(user, "id"));
    char *path = xasprintf("/api/users/%s%s", id, rest);
    free(id);
    return path;
}

/* ---------------------------------------------------------------- list */

static const char list_help[] =
    "Usage: da admin users list [--json]\n"
    "\n"
    "List the users of the server, ordered by email: email, name, role (with km_admin when\n"
    "they curate corporate memory), whether they are active, whether they have a password,\n"
    "and their id.\n";

static int users_list(struct admin_run *r)
{
    int code = 0;
    struct err err = { { 0 } };
    json_t *list = NULL, *u;
    size_t i;
    enum rc rc = admin_list_users(r, &list, &err);
    if (rc) {
        code = admin_fail(r, rc, &err);
        goto out;
    }
    if (r->json) {
        admin_print_json(r, list);
        goto out;
    }
    struct admin_table t;
    admin_table_init(&t,
                     (const char *[]){ "EMAIL", "NAME", "ROLE", "STATUS", "PASSWORD", "ID", NULL });
    json_array_foreach(list, i, u)
    {
        bool km = json_is_true(json_object_get(u, "km_admin"));
        char *role = xasprintf("%s%s", admin_str(u, "role"), km ? "+km_admin" : "");
        admin_table_add(
            &t,
            (const char *[]){ admin_str(u, "email"), admin_str(u, "name"), role,
                              json_is_true(json_object_get(u, "active")) ? "active" : "deactivated",
                              json_is_true(json_object_get(u, "has_password")) ? "set" : "none",
                              admin_str(u, "id") });
        free(role);
    }
    admin_table_print(r, &t, "No users.");
out:
    json_decref(list);
    return code;
}

/* ---------------------------------------------------------------- add */

static const char add_help[] =
    "Usage: da admin users add EMAIL [--name NAME] [--role ROLE] [--km-admin]\n"
    "                          [--password-stdin | --ask-password]\n"
    "\n"
    "Add a user. Without a password the server makes a single-use set-up link, valid 7\n"
    "days, with which the person chooses their own password: send it to them (it is\n"
    "printed even when the output is piped). A password is never taken from the command\n"
    "line; it needs at least 12 characters.\n"
    "\n"
    "Options:\n"
    "  --name NAME        display name (default: the part of the email before '@')\n"
    "  --role ROLE        admin, analyst or viewer (default analyst)\n"
    "  --km-admin         may curate corporate memory\n"
    "  --password-stdin   read the password from the first line of standard input\n"
    "  --ask-password     type the password, twice, without echo\n";

/* The password of --password-stdin or --ask-password (twice, the same); NULL when neither. */
static enum rc new_password(bool from_stdin, bool ask, char **out, struct err *err)
{
    *out = NULL;
    if (!from_stdin && !ask)
        return RC_OK;
    char *again = NULL;
    enum rc rc = client_read_secret("Password for the new user: ", from_stdin, out, err);
    if (!rc && ask)
        rc = client_read_secret("The same again: ", false, &again, err);
    if (!rc && ask && strcmp(*out, again) != 0)
        rc = err_set(err, RC_INVALID, "the two passwords differ");
    client_secret_free(again);
    if (rc) {
        client_secret_free(*out);
        *out = NULL;
    }
    return rc;
}

static int users_add_check(struct admin_run *r)
{
    if (admin_flag(r, ADMIN_OPT_PASSWORD_STDIN) && admin_flag(r, ADMIN_OPT_ASK_PASSWORD))
        return cmd_usage_error(r->cmd, "choose one of --password-stdin and --ask-password");
    return 0;
}

static int users_add(struct admin_run *r)
{
    const char *name = r->opt[ADMIN_OPT_NAME];
    const char *role = r->opt[ADMIN_OPT_ROLE] ? r->opt[ADMIN_OPT_ROLE] : "analyst";
    int code = 0;
    struct err err = { { 0 } };
    char *password = NULL;
    json_t *body = NULL, *user = NULL;
    enum rc rc = new_password(admin_flag(r, ADMIN_OPT_PASSWORD_STDIN),
                              admin_flag(r, ADMIN_OPT_ASK_PASSWORD), &password, &err);
    if (rc) {
        fprintf(stderr, "da %s: password: %s\n", r->cmd, err.msg);
        code = EXIT_USAGE;
        goto out;
    }
    body = json_pack("{s:s, s:s}", "email", r->args[0], "role", role);
    if (!body) {
        code = cmd_usage_error(r->cmd, "the email or role is not valid UTF-8");
        goto out;
    }
    if (name)
        json_object_set_new(body, "name", json_string(name));
    if (admin_flag(r, ADMIN_OPT_KM_ADMIN))
        json_object_set_new(body, "km_admin", json_true());
    if (password)
        json_object_set_new(body, "password", json_string(password));
    rc = hc_post(r->cl.hc, "/api/users", body, &user, &err);
    hc_json_wipe(body, "password");
    if (rc) {
        code = admin_fail(r, rc, &err);
        goto out;
    }
    const char *link = admin_str(user, "setup_url");
    if (r->json) {
        admin_print_json(r, user);
    } else if (r->tty) {
        admin_say("Added %s %s (id %s).\n", admin_str(user, "role"), admin_str(user, "email"),
                  admin_str(user, "id"));
        if (*link)
            admin_say("Send them this single-use link, valid 7 days, to choose a password:\n  %s\n",
                      link);
    } else if (*link) {
        admin_say("%s\n", link); /* the one result a script needs to pass on */
    }
out:
    json_decref(user);
    json_decref(body);
    client_secret_free(password);
    return code;
}

/* ---------------------------------------------------------------- changes of one user */

/* What an action on one existing user does. */
struct user_change {
    const char *method; /* PATCH, DELETE or POST */
    const char *rest;   /* appended to /api/users/<id> */
    json_t *body;       /* borrowed; may be NULL */
};

/* Finds the user that who names, makes the change and hands back the answer (caller
 * json_decref()s it) and the user's row, for the messages. Returns 0 or the exit code. */
static int change_user(struct admin_run *r, const char *who, const struct user_change *ch,
                       json_t **out_user, json_t **out_answer)
{
    struct err err = { { 0 } };
    *out_user = *out_answer = NULL;
    enum rc rc = admin_find_user(r, who, out_user, &err);
    if (!rc) {
        char *path = user_path(*out_user, ch->rest);
        rc = hc_call(r->cl.hc, ch->method, path, ch->body, out_answer, &err);
        free(path);
    }
    return rc ? admin_fail(r, rc, &err) : 0;
}

static const char set_role_help[] =
    "Usage: da admin users set-role USER ROLE\n"
    "\n"
    "Give USER (an email or an id) the role ROLE: admin, analyst or viewer. It applies to\n"
    "their very next request. The last active admin cannot be demoted.\n";

static int users_set_role(struct admin_run *r)
{
    int code;
    json_t *user = NULL, *answer = NULL;
    json_t *body = json_pack("{s:s}", "role", r->args[1]);
    if (!body) {
        code = cmd_usage_error(r->cmd, "the role is not valid UTF-8");
        goto out;
    }
    code = change_user(r, r->args[0], &(struct user_change){ "PATCH", "", body }, &user, &answer);
    if (code)
        goto out;
    if (r->json)
        admin_print_json(r, answer);
    else if (r->tty)
        admin_say("%s is now %s.\n", admin_str(answer, "email"), admin_str(answer, "role"));
out:
    json_decref(body);
    json_decref(user);
    json_decref(answer);
    return code;
}

static const char deactivate_help[] =
    "Usage: da admin users deactivate USER\n"
    "\n"
    "Deactivate USER (an email or an id): they can no longer sign in, every session they\n"
    "have ends at once, and their personal access tokens stop working. Nothing is deleted;\n"
    "'da admin users activate' undoes it. The last active admin cannot be deactivated.\n";

static const char activate_help[] =
    "Usage: da admin users activate USER\n"
    "\n"
    "Activate USER (an email or an id) again after a deactivation. Sessions ended by the\n"
    "deactivation stay ended; personal access tokens that have not expired work again.\n";

static int set_active(struct admin_run *r, bool active)
{
    json_t *user = NULL, *answer = NULL;
    json_t *body = json_pack("{s:b}", "active", active);
    int code =
        change_user(r, r->args[0], &(struct user_change){ "PATCH", "", body }, &user, &answer);
    if (code)
        goto out;
    if (r->json)
        admin_print_json(r, answer);
    else if (r->tty)
        printf(active ? "Activated %s.\n"
                      : "Deactivated %s: their sessions ended and their tokens stopped working.\n",
               admin_str(answer, "email"));
out:
    json_decref(body);
    json_decref(user);
    json_decref(answer);
    return code;
}

static int users_deactivate(struct admin_run *r)
{
    return set_active(r, false);
}

static int users_activate(struct admin_run *r)
{
    return set_active(r, true);
}

static const char revoke_help[] =
    "Usage: da admin users revoke-sessions USER\n"
    "\n"
    "End every session of USER (an email or an id): each sign-in through the browser, a\n"
    "password or a link must be made again. Personal access tokens are not sessions and\n"
    "keep working; to stop those too, deactivate the user.\n";

static int users_revoke_sessions(struct admin_run *r)
{
    json_t *user = NULL, *answer = NULL;
    int code = change_user(r, r->args[0], &(struct user_change){ "DELETE", "/sessions", NULL },
                           &user, &answer);
    if (code)
        goto out;
    json_int_t n = json_integer_value(json_object_get(answer, "revoked"));
    if (r->json)
        admin_print_json(r, answer);
    else if (r->tty)
        admin_say("Ended %lld session%s of %s.\n", (long long)n, n == 1 ? "" : "s",
                  admin_str(user, "email"));
out:
    json_decref(user);
    json_decref(answer);
    return code;
}

static const char setup_link_help[] =
    "Usage: da admin users setup-link USER\n"
    "\n"
    "Make a new single-use link, valid 7 days, with which USER (an email or an id) sets a\n"
    "new password (also to reset a forgotten one). The link is printed even when the output\n"
    "is piped: send it to the person, and to no one else.\n";

static int users_setup_link(struct admin_run *r)
{
    json_t *user = NULL, *answer = NULL;
    int code = change_user(r, r->args[0], &(struct user_change){ "POST", "/setup-link", NULL },
                           &user, &answer);
    if (code)
        goto out;
    if (r->json)
        admin_print_json(r, answer);
    else if (r->tty)
        admin_say("Send %s this single-use link, valid 7 days, to choose a password:\n  %s\n",
                  admin_str(user, "email"), admin_str(answer, "setup_url"));
    else
        admin_say("%s\n", admin_str(answer, "setup_url"));
out:
    json_decref(user);
    json_decref(answer);
    return code;
}

static const char remove_help[] =
    "Usage: da admin users remove USER [--yes]\n"
    "\n"
    "Delete USER (an email or an id) for good, with their sessions, tokens, group\n"
    "memberships, grants and access requests. Asks first on a terminal; --yes skips the\n"
    "question and is required when there is no terminal. To only stop someone, deactivate\n"
    "them instead. The last active admin cannot be removed.\n"
    "\n"
    "Options:\n"
    "  --yes   do not ask\n";

static int users_remove_check(struct admin_run *r)
{
    if (!admin_flag(r, ADMIN_OPT_YES) && !client_is_tty(STDIN_FILENO))
        return cmd_usage_error(r->cmd, "removing a user needs --yes when there is no terminal "
                                       "to ask on");
    return 0;
}

static int users_remove(struct admin_run *r)
{
    int code = 0;
    struct err err = { { 0 } };
    json_t *user = NULL, *answer = NULL;
    enum rc rc = admin_find_user(r, r->args[0], &user, &err);
    if (rc) {
        code = admin_fail(r, rc, &err);
        goto out;
    }
    if (!admin_flag(r, ADMIN_OPT_YES)) {
        char *q = xasprintf("Delete %s with their tokens, grants and requests?",
                            admin_str(user, "email"));
        bool go = admin_confirm(q);
        free(q);
        if (!go) {
            fprintf(stderr, "da %s: nothing removed\n", r->cmd);
            code = CLIENT_EXIT_FAIL;
            goto out;
        }
    }
    char *path = user_path(user, "");
    rc = hc_delete(r->cl.hc, path, &answer, &err);
    free(path);
    if (rc) {
        code = admin_fail(r, rc, &err);
        goto out;
    }
    if (r->json) {
        json_t *o = json_pack("{s:s, s:s, s:b}", "id", admin_str(user, "id"), "email",
                              admin_str(user, "email"), "removed", 1);
        admin_print_json(r, o);
        json_decref(o);
    } else if (r->tty) {
        admin_say("Removed %s.\n", admin_str(user, "email"));
    }
out:
    json_decref(user);
    json_decref(answer);
    return code;
}

/* ---------------------------------------------------------------- the group */

const struct cmd admin_users_commands[] = {
    { "list", "list the users", .action = ADMIN_ACTION(users_list, list_help) },
    { "add", "add a user (password from stdin or typed, else a set-up link)",
      .action = ADMIN_ACTION(users_add, add_help,
                             ADMIN_OPT(NAME) | ADMIN_OPT(ROLE) | ADMIN_OPT(KM_ADMIN) |
                                 ADMIN_OPT(PASSWORD_STDIN) | ADMIN_OPT(ASK_PASSWORD),
                             1, users_add_check) },
    { "set-role", "give a user the role admin, analyst or viewer",
      .action = ADMIN_ACTION(users_set_role, set_role_help, 0, 2) },
    { "deactivate", "stop a user: no sign-in, sessions ended, tokens refused",
      .action = ADMIN_ACTION(users_deactivate, deactivate_help, 0, 1) },
    { "activate", "let a deactivated user in again",
      .action = ADMIN_ACTION(users_activate, activate_help, 0, 1) },
    { "revoke-sessions", "end every session of a user",
      .action = ADMIN_ACTION(users_revoke_sessions, revoke_help, 0, 1) },
    { "setup-link", "make a link with which a user sets a new password",
      .action = ADMIN_ACTION(users_setup_link, setup_link_help, 0, 1) },
    { "remove", "delete a user for good",
      .action = ADMIN_ACTION(users_remove, remove_help, ADMIN_OPT(YES), 1, users_remove_check) },
    { NULL },
};

int admin_users(int argc, char **argv)
{
    return admin_dispatch("admin users",
                          "Manage the users of the server (admins only). USER is an email or an "
                          "id.",
                          admin_users_commands, argc, argv);
}
