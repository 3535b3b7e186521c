/* dataplane.h — the data plane of a running server: the catalog, a watcher that rebuilds it
 * when an extract changes on disk (a new extract is served without a restart), sync_state
 * written after every rebuild, a background profiler (which also hashes new files for the
 * manifest), and the removal of Parquet runs no query can read any more. */
#ifndef DA_DATA_DATAPLANE_H
#define DA_DATA_DATAPLANE_H

#include <stdbool.h>

#include "base/compat.h"
#include "base/rc.h"
#include "data/catalog.h"

struct store;
struct dataplane;

struct dataplane_options {
    const char *data_dir;
    struct store *store;
    int watch_interval_ms;    /* how often extracts/ is checked for changes; 0: 2000 */
    bool profile;             /* profile tables after each rebuild (off in `da rebuild`) */
    const char *memory_limit; /* of each catalog generation; NULL: DuckDB's default */
    int threads;              /* of each catalog generation; 0: DuckDB's default */
    int stop_grace_ms;        /* dataplane_stop waits this long for the profiler and hashing to
                                 end (they are interrupted); 0: 5000 */
};

/* Opens the catalog, builds the first generation (so the server starts with its data) and
 * starts the watcher and profiler threads. */
enum rc dataplane_start(const struct dataplane_options *opt, struct dataplane **out,
                        struct err *err) WARN_UNUSED;

/* Stops the threads and closes the catalog, waiting for queries that still hold a
 * generation. The profiler's DuckDB work is interrupted and file hashing cancelled; should
 * the profiler not end within stop_grace_ms, it is left running and nothing it uses is
 * freed (the process is about to exit). Accepts NULL or a pointer to NULL. */
void dataplane_stop(struct dataplane **dp);

struct catalog *dataplane_catalog(struct dataplane *dp);

/* The digests of the files the catalog serves (see filehash.h); after each rebuild the
 * background thread hashes new files before anyone asks, so the first manifest is quick. */
struct filehash *dataplane_filehash(struct dataplane *dp);

/* Rebuilds now, in the calling thread (source NULL: every source), then records sync_state
 * and queues profiles. Serialised with the watcher. */
enum rc dataplane_rebuild(struct dataplane *dp, const char *source,
                          struct catalog_rebuild_stats *out, struct err *err) WARN_UNUSED;

/* Asks the watcher to rebuild soon (source NULL: every source); for signal handlers' callers. */
void dataplane_request_rebuild(struct dataplane *dp, const char *source);

/* Queues table id for profiling now, whatever its last profile. RC_NOTFOUND when the current
 * generation serves no local table of that id. */
enum rc dataplane_profile(struct dataplane *dp, const char *id, struct err *err) WARN_UNUSED;

/* Writes sync_state from the current generation of catalog, and the generation number to the
 * store's server_meta (`da rebuild` waits on it). Used by the service and by `da rebuild`. */
enum rc dataplane_record_state(struct catalog *catalog, struct store *store,
                               struct err *err) WARN_UNUSED;

#endif
