/* audit_writer.h — group commit for standalone audit rows and personal access token "last used"
 * stamps: rows from concurrent requests are written in one store transaction, so they share one
 * COMMIT (one fsync), as PostgreSQL's group commit does. A caller is blocked until the
 * transaction holding its row has committed, so its row is durable before it answers; a failure
 * reaches every waiter it concerns. There is one writer at a time and no thread of its own: the
 * first caller that finds no batch being written writes the whole queue for everyone (so an
 * idle server pays no hand-off between threads). The queue is bounded: when it is full, callers
 * wait for room.
 *
 * A change that must be audited does not come here: it writes its audit row in its own
 * transaction (identity_repo.h). The writer borrows each waiting caller's entry (the caller is
 * blocked until it is written). The writer is owned by whoever started it (audit_writer_stop). */
#ifndef DA_STORE_AUDIT_WRITER_H
#define DA_STORE_AUDIT_WRITER_H

#include <stddef.h>

#include "base/compat.h"
#include "base/rc.h"
#include "store/identity_repo.h"
#include "store/store.h"

struct audit_writer;

/* Makes a writer on s (borrowed: it must outlive the writer). At most queue_max rows wait to be
 * written (at least 1). The caller frees it with audit_writer_stop. */
enum rc audit_writer_start(struct store *s, size_t queue_max, struct audit_writer **out,
                           struct err *err) WARN_UNUSED;

/* Writes e (borrowed, untouched until this returns) and returns once the transaction that holds
 * it has committed, or with its failure (RC_BUSY, RC_DB...). */
enum rc audit_writer_write(struct audit_writer *w, const struct audit_entry *e,
                           struct err *err) WARN_UNUSED;

/* Records that the token with token_hash was used at stamp (an ISO time), with the next batch,
 * and returns once that is committed, as audit_writer_write does. Borrowed, like e. */
enum rc audit_writer_touch_pat(struct audit_writer *w, const char *token_hash, const char *stamp,
                               struct err *err) WARN_UNUSED;

/* Waits until nothing is queued or being written and frees the writer; *w becomes NULL. Accepts
 * NULL or a pointer to NULL. No call may start on *w once this has begun. */
void audit_writer_stop(struct audit_writer **w);

#endif
