/* audit.c — audit records of the domain layer: standalone rows go through the group-commit
 * writer when the server runs one, else straight to the store. */
#include "core/audit.h"

#include "base/log.h"
#include "store/audit_writer.h"

struct audit_entry core_audit_entry(const char *from, const struct principal *actor,
                                    const char *action, const char *target, const char *result,
                                    const char *detail)
{
    return (struct audit_entry){
        .actor_id = actor ? actor->user.id : NULL,
        .actor_email = actor ? actor->user.email : NULL,
        .action = action,
        .target = target,
        .ip = from,
        .result = result,
        .detail = detail,
    };
}

enum rc core_audit(struct core *core, const char *from, const struct principal *actor,
                   const char *action, const char *target, const char *result, const char *detail)
{
    struct audit_entry e = core_audit_entry(from, actor, action, target, result, detail);
    struct err err;
    enum rc rc = core->audit_writer ? audit_writer_write(core->audit_writer, &e, &err)
                                    : audit_write(core->store, &e, &err);
    if (rc)
        log_error("audit", "cannot record %s %s: %s", action, target ? target : "", err.msg);
    return rc;
}
