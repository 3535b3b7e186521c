/* runner.c — a job's child process, its limits and its log: see runner.h.
 *
 * The children are started and reaped by the scheduler thread only (PR_SET_PDEATHSIG is tied
 * to the thread that spawned, so that must be a thread that lives as long as the server);
 * cancel, from an HTTP thread, only sends SIGKILL to a child not yet reaped, under the lock,
 * so the pid it signals is still that child's. */
#include "sched/runner.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/fileio.h"
#include "base/isotime.h"
#include "base/log.h"
#include "base/mem.h"
#include "sched/job_child.h"

extern char **environ;

enum kill_reason { KILL_NONE, KILL_TIMEOUT, KILL_MEMORY, KILL_CANCEL };

struct child {
    int64_t id;
    pid_t pid;
    int64_t start_us;
    enum kill_reason killed;
    char log_path[JOB_PATH_MAX + 1];
};

struct runner {
    char *exe, *data_dir, *config_path, *jobs_dir;
    int64_t memory_limit;
    int timeout_s;
    size_t log_max;
    long page_size;
    pthread_mutex_t mu;
    struct child *c;
    size_t n, cap;
};

static bool env_wanted(const char *var, const char *type)
{
    static const char *const keep[] = { "PATH",         "HOME",         "TMPDIR",
                                        "LANG",         "LC_ALL",       "LC_CTYPE",
                                        "TZ",           "ASAN_OPTIONS", "UBSAN_OPTIONS",
                                        "LSAN_OPTIONS", "TSAN_OPTIONS", "DA_LOG_LEVEL" };
    static const char *const keboola[] = { "KEBOOLA_STORAGE_TOKEN", "KEBOOLA_STACK_URL" };
    size_t len = strcspn(var, "=");
    for (size_t i = 0; i < ARRAY_LEN(keep); i++)
        if (strlen(keep[i]) == len && strncmp(var, keep[i], len) == 0)
            return true;
    if (type && strcmp(type, "keboola") == 0)
        for (size_t i = 0; i < ARRAY_LEN(keboola); i++)
            if (strlen(keboola[i]) == len && strncmp(var, keboola[i], len) == 0)
                return true;
    if (type && strcmp(type, "jira") == 0 && strncmp(var, "JIRA_", 5) == 0 && len > 5)
        return true;
    return false;
}

char **runner_environment(const char *type)
{
    size_t n = 0, cap = 1;
    char **env = xcalloc(1, sizeof(char *));
    for (char **v = environ; *v; v++) {
        if (!env_wanted(*v, type))
            continue;
        env = xgrow(env, &cap, n + 2, sizeof(char *));
        env[n++] = xstrdup(*v);
        env[n] = NULL;
    }
    return env;
}

void runner_environment_free(char **env)
{
    for (char **v = env; v && *v; v++)
        free(*v);
    free(env);
}

enum rc runner_new(const struct runner_options *opt, struct runner **out, struct err *err)
{
    *out = NULL;
    enum rc rc = file_mkdir_p(opt->jobs_dir, 0700, err);
    if (rc)
        return rc;
    struct runner *r = xcalloc(1, sizeof(*r));
    r->exe = xstrdup(opt->exe ? opt->exe : "/proc/self/exe");
    r->data_dir = xstrdup(opt->data_dir ? opt->data_dir : "./data");
    r->config_path = opt->config_path ? xstrdup(opt->config_path) : NULL;
    r->jobs_dir = xstrdup(opt->jobs_dir);
    r->memory_limit = opt->memory_limit;
    r->timeout_s = opt->timeout_s;
    r->log_max = (size_t)(opt->log_max_kib > 0 ? opt->log_max_kib : 256) * 1024;
    r->page_size = sysconf(_SC_PAGESIZE);
    pthread_mutex_init(&r->mu, NULL);
    *out = r;
    return RC_OK;
}

