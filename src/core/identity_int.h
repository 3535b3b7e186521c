/* identity_int.h — what the identity files (sessions.c, users.c, tokens.c, signin.c) share
 * and no surface needs. */
#ifndef DA_CORE_IDENTITY_INT_H
#define DA_CORE_IDENTITY_INT_H

#include "core/core.h"
#include "core/principal.h"

/* Makes every cached credential invalid (credcache_bump); a no-op without a cache. Every change
 * that can make a verified principal wrong calls it after its store call, whatever came of it,
 * and before it returns. */
void identity_changed(struct core *core);

/* RC_OK when actor may administer users: an admin, or NULL (the server itself, as in startup
 * seeding). RC_FORBIDDEN "Requires role admin" otherwise. */
enum rc identity_require_admin(const struct principal *actor, struct err *err) WARN_UNUSED;

/* The password rules for a new password (password_check_policy), refused as a value the rules
 * do not allow: RC_BADVALUE with a message fit for the user. */
enum rc core_password_policy(const char *password, struct err *err) WARN_UNUSED;

#endif
