/* admin_jobs.c — `da admin jobs list|show ID|cancel ID` and `da admin sync [SOURCE]`: the
 * connector jobs of the server over /api/jobs and /api/sync/trigger (admins). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"
#include "cmd/admin_int.h"

/* A number or null member as text ("" for null) into out. */
static void num_text(const json_t *obj, const char *key, char out[32])
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_integer(v))
        snprintf(out, 32, "%lld", (long long)json_integer_value(v));
    else
        out[0] = '\0';
}

static const char list_help[] =
    "Usage: da admin jobs list [--source NAME] [--state STATE] [--limit N]\n"
    "\n"
    "List the newest connector jobs: id, source, trigger (schedule, manual, webhook,\n"
    "startup), state, attempt, when created and finished, rows, and the error of a failed\n"
    "one. Admins only.\n"
    "\n"
    "  --source NAME   only the jobs of this source\n"
    "  --state STATE   only jobs in this state: queued, running, succeeded, failed, cancelled\n"
    "  --limit N       at most N jobs, 1 to 1000 (default 50)\n";

/* The list's query string: the limit (50 unless given) and each filter given, escaped. */
static char *list_path(const struct admin_run *r)
{
    static const struct {
        enum admin_opt_id id;
        const char *key;
    } filters[] = { { ADMIN_OPT_SOURCE, "source" }, { ADMIN_OPT_STATE, "state" } };
    char *limit = hc_escape(admin_flag(r, ADMIN_OPT_LIMIT) ? r->opt[ADMIN_OPT_LIMIT] : "50");
    char *path = xasprintf("/api/jobs?limit=%s", limit);
    free(limit);
    for (size_t k = 0; k < sizeof(filters) / sizeof(filters[0]); k++) {
        if (!admin_flag(r, filters[k].id))
            continue;
        char *value = hc_escape(r->opt[filters[k].id]);
        char *longer = xasprintf("%s&%s=%s", path, filters[k].key, value);
        free(value);
        free(path);
        path = longer;
    }
    return path;
}

static int jobs_list_run(struct admin_run *r)
{
    struct err err = { { 0 } };
    json_t *answer = NULL, *j;
    size_t i;
    char *path = list_path(r);
    enum rc rc = hc_get(r->cl.hc, path, &answer, &err);
    free(path);
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
    admin_table_init(&t, (const char *[]){ "ID", "SOURCE", "TRIGGER", "STATE", "ATTEMPT", "CREATED",
                                           "FINISHED", "ROWS", NULL });
    json_array_foreach(json_object_get(answer, "jobs"), i, j)
    {
        char id[32], attempt[32], rows[32];
        num_text(j, "id", id);
        num_text(j, "attempt", attempt);
        num_text(j, "rows", rows);
        admin_table_add(&t, (const char *[]){ id, admin_str(j, "source"), admin_str(j, "trigger"),
                                              admin_str(j, "state"), attempt,
                                              admin_str(j, "created_at"),
                                              admin_str(j, "finished_at"), rows });
    }
    admin_table_print(r, &t, "No jobs.");
    json_decref(answer);
    return 0;
}

/* GET (post false) or POST /api/jobs/<the ID argument><suffix>. 0 with *out (the caller
 * releases it), or the exit code after the error was printed. */
static int job_call(struct admin_run *r, bool post, const char *suffix, json_t **out)
{
    struct err err = { { 0 } };
    char *id = hc_escape(r->args[0]);
    char *path = xasprintf("/api/jobs/%s%s", id, suffix);
    *out = NULL;
    enum rc rc =
        post ? hc_post(r->cl.hc, path, NULL, out, &err) : hc_get(r->cl.hc, path, out, &err);
    free(path);
    free(id);
    if (!rc)
        return 0;
    json_decref(*out); /* an error's body, when the server answered */
    *out = NULL;
    return admin_fail(r, rc, &err);
}

