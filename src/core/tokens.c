/* tokens.c — personal access tokens for the CLI and scripts: random, shown once, stored as a
 * SHA-256 hash, named, expiring, revocable, with a last-used time. A token can only be made
 * by a signed-in person, never with another token, so a leaked token cannot mint more: by
 * that person's own request here, or by their approval of a device sign-in (device.c). */
#include <string.h>

#include "auth/opaque_token.h"
#include "base/isotime.h"
#include "core/audit.h"
#include "core/identity.h"
#include "core/identity_int.h"
#include "store/device_repo.h"

enum rc core_pat_check(const struct principal *actor, const char *name, int64_t days,
                       struct err *err)
{
    if (actor->via_pat)
        return err_set(err, RC_FORBIDDEN, "A personal access token cannot create tokens; sign in");
    if (!name || !*name || strlen(name) > PAT_NAME_MAX || days < 1 || days > PAT_MAX_DAYS)
        return err_set(err, RC_BADVALUE, "name: 1 to %d characters; expires_in_days: 1 to %d",
                       PAT_NAME_MAX, PAT_MAX_DAYS);
    return RC_OK;
}

enum rc core_pat_create(struct core *core, const char *from, const struct principal *actor,
                        const char *name, int64_t days, char out_id[RAND_ID_LEN + 1],
                        char **out_token, int64_t *out_expires, struct err *err)
{
    char hash[SHA256_HEX_LEN + 1];
    *out_token = NULL;
    enum rc rc = core_pat_check(actor, name, days, err);
    if (rc)
        return rc;
    *out_expires = clock_now_s() + days * 86400;
    rand_id(out_id);
    struct audit_entry audit = core_audit_entry(from, actor, "token.create", out_id, "ok", name);
    rc = opaque_token_new(PAT_PREFIX, out_token, hash, err);
    if (!rc)
        rc =
            pats_create(core->store, out_id, actor->user.id, name, hash, *out_expires, &audit, err);
    if (rc) {
        opaque_token_free(*out_token);
        *out_token = NULL;
    }
    return rc;
}

enum rc core_pat_list(struct core *core, const struct principal *actor, struct pat_info **out,
                      size_t *out_len, struct err *err)
{
    return pats_list(core->store, actor->user.id, out, out_len, err);
}

enum rc core_pat_revoke(struct core *core, const char *from, const struct principal *actor,
                        const char *id, struct err *err)
{
    struct audit_entry audit = core_audit_entry(from, actor, "token.revoke", id, "ok", NULL);
    enum rc rc = pats_revoke(core->store, actor->user.id, id, &audit, err);
    identity_changed(core);
    return rc;
}

enum rc core_pat_describe(struct core *core, const char *token, struct pat_info *out,
                          struct err *err)
{
    char hash[SHA256_HEX_LEN + 1];
    opaque_token_hash(token, hash);
    return pats_get_by_hash(core->store, hash, out, err);
}
