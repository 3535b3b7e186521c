/* worker.c — the query worker process (see worker.h). One request at a time: a LOAD replaces
 * the database with a generation's (and its connection and prepared queries), a RUN runs one
 * query on that connection, prepared once per distinct SQL text (result_cache.h). Any frame
 * it cannot read ends the process; the server then starts another. */
#include "query/worker.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/mem.h"
#include "base/parse.h"
#include "data/catalog.h"
#include "data/duck.h"
#include "data/result.h"
#include "data/result_cache.h"
#include "query/wire.h"

/* ASan and TSan reserve terabytes of address space for their shadow memory, so an
 * RLIMIT_AS kills a sanitized worker at its first allocation. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#    define WORKER_SANITIZED 1
#elif defined(__has_feature)
#    if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#        define WORKER_SANITIZED 1
#    endif
#endif

/* Closes every descriptor above the socket: nothing of the server's leaks in, whatever another
 * server thread opened without O_CLOEXEC while this process was being started. */
static void close_inherited(void)
{
    DIR *d = opendir("/proc/self/fd");
    if (!d)
        return;
    int own = dirfd(d);
    for (struct dirent *e = readdir(d); e; e = readdir(d)) {
        int64_t fd = 0;
        if (e->d_name[0] == '.' || !parse_i64(e->d_name, 0, INT32_MAX, &fd))
            continue;
        if (fd > QUERY_WORKER_FD && fd != own)
            close((int)fd);
    }
    closedir(d);
}

/* Tells the kernel to end this process first when the machine runs out of memory: several
 * queries each within its own budget can still add up to more than the machine has, and then
 * a worker must go, never the server (raising one's own score needs no privilege). */
static void mark_first_for_oom_killer(void)
{
    int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    (void)!write(fd, "1000", 4);
    close(fd);
}

/* Replies to the server; false when it is gone. */
static bool reply(int fd, enum wire_type type, const struct wire_result *res)
{
    struct buf head;
    struct err err = { { 0 } };
    buf_init(&head, 4096);
    bool ok = wire_encode_result(&head, res) == RC_OK;
    const void *parts[] = { head.data, res->data };
    size_t lens[] = { head.len, res->data ? res->data_len : 0 };
    ok = ok && wire_send(fd, type, parts, lens, 2, 0, &err) == RC_OK;
    buf_cleanup(&head);
    return ok;
}

static void set_message(struct wire_result *res, enum wire_status status, const char *msg)
{
    res->status = status;
    snprintf(res->message, sizeof(res->message), "%s", msg);
}

/* The loaded generation: its database, the one connection every query runs on, and the
 * queries prepared on it (freed before the connection, the connection before the database). */
struct loaded {
    struct duck *db;
    struct duck *conn;
    struct result_cache *cache;
};

static void unload(struct loaded *l)
{
    result_cache_clear(l->cache);
    duck_close(&l->conn);
    duck_close(&l->db);
}

static bool handle_load(int fd, const struct wire_in *in, struct loaded *l)
{
    struct wire_result res = { 0 };
    struct catalog_recipe recipe;
    struct wire_tokens tokens;
    uint64_t generation = 0;
    struct err err = { { 0 } };
    unload(l);
    enum rc rc = wire_decode_recipe(in->body, in->len, &generation, &recipe, &tokens, &err);
    explicit_bzero(in->body, in->len); /* it held the tokens */
    if (!rc) {
        /* the tokens are in the environment only while the recipe is replayed */
        for (size_t i = 0; i < tokens.n; i++)
            setenv(tokens.names[i], tokens.values[i], 1);
        rc = catalog_replay(&recipe, &l->db, &err);
        for (size_t i = 0; i < tokens.n; i++)
            unsetenv(tokens.names[i]);
        catalog_recipe_cleanup(&recipe);
        wire_tokens_cleanup(&tokens);
    }
    if (!rc)
        rc = duck_connect(l->db, &l->conn, &err);
    if (rc)
        unload(l);
    if (rc)
        set_message(&res, WIRE_FAILED, err.msg);
    return reply(fd, WIRE_LOADED, &res);
}

