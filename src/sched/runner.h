/* runner.h — runs each job as a child process: `da __job ... -- extract <type> --source NAME
 * [--from DIR] [--table ID]... --json --data-dir DIR [--config PATH]` (job_child.h sets the
 * limits and execs). The child has its own process group, a minimal environment (never
 * JWT_SECRET_KEY: runner_environment), stdin from /dev/null and stdout + stderr appended to
 * <jobs_dir>/<id>.log, trimmed to its last log_max_kib KiB when it ends. The scheduler thread
 * polls it (sched_runner.poll): a child past its wall-clock limit or resident memory limit,
 * or cancelled, is killed (SIGKILL to its group) and its job fails with a message that says
 * so; the final JSON line {"tables","rows","bytes"} of a child that exits 0 gives the counts;
 * the last other line of its log is the error of one that exits otherwise. */
#ifndef DA_SCHED_RUNNER_H
#define DA_SCHED_RUNNER_H

#include <stdint.h>

#include "base/compat.h"
#include "base/rc.h"
#include "sched/scheduler.h"

struct runner;

struct runner_options {
    const char *exe;         /* the program started; NULL: /proc/self/exe */
    const char *data_dir;    /* passed as --data-dir */
    const char *config_path; /* passed as --config to keboola and jira; NULL: none */
    const char *jobs_dir;    /* where the logs go (created) */
    int64_t memory_limit;    /* bytes of resident memory; 0: no limit */
    int timeout_s;           /* wall clock; 0: none */
    int log_max_kib;         /* 0: 256 */
};

/* The caller frees *out with runner_free (which kills any child still running). */
enum rc runner_new(const struct runner_options *opt, struct runner **out,
                   struct err *err) WARN_UNUSED;
void runner_free(struct runner **r);

/* The runner as the scheduler calls it. */
struct sched_runner runner_ops(struct runner *r);

/* Starts a child with exactly args (after `da __job ... --`) for job id, its log in the jobs
 * folder. The building block of start; tests run other programs through it. */
enum rc runner_spawn(struct runner *r, int64_t id, char *const *args, const char *type,
                     struct err *err) WARN_UNUSED;

/* The environment a job of connector type gets: PATH, HOME, TMPDIR, TZ, the locale and the
 * sanitizers' options, plus KEBOOLA_STORAGE_TOKEN and KEBOOLA_STACK_URL for keboola and
 * JIRA_* for jira. A NULL-terminated array the caller frees with runner_environment_free. */
char **runner_environment(const char *type);
void runner_environment_free(char **env);

#endif
