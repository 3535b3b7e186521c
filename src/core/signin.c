/* signin.c — the rules of signing in, whatever the surface: a password (with the same work
 * and the same answer for every failure), a one-time password setup link, a magic link by
 * mail, an identity vouched for by an outside provider (who may join), and the bootstrap code
 * that makes the first admin. One-time secrets are stored only as hashes and spent atomically.
 * Rate limits, cookies and the answer's shape belong to the surface. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth/mail_outbox.h"
#include "auth/opaque_token.h"
#include "auth/password.h"
#include "base/isotime.h"
#include "base/log.h"
#include "base/mem.h"
#include "core/audit.h"
#include "core/identity.h"
#include "core/identity_int.h"

#define SETUP_PREFIX         "da_setup_"
#define MAGIC_PREFIX         "da_link_"
#define MAGIC_LIFETIME_S     (15 * 60)
#define BOOTSTRAP_LIFETIME_S (24 * 3600)

/* ---------------------------------------------------------------- password */

enum rc core_password_sign_in(struct core *core, const char *from, const char *email,
                              const char *password, struct user *out, struct err *err)
{
    char *hash = NULL;
    enum rc rc = users_get_by_email(core->store, email, out, &hash, err);
    bool ok = false;
    if (rc != RC_OK && rc != RC_NOTFOUND) {
        /* the store did not answer: that says nothing about the password */
        log_error("auth", "login lookup: %s", err->msg);
        return RC_BUSY;
    }
    struct err ignored;
    if (rc == RC_OK && hash)
        ok = password_verify(hash, password ? password : "", &ignored) == RC_OK;
    else
        password_verify_dummy(password); /* the work of a real check (not its exact time) */
    free(hash);
    if (ok && !out->active)
        ok = false;
    if (ok)
        return RC_OK;
    core_audit(core, from, NULL, "login", email, "failed", "password");
    return err_set(err, RC_UNAUTHORIZED, "Invalid email or password");
}

enum rc core_password_setup(struct core *core, const char *from, const char *token,
                            const char *password, const char *email, struct user *out,
                            struct err *err)
{
    char user_id[USER_ID_LEN + 1];
    char hash[SHA256_HEX_LEN + 1];
    char *phc = NULL;
    /* the policy first, so a weak password does not spend the link */
    enum rc rc = core_password_policy(password, err);
    if (rc)
        return rc;
    opaque_token_hash(token, hash);
    /* Every check before the link is spent, so a request that fails one (an e-mail that does
     * not match, for one) cannot burn the user's link; the spending itself is atomic and only
     * for the user checked. */
    rc = RC_UNAUTHORIZED;
    if (opaque_token_well_formed(token, SETUP_PREFIX))
        rc = one_time_peek(core->store, hash, "setup", clock_now_s(), user_id, err);
    if (!rc)
        rc = users_get(core->store, user_id, out, err);
    if (!rc && (!out->active || (email && strcasecmp(email, out->email) != 0)))
        rc = RC_UNAUTHORIZED;
    if (!rc)
        rc = password_hash(password, &phc, err);
    if (!rc)
        rc = one_time_consume_for(core->store, hash, "setup", out->id, clock_now_s(), err);
    if (rc == RC_UNAUTHORIZED || rc == RC_NOTFOUND) {
        core_audit(core, from, NULL, "password.setup", email, "failed", "invalid link");
        rc = err_set(err, RC_INVALID, "Invalid or expired setup link");
    }
    if (!rc) {
        struct principal actor = { .user = *out };
        struct audit_entry audit =
            core_audit_entry(from, &actor, "password.set", out->email, "ok", NULL);
        rc = users_set_password(core->store, out->id, phc, &audit, err);
        identity_changed(core);
    }
    free(phc);
    return rc;
}

/* ---------------------------------------------------------------- magic links */

void core_magic_link_send(struct core *core, const char *from, const char *email)
{
    const struct config *c = core->cfg;
    struct user u;
    struct err err;
    if (!c->smtp_url) {
        log_warn("auth", "a sign-in link was asked for, but mail.smtp_url is not set");
        return;
    }
    if (users_get_by_email(core->store, email, &u, NULL, &err) != RC_OK || !u.active)
        return;
    char *token = NULL;
    char hash[SHA256_HEX_LEN + 1];
    if (opaque_token_new(MAGIC_PREFIX, &token, hash, &err) == RC_OK &&
        one_time_create(core->store, hash, "magic_link", u.id, clock_now_s() + MAGIC_LIFETIME_S,
                        &err) == RC_OK) {
        char *body = xasprintf("Hello %s,\r\n\r\nOpen this link within 15 minutes to sign in "
                               "to %s:\r\n\r\n%s/auth/email/verify#token=%s\r\n\r\nIf you did "
                               "not ask for it, ignore this message.\r\n",
                               u.name, c->instance_name, c->public_url, token);
        struct mail_server server = { c->smtp_url, c->smtp_user, c->smtp_password, c->mail_from,
                                      c->smtp_require_tls };
        /* In the background (tracked, and waited for at shutdown), so the SMTP conversation,
         * seconds long, stays out of the answer. The answer is the same for any e-mail, but
         * its time is not: a registered one costs two store writes (the link and the audit
         * record) and a thread start that an unknown one does not. */
        mail_outbox_send(&server, u.email, "Your sign-in link", body, "the sign-in link");
        core_audit(core, from, NULL, "magic_link.send", u.email, "ok", NULL);
    } else {
        log_error("auth", "magic link: %s", err.msg);
    }
    opaque_token_free(token);
}

