/* packages.c — `da packages`: the packages an admin defined (named sets of tables and buckets)
 * and the user's subscriptions to them. Subscribing switches on for sync what the user may
 * read of a package (GET /api/packages, POST and DELETE /api/packages/{name}/subscribe);
 * `da sync` applies it. Admins define packages with `da admin packages`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/format.h"
#include "base/mem.h"
#include "client/client.h"
#include "client/output.h"
#include "cmd/cmd.h"

#define PACKAGES_NAME_MAX 64 /* bytes of a package name (^[a-z][a-z0-9_-]{0,63}$) */

const struct cmd packages_actions[] = {
    { "list", "the packages, whether you subscribe, their tables and size" },
    { "subscribe", "switch on for sync what you may read of a package" },
    { "unsubscribe", "end a subscription; its tables fall back to your other switches" },
    { NULL },
};

static void packages_help(void)
{
    printf("Usage: da packages [list] [--json] [--server URL]\n"
           "       da packages subscribe|unsubscribe NAME [--server URL]\n"
           "\n"
           "Packages are sets of tables (and whole buckets) an admin put together, such as\n"
           "\"finance\" or \"product-analytics\". Subscribing switches on for da sync every\n"
           "table of the package you may read, and nothing more.\n"
           "\n"
           "  list          NAME, SUBSCRIBED (yes/no), TABLES (those you may read), SIZE and\n"
           "                DESCRIPTION of every package\n"
           "  subscribe     subscribe to NAME: its tables are switched on (your own switches\n"
           "                of those tables are cleared)\n"
           "  unsubscribe   end the subscription: its tables fall back to your switches of\n"
           "                their buckets, else to the default they had when you first saw\n"
           "                them; the next da sync removes those that end up off\n"
           "\n"
           "The change applies at the next da sync. Single tables: da tables.\n"
           "\n"
           "Options:\n"
           "  --json         list: print the server's answer ({packages: [{name,\n"
           "                 description, subscribed, tables, size_bytes}]})\n"
           "  --server URL   the server (default: $DA_SERVER, else the current server)\n"
           "  -h, --help     show this help\n"
           "\n"
           "Exit codes:\n"
           "  0  success\n"
           "  1  no such package, or any other failure\n"
           "  2  bad command line\n"
           "  3  the server could not be reached\n"
           "  4  not logged in, or the server refused the credential\n");
}

static const char *member(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

/* The tables of a package as "a, b, c" (heap). */
static char *table_list(const json_t *tables)
{
    char *out = xstrdup("");
    size_t i;
    json_t *t;
    json_array_foreach(tables, i, t)
    {
        const char *id = json_string_value(t);
        if (!id)
            id = member(t, "table");
        char *next = xasprintf("%s%s%s", out, i ? ", " : "", id ? id : "?");
        free(out);
        out = next;
    }
    return out;
}

static int list(struct client *cl, bool as_json)
{
    struct err err = { { 0 } };
    json_t *answer = NULL;
    enum rc rc = hc_get(cl->hc, "/api/packages", &answer, &err);
    int code = 0;
    if (rc) {
        code = client_fail("packages", cl->hc, rc, &err);
        goto out;
    }
    if (as_json) {
        char *text = json_dumps(answer, JSON_COMPACT);
        if (text)
            printf("%s\n", text);
        free(text);
        goto out;
    }
    const json_t *packages = json_object_get(answer, "packages");
    if (json_array_size(packages) == 0) {
        printf("No packages yet (an admin makes them with da admin packages create).\n");
        goto out;
    }
    struct table t;
    table_init(&t, 5);
    static const char *const heads[] = { "NAME", "SUBSCRIBED", "TABLES", "SIZE", "DESCRIPTION" };
    for (int c = 0; c < 5; c++)
        table_head(&t, c, heads[c], c == 3);
    size_t i;
    json_t *p;
    json_array_foreach(packages, i, p)
    {
        char size[32];
        format_bytes((uint64_t)json_integer_value(json_object_get(p, "size_bytes")), size);
        table_add(&t, member(p, "name"));
        table_add(&t, json_is_true(json_object_get(p, "subscribed")) ? "yes" : "no");
        table_add_take(&t, table_list(json_object_get(p, "tables")));
        table_add(&t, size);
        table_add(&t, member(p, "description"));
    }
    struct table_style style = { 60, output_term_width(STDOUT_FILENO), "" };
    table_print(stdout, &t, &style);
    table_free(&t);
out:
    json_decref(answer);
    if (!code && fflush(stdout) != 0)
        code = CLIENT_EXIT_FAIL;
    return code;
}

static int subscribe(struct client *cl, const char *name, bool on)
{
    struct err err = { { 0 } };
    json_t *answer = NULL;
    char *esc = hc_escape(name);
    char *path = xasprintf("/api/packages/%s/subscribe", esc);
    free(esc);
    enum rc rc =
        on ? hc_post(cl->hc, path, NULL, &answer, &err) : hc_delete(cl->hc, path, &answer, &err);
    free(path);
    int code = 0;
    if (rc == RC_NOTFOUND) {
        fprintf(stderr, "da packages: no package '");
        output_print_clean(stderr, name);
        fprintf(stderr, "'; da packages lists them\n");
        code = CLIENT_EXIT_FAIL;
    } else if (rc) {
        code = client_fail("packages", cl->hc, rc, &err);
    } else if (client_is_tty(STDOUT_FILENO)) {
        const json_t *tables = json_object_get(answer, "tables");
        printf("%s ", on ? "Subscribed to" : "Unsubscribed from");
        output_print_clean(stdout, name);
        printf(".\n");
        size_t i;
        json_t *t;
        json_array_foreach(tables, i, t)
        {
            printf("  ");
            output_print_clean(stdout, member(t, "table"));
            printf(": %s\n", json_is_false(json_object_get(t, "enabled")) ? "off" : "on");
        }
        printf("The next da sync applies it.\n");
    }
    json_decref(answer);
    return code;
}

int cmd_packages(int argc, char **argv)
{
    const char *server = NULL;
    bool as_json = false;
    int usage = cmd_client_opts("packages", packages_help, argc, argv, &server, &as_json, 2);
    if (usage)
        return usage < 0 ? 0 : usage;
    const char *action = optind < argc ? argv[optind] : "list";
    const char *name = optind + 1 < argc ? argv[optind + 1] : NULL;
    bool is_list = strcmp(action, "list") == 0;
    bool on = strcmp(action, "subscribe") == 0;
    if (!is_list && !on && strcmp(action, "unsubscribe") != 0)
        return cmd_usage_error(
            "packages", "unknown action '%.64s'; use list, subscribe or unsubscribe", action);
    if (is_list && name)
        return cmd_usage_error("packages", "unexpected argument '%.64s'", name);
    if (!is_list && (!name || !*name || strlen(name) > PACKAGES_NAME_MAX))
        return cmd_usage_error("packages", "%s takes a package name (1 to %d bytes)", action,
                               PACKAGES_NAME_MAX);
    if (!is_list && as_json)
        return cmd_usage_error("packages", "--json goes with list");
    struct client cl = { 0 };
    struct err err = { { 0 } };
    enum rc rc = client_open(server, &cl, &err);
    int code = rc        ? client_fail("packages", NULL, rc, &err)
               : is_list ? list(&cl, as_json)
                         : subscribe(&cl, name, on);
    client_close(&cl);
    return code;
}
