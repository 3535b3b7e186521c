/* seed.c — startup seeding. Nothing here uses a fixed password: the seeded admin's comes from
 * the environment, the demo users get random ones printed once, and the bootstrap code is
 * random, single-use and stored only as a hash. */
#include "cmd/seed.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/opaque_token.h"
#include "base/b64.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/rand.h"
#include "core/identity.h"
#include "data/demo.h"
#include "store/access_repo.h"

/* A user made at startup: by no one (the server itself), from nowhere. */
static enum rc create_user(struct core *core, const char *email, const char *name, const char *role,
                           const char *password, struct err *err)
{
    if (!password)
        return err_set(err, RC_INVALID, "password is required");
    struct user_new in = { .email = email, .name = name, .role = role, .password = password };
    return core_user_create(core, NULL, NULL, &in, "seeded at startup", NULL, NULL, err);
}

static enum rc seed_admin(struct core *core, struct err *err)
{
    const struct config *c = core->cfg;
    if (!c->seed_admin_email)
        return RC_OK;
    struct user u;
    enum rc rc = users_get_by_email(core->store, c->seed_admin_email, &u, NULL, err);
    if (rc != RC_NOTFOUND)
        return rc; /* present: its password is its own business now */
    rc = create_user(core, c->seed_admin_email, "Admin", "admin", c->seed_admin_password, err);
    if (rc) {
        struct err why = *err; /* vsnprintf must not read the buffer it writes */
        return err_set(err, rc, "SEED_ADMIN_EMAIL: %s", why.msg);
    }
    log_info("auth", "created the seeded admin %s", c->seed_admin_email);
    return RC_OK;
}

/* customers and support_tickets hold personal data: private, so the grant model shows. */
static enum rc seed_demo_tables(struct core *core, struct err *err)
{
    static const char *names[] = { "customers",   "products",     "orders",
                                   "order_items", "web_sessions", "support_tickets" };
    for (size_t i = 0; i < ARRAY_LEN(names); i++) {
        struct table_entry t = { 0 };
        if (tables_get(core->store, names[i], &t, err) == RC_OK)
            continue;
        snprintf(t.id, sizeof(t.id), "%s", names[i]);
        snprintf(t.name, sizeof(t.name), "%s", names[i]);
        snprintf(t.source_type, sizeof(t.source_type), "%s", DEMO_SOURCE_NAME);
        snprintf(t.bucket, sizeof(t.bucket), "%s", DEMO_SOURCE_NAME);
        snprintf(t.query_mode, sizeof(t.query_mode), "local");
        /* no description of its own: the catalog shows the extract's */
        t.is_public =
            strcmp(names[i], "customers") != 0 && strcmp(names[i], "support_tickets") != 0;
        struct audit_entry audit = {
            .action = "table.register", .target = names[i], .result = "ok", .detail = "demo"
        };
        enum rc rc = tables_register(core->store, &t, "demo", &audit, err);
        if (rc)
            return rc;
    }
    return RC_OK;
}

static enum rc random_password(char out[32], struct err *err)
{
    unsigned char raw[16];
    enum rc rc = rand_bytes(raw, sizeof(raw), err);
    if (!rc)
        b64url_encode(raw, sizeof(raw), out);
    mem_wipe(raw, sizeof(raw));
    return rc;
}

static enum rc seed_demo_users(struct core *core, struct err *err)
{
    static const struct {
        const char *email, *name, *role;
    } demo[] = {
        { "admin@example.com", "Demo Admin", "admin" },
        { "analyst@example.com", "Demo Analyst", "analyst" },
    };
    int64_t total = 0, admins = 0;
    enum rc rc = users_count(core->store, &total, &admins, err);
    if (rc || total > 0)
        return rc; /* demo users only on a server nobody uses yet */
    for (size_t i = 0; i < ARRAY_LEN(demo); i++) {
        char password[32];
        rc = random_password(password, err);
        if (!rc)
            rc = create_user(core, demo[i].email, demo[i].name, demo[i].role, password, err);
        if (!rc)
            log_warn("demo", "demo %s: %s password %s (shown once; change it or delete the user)",
                     demo[i].role, demo[i].email, password);
        mem_wipe(password, sizeof(password));
        if (rc)
            return rc;
    }
    return RC_OK;
}

static enum rc offer_bootstrap(struct core *core, struct err *err)
{
    char *code = NULL;
    enum rc rc = core_bootstrap_code_new(core, &code, err);
    if (code)
        log_warn("auth",
                 "no admin yet. Bootstrap code (single use, 24 h): %s  -- POST /auth/bootstrap "
                 "{\"code\", \"email\", \"password\"}, or on this machine: da admin bootstrap",
                 code);
    opaque_token_free(code);
    return rc;
}

enum rc seed_run(struct core *core, bool demo, struct err *err)
{
    enum rc rc = seed_admin(core, err);
    if (!rc && demo)
        rc = seed_demo_tables(core, err);
    if (!rc && demo)
        rc = seed_demo_users(core, err);
    if (!rc)
        rc = offer_bootstrap(core, err);
    return rc;
}
