/* job_child.c — a job's process before it becomes the connector: see job_child.h. */
#include "sched/job_child.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "base/parse.h"

/* ASan and TSan reserve terabytes of address space: an RLIMIT_AS would kill the process at
 * its first allocation. The runner's resident-memory check is the limit that matters. */
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#    define JOB_SANITIZED 1
#elif defined(__has_feature)
#    if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#        define JOB_SANITIZED 1
#    endif
#endif

int job_child_main(int argc, char **argv)
{
    int64_t parent = 0, as_limit = 0, cpu_s = 0;
    if (argc < 6 || !parse_i64(argv[1], 1, INT32_MAX, &parent) ||
        !parse_i64(argv[2], 0, INT64_MAX, &as_limit) || !parse_i64(argv[3], 0, INT64_MAX, &cpu_s) ||
        strcmp(argv[4], "--") != 0) {
        fprintf(stderr, "da: %s is started by da serve only\n", JOB_CHILD_COMMAND);
        return 2;
    }
    /* dies with the server; if the server is gone already, the parent is someone else */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != (pid_t)parent)
        return 1;
    long max_fd = sysconf(_SC_OPEN_MAX);
    if (max_fd < 0 || max_fd > 65536)
        max_fd = 65536;
    for (int fd = 3; fd < max_fd; fd++)
        (void)close(fd);
#ifndef JOB_SANITIZED
    if (as_limit > 0) {
        struct rlimit rl = { (rlim_t)as_limit, (rlim_t)as_limit };
        (void)setrlimit(RLIMIT_AS, &rl);
    }
#else
    (void)as_limit;
#endif
    if (cpu_s > 0) {
        struct rlimit rl = { (rlim_t)cpu_s, (rlim_t)cpu_s + 5 };
        (void)setrlimit(RLIMIT_CPU, &rl);
    }
    argv[4] = (char *)"da"; /* the new program's argv[0] */
    execv("/proc/self/exe", argv + 4);
    fprintf(stderr, "da: cannot start the job: %s\n", strerror(errno));
    return 127;
}