void runner_free(struct runner **rp)
{
    struct runner *r = rp ? *rp : NULL;
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        kill(-r->c[i].pid, SIGKILL);
        (void)waitpid(r->c[i].pid, NULL, 0);
    }
    pthread_mutex_destroy(&r->mu);
    free(r->c);
    free(r->exe);
    free(r->data_dir);
    free(r->config_path);
    free(r->jobs_dir);
    free(r);
    *rp = NULL;
}

static void log_line(int fd, const char *fmt, const char *a, const char *b)
{
    char now[ISOTIME_SIZE], line[1024];
    isotime_now(now);
    int n = snprintf(line, sizeof(line), fmt, now, a, b);
    if (n > 0)
        (void)!write(fd, line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
}

enum rc runner_spawn(struct runner *r, int64_t id, char *const *args, const char *type,
                     struct err *err)
{
    struct child ch = { .id = id, .start_us = clock_mono_us() };
    snprintf(ch.log_path, sizeof(ch.log_path), "%s/%lld.log", r->jobs_dir, (long long)id);
    int fd = open(ch.log_path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0)
        return err_set(err, RC_IO, "cannot create the job log %s: %s", ch.log_path,
                       strerror(errno));
    struct buf cmd;
    buf_init(&cmd, 2048);
    for (size_t i = 0; args[i]; i++)
        (void)(buf_append_str(&cmd, i ? " " : "") || buf_append_str(&cmd, args[i]));
    log_line(fd, "%s job started: da %s%s\n", buf_cstr(&cmd), "");
    buf_cleanup(&cmd);

    char parent[24], as[24], cpu[24];
    snprintf(parent, sizeof(parent), "%d", (int)getpid());
    /* RLIMIT_AS is a backstop for a runaway allocation; the resident-memory check below is
     * the limit (address space is much larger than what a process touches) */
    snprintf(as, sizeof(as), "%lld",
             (long long)(r->memory_limit > 0 ? 2 * r->memory_limit + (4LL << 30) : 0));
    snprintf(cpu, sizeof(cpu), "%lld",
             (long long)(r->timeout_s > 0 ? (int64_t)r->timeout_s * 4 + 5 : 0));
    size_t n_args = 0;
    while (args[n_args])
        n_args++;
    char **argv = xcalloc(n_args + 7, sizeof(char *));
    argv[0] = r->exe;
    argv[1] = (char *)JOB_CHILD_COMMAND;
    argv[2] = parent;
    argv[3] = as;
    argv[4] = cpu;
    argv[5] = (char *)"--";
    for (size_t i = 0; i < n_args; i++)
        argv[6 + i] = args[i];
    char **envp = runner_environment(type);

    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, dflt;
    sigemptyset(&none);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGPIPE);
    sigaddset(&dflt, SIGTERM);
    sigaddset(&dflt, SIGINT);
    sigaddset(&dflt, SIGHUP);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fd, 1);
    posix_spawn_file_actions_adddup2(&fa, fd, 2);
    posix_spawnattr_init(&attr);
    posix_spawnattr_setsigmask(&attr, &none); /* the server's threads block the stop signals */
    posix_spawnattr_setsigdefault(&attr, &dflt);
    posix_spawnattr_setpgroup(&attr, 0); /* its own group: killed as one, and Ctrl-C spares it */
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                        POSIX_SPAWN_SETPGROUP);
    pid_t pid = 0;
    int rc = posix_spawn(&pid, r->exe, &fa, &attr, argv, envp);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    runner_environment_free(envp);
    free(argv);
    close(fd);
    if (rc != 0)
        return err_set(err, RC_IO, "cannot start the job's process: %s", strerror(rc));
    ch.pid = pid;
    pthread_mutex_lock(&r->mu);
    r->c = xgrow(r->c, &r->cap, r->n + 1, sizeof(*r->c));
    r->c[r->n++] = ch;
    pthread_mutex_unlock(&r->mu);
    return RC_OK;
}

