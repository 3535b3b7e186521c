/* status.c — `da status`: is the server reachable, who am I there, where is my copy of the
 * data and how old is it, and which tables `da sync` would change: stale (the server's hash
 * differs from the one of the last sync), missing (served, never synced) or gone (synced,
 * no longer served to me); and per table whether it is switched on for sync (da tables) and
 * its size. A table switched off is "off" (not missing) when it is not here, and "leaving"
 * (the next sync removes it) when it still is. Local facts come from the sync folder's
 * .da/state.json (see client/syncdir.h), the server's from /api/health, /api/me and
 * /api/sync/manifest. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/fileio.h"
#include "base/format.h"
#include "base/mem.h"
#include "client/client.h"
#include "client/output.h"
#include "client/syncdir.h"
#include "cmd/cmd.h"

#define STATUS_CONNECT_TIMEOUT_S 5
#define STATUS_TIMEOUT_S         20

static void status_help(void)
{
    printf("Usage: da status [--json] [--dir DIR] [--server URL]\n"
           "\n"
           "Show the server and whether it answers, who you are logged in as, the sync folder\n"
           "and when it was last synced, and for every table whether the local copy is up to\n"
           "date, stale (the server has newer data), missing (served to you but not synced\n"
           "yet), gone (synced here but no longer served to you), off (switched off for sync\n"
           "with da tables, and not here) or leaving (switched off, still here: the next\n"
           "da sync removes it); with each table's SYNC switch (on/off) and size. `da sync`\n"
           "brings the folder up to date.\n"
           "\n"
           "Options:\n"
           "  --json         print the status as one JSON object (tables: [{id, state,\n"
           "                 enabled, size_bytes, rows, local_updated, server_updated}])\n"
           "  --dir DIR      the sync folder (default: the one `da sync` uses)\n"
           "  --server URL   the server (default: $DA_SERVER, else the current server)\n"
           "  -h, --help     show this help\n"
           "\n"
           "Exit codes:\n"
           "  0  the server answers, you are logged in, and every table is up to date\n"
           "  1  some table is stale, missing, gone or leaving, the folder was never synced\n"
           "     while there are tables to sync, or another failure (a damaged state\n"
           "     file)\n"
           "  2  bad command line\n"
           "  3  the server could not be reached (the local part is still shown)\n"
           "  4  not logged in, or the server refused the credential\n");
}

static const char *member(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

enum table_state { TS_OK, TS_STALE, TS_MISSING, TS_GONE, TS_OFF, TS_LEAVING, TS_COUNT };
static const char *const state_names[TS_COUNT] = {
    [TS_OK] = "up to date", [TS_STALE] = "stale", [TS_MISSING] = "missing",
    [TS_GONE] = "gone",     [TS_OFF] = "off",     [TS_LEAVING] = "leaving",
};
static const char *const state_keys[TS_COUNT] = {
    [TS_OK] = "up_to_date", [TS_STALE] = "stale", [TS_MISSING] = "missing",
    [TS_GONE] = "gone",     [TS_OFF] = "off",     [TS_LEAVING] = "leaving",
};

/* The bytes of a manifest entry's files ([{size_bytes}]) or a state entry's ({name:
 * {size_bytes}}). */
static json_int_t files_bytes(const json_t *entry)
{
    const json_t *files = json_object_get(entry, "files");
    json_int_t sum = 0;
    size_t i;
    const char *key;
    json_t *f;
    if (json_is_array(files))
        json_array_foreach(files, i, f) sum += json_integer_value(json_object_get(f, "size_bytes"));
    else
        json_object_foreach((json_t *)files, key, f) sum +=
            json_integer_value(json_object_get(f, "size_bytes"));
    return sum;
}

/* What status found out; the strings are borrowed from the JSON answers or owned (the
 * marked ones). */
struct status {
    const char *server;
    bool reachable, logged_in, compared;
    char reach_error[ERR_MSG_LEN], login_error[ERR_MSG_LEN];
    json_t *health, *me, *manifest, *state;
    const char *token_source;
    char *dir; /* owned */
    bool synced, db_missing;
    char state_error[ERR_MSG_LEN];    /* the state file is damaged */
    char manifest_error[ERR_MSG_LEN]; /* the server answered, but not with a manifest */
    json_t *tables; /* owned: [{id, state, rows, local_updated, server_updated}] */
    int counts[TS_COUNT];
};

