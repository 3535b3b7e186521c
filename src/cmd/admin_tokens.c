/* admin_tokens.c — `da admin tokens`: the personal access tokens of the signed-in user, over
 * /api/tokens: list and revoke. The API shows every user only their own tokens, admins
 * included; to cut another person off, `da admin users deactivate` stops their tokens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/mem.h"
#include "cmd/admin_int.h"

/* The id of the token this command runs with, from GET /api/tokens/current; "" when
 * unknown. Freed by the caller. */
static char *token_in_use(struct admin_run *r)
{
    if (r->cl.cred.token_id && *r->cl.cred.token_id)
        return xstrdup(r->cl.cred.token_id);
    json_t *cur = NULL;
    struct err err;
    char *id = xstrdup(
        hc_get(r->cl.hc, "/api/tokens/current", &cur, &err) == RC_OK ? admin_str(cur, "id") : "");
    json_decref(cur);
    return id;
}

/* seconds since the epoch as "YYYY-MM-DDTHH:MM:SSZ" into out */
static void format_time(json_int_t t, char out[32])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (!gmtime_r(&tt, &tm) || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
        snprintf(out, 32, "%lld", (long long)t);
}

static const char list_help[] =
    "Usage: da admin tokens list\n"
    "\n"
    "List your personal access tokens (the API shows each user only their own, admins\n"
    "too): id, name, when made, when they expire, when last used, and their state: active,\n"
    "expired or revoked; 'in use' marks the token this command ran with. Any signed-in user\n"
    "may run it. 'da login' makes a token named \"da CLI on <machine>\".\n";

static int tokens_list(struct admin_run *r)
{
    int code = 0;
    struct err err = { { 0 } };
    json_t *answer = NULL, *tok;
    char *current = NULL;
    size_t i;
    enum rc rc = hc_get(r->cl.hc, "/api/tokens", &answer, &err);
    if (rc) {
        code = admin_fail(r, rc, &err);
        goto out;
    }
    if (r->json) {
        admin_print_json(r, answer);
        goto out;
    }
    current = token_in_use(r);
    struct admin_table t;
    admin_table_init(
        &t, (const char *[]){ "ID", "NAME", "CREATED", "EXPIRES", "LAST_USED", "STATE", NULL });
    json_int_t now = (json_int_t)time(NULL);
    json_array_foreach(json_object_get(answer, "tokens"), i, tok)
    {
        char expires[32];
        json_int_t exp = json_integer_value(json_object_get(tok, "expires_at"));
        format_time(exp, expires);
        const char *state = json_is_true(json_object_get(tok, "revoked")) ? "revoked"
                            : exp <= now                                  ? "expired"
                            : strcmp(admin_str(tok, "id"), current) == 0  ? "active, in use"
                                                                          : "active";
        admin_table_add(&t, (const char *[]){ admin_str(tok, "id"), admin_str(tok, "name"),
                                              admin_str(tok, "created_at"), expires,
                                              admin_str(tok, "last_used_at"), state });
    }
    admin_table_print(r, &t, "No tokens.");
out:
    free(current);
    json_decref(answer);
    return code;
}

static const char revoke_help[] =
    "Usage: da admin tokens revoke ID\n"
    "\n"
    "Revoke your personal access token ID ('da admin tokens list' shows the ids): it stops\n"
    "working at once. Revoking the token this machine uses signs this machine out; 'da\n"
    "logout' does that and also forgets the token here.\n";

static int tokens_revoke(struct admin_run *r)
{
    int code = 0;
    struct err err = { { 0 } };
    json_t *answer = NULL;
    char *id = hc_escape(r->args[0]);
    char *path = xasprintf("/api/tokens/%s", id);
    char *current = token_in_use(r);
    enum rc rc = hc_delete(r->cl.hc, path, &answer, &err);
    if (rc == RC_NOTFOUND)
        rc = err_set(&err, rc,
                     "you have no active token '%.128s'; 'da admin tokens list' shows "
                     "them",
                     r->args[0]);
    if (rc) {
        code = admin_fail(r, rc, &err);
        goto out;
    }
    if (r->json)
        admin_print_json(r, answer);
    else if (r->tty)
        admin_say("Revoked token %s.\n", r->args[0]);
    if (strcmp(current, r->args[0]) == 0)
        fprintf(stderr,
                "da %s: that was the token this command used: sign in again with "
                "'da login'\n",
                r->cmd);
out:
    free(current);
    free(path);
    free(id);
    json_decref(answer);
    return code;
}

const struct cmd admin_tokens_commands[] = {
    { "list", "list your personal access tokens", .action = ADMIN_ACTION(tokens_list, list_help) },
    { "revoke", "revoke one of your tokens",
      .action = ADMIN_ACTION(tokens_revoke, revoke_help, 0, 1) },
    { NULL },
};

int admin_tokens(int argc, char **argv)
{
    return admin_dispatch("admin tokens",
                          "Your personal access tokens (any signed-in user; the API shows each "
                          "user only their own).",
                          admin_tokens_commands, argc, argv);
}
