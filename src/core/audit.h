/* audit.h — the audit of the domain layer: what was done, by whom, from where. A change that
 * must be audited hands core_audit_entry() to its store call, which writes it in the same
 * transaction; a refusal or failure, where no change carries it, is written by core_audit(). */
#ifndef DA_CORE_AUDIT_H
#define DA_CORE_AUDIT_H

#include "core/core.h"
#include "core/principal.h"

/* An audit record (strings borrowed). actor may be NULL (a failed sign-in); from is where the
 * call came from: the client address for the HTTP API, "cli" for a local command. */
struct audit_entry core_audit_entry(const char *from, const struct principal *actor,
                                    const char *action, const char *target, const char *result,
                                    const char *detail);

/* Writes an audit record on its own (a query, a download, a read, a sign-in attempt) and
 * returns once it is durable, so the caller answers only what is on record. On a server the
 * row goes through the group-commit writer (store/audit_writer.h): concurrent rows share one
 * transaction and one fsync. A store failure is logged and returned; callers that answer
 * anyway may ignore it (the refusal it records has been decided already). */
enum rc core_audit(struct core *core, const char *from, const struct principal *actor,
                   const char *action, const char *target, const char *result, const char *detail);

#endif
