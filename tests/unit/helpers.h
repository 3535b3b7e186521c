/* helpers.h — small helpers shared by the unit tests: temporary folders, and a child process
 * killed at a chosen moment (the crash-safety tests). */
#ifndef DA_TESTS_HELPERS_H
#define DA_TESTS_HELPERS_H

#include <signal.h>
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

/* Runs argv[0] with argv in a child and kills it with SIGKILL after delay_us microseconds
 * (or reaps it, when it ended sooner). */
static inline void test_run_killed_after(const char *const argv[], int64_t delay_us)
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
    struct timespec ts = { delay_us / 1000000, (delay_us % 1000000) * 1000 };
    nanosleep(&ts, NULL);
    kill(pid, SIGKILL);
    int status;
    waitpid(pid, &status, 0);
}

#endif
