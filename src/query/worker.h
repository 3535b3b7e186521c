/* worker.h — the query worker process: `da __query-worker PARENT_PID AS_LIMIT`, started by the
 * server's query engine (engine.c) with its end of a socketpair as fd 3. It replays a catalog
 * generation's recipe into its own in-memory DuckDB (read-only attachments of the same extract
 * files the server attached), runs the queries the server has already checked, and answers
 * with the encoded result (wire.h). Every query runs on one connection per loaded generation,
 * each distinct SQL text prepared once and kept in a bounded LRU (result_cache.h: 256
 * statements, 8 MiB) that a LOAD of another generation empties; results stream from DuckDB
 * and stop at the row or byte cap, so the worker holds at most the caps' worth of output. It holds
 * no secret of the server and has no other channel to it: the server kills it (SIGKILL) at a
 * query's deadline, past its memory budget, when the client goes away, and at shutdown, and it dies
 * with the server (PR_SET_PDEATHSIG). The subcommand is hidden: not in `da --help` nor in the
 * completion scripts. */
#ifndef DA_QUERY_WORKER_H
#define DA_QUERY_WORKER_H

#define QUERY_WORKER_COMMAND "__query-worker"
#define QUERY_WORKER_FD      3

/* The worker's main (argv[0] is the subcommand). Returns the process's exit code. */
int query_worker_main(int argc, char **argv);

#endif