/* start: the connector's command line for job j of source src. */
static enum rc start_job(void *ctx, const struct job *j, const struct sched_source *src,
                         struct err *err)
{
    struct runner *r = ctx;
    char **args = xcalloc(16 + 2 * 64, sizeof(char *));
    size_t n = 0;
    args[n++] = xstrdup("extract");
    args[n++] = xstrdup(src->type);
    args[n++] = xstrdup("--source");
    args[n++] = xstrdup(src->name);
    if (src->from[0]) {
        args[n++] = xstrdup("--from");
        args[n++] = xstrdup(src->from);
    }
    json_t *tables = j->tables[0] ? json_loads(j->tables, 0, NULL) : NULL;
    size_t i;
    json_t *t;
    json_array_foreach(tables, i, t)
    {
        if (!json_is_string(t) || n >= 16 + 2 * 64 - 8)
            continue;
        args[n++] = xstrdup("--table");
        args[n++] = xstrdup(json_string_value(t));
    }
    json_decref(tables);
    args[n++] = xstrdup("--json");
    args[n++] = xstrdup("--data-dir");
    args[n++] = xstrdup(r->data_dir);
    if (r->config_path && strcmp(src->type, "files") != 0) {
        args[n++] = xstrdup("--config");
        args[n++] = xstrdup(r->config_path);
    }
    args[n] = NULL;
    enum rc rc = runner_spawn(r, j->id, args, src->type, err);
    for (size_t k = 0; k < n; k++)
        free(args[k]);
    free(args);
    return rc;
}

static void cancel_job(void *ctx, int64_t id)
{
    struct runner *r = ctx;
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < r->n; i++)
        if (r->c[i].id == id) {
            r->c[i].killed = KILL_CANCEL;
            kill(-r->c[i].pid, SIGKILL);
        }
    pthread_mutex_unlock(&r->mu);
}

static int64_t resident_bytes(const struct runner *r, pid_t pid)
{
    char path[64], text[128];
    snprintf(path, sizeof(path), "/proc/%d/statm", (int)pid);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    long long size = 0, rss = 0;
    bool ok = fgets(text, sizeof(text), f) && strtoll(text, NULL, 10) >= 0;
    fclose(f);
    if (!ok)
        return 0;
    char *p = text;
    size = strtoll(p, &p, 10);
    rss = strtoll(p, NULL, 10);
    (void)size;
    return (int64_t)rss * r->page_size;
}

/* Reads the end of the log (at most max bytes, from a line start) into a heap string, and
 * rewrites the file to it when it was longer. */
static char *log_tail(const char *path, size_t max)
{
    char *data = NULL;
    size_t len = 0;
    struct err err;
    if (file_read_all(path, 1u << 30, &data, &len, &err) != RC_OK)
        return xstrdup("");
    if (len > max) {
        size_t from = len - max;
        const char *nl = memchr(data + from, '\n', len - from);
        from = nl ? (size_t)(nl + 1 - data) : from;
        memmove(data, data + from, len - from);
        len -= from;
        data[len] = '\0';
        if (file_write_atomic(path, data, len, 0600, &err) != RC_OK)
            log_warn("sched", "cannot trim %s: %s", path, err.msg);
    }
    return data;
}

/* True for the line the runner writes first: "<time> job started: da ...". */
static bool runner_line(const char *p, size_t len)
{
    const char *sp = memchr(p, ' ', len < 40 ? len : 40);
    return sp && (size_t)(sp - p) + 14 <= len && strncmp(sp, " job started: ", 14) == 0;
}

/* The counts from the last {"tables","rows","bytes"} line, and the last other line (the
 * connector's reason when it failed). */
static void read_log(const char *text, struct job_outcome *o, char *last, size_t last_size)
{
    last[0] = '\0';
    const char *p = text;
    while (*p) {
        const char *e = p + strcspn(p, "\n");
        size_t len = (size_t)(e - p);
        if (len > 0 && p[0] == '{') {
            json_t *j = json_loadb(p, len, 0, NULL);
            json_t *rows = json_object_get(j, "rows"), *bytes = json_object_get(j, "bytes");
            if (json_is_integer(rows) && json_is_integer(bytes)) {
                o->rows = json_integer_value(rows);
                o->bytes = json_integer_value(bytes);
            }
            json_decref(j);
        } else if (len > 0 && !runner_line(p, len)) {
            snprintf(last, last_size, "%.*s", (int)len, p); /* not the runner's own line */
        }
        p = *e ? e + 1 : e;
    }
}