static const char show_help[] =
    "Usage: da admin jobs show ID\n"
    "\n"
    "Show job ID: its source, state, attempts, times, rows and bytes, the error of a failed\n"
    "job, and the end of its log (what the connector printed). Admins only.\n";

static int jobs_show_run(struct admin_run *r)
{
    json_t *answer = NULL;
    int code = job_call(r, false, "", &answer);
    if (code)
        return code;
    if (r->json) {
        admin_print_json(r, answer);
        json_decref(answer);
        return 0;
    }
    char num[32], rows[32], bytes[32];
    num_text(answer, "id", num);
    num_text(answer, "rows", rows);
    num_text(answer, "bytes", bytes);
    admin_say("job %s: %s of %s (%s, attempt %lld)\n", num, admin_str(answer, "state"),
              admin_str(answer, "source"), admin_str(answer, "trigger"),
              (long long)json_integer_value(json_object_get(answer, "attempt")));
    admin_say("created %s, started %s, finished %s\n", admin_str(answer, "created_at"),
              admin_str(answer, "started_at"), admin_str(answer, "finished_at"));
    if (rows[0])
        admin_say("rows %s, bytes %s\n", rows, bytes);
    if (*admin_str(answer, "error"))
        admin_say("error: %s\n", admin_str(answer, "error"));
    if (*admin_str(answer, "log_tail"))
        admin_say("log:\n%s", admin_str(answer, "log_tail"));
    json_decref(answer);
    return 0;
}

static const char cancel_help[] =
    "Usage: da admin jobs cancel ID\n"
    "\n"
    "Cancel job ID: a queued job never starts; a running one's process is killed (the\n"
    "source's previous extract stays served). Admins only.\n";

static int jobs_cancel_run(struct admin_run *r)
{
    json_t *answer = NULL;
    int code = job_call(r, true, "/cancel", &answer);
    if (code)
        return code;
    if (r->json)
        admin_print_json(r, answer);
    else
        admin_say("Cancelled job %s.\n", r->args[0]);
    json_decref(answer);
    return 0;
}

const struct cmd admin_jobs_commands[] = {
    { "list", "list the newest jobs",
      .action = ADMIN_ACTION(jobs_list_run, list_help,
                             ADMIN_OPT(SOURCE) | ADMIN_OPT(STATE) | ADMIN_OPT(LIMIT)) },
    { "show", "one job with the end of its log",
      .action = ADMIN_ACTION(jobs_show_run, show_help, 0, 1) },
    { "cancel", "cancel a queued or running job",
      .action = ADMIN_ACTION(jobs_cancel_run, cancel_help, 0, 1) },
    { NULL },
};

int admin_jobs(int argc, char **argv)
{
    return admin_dispatch("admin jobs", "Connector jobs: what ran, what runs, why it failed.",
                          admin_jobs_commands, argc, argv);
}

static const char sync_help[] =
    "Usage: da admin sync [SOURCE]\n"
    "\n"
    "Run SOURCE's connector now (every source without SOURCE): the server queues a job and\n"
    "answers at once with its id; 'da admin jobs show ID' follows it. A source that has a job\n"
    "queued or running already gets that job's id. Admins only.\n";

static int sync_run(struct admin_run *r)
{
    struct err err = { { 0 } };
    json_t *answer = NULL, *id;
    json_t *body = r->nargs > 0 ? json_pack("{s:s}", "source", r->args[0]) : json_object();
    enum rc rc = hc_post(r->cl.hc, "/api/sync/trigger", body, &answer, &err);
    json_decref(body);
    if (rc) {
        json_decref(answer); /* an error's body, when the server answered */
        return admin_fail(r, rc, &err);
    }
    if (r->json) {
        admin_print_json(r, answer);
    } else {
        size_t i;
        json_array_foreach(json_object_get(answer, "job_ids"), i, id)
            admin_say("queued job %lld\n", (long long)json_integer_value(id));
    }
    json_decref(answer);
    return 0;
}

const struct admin_action admin_sync_action = { .run = sync_run,
                                                .help = sync_help,
                                                .optional_args = 1 };
