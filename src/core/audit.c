/* audit.c — audit records of the domain layer. */
#include "core/audit.h"

#include "base/log.h"

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

void core_audit(struct core *core, const char *from, const struct principal *actor,
                const char *action, const char *target, const char *result, const char *detail)
{
    struct audit_entry e = core_audit_entry(from, actor, action, target, result, detail);
    struct err err;
    if (audit_write(core->store, &e, &err) != RC_OK)
        log_error("audit", "cannot record %s %s: %s", action, target ? target : "", err.msg);
}