static int compare_ids(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Every id of the manifest's and the state's tables, sorted, without repeats. Borrowed. */
static const char **all_ids(const json_t *server_tables, const json_t *local_tables, size_t *n)
{
    size_t cap = json_object_size(server_tables) + json_object_size(local_tables);
    const char **ids = xcalloc(cap ? cap : 1, sizeof(char *));
    const char *key;
    json_t *v;
    *n = 0;
    json_object_foreach((json_t *)server_tables, key, v)
    {
        ids[(*n)++] = key;
    }
    json_object_foreach((json_t *)local_tables, key, v)
    {
        if (!json_object_get(server_tables, key))
            ids[(*n)++] = key;
    }
    qsort(ids, *n, sizeof(char *), compare_ids);
    return ids;
}

/* Compares the manifest with the state of the last sync, table by table. */
static void compare(struct status *s)
{
    const json_t *server_tables = json_object_get(s->manifest, "tables");
    const json_t *local_tables = json_object_get(s->state, "tables");
    size_t n = 0;
    const char **ids = all_ids(server_tables, local_tables, &n);
    s->tables = json_array();
    for (size_t i = 0; i < n; i++) {
        const json_t *remote = json_object_get(server_tables, ids[i]);
        const json_t *local = json_object_get(local_tables, ids[i]);
        enum table_state ts = TS_OK;
        /* a missing flag is on (an older server) */
        bool enabled = remote && !json_is_false(json_object_get(remote, "enabled"));
        if (!remote)
            ts = TS_GONE;
        else if (!enabled)
            ts = local ? TS_LEAVING : TS_OFF;
        else if (!local)
            ts = TS_MISSING;
        else if (!member(remote, "hash") || !member(local, "hash") ||
                 strcmp(member(remote, "hash"), member(local, "hash")) != 0)
            ts = TS_STALE;
        s->counts[ts]++;
        json_t *rows = json_object_get(local ? local : remote, "rows");
        json_array_append_new(s->tables, json_pack("{s:s, s:s, s:b, s:I, s:O?, s:s?, s:s?}", "id",
                                                   ids[i], "state", state_keys[ts], "enabled",
                                                   remote ? enabled : false, "size_bytes",
                                                   files_bytes(local ? local : remote), "rows",
                                                   rows, "local_updated", member(local, "updated"),
                                                   "server_updated", member(remote, "updated")));
    }
    free(ids);
    s->compared = true;
}

/* The server's part: health, who, the manifest. */
static void ask_server(struct client *cl, struct status *s)
{
    struct err err = { { 0 } };
    enum rc rc = hc_get(cl->hc, "/api/health", &s->health, &err);
    s->reachable = hc_reached(cl->hc);
    if (!s->reachable) {
        snprintf(s->reach_error, sizeof(s->reach_error), "%s", err.msg);
        return;
    }
    if (!s->logged_in) /* no token at all: client_open said why */
        return;
    rc = hc_get(cl->hc, "/api/me", &s->me, &err);
    if (rc && hc_reached(cl->hc) && rc != RC_UNAUTHORIZED && rc != RC_FORBIDDEN) {
        /* a busy or failing server says nothing about the token: not "log in again" */
        snprintf(s->manifest_error, ERR_MSG_LEN, "%.200s", err.msg);
        return;
    }
    if (rc) {
        s->logged_in = false;
        if (!hc_reached(cl->hc)) {
            s->reachable = false;
            snprintf(s->reach_error, sizeof(s->reach_error), "%s", err.msg);
        } else {
            snprintf(s->login_error, sizeof(s->login_error), "%s", err.msg);
        }
        return;
    }
    rc = hc_get(cl->hc, "/api/sync/manifest", &s->manifest, &err);
    if (rc) {
        s->reachable = hc_reached(cl->hc);
        snprintf(s->reachable ? s->manifest_error : s->reach_error, ERR_MSG_LEN,
                 "the manifest: %.200s", err.msg);
    }
}

/* The local part: the folder and the state of its last sync. */
static enum rc read_local(const char *dir_flag, struct status *s, struct err *err)
{
    enum rc rc = syncdir_path(s->server, dir_flag, &s->dir, err);
    if (rc)
        return rc;
    rc = syncdir_state_load(s->dir, &s->state, err);
    if (rc == RC_NOTFOUND) {
        s->state = json_pack("{s:{}}", "tables"); /* compared as an empty copy */
        return RC_OK;
    }
    if (rc) {
        snprintf(s->state_error, sizeof(s->state_error), "%s", err->msg);
        return RC_OK;
    }
    s->synced = true;
    char *db = syncdir_db_path(s->dir);
    s->db_missing = !file_exists(db);
    free(db);
    return RC_OK;
}

static int exit_code(const struct status *s)
{
    if (!s->reachable)
        return CLIENT_EXIT_UNREACHABLE;
    if (!s->logged_in)
        return CLIENT_EXIT_AUTH;
    if (s->state_error[0] || s->manifest_error[0] || s->db_missing || !s->compared)
        return CLIENT_EXIT_FAIL;
    if (s->counts[TS_STALE] + s->counts[TS_MISSING] + s->counts[TS_GONE] + s->counts[TS_LEAVING] >
        0)
        return CLIENT_EXIT_FAIL;
    return CLIENT_EXIT_OK;
}

static void print_json(const struct status *s)
{
    json_t *counts = json_object();
    for (int i = 0; i < TS_COUNT; i++)
        json_object_set_new(counts, state_keys[i], json_integer(s->counts[i]));
    json_t *user = s->logged_in
                       ? json_pack("{s:s?, s:s?, s:s?, s:s}", "email", member(s->me, "email"),
                                   "name", member(s->me, "name"), "role", member(s->me, "role"),
                                   "token_source", s->token_source)
                       : json_null();
    json_t *o = json_pack(
        "{s:s, s:b, s:s?, s:s?, s:s?, s:b, s:o, s:s?, s:s?, s:b, s:O?, s:O?, s:s?, s:o?, s:o}",
        "server", s->server, "reachable", s->reachable, "health", member(s->health, "status"),
        "version", member(s->health, "version"), "error", s->reach_error[0] ? s->reach_error : NULL,
        "logged_in", s->logged_in, "user", user, "login_error",
        s->login_error[0] ? s->login_error : NULL, "sync_dir", s->dir, "synced", s->synced,
        "synced_at", s->synced ? json_object_get(s->state, "synced_at") : NULL, "generation",
        s->synced ? json_object_get(s->state, "generation") : NULL, "problem",
        s->state_error[0]      ? s->state_error
        : s->manifest_error[0] ? s->manifest_error
        : s->db_missing        ? "da.duckdb is missing"
                               : NULL,
        "tables", s->compared ? json_incref(s->tables) : NULL, "counts", counts);
    char *text = o ? json_dumps(o, JSON_COMPACT) : NULL;
    if (text)
        printf("%s\n", text);
    free(text);
    json_decref(o);
}

static void short_time(const char *iso, char out[32])
{
    if (!iso || strlen(iso) < 16)
        snprintf(out, 32, "-");
    else
        snprintf(out, 32, "%.10s %.5s", iso, iso + 11);
}

static void print_text(const struct status *s)
{
    time_t now = time(NULL);
    char when[96];
    printf("server     %s  ", s->server);
    if (s->reachable)
        printf("reachable (%s, da %s)\n",
               member(s->health, "status") ? member(s->health, "status") : "?",
               member(s->health, "version") ? member(s->health, "version") : "?");
    else
        printf("NOT reachable: %s\n", s->reach_error);
    printf("user       ");
    if (s->logged_in && !s->me) {
        printf("unknown: the server could not check the credential\n");
    } else if (s->logged_in) {
        output_print_clean(stdout, member(s->me, "email") ? member(s->me, "email") : "?");
        printf(" (");
        output_print_clean(stdout, member(s->me, "role") ? member(s->me, "role") : "?");
        printf(")%s\n", strcmp(s->token_source, "environment") == 0 ? ", token from DA_TOKEN" : "");
    } else if (s->login_error[0]) {
        printf("not logged in: %s\n", s->login_error);
    } else if (s->reachable) {
        printf("not logged in; run: da login --server %s\n", s->server);
    } else {
        printf("unknown\n");
    }
    printf("sync dir   %s\n", s->dir ? s->dir : "-");
    if (s->state_error[0] && !s->synced) {
        printf("last sync  %s\n", s->state_error);
    } else if (!s->synced) {
        printf("last sync  never\n");
    } else {
        output_when(member(s->state, "synced_at"), now, when);
        printf("last sync  %s\n", when);
        if (s->db_missing)
            printf("           but da.duckdb is missing; run: da sync\n");
    }
    if (s->manifest_error[0])
        printf("problem    %s\n", s->manifest_error);
    if (!s->compared) {
        if (!s->reachable || !s->logged_in)
            printf("\nTables are compared with the server once it answers and you are "
                   "logged in.\n");
        return;
    }
    size_t n = json_array_size(s->tables);
    if (n == 0) {
        printf("\nNo tables to sync: the server serves you none, and none are here.\n");
        return;
    }
    printf("\n");
    struct table t;
    table_init(&t, 7);
    table_head(&t, 0, "TABLE", false);
    table_head(&t, 1, "STATE", false);
    table_head(&t, 2, "ROWS", true);
    table_head(&t, 3, "LOCAL DATA (UTC)", false);
    table_head(&t, 4, "SERVER DATA (UTC)", false);
    table_head(&t, 5, "SYNC", false);
    table_head(&t, 6, "SIZE", true);
    for (size_t i = 0; i < n; i++) {
        const json_t *row = json_array_get(s->tables, i);
        const char *key = member(row, "state");
        const char *name = key;
        for (int k = 0; k < TS_COUNT; k++)
            if (strcmp(key, state_keys[k]) == 0)
                name = state_names[k];
        char local[32], remote[32];
        short_time(member(row, "local_updated"), local);
        short_time(member(row, "server_updated"), remote);
        char size[32];
        format_bytes((uint64_t)json_integer_value(json_object_get(row, "size_bytes")), size);
        table_add(&t, member(row, "id"));
        table_add(&t, name);
        table_add_take(&t, output_json_text(json_object_get(row, "rows")));
        table_add(&t, local);
        table_add(&t, remote);
        table_add(&t, strcmp(key, "gone") == 0                        ? "-"
                      : json_is_true(json_object_get(row, "enabled")) ? "on"
                                                                      : "off");
        table_add(&t, size);
    }
    struct table_style style = { 48, output_term_width(STDOUT_FILENO), "-" };
    table_print(stdout, &t, &style);
    table_free(&t);
    printf("\n");
    bool first = true;
    for (int k = 0; k < TS_COUNT; k++) {
        if (s->counts[k] == 0)
            continue;
        printf("%s%d %s", first ? "" : ", ", s->counts[k], state_names[k]);
        first = false;
    }
    printf("%s\n", s->counts[TS_OK] + s->counts[TS_OFF] == (int)n ? "" : "; run: da sync");
}

int cmd_status(int argc, char **argv)
{
    enum { OPT_JSON = 256, OPT_DIR, OPT_SERVER };
    static const struct option opts[] = {
        { "json", no_argument, NULL, OPT_JSON },
        { "dir", required_argument, NULL, OPT_DIR },
        { "server", required_argument, NULL, OPT_SERVER },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *server = NULL, *dir = NULL;
    bool as_json = false;
    opterr = 0;
    optind = 1;
    for (int c; (c = getopt_long(argc, argv, ":h", opts, NULL)) != -1;) {
        switch (c) {
        case 'h':
            status_help();
            return 0;
        case OPT_JSON:
            as_json = true;
            break;
        case OPT_DIR:
            dir = optarg;
            break;
        case OPT_SERVER:
            server = optarg;
            break;
        case ':':
            return cmd_usage_error("status", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cmd_usage_error("status", "unknown option '%s'; see 'da status --help'",
                                   argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cmd_usage_error("status", "unexpected argument '%s'", argv[optind]);

    struct client cl;
    struct status s = { 0 };
    struct err err = { { 0 } };
    int code = 0;
    enum rc rc = client_open(server, &cl, &err);
    if (rc == RC_NOTFOUND || (rc == RC_INVALID && !cl.server)) {
        /* no server anywhere, or a bad --server / DA_SERVER */
        code = rc == RC_NOTFOUND ? client_fail("status", NULL, RC_UNAUTHORIZED, &err)
                                 : cmd_usage_error("status", "%s", err.msg);
        goto out;
    }
    if (rc && rc != RC_UNAUTHORIZED) {
        code = client_fail("status", NULL, rc, &err);
        goto out;
    }
    s.server = cl.server;
    s.logged_in = rc == RC_OK;
    s.token_source = cl.token_from_env ? "environment" : "credentials";
    if (!cl.hc) { /* not logged in: the server's health is public */
        rc = hc_new(cl.server, &cl.hc, &err);
        if (rc) {
            code = client_fail("status", NULL, rc, &err);
            goto out;
        }
    }
    hc_set_timeouts(cl.hc, STATUS_CONNECT_TIMEOUT_S, STATUS_TIMEOUT_S);
    rc = read_local(dir, &s, &err);
    if (rc) {
        code = client_fail("status", NULL, rc, &err);
        goto out;
    }
    ask_server(&cl, &s);
    if (s.reachable && s.logged_in && s.manifest && !s.state_error[0])
        compare(&s);
    code = exit_code(&s);
    if (as_json)
        print_json(&s);
    else
        print_text(&s);
out:
    json_decref(s.health);
    json_decref(s.me);
    json_decref(s.manifest);
    json_decref(s.state);
    json_decref(s.tables);
    free(s.dir);
    client_close(&cl);
    return code;
}
