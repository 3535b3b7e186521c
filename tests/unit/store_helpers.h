/* store_helpers.h — rows the domain-layer tests put into a real state store: a user and a
 * registered table. */
#ifndef DA_TESTS_STORE_HELPERS_H
#define DA_TESTS_STORE_HELPERS_H

#include <stdbool.h>
#include <stdio.h>

#include "store/access_repo.h"
#include "store/identity_repo.h"

/* An active user (not yet stored: users_create does that) named after its id. */
static inline struct user test_user(const char *id, const char *email, const char *role)
{
    struct user u = { .active = true };
    snprintf(u.id, sizeof(u.id), "%s", id);
    snprintf(u.email, sizeof(u.email), "%s", email);
    snprintf(u.name, sizeof(u.name), "%s", id);
    snprintf(u.role, sizeof(u.role), "%s", role);
    return u;
}

/* Registers table id (query mode local) in bucket ("" for none); fails the test otherwise. */
static inline void test_register_table(struct store *s, const char *id, const char *bucket,
                                       bool is_public)
{
    struct table_entry t = { .is_public = is_public };
    struct err err;
    snprintf(t.id, sizeof(t.id), "%s", id);
    snprintf(t.name, sizeof(t.name), "%s", id);
    snprintf(t.bucket, sizeof(t.bucket), "%s", bucket);
    snprintf(t.query_mode, sizeof(t.query_mode), "local");
    if (tables_register(s, &t, "test", NULL, &err) != RC_OK)
        fail_msg("tables_register %s: %s", id, err.msg);
}

#endif