/* Lets this process use cpu_s more seconds of CPU: past the soft limit the kernel sends
 * SIGXCPU, which ends it. The server kills a worker at the query's deadline long before; this
 * holds should the server's watch ever fail. */
static void limit_cpu(int64_t cpu_s)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return;
    rlim_t used = (rlim_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1;
    struct rlimit rl = { used + (rlim_t)cpu_s, used + (rlim_t)cpu_s + 5 };
    (void)setrlimit(RLIMIT_CPU, &rl);
}

static bool handle_run(int fd, const struct wire_in *in, struct loaded *l)
{
    struct wire_result res = { 0 };
    struct wire_run run;
    struct err err = { { 0 } };
    char *heap = NULL;
    struct result_stmt *stmt = NULL;
    struct buf out;
    enum rc rc = wire_decode_run(in->body, in->len, &run, &heap, &err);
    if (rc)
        return false; /* the server sent nonsense: end, it starts another */
    buf_init(&out, (size_t)run.out_cap);
    limit_cpu(run.cpu_s);
    if (!l->conn)
        rc = err_set(&err, RC_INTERNAL, "no catalog generation is loaded");
    struct result_limits lim = { run.max_rows, run.max_bytes };
    if (!rc && run.format == RESULT_PARQUET) {
        rc = result_parquet(l->conn, run.sql, run.parquet_path, &lim, &res.stats, &err);
    } else if (!rc) {
        /* the limits apply while fetching: one prepared statement serves them all */
        rc = result_cache_get(l->cache, l->conn, run.sql, &stmt, &err);
        if (!rc)
            rc = result_exec(stmt, run.format, &lim, &out, &res.stats, &err);
    }
    if (rc == RC_OK) {
        res.data = out.data;
        res.data_len = out.len;
    } else {
        set_message(&res, rc == RC_DB ? WIRE_DB_ERROR : WIRE_FAILED, err.msg);
        res.stats = (struct result_stats){ 0 };
    }
    bool ok = reply(fd, WIRE_RESULT, &res);
    buf_cleanup(&out);
    free(heap);
    return ok;
}

int query_worker_main(int argc, char **argv)
{
    int64_t parent = 0, as_limit = 0;
    if (argc != 3 || !parse_i64(argv[1], 1, INT32_MAX, &parent) ||
        !parse_i64(argv[2], 0, INT64_MAX, &as_limit)) {
        fprintf(stderr, "da: %s is started by da serve only\n", QUERY_WORKER_COMMAND);
        return 2;
    }
    /* dies with the server; if the server is gone already, the parent is someone else */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != (pid_t)parent)
        return 1;
    close_inherited();
    signal(SIGPIPE, SIG_IGN);
    mark_first_for_oom_killer();
#ifndef WORKER_SANITIZED
    /* a backstop for allocations DuckDB's memory_limit does not count; the server's RSS
     * check is the limit that matters (not under the sanitizers: see above) */
    if (as_limit > 0) {
        struct rlimit rl = { (rlim_t)as_limit, (rlim_t)as_limit };
        (void)setrlimit(RLIMIT_AS, &rl);
    }
#endif
    int fd = QUERY_WORKER_FD;
    struct loaded loaded = { .cache = result_cache_new(RESULT_CACHE_ENTRIES, RESULT_CACHE_BYTES) };
    struct wire_in in = { 0 };
    for (;;) {
        struct err err = { { 0 } };
        if (wire_read(fd, &in, WIRE_FRAME_MAX, &err) != RC_OK)
            break; /* the server closed its end */
        bool ok = in.type == WIRE_LOAD  ? handle_load(fd, &in, &loaded)
                  : in.type == WIRE_RUN ? handle_run(fd, &in, &loaded)
                                        : false;
        if (!ok)
            break;
    }
    wire_in_reset(&in);
    unload(&loaded);
    result_cache_free(&loaded.cache);
    close(fd);
    return 0;
}
