/* jira_parts.h — applies a batch of Jira changes to the jira extract
 * (<data_dir>/extracts/jira/), whose six tables are partitioned by month: each is one Parquet
 * file per YYYY-MM of the issues' created time. Only the months the batch touches are
 * rewritten; every other month's files are carried into the new run by hard link, so their
 * bytes and digests stay the same and clients do not download them again. An issue is
 * upserted by key: its rows replace every earlier row of that key in every table, unless the
 * extract already holds a newer version of it (a larger updated_at), which then stays. The
 * commit is the extract writer's: all or nothing. */
#ifndef DA_CONNECTORS_JIRA_PARTS_H
#define DA_CONNECTORS_JIRA_PARTS_H

#include <stddef.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/rc.h"
#include "connectors/jira_rows.h"

struct jira_apply_result {
    int tables;
    int64_t rows;  /* of the whole extract */
    int64_t bytes; /* of the whole extract */
    int months_written;
    int months_kept; /* carried over unchanged */
    int stale;       /* issues not applied: the extract held a newer version */
};

/* Upserts the issues in rows and removes the issues named in deleted (valid keys; child rows
 * too) in the extract folder extract_dir (the source is its last component). A key must not be
 * both in rows and in deleted. */
enum rc jira_parts_apply(const char *extract_dir, const struct jira_rows *rows,
                         const char *const *deleted, size_t n_deleted,
                         struct jira_apply_result *out, struct err *err) WARN_UNUSED;

#endif
