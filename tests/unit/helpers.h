/* helpers.h — small helpers shared by the unit tests: temporary folders, and a child process
 * killed at a chosen moment or at a chosen point of its work (the crash-safety tests). */
#ifndef DA_TESTS_HELPERS_H
#define DA_TESTS_HELPERS_H

#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Makes a fresh folder under /tmp; the caller frees the path and removes it with rm_rf. */
static inline char *test_tmpdir(void)
{
    char *p = strdup("/tmp/da-unit-XXXXXX");
    if (!p || !mkdtemp(p)) {
        perror("mkdtemp");
        abort();
    }
    return p;
}

static inline void test_rm_rf(const char *path)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", path);
}

/* Starts argv[0] with argv in a child. */
static inline pid_t test_spawn(const char *const argv[])
{
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        abort();
    }
    if (pid == 0) {
        execv(argv[0], (char *const *)argv); /* execv does not change them */
        _exit(127);
    }
    return pid;
}

static inline int test_wait(pid_t pid)
{
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    return status;
}

/* Runs argv[0] with argv in a child and kills it with SIGKILL after delay_us microseconds
 * (or reaps it, when it ended sooner). Returns the wait status. */
static inline int test_run_killed_after(const char *const argv[], int64_t delay_us)
{
    pid_t pid = test_spawn(argv);
    struct timespec ts = { delay_us / 1000000, (delay_us % 1000000) * 1000 };
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    return test_wait(pid);
}

/* What became of a child that test_run_killed_when killed. */
struct test_kill {
    bool reached; /* the condition held while the child ran */
    bool killed;  /* the child died of our SIGKILL: it had not finished */
    int status;   /* its wait status */
};

/* Runs argv[0] with argv in a child, polls reached(ctx) every 100 µs and kills the child with
 * SIGKILL the moment it holds: a kill that lands at a known point of the child's work (say,
 * "the run folder holds two files"), not at a moment guessed from a timing. The caller asserts
 * both flags, and that the partial state the condition saw is still on disk. A child that
 * ends first, or does not get there in 300 s, is reported as not reached. */
static inline struct test_kill test_run_killed_when(const char *const argv[],
                                                    bool (*reached)(void *ctx), void *ctx)
{
    struct test_kill k = { false, false, 0 };
    pid_t pid = test_spawn(argv);
    for (long polls = 0; polls < 3000000; polls++) {
        if (reached(ctx)) {
            k.reached = true;
            break;
        }
        if (waitpid(pid, &k.status, WNOHANG) == pid)
            return k; /* it ended before the condition held */
        struct timespec ts = { 0, 100 * 1000 };
        nanosleep(&ts, NULL);
    }
    kill(pid, SIGKILL);
    k.status = test_wait(pid);
    k.killed = WIFSIGNALED(k.status) && WTERMSIG(k.status) == SIGKILL;
    return k;
}

#endif