static void outcome_of(const struct runner *r, const struct child *c, int status,
                       struct job_outcome *o)
{
    *o = (struct job_outcome){ .rows = -1, .bytes = -1 };
    o->duration_s = (double)(clock_mono_us() - c->start_us) / 1e6;
    char *text = log_tail(c->log_path, r->log_max);
    char last[JOB_ERROR_MAX + 1];
    read_log(text, o, last, sizeof(last));
    free(text);
    char mem[32];
    snprintf(mem, sizeof(mem), "%lld MiB", (long long)(r->memory_limit >> 20));
    if (c->killed == KILL_CANCEL) {
        o->cancelled = true;
        snprintf(o->error, sizeof(o->error), "cancelled");
    } else if (c->killed == KILL_TIMEOUT) {
        snprintf(o->error, sizeof(o->error),
                 "killed: ran longer than scheduler.job_timeout_s (%d s)", r->timeout_s);
    } else if (c->killed == KILL_MEMORY) {
        snprintf(o->error, sizeof(o->error),
                 "killed: used more memory than scheduler.job_memory_limit (%s)", mem);
    } else if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
        o->ok = true;
    } else if (WIFEXITED(status)) {
        if (last[0])
            snprintf(o->error, sizeof(o->error), "%s", last);
        else
            snprintf(o->error, sizeof(o->error), "the connector exited with status %d",
                     WEXITSTATUS(status));
    } else if (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU) {
        snprintf(o->error, sizeof(o->error), "killed: used more CPU time than its limit");
    } else if (WIFSIGNALED(status)) {
        snprintf(o->error, sizeof(o->error), "killed by signal %d (%s)", WTERMSIG(status),
                 strsignal(WTERMSIG(status)));
    }
    int fd = open(c->log_path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd >= 0) {
        log_line(fd, "%s job ended: %s%s\n",
                 o->ok ? "succeeded" : "failed: ", o->ok ? "" : o->error);
        close(fd);
    }
}

static void poll_jobs(void *ctx, struct scheduler *s)
{
    struct runner *r = ctx;
    struct ended {
        struct child c;
        int status;
    } *ended = NULL;
    size_t n_ended = 0, cap = 0;
    int64_t now_us = clock_mono_us();
    pthread_mutex_lock(&r->mu);
    for (size_t i = 0; i < r->n;) {
        struct child *c = &r->c[i];
        int status = 0;
        pid_t w = waitpid(c->pid, &status, WNOHANG);
        if (w == c->pid || (w < 0 && errno == ECHILD)) {
            ended = xgrow(ended, &cap, n_ended + 1, sizeof(*ended));
            ended[n_ended++] = (struct ended){ *c, w == c->pid ? status : 0x100 };
            r->c[i] = r->c[--r->n];
            continue;
        }
        if (c->killed == KILL_NONE) {
            if (r->timeout_s > 0 && now_us - c->start_us > (int64_t)r->timeout_s * 1000000)
                c->killed = KILL_TIMEOUT;
            else if (r->memory_limit > 0 && resident_bytes(r, c->pid) > r->memory_limit)
                c->killed = KILL_MEMORY;
            if (c->killed != KILL_NONE)
                kill(-c->pid, SIGKILL);
        }
        i++;
    }
    pthread_mutex_unlock(&r->mu);
    for (size_t i = 0; i < n_ended; i++) {
        struct job_outcome o;
        outcome_of(r, &ended[i].c, ended[i].status, &o);
        sched_job_ended(s, ended[i].c.id, &o, clock_now_s());
    }
    free(ended);
}

struct sched_runner runner_ops(struct runner *r)
{
    return (struct sched_runner){
        .start = start_job, .cancel = cancel_job, .poll = poll_jobs, .ctx = r
    };
}
