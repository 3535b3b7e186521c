/* datadir.h — who is using a data folder. A running `da serve` holds an exclusive flock on
 * <data_dir>/state/serve.lock (and writes its pid there), so two servers never share one data
 * folder, `da rebuild` can find the server to signal, and a connector knows whether it may
 * remove old files itself or must leave that to the server. */
#ifndef DA_DATA_DATADIR_H
#define DA_DATA_DATADIR_H

#include <stdbool.h>
#include <sys/types.h>

#include "base/compat.h"
#include "base/rc.h"

/* Takes the server lock of data_dir for the life of the process (*out_fd stays open; close it
 * to release). Waits up to two seconds for a connector's brief shared hold. RC_CONFLICT, naming
 * the other server's pid, when another server holds it. */
enum rc datadir_lock_server(const char *data_dir, int *out_fd, struct err *err) WARN_UNUSED;

/* The pid of the server running on data_dir, or 0 when none runs. */
pid_t datadir_server_pid(const char *data_dir);

/* When no server runs on data_dir, returns an fd holding a shared lock that keeps one from
 * starting until it is closed; -1 when a server runs (or the lock cannot be taken). */
int datadir_hold_if_no_server(const char *data_dir);

#endif
