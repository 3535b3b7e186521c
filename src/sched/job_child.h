/* job_child.h — the first moments of a job's process, `da __job PARENT AS CPU -- ARGS...`
 * (hidden; started by the runner with posix_spawn): it dies with the server
 * (PR_SET_PDEATHSIG), closes every inherited descriptor above 2, sets its limits (RLIMIT_AS
 * unless built with a sanitizer, RLIMIT_CPU) and execs /proc/self/exe with ARGS, e.g.
 * `extract files --source x ...`. Limits and the death signal survive the exec. */
#ifndef DA_SCHED_JOB_CHILD_H
#define DA_SCHED_JOB_CHILD_H

#define JOB_CHILD_COMMAND "__job"

/* argv[0] is JOB_CHILD_COMMAND. Returns only on failure (an exit code). */
int job_child_main(int argc, char **argv);

#endif
