/* serve.c — `da serve`: load and check the configuration, open the state store, make the demo
 * data when asked, start the HTTP server, and on SIGTERM or SIGINT shut down gracefully: stop
 * accepting, let requests in flight finish within the grace period, then stop the queries
 * still running (their worker processes are killed: nothing a query does can delay the
 * exit), close the databases, and exit 0. A second signal during the grace period stops at
 * once. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/api.h"
#include "auth/mail_outbox.h"
#include "base/fileio.h"
#include "base/ident.h"
#include "base/isotime.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/parse.h"
#include "base/rand.h"
#include "base/version.h"
#include "cmd/cmd.h"
#include "cmd/seed.h"
#include "core/access_cache.h"
#include "core/identity.h"
#include "data/datadir.h"
#include "data/dataplane.h"
#include "data/demo.h"
#include "query/engine.h"
#include "sched/runner.h"
#include "sched/schedule.h"
#include "sched/scheduler.h"

#define DEFAULT_CONFIG_PATH "config/instance.yaml"
#define REFUSAL_GRACE_MS    2000

struct serve_args {
    const char *config_path;
    bool config_explicit; /* given by --config or DA_CONFIG: then it must exist */
    const char *host;
    const char *data_dir;
    int64_t port; /* -1: not given */
    bool demo;
    int64_t demo_scale;
};

static void serve_help(void)
{
    printf("Usage: da serve [OPTIONS]\n"
           "\n"
           "Run the da server: governed SQL, catalog, data downloads and the web UI over HTTP.\n"
           "\n"
           "Options:\n"
           "  --host HOST         address to listen on (env DA_HOST; default 127.0.0.1)\n"
           "  --port PORT         port to listen on, 0 for any free port (env DA_PORT;\n"
           "                      default 8000)\n"
           "  --data-dir DIR      data folder: state/, extracts/, uploads/ (env DA_DATA_DIR;\n"
           "                      default ./data)\n"
           "  --config FILE       instance configuration (env DA_CONFIG; default\n"
           "                      config/instance.yaml when it exists)\n"
           "  --demo              generate a demo company's data once, then serve it\n"
           "  --demo-scale N      multiply the demo rows by N (1-%d; default 1)\n"
           "  -h, --help          show this help\n"
           "\n"
           "Settings are applied in this order: defaults, the config file, the environment,\n"
           "these options. Configuration keys:\n\n",
           DEMO_SCALE_MAX);
    config_print_keys(stdout);
    printf("\nThe file may also hold a sources: list, the connector sources the scheduler runs\n"
           "(name, type, schedule, from): see docs/CONNECTORS.md.\n");
    printf("\nSIGTERM or SIGINT stops the server gracefully; exit status 0 after a clean stop,\n"
           "1 when startup fails (the message names the cause), 2 for bad usage.\n");
}

