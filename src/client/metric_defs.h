/* metric_defs.h — the company's business metric definitions in the sync folder: `da sync`
 * copies each definition the server lists (GET /api/catalog/metrics) byte for byte
 * (GET /api/catalog/metrics/<path>?format=yaml) to
 *
 *   <sync dir>/metrics/<area>/<name>.yml
 *
 * so an assistant reads the company's metric definitions beside the data. Every path the
 * server sends must pass the one rule of base/metric_path.h before it becomes a file name
 * (a hostile server cannot name ../x or a dot file); files are written atomically (a reader
 * sees the old file or the new one) and only when their bytes changed; a file with a valid
 * name that the server no longer lists is removed, and anything else in metrics/ (other
 * names, the user's own notes) is left alone. Links are never followed: metrics/ or an area
 * folder that is a link is refused, and a link where a file goes is replaced, not written
 * through. */
#ifndef DA_CLIENT_METRIC_DEFS_H
#define DA_CLIENT_METRIC_DEFS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/compat.h"
#include "base/metric_path.h"
#include "base/rc.h"

struct hc;

#define METRIC_SYNC_MAX_FILES 1000         /* definitions copied; more are refused */
#define METRIC_SYNC_MAX_BYTES (256 * 1024) /* bytes of one definition, as the server's cap */

/* A definition in the folder after the sync, for DATA.md to link. */
struct metric_def_local {
    char path[METRIC_PATH_MAX + 1]; /* "area/name.yml", under <sync dir>/metrics/ */
    char *title;                    /* from the server's list, or NULL; owned */
    char *description;              /* likewise */
};

struct metric_defs_report {
    bool supported;   /* false: the server has no metric definition routes (an older server);
                         nothing was changed */
    size_t written;   /* new or changed files */
    size_t unchanged; /* files already holding the server's bytes */
    size_t removed;   /* local definitions the server no longer lists */
    size_t refused;   /* listed paths that break the rule: never written */
    size_t failed;    /* listed files that could not be fetched (their old copy stays) */
    char first_failure[ERR_MSG_LEN]; /* why the first refused or failed one was, or "" */
    struct metric_def_local *defs;   /* what metrics/ holds of the server's list, by path */
    size_t n_defs;
};

/* Brings <sync_dir>/metrics in line with the server's definitions through c (signed in).
 * Refused and failed files are counted in *out and do not fail the call; RC_IO when the
 * server cannot be reached (hc_reached false), the server's rc for an error answer to the
 * list, RC_CONFLICT when metrics/ or an area folder is not a real folder, RC_IO when a file
 * cannot be written. *out is filled as far as the sync got (also on failure); release it with
 * metric_defs_report_free. */
enum rc metric_defs_sync(struct hc *c, const char *sync_dir, struct metric_defs_report *out,
                         struct err *err) WARN_UNUSED;

void metric_defs_report_free(struct metric_defs_report *r);

#endif