enum rc core_magic_link_consume(struct core *core, const char *from, const char *token,
                                const char *email, struct user *out, struct err *err)
{
    char user_id[USER_ID_LEN + 1], hash[SHA256_HEX_LEN + 1];
    opaque_token_hash(token, hash);
    enum rc rc = RC_UNAUTHORIZED;
    if (opaque_token_well_formed(token, MAGIC_PREFIX))
        rc = one_time_consume(core->store, hash, "magic_link", clock_now_s(), user_id, err);
    if (!rc)
        rc = users_get(core->store, user_id, out, err);
    if (rc == RC_BUSY || rc == RC_DB) /* the store did not answer: not the link's fault */
        return RC_BUSY;
    if (rc || !out->active) {
        core_audit(core, from, NULL, "login", email, "failed", "magic_link");
        return err_set(err, RC_UNAUTHORIZED, "Invalid or expired link");
    }
    return RC_OK;
}

/* ---------------------------------------------------------------- outside providers */

/* May someone of this domain join? Only when it is in auth.allowed_domains. */
static bool domain_allowed(const struct config *c, const char *domain)
{
    for (size_t i = 0; domain && i < c->allowed_domains_len; i++)
        if (strcasecmp(c->allowed_domains[i], domain) == 0)
            return true;
    return false;
}

enum rc core_external_user(struct core *core, const char *from, const char *email, const char *hd,
                           const char *name, const char *detail, struct user *out, struct err *err)
{
    enum rc rc = users_get_by_email(core->store, email, out, NULL, err);
    if (rc != RC_NOTFOUND)
        return rc == RC_OK && !out->active ? err_set(err, RC_FORBIDDEN, "account deactivated") : rc;
    const char *at = strrchr(email, '@');
    const char *domain = at ? at + 1 : NULL;
    if (!domain_allowed(core->cfg, domain) || (hd && !domain_allowed(core->cfg, hd)))
        return err_set(err, RC_FORBIDDEN, "domain %s may not join", domain ? domain : "?");
    memset(out, 0, sizeof(*out));
    out->active = true;
    rc = core_user_fill(out, email, name, "analyst", err);
    if (rc)
        return rc;
    rand_id(out->id);
    struct principal actor = { .user = *out };
    struct audit_entry audit =
        core_audit_entry(from, &actor, "user.create", out->email, "ok", detail);
    return users_create(core->store, out, NULL, &audit, err);
}

/* ---------------------------------------------------------------- the first admin */

enum rc core_bootstrap_code_new(struct core *core, char **out_code, struct err *err)
{
    int64_t total = 0, admins = 0;
    char hash[SHA256_HEX_LEN + 1];
    *out_code = NULL;
    enum rc rc = users_count(core->store, &total, &admins, err);
    if (rc || admins > 0)
        return rc;
    rc = opaque_token_new(BOOTSTRAP_PREFIX, out_code, hash, err);
    if (!rc)
        rc = one_time_create(core->store, hash, "bootstrap", NULL,
                             clock_now_s() + BOOTSTRAP_LIFETIME_S, err);
    if (rc) {
        opaque_token_free(*out_code);
        *out_code = NULL;
    }
    return rc;
}

enum rc core_first_admin_create(struct core *core, const char *from, const char *code,
                                const struct user_new *in, const char *detail, struct user *out,
                                struct err *err)
{
    struct user_new admin = *in;
    admin.role = "admin";
    if (!admin.password)
        return err_set(err, RC_BADVALUE, "password is required");
    enum rc rc = core_user_check(&admin, err);
    if (rc)
        return rc;
    if (code) {
        char user_id[USER_ID_LEN + 1], hash[SHA256_HEX_LEN + 1];
        opaque_token_hash(code, hash);
        if (!opaque_token_well_formed(code, BOOTSTRAP_PREFIX) ||
            one_time_consume(core->store, hash, "bootstrap", clock_now_s(), user_id, err) !=
                RC_OK) {
            core_audit(core, from, NULL, "bootstrap", in->email, "failed", "invalid code");
            return err_set(err, RC_FORBIDDEN, "Invalid or expired bootstrap code");
        }
    }
    char *phc = NULL;
    memset(out, 0, sizeof(*out));
    out->active = true;
    out->km_admin = in->km_admin;
    rc = core_user_fill(out, admin.email, admin.name, admin.role, err);
    rand_id(out->id);
    if (!rc)
        rc = password_hash(admin.password, &phc, err);
    struct principal actor = { .user = *out };
    struct audit_entry audit =
        core_audit_entry(from, &actor, "bootstrap", out->email, "ok", detail);
    if (!rc)
        rc = users_create_first_admin(core->store, out, phc, &audit, err);
    free(phc);
    return rc;
}