/* Returns -1 to go on, or an exit code. */
static int parse_args(int argc, char **argv, struct serve_args *a)
{
    enum { OPT_HOST = 256, OPT_PORT, OPT_DATA_DIR, OPT_CONFIG, OPT_DEMO, OPT_DEMO_SCALE };
    static const struct option opts[] = {
        { "host", required_argument, NULL, OPT_HOST },
        { "port", required_argument, NULL, OPT_PORT },
        { "data-dir", required_argument, NULL, OPT_DATA_DIR },
        { "config", required_argument, NULL, OPT_CONFIG },
        { "demo", no_argument, NULL, OPT_DEMO },
        { "demo-scale", required_argument, NULL, OPT_DEMO_SCALE },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    *a = (struct serve_args){ .port = -1, .demo_scale = 1 };
    const char *env_config = getenv("DA_CONFIG");
    if (env_config && *env_config) {
        a->config_path = env_config;
        a->config_explicit = true;
    }
    opterr = 0;
    optind = 1;
    for (;;) {
        int c = getopt_long(argc, argv, ":h", opts, NULL);
        if (c == -1)
            break;
        switch (c) {
        case 'h':
            serve_help();
            return 0;
        case OPT_HOST:
            a->host = optarg;
            break;
        case OPT_PORT:
            if (!parse_i64(optarg, 0, 65535, &a->port))
                return cmd_usage_error("serve", "--port must be an integer 0-65535 (got '%s')",
                                       optarg);
            break;
        case OPT_DATA_DIR:
            a->data_dir = optarg;
            break;
        case OPT_CONFIG:
            a->config_path = optarg;
            a->config_explicit = true;
            break;
        case OPT_DEMO:
            a->demo = true;
            break;
        case OPT_DEMO_SCALE:
            if (!parse_i64(optarg, 1, DEMO_SCALE_MAX, &a->demo_scale))
                return cmd_usage_error("serve", "--demo-scale must be an integer 1-%d (got '%s')",
                                       DEMO_SCALE_MAX, optarg);
            break;
        case ':':
            return cmd_usage_error("serve", "option '%s' needs a value", argv[optind - 1]);
        default:
            return cmd_usage_error("serve", "unknown option '%s'; see 'da serve --help'",
                                   argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cmd_usage_error("serve", "unexpected argument '%s'; see 'da serve --help'",
                               argv[optind]);
    if (!a->config_path)
        a->config_path = DEFAULT_CONFIG_PATH;
    return -1;
}

static void set_string(char **field, const char *value)
{
    free(*field);
    *field = xstrdup(value);
}

/* defaults < file < environment < command line, then the cross-field checks. */
static enum rc load_config(const struct serve_args *a, struct config *cfg, struct err *err)
{
    enum rc rc = config_load(cfg, a->config_path, a->config_explicit, err);
    if (rc)
        return rc;
    if (a->host)
        set_string(&cfg->host, a->host);
    if (a->data_dir)
        set_string(&cfg->data_dir, a->data_dir);
    if (a->port >= 0)
        cfg->port = (int)a->port;
    return config_validate(cfg, err);
}

/* instance.timezone becomes the process's TZ, before any thread starts (tzset is not
 * thread-safe), so daily schedules (localtime_r/mktime) and the jobs' children use it. */
static enum rc apply_timezone(const struct config *cfg, struct err *err)
{
    if (!schedule_timezone_valid(cfg->timezone))
        return err_set(err, RC_INVALID,
                       "instance.timezone: '%.64s' is not a time zone of /usr/share/zoneinfo "
                       "(e.g. UTC, Europe/Prague; install tzdata)",
                       cfg->timezone);
    setenv("TZ", cfg->timezone, 1);
    tzset();
    return RC_OK;
}

/* After a job succeeded: the catalog takes that source's new extract now (the watcher would
 * within its interval), and profiles follow as after any rebuild. */
static void rebuild_after_job(void *ctx, const char *source)
{
    struct catalog_rebuild_stats stats;
    struct err err = { { 0 } };
    if (dataplane_rebuild(ctx, source, &stats, &err) != RC_OK) {
        log_warn("serve", "rebuild of %s after its job: %s", source, err.msg);
        return;
    }
    catalog_rebuild_stats_cleanup(&stats);
}

/* The scheduler's sources: the sources: list of instance.yaml, plus, when Jira is configured
 * and the list does not name it, a source "jira" that runs on request only (its webhooks ask
 * for it). The caller frees the array (its strings are borrowed). */
static struct config_source *scheduler_sources(const struct config *cfg, size_t *out_n)
{
    bool jira = cfg->jira_base_url && cfg->jira_base_url[0];
    for (size_t i = 0; jira && i < cfg->sources_len; i++)
        if (strcmp(cfg->sources[i].name, "jira") == 0)
            jira = false;
    struct config_source *list = xcalloc(cfg->sources_len + 1, sizeof(*list));
    if (cfg->sources_len)
        memcpy(list, cfg->sources, cfg->sources_len * sizeof(*list));
    *out_n = cfg->sources_len;
    if (jira)
        list[(*out_n)++] = (struct config_source){ .name = (char *)"jira", .type = (char *)"jira" };
    return list;
}

static enum rc start_scheduler(struct app *app, const struct serve_args *a, struct runner **out_r,
                               struct err *err)
{
    const struct config *cfg = app->core.cfg;
    char *jobs_dir = xasprintf("%s/state/jobs", cfg->data_dir);
    struct runner_options ropt = {
        .data_dir = cfg->data_dir,
        .config_path = file_exists(a->config_path) ? a->config_path : NULL,
        .jobs_dir = jobs_dir,
        .memory_limit = cfg->sched_job_memory_limit,
        .timeout_s = cfg->sched_job_timeout_s,
        .log_max_kib = cfg->sched_log_max_kib,
    };
    size_t n_sources = 0;
    struct config_source *sources = scheduler_sources(cfg, &n_sources);
    enum rc rc = runner_new(&ropt, out_r, err);
    if (!rc) {
        struct sched_options sopt = {
            .store = app->core.store,
            .sources = sources,
            .n_sources = n_sources,
            .keep_jobs_days = cfg->sched_keep_jobs_days,
            .use_registry = true,
            .max_attempts = cfg->sched_max_attempts,
            .backoff_base_s = cfg->sched_backoff_base_s,
            .jobs_dir = jobs_dir,
            .runner = runner_ops(*out_r),
            .on_success = rebuild_after_job,
            .on_success_ctx = app->core.dataplane,
        };
        rc = sched_new(&sopt, clock_now_s(), &app->core.sched, err);
    }
    if (!rc)
        rc = sched_start(app->core.sched, err);
    free(sources);
    free(jobs_dir);
    return rc;
}

/* Creates the data folder layout; state/ is private to the server's user. */
static enum rc prepare_data_dir(struct app *app, char **out_state_dir, struct err *err)
{
    char *state = xasprintf("%s/state", app->core.data_dir);
    enum rc rc = file_mkdir_p(state, 0700, err);
    if (!rc && chmod(state, 0700) != 0)
        rc = err_set(err, RC_IO, "cannot make %s private", state);
    if (!rc)
        rc = file_mkdir_p(app->core.extracts_dir, 0755, err);
    /* uploads are received under uploads/, so keeping one is a rename */
    if (!rc)
        rc = file_scratch_dir(app->spool_dir, err);
    if (rc) {
        free(state);
        state = NULL;
    }
    *out_state_dir = state;
    return rc;
}

static enum rc open_state(struct app *app, const char *state_dir, int pool, struct err *err)
{
    char *path = xasprintf("%s/system.sqlite", state_dir);
    char *instance = NULL, *created = NULL;
    char fresh_id[33], now[ISOTIME_SIZE];
    enum rc rc = store_open(path, pool, &app->core.store, err);
    if (rc)
        goto out;
    rc = rand_hex(fresh_id, 16, err);
    if (rc)
        goto out;
    isotime_now(now);
    rc = store_meta_get_or_init(app->core.store, "instance_id", fresh_id, &instance, err);
    if (!rc)
        rc = store_meta_get_or_init(app->core.store, "created_at", now, &created, err);
    if (rc)
        goto out;
    log_info("store", "state store %s: schema version %d, instance %s, created %s", path,
             store_schema_version(app->core.store), instance, created);
out:
    free(instance);
    free(created);
    free(path);
    return rc;
}

static enum rc make_demo(const struct app *app, int scale, struct err *err)
{
    struct demo_result res = { 0 };
    int64_t t0 = clock_mono_us();
    enum rc rc = demo_ensure(app->core.data_dir, scale, &res, err);
    if (rc)
        return rc;
    if (res.created)
        log_info("demo", "generated demo data: %d tables, %lld rows in %.1fs", res.tables,
                 (long long)res.rows, (double)(clock_mono_us() - t0) / 1e6);
    else
        log_info("demo", "demo data present: %d tables, %lld rows", res.tables,
                 (long long)res.rows);
    return RC_OK;
}

/* SIGHUP asks for a catalog rebuild. `da rebuild --source S` leaves S in
 * state/rebuild.request first; anything else there (or no file) means every source. */
static void rebuild_on_hangup(const struct app *app)
{
    char *path = xasprintf("%s/state/rebuild.request", app->core.data_dir);
    char *text = NULL;
    size_t len = 0;
    struct err err;
    const char *source = NULL;
    if (file_read_all(path, 256, &text, &len, &err) == RC_OK) {
        text[strcspn(text, "\r\n")] = '\0';
        source = ident_valid(text) ? text : NULL;
        (void)unlink(path);
    }
    log_info("serve", "SIGHUP: rebuilding the catalog (%s)", source ? source : "every source");
    dataplane_request_rebuild(app->core.dataplane, source);
    free(text);
    free(path);
}

/* Waits for SIGTERM or SIGINT; SIGHUP rebuilds the catalog meanwhile. */
static int wait_for_stop_signal(const sigset_t *set, const struct app *app)
{
    for (;;) {
        int sig = 0;
        if (sigwait(set, &sig) != 0)
            continue;
        if (sig == SIGTERM || sig == SIGINT)
            return sig;
        if (sig == SIGHUP)
            rebuild_on_hangup(app);
    }
}

/* Stops accepting, then waits for requests in flight up to grace_s; a second signal ends the
 * wait at once. */
static void drain(struct http_server *http, int grace_s, const sigset_t *set)
{
    http_server_quiesce(http);
    int64_t deadline = clock_mono_us() + (int64_t)grace_s * 1000000;
    struct timespec no_wait = { 0, 0 };
    while (!http_server_wait_idle(http, 100)) {
        if (sigtimedwait(set, NULL, &no_wait) > 0) {
            log_warn("serve", "second signal: stopping without waiting");
            break;
        }
        if (clock_mono_us() >= deadline) {
            log_warn("serve", "%d request(s) still in flight after %ds: closing them",
                     http_server_in_flight(http), grace_s);
            break;
        }
    }
}

/* Gives the requests whose queries were just stopped a moment to send their 503. */
static void finish_refusals(struct http_server *http)
{
    int64_t deadline = clock_mono_us() + REFUSAL_GRACE_MS * 1000;
    while (!http_server_wait_idle(http, 50) && clock_mono_us() < deadline)
        ;
}

int cmd_serve(int argc, char **argv)
{
    struct serve_args args;
    int code = parse_args(argc, argv, &args);
    if (code >= 0)
        return code;

    /* Block the stop signals before any thread starts (DuckDB, MHD), so that only the main
     * thread receives them through sigwait. */
    sigset_t stop_set;
    sigemptyset(&stop_set);
    sigaddset(&stop_set, SIGTERM);
    sigaddset(&stop_set, SIGINT);
    sigaddset(&stop_set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &stop_set, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct config cfg = { 0 };
    struct app app = { .core.cfg = &cfg };
    struct http_server *http = NULL;
    struct http_route *routes = NULL;
    struct runner *runner = NULL;
    char *state_dir = NULL;
    int lock_fd = -1;
    struct err err = { { 0 } };
    enum rc rc = load_config(&args, &cfg, &err);
    if (rc) {
        fprintf(stderr, "da serve: %s\n", err.msg);
        code = 1;
        goto out;
    }
    log_setup(cfg.log_level, cfg.log_format);
    rc = apply_timezone(&cfg, &err);
    if (rc) {
        fprintf(stderr, "da serve: %s\n", err.msg);
        code = 1;
        goto out;
    }
    app.core.data_dir = cfg.data_dir;
    app.rl_ip = ratelimit_new(cfg.login_rate_per_ip, 60);
    app.rl_account = ratelimit_new(cfg.login_rate_per_account, 15 * 60);
    app.core.extracts_dir = xasprintf("%s/extracts", cfg.data_dir);
    app.core.access_cache = access_cache_new(0);
    app.spool_dir = xasprintf("%s/uploads/.incoming", cfg.data_dir);
    rc = prepare_data_dir(&app, &state_dir, &err);
    /* one server per data folder; `da rebuild` and the connectors look for it here */
    if (!rc)
        rc = datadir_lock_server(cfg.data_dir, &lock_fd, &err);
    if (!rc)
        rc = server_key_load(state_dir, cfg.jwt_secret, &app.core.key, &err);
    if (!rc)
        rc = open_state(&app, state_dir, store_pool_size_for(cfg.threads), &err);
    if (!rc && args.demo)
        rc = make_demo(&app, (int)args.demo_scale, &err);
    if (!rc)
        rc = seed_run(&app.core, args.demo, &err);
    if (!rc)
        rc = core_identity_start(&app.core, &err);
    if (!rc) {
        struct dataplane_options dopt = { .data_dir = cfg.data_dir,
                                          .store = app.core.store,
                                          .profile = true,
                                          .memory_limit = cfg.query_memory_limit,
                                          .threads = cfg.query_threads,
                                          .stop_grace_ms = cfg.shutdown_grace_s * 1000 };
        rc = dataplane_start(&dopt, &app.core.dataplane, &err);
    }
    if (!rc) {
        struct query_engine_options qopt = {
            .catalog = dataplane_catalog(app.core.dataplane),
            .timeout_s = cfg.query_timeout_s,
            .default_rows = cfg.query_default_rows,
            .max_rows = cfg.query_max_rows,
            .max_bytes = cfg.query_max_bytes,
            .max_concurrent = cfg.query_max_concurrent,
            .workers = cfg.query_workers,
            .memory_limit = cfg.query_memory_limit,
        };
        rc = query_engine_start(&qopt, &app.core.engine, &err);
    }
    if (!rc)
        rc = start_scheduler(&app, &args, &runner, &err);
    if (rc)
        goto fail;

    size_t routes_len = 0;
    routes = api_routes_new(&routes_len);
    struct http_server_opts opts = {
        .host = cfg.host,
        .port = cfg.port,
        .threads = cfg.threads,
        .max_body = (size_t)cfg.max_body_bytes,
        .max_upload = (uint64_t)cfg.upload_max_bytes,
        .spool_dir = app.spool_dir,
        .conn_timeout_s = cfg.connection_timeout_s,
        .max_conns_per_ip = cfg.max_connections_per_ip,
        .header_timeout_s = cfg.header_timeout_s,
        .body_window_s = cfg.body_rate_window_s,
        .body_min_rate = cfg.body_min_bytes_per_s,
        .hsts = cfg.behind_tls_proxy,
    };
    rc = http_server_start(&opts, routes, routes_len, &app, &http, &err);
    if (rc)
        goto fail;
    log_info("serve", "da %s listening on http://%s:%d (data %s)", DA_VERSION, cfg.host,
             http_server_port(http), cfg.data_dir);

    int sig = wait_for_stop_signal(&stop_set, &app);
    log_info("serve", "%s received: finishing requests in flight (up to %ds)",
             sig == SIGTERM ? "SIGTERM" : "SIGINT", cfg.shutdown_grace_s);
    drain(http, cfg.shutdown_grace_s, &stop_set);
    /* queries still running now are stopped (their workers killed) and answered 503, so
     * every request in flight gets a whole answer before the connections close */
    query_engine_shutdown(app.core.engine);
    finish_refusals(http);
    http_server_stop(&http);
    (void)mail_outbox_drain(cfg.shutdown_grace_s * 1000); /* sign-in mails under way */
    sched_free(&app.core.sched); /* its thread first: it owns the jobs' processes */
    runner_free(&runner);        /* jobs still running are killed: retried at the next start */
    /* the audit writer and credential cache, after every thread that audits */
    core_identity_stop(&app.core);
    query_engine_stop(&app.core.engine);
    dataplane_stop(&app.core.dataplane);
    store_close(&app.core.store);
    log_info("serve", "stopped cleanly");
    code = 0;
    goto out;
fail:
    log_error("serve", "cannot start: %s", err.msg);
    code = 1;
out:
    http_server_stop(&http);
    free(routes);
    sched_free(&app.core.sched);
    runner_free(&runner);
    core_identity_stop(&app.core);
    query_engine_stop(&app.core.engine);
    dataplane_stop(&app.core.dataplane);
    store_close(&app.core.store);
    if (lock_fd >= 0)
        close(lock_fd);
    ratelimit_free(&app.rl_ip);
    ratelimit_free(&app.rl_account);
    server_key_wipe(&app.core.key);
    access_cache_free(&app.core.access_cache);
    free(app.core.extracts_dir);
    free(app.spool_dir);
    free(state_dir);
    config_cleanup(&cfg);
    return code;
}
