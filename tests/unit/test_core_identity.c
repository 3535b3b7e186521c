/* test_core_identity.c — the identity rules of the domain layer, without HTTP, over a real
 * state store in a temporary folder: what a credential proves and when it stops proving it
 * (logout, revocation, expiry, deactivation), what a valid user is, who may mint tokens, the
 * sign-in paths (password, setup link, magic link, outside provider, bootstrap code, device
 * grant), and the audit record each change writes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "auth/jwt.h"
#include "auth/opaque_token.h"
#include "base/isotime.h"
#include "base/mem.h"
#include "core/device.h"
#include "core/identity.h"
#include "helpers.h"
#include "store/identity_repo.h"
#include "store/store_int.h"

#define TEST_KEY  "unit-test-signing-key-0123456789abcdef"
#define FROM      "192.0.2.7"
#define PASSWORD  "correct-horse-battery"
#define PUBLIC    "https://da.example.com"
#define SETUP_URL PUBLIC "/auth/password/setup#token="

static char public_url[] = PUBLIC;
static char partner[] = "partner.example";

struct fixture {
    char *dir;
    struct config cfg;
    char *domains[1];
    struct core core;
    struct principal admin; /* an admin signed in with a session */
};

static int setup(void **state)
{
    struct fixture *f = xcalloc(1, sizeof(*f));
    struct err err;
    f->dir = test_tmpdir();
    char *path = xasprintf("%s/system.sqlite", f->dir);
    assert_int_equal(store_open(path, 2, &f->core.store, &err), RC_OK);
    free(path);
    f->cfg.public_url = public_url;
    f->domains[0] = partner;
    f->cfg.allowed_domains = f->domains;
    f->cfg.allowed_domains_len = 1;
    f->core.cfg = &f->cfg;
    memcpy(f->core.key.bytes, TEST_KEY, strlen(TEST_KEY));
    f->core.key.len = strlen(TEST_KEY);

    struct user_new in = { .email = "root@example.com", .role = "admin" };
    struct user u;
    assert_int_equal(core_user_create(&f->core, NULL, NULL, &in, "test", &u, NULL, &err), RC_OK);
    char *token = NULL;
    assert_int_equal(core_session_issue(&f->core, FROM, &u, "password", &token, &err), RC_OK);
    assert_int_equal(core_principal_from_token(&f->core, token, &f->admin, &err), RC_OK);
    free(token);
    *state = f;
    return 0;
}

/* As setup, with what a server runs: the credential cache and the group-commit audit writer,
 * so every rule above is also proved with a warm cache (each test verifies a credential before
 * it revokes, demotes or deactivates) and audit rows written through the writer. */
static int setup_served(void **state)
{
    setup(state);
    struct fixture *f = *state;
    struct err err;
    assert_int_equal(core_identity_start(&f->core, &err), RC_OK);
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    core_identity_stop(&f->core);
    store_close(&f->core.store);
    test_rm_rf(f->dir);
    free(f->dir);
    free(f);
    return 0;
}

/* How many audit rows with action and result there are; the newest into *out when asked. */
static int audit_count(struct fixture *f, const char *action, const char *result,
                       struct audit_row *out)
{
    struct audit_filter flt = { .action = action, .limit = 1000 };
    struct audit_row *rows = NULL;
    size_t len = 0;
    int64_t total = 0;
    struct err err;
    assert_int_equal(audit_list(f->core.store, &flt, &rows, &len, &total, &err), RC_OK);
    int n = 0;
    for (size_t i = 0; i < len; i++) {
        if (strcmp(rows[i].result, result) != 0)
            continue;
        if (n++ == 0 && out)
            *out = rows[i];
    }
    free(rows);
    return n;
}

/* A new analyst (no password) and a signed-in principal of theirs; *out_token is the JWT. */
static void analyst(struct fixture *f, const char *email, struct principal *out, char **out_token)
{
    struct err err;
    struct user_new in = { .email = email, .role = "analyst" };
    struct user u;
    assert_int_equal(core_user_create(&f->core, FROM, &f->admin, &in, NULL, &u, NULL, &err), RC_OK);
    assert_int_equal(core_session_issue(&f->core, FROM, &u, "magic_link", out_token, &err), RC_OK);
    assert_int_equal(core_principal_from_token(&f->core, *out_token, out, &err), RC_OK);
}

static void test_a_session_and_a_token_verify_to_their_user(void **state)
{
    struct fixture *f = *state;
    struct principal p, again;
    struct err err;
    char *jwt = NULL, *pat = NULL, id[RAND_ID_LEN + 1];
    int64_t expires = 0;
    analyst(f, "ana@example.com", &p, &jwt);
    assert_string_equal(p.user.email, "ana@example.com");
    assert_string_equal(p.user.role, "analyst");
    assert_true(p.jti[0] != '\0');
    assert_false(p.via_pat);

    assert_int_equal(core_pat_create(&f->core, FROM, &p, "laptop", 30, id, &pat, &expires, &err),
                     RC_OK);
    assert_true(opaque_token_well_formed(pat, PAT_PREFIX));
    assert_true(expires > clock_now_s() + 29 * 86400 && expires <= clock_now_s() + 30 * 86400);
    assert_int_equal(core_principal_from_token(&f->core, pat, &again, &err), RC_OK);
    assert_string_equal(again.user.id, p.user.id);
    assert_true(again.via_pat);
    assert_string_equal(again.jti, "");

    /* the session's login and the token's creation were recorded, with actor and address */
    struct audit_row row;
    assert_int_equal(audit_count(f, "token.create", "ok", &row), 1);
    assert_string_equal(row.actor_email, "ana@example.com");
    assert_string_equal(row.target, id);
    assert_string_equal(row.detail, "laptop");
    assert_string_equal(row.ip, FROM);
    assert_true(audit_count(f, "login", "ok", &row) >= 2);
    assert_string_equal(row.detail, "magic_link");

    /* a forged or unknown credential is refused, not an error of the store */
    jwt[strlen(jwt) - 2] ^= 1;
    assert_int_equal(core_principal_from_token(&f->core, jwt, &again, &err), RC_UNAUTHORIZED);
    pat[strlen(pat) - 1] = pat[strlen(pat) - 1] == 'A' ? 'B' : 'A';
    assert_int_equal(core_principal_from_token(&f->core, pat, &again, &err), RC_UNAUTHORIZED);
    assert_int_equal(core_principal_from_token(&f->core, "da_pat_short", &again, &err),
                     RC_UNAUTHORIZED);
    free(jwt);
    opaque_token_free(pat);
}

static void test_logout_and_revocation_end_sessions(void **state)
{
    struct fixture *f = *state;
    struct principal p, q, again;
    struct err err;
    char *one = NULL, *two = NULL;
    analyst(f, "bo@example.com", &p, &one);
    assert_int_equal(core_logout(&f->core, FROM, &p, &err), RC_OK);
    assert_int_equal(core_principal_from_token(&f->core, one, &again, &err), RC_UNAUTHORIZED);
    struct audit_row row;
    assert_int_equal(audit_count(f, "logout", "ok", &row), 1);
    assert_string_equal(row.target, "bo@example.com");

    /* a token holder has no session to end */
    struct principal via_pat = p;
    via_pat.jti[0] = '\0';
    via_pat.via_pat = true;
    assert_int_equal(core_logout(&f->core, FROM, &via_pat, &err), RC_INVALID);

    /* an admin revokes all of a user's sessions; an analyst may not */
    assert_int_equal(core_session_issue(&f->core, FROM, &p.user, "password", &two, &err), RC_OK);
    assert_int_equal(core_principal_from_token(&f->core, two, &q, &err), RC_OK);
    int n = -1;
    assert_int_equal(core_sessions_revoke(&f->core, FROM, &q, q.user.id, NULL, &n, &err),
                     RC_FORBIDDEN);
    assert_int_equal(core_principal_from_token(&f->core, two, &again, &err), RC_OK);
    assert_int_equal(core_sessions_revoke(&f->core, FROM, &f->admin, q.user.id, NULL, &n, &err),
                     RC_OK);
    assert_int_equal(n, 1);
    assert_int_equal(core_principal_from_token(&f->core, two, &again, &err), RC_UNAUTHORIZED);
    assert_int_equal(audit_count(f, "session.revoke", "ok", &row), 1);
    assert_string_equal(row.detail, "all");
    assert_string_equal(row.actor_email, "root@example.com");
    free(one);
    free(two);
}

static void test_expired_credentials_are_refused(void **state)
{
    struct fixture *f = *state;
    struct principal p, again;
    struct err err;
    char *jwt = NULL, *pat = NULL, *old = NULL, hash[SHA256_HEX_LEN + 1];
    analyst(f, "cy@example.com", &p, &jwt);
    assert_int_equal(opaque_token_new(PAT_PREFIX, &pat, hash, &err), RC_OK);
    assert_int_equal(
        pats_create(f->core.store, "t-old", p.user.id, "old", hash, clock_now_s() - 1, NULL, &err),
        RC_OK);
    assert_int_equal(core_principal_from_token(&f->core, pat, &again, &err), RC_UNAUTHORIZED);

    /* a JWT past its expiry, though its session row is live */
    struct jwt_claims c = { 0 };
    snprintf(c.sub, sizeof(c.sub), "%s", p.user.id);
    snprintf(c.email, sizeof(c.email), "%s", p.user.email);
    snprintf(c.role, sizeof(c.role), "analyst");
    snprintf(c.jti, sizeof(c.jti), "%s", p.jti);
    c.iat = clock_now_s() - 7200;
    c.exp = clock_now_s() - 3600;
    assert_int_equal(jwt_sign(&c, f->core.key.bytes, f->core.key.len, &old, &err), RC_OK);
    assert_int_equal(core_principal_from_token(&f->core, old, &again, &err), RC_UNAUTHORIZED);
    assert_int_equal(core_principal_from_token(&f->core, jwt, &again, &err), RC_OK);
    free(jwt);
    free(old);
    opaque_token_free(pat);
}

static void test_deactivation_revokes_sessions_and_tokens(void **state)
{
    struct fixture *f = *state;
    struct principal p, again;
    struct user u;
    struct err err;
    char *jwt = NULL, *pat = NULL, id[RAND_ID_LEN + 1];
    int64_t expires;
    analyst(f, "di@example.com", &p, &jwt);
    assert_int_equal(core_pat_create(&f->core, FROM, &p, "ci", 7, id, &pat, &expires, &err), RC_OK);

    /* an analyst cannot deactivate anyone, themselves included */
    assert_int_equal(core_user_update(&f->core, FROM, &p, p.user.id, NULL, NULL, 0, -1, &u, &err),
                     RC_FORBIDDEN);
    assert_int_equal(core_principal_from_token(&f->core, pat, &again, &err), RC_OK);

    assert_int_equal(
        core_user_update(&f->core, FROM, &f->admin, p.user.id, NULL, NULL, 0, -1, &u, &err), RC_OK);
    assert_false(u.active);
    assert_int_equal(core_principal_from_token(&f->core, jwt, &again, &err), RC_UNAUTHORIZED);
    assert_int_equal(core_principal_from_token(&f->core, pat, &again, &err), RC_UNAUTHORIZED);
    struct audit_row row;
    assert_int_equal(audit_count(f, "user.update", "ok", &row), 1);
    assert_string_equal(row.target, p.user.id);
    assert_string_equal(row.detail, " deactivated");

    /* reactivation does not revive them */
    assert_int_equal(
        core_user_update(&f->core, FROM, &f->admin, p.user.id, NULL, NULL, 1, -1, &u, &err), RC_OK);
    assert_true(u.active);
    assert_int_equal(core_principal_from_token(&f->core, jwt, &again, &err), RC_UNAUTHORIZED);
    assert_int_equal(core_principal_from_token(&f->core, pat, &again, &err), RC_UNAUTHORIZED);

    /* a bad role or name changes nothing and writes no record */
    assert_int_equal(
        core_user_update(&f->core, FROM, &f->admin, p.user.id, NULL, "owner", -1, -1, &u, &err),
        RC_BADVALUE);
    assert_int_equal(
        core_user_update(&f->core, FROM, &f->admin, p.user.id, "", NULL, -1, -1, &u, &err),
        RC_BADVALUE);
    assert_int_equal(audit_count(f, "user.update", "ok", NULL), 2);
    /* the last active admin stays */
    assert_int_equal(core_user_update(&f->core, FROM, &f->admin, f->admin.user.id, NULL, "viewer",
                                      -1, -1, &u, &err),
                     RC_CONFLICT);
    free(jwt);
    opaque_token_free(pat);
}

static void test_user_create_validates_before_writing(void **state)
{
    struct fixture *f = *state;
    struct err err;
    struct user u;
    int64_t before = 0, after = 0, admins = 0;
    assert_int_equal(users_count(f->core.store, &before, &admins, &err), RC_OK);
    const struct user_new bad[] = {
        { .email = "no-at-sign", .role = "analyst" },
        { .email = "a@b", .role = "analyst" },
        { .email = "x y@example.com", .role = "analyst" },
        { .email = NULL, .role = "analyst" },
        { .email = "ok@example.com", .role = "owner" },
        { .email = "ok@example.com", .role = NULL },
        { .email = "ok@example.com", .role = "viewer", .name = "tab\there" },
        { .email = "ok@example.com", .role = "viewer", .password = "short" },
    };
    const char *field[] = {
        "email", "email", "email", "email", "role", "role", "name", "password"
    };
    for (size_t i = 0; i < ARRAY_LEN(bad); i++) {
        assert_int_equal(core_user_create(&f->core, FROM, &f->admin, &bad[i], NULL, &u, NULL, &err),
                         RC_BADVALUE);
        assert_non_null(strstr(err.msg, field[i]));
    }
    assert_int_equal(users_count(f->core.store, &after, &admins, &err), RC_OK);
    assert_int_equal(after, before);
    assert_int_equal(audit_count(f, "user.create", "ok", NULL), before);

    /* only an admin creates users */
    struct principal p;
    char *jwt = NULL;
    analyst(f, "eve@example.com", &p, &jwt);
    struct user_new in = { .email = "mallory@example.com", .role = "admin" };
    assert_int_equal(core_user_create(&f->core, FROM, &p, &in, NULL, &u, NULL, &err), RC_FORBIDDEN);
    assert_int_equal(users_get_by_email(f->core.store, in.email, &u, NULL, &err), RC_NOTFOUND);

    /* the name defaults to the e-mail's local part; the record names the role; a taken
     * e-mail (in any case) is a conflict */
    char *url = NULL;
    struct user_new ok = { .email = "Frank.Lee@example.com", .role = "viewer", .km_admin = true };
    assert_int_equal(core_user_create(&f->core, FROM, &f->admin, &ok, NULL, &u, &url, &err), RC_OK);
    assert_string_equal(u.name, "Frank.Lee");
    assert_string_equal(u.role, "viewer");
    assert_true(u.km_admin && u.active && !u.has_password);
    assert_int_equal(strncmp(url, SETUP_URL, strlen(SETUP_URL)), 0);
    struct audit_row row;
    assert_int_equal(audit_count(f, "user.create", "ok", &row), before + 2);
    assert_string_equal(row.target, "Frank.Lee@example.com");
    assert_string_equal(row.detail, "viewer");
    assert_string_equal(row.actor_id, f->admin.user.id);
    struct user_new dup = { .email = "frank.lee@EXAMPLE.com", .role = "viewer" };
    assert_int_equal(core_user_create(&f->core, FROM, &f->admin, &dup, NULL, &u, NULL, &err),
                     RC_CONFLICT);
    free(url);
    free(jwt);
}

static void test_delete_and_user_admin_are_admin_only(void **state)
{
    struct fixture *f = *state;
    struct principal p;
    struct err err;
    struct user *users = NULL;
    size_t len = 0;
    char *jwt = NULL, *url = NULL;
    analyst(f, "gil@example.com", &p, &jwt);
    assert_int_equal(core_users_list(&f->core, &p, &users, &len, &err), RC_FORBIDDEN);
    assert_int_equal(core_user_delete(&f->core, FROM, &p, p.user.id, &err), RC_FORBIDDEN);
    assert_int_equal(core_setup_link_issue(&f->core, FROM, &p, p.user.id, NULL, &url, &err),
                     RC_FORBIDDEN);
    assert_null(url);
    assert_int_equal(core_users_list(&f->core, &f->admin, &users, &len, &err), RC_OK);
    assert_int_equal(len, 2);
    free(users);

    struct user u;
    assert_int_equal(core_setup_link_issue(&f->core, FROM, &f->admin, p.user.id, &u, &url, &err),
                     RC_OK);
    assert_string_equal(u.email, "gil@example.com");
    assert_int_equal(audit_count(f, "user.setup_link", "ok", NULL), 1);
    free(url);

    assert_int_equal(core_user_delete(&f->core, FROM, &f->admin, p.user.id, &err), RC_OK);
    struct principal again;
    assert_int_equal(core_principal_from_token(&f->core, jwt, &again, &err), RC_UNAUTHORIZED);
    assert_int_equal(core_user_delete(&f->core, FROM, &f->admin, p.user.id, &err), RC_NOTFOUND);
    assert_int_equal(core_user_delete(&f->core, FROM, &f->admin, f->admin.user.id, &err),
                     RC_CONFLICT);
    assert_int_equal(audit_count(f, "user.delete", "ok", NULL), 1);
    free(jwt);
}

static void test_tokens_are_made_by_people_and_revoked_by_their_owner(void **state)
{
    struct fixture *f = *state;
    struct principal p, q, via_pat;
    struct err err;
    char *a = NULL, *b = NULL, *pat = NULL, *other = NULL, id[RAND_ID_LEN + 1];
    int64_t expires;
    analyst(f, "hal@example.com", &p, &a);
    analyst(f, "ivy@example.com", &q, &b);
    assert_int_equal(core_pat_check(&p, "", 30, &err), RC_BADVALUE);
    assert_int_equal(core_pat_check(&p, "x", 0, &err), RC_BADVALUE);
    assert_int_equal(core_pat_check(&p, "x", PAT_MAX_DAYS + 1, &err), RC_BADVALUE);
    assert_int_equal(core_pat_create(&f->core, FROM, &p, "x", 0, id, &pat, &expires, &err),
                     RC_BADVALUE);
    assert_null(pat);

    assert_int_equal(core_pat_create(&f->core, FROM, &p, "cli", 30, id, &pat, &expires, &err),
                     RC_OK);
    assert_int_equal(core_principal_from_token(&f->core, pat, &via_pat, &err), RC_OK);
    /* a token cannot mint another */
    assert_int_equal(
        core_pat_create(&f->core, FROM, &via_pat, "more", 30, id, &other, &expires, &err),
        RC_FORBIDDEN);
    assert_null(other);

    struct pat_info *list = NULL, t;
    size_t len = 0;
    assert_int_equal(core_pat_list(&f->core, &p, &list, &len, &err), RC_OK);
    assert_int_equal(len, 1);
    assert_string_equal(list[0].name, "cli");
    char own[RAND_ID_LEN + 1];
    snprintf(own, sizeof(own), "%s", list[0].id);
    free(list);
    assert_int_equal(core_pat_list(&f->core, &q, &list, &len, &err), RC_OK);
    assert_int_equal(len, 0);
    free(list);
    assert_int_equal(core_pat_describe(&f->core, pat, &t, &err), RC_OK);
    assert_string_equal(t.id, own);

    /* someone else's token is not found for them; its owner revokes it */
    assert_int_equal(core_pat_revoke(&f->core, FROM, &q, own, &err), RC_NOTFOUND);
    assert_int_equal(core_principal_from_token(&f->core, pat, &via_pat, &err), RC_OK);
    assert_int_equal(core_pat_revoke(&f->core, FROM, &p, own, &err), RC_OK);
    assert_int_equal(core_principal_from_token(&f->core, pat, &via_pat, &err), RC_UNAUTHORIZED);
    struct audit_row row;
    assert_int_equal(audit_count(f, "token.revoke", "ok", &row), 1);
    assert_string_equal(row.target, own);
    assert_string_equal(row.actor_email, "hal@example.com");
    free(a);
    free(b);
    opaque_token_free(pat);
}

static void test_password_sign_in_refuses_alike(void **state)
{
    struct fixture *f = *state;
    struct err err;
    struct user u, out;
    struct user_new in = { .email = "jo@example.com", .role = "analyst", .password = PASSWORD };
    assert_int_equal(core_user_create(&f->core, FROM, &f->admin, &in, NULL, &u, NULL, &err), RC_OK);
    assert_true(u.has_password);
    assert_int_equal(core_password_sign_in(&f->core, FROM, "JO@example.com", PASSWORD, &out, &err),
                     RC_OK);
    assert_string_equal(out.id, u.id);

    const char *wrong[][2] = {
        { "jo@example.com", "not-the-password" },
        { "jo@example.com", NULL },
        { "nobody@example.com", PASSWORD },
    };
    for (size_t i = 0; i < ARRAY_LEN(wrong); i++) {
        assert_int_equal(
            core_password_sign_in(&f->core, FROM, wrong[i][0], wrong[i][1], &out, &err),
            RC_UNAUTHORIZED);
        assert_string_equal(err.msg, "Invalid email or password");
    }
    assert_int_equal(core_user_update(&f->core, FROM, &f->admin, u.id, NULL, NULL, 0, -1, &u, &err),
                     RC_OK);
    assert_int_equal(core_password_sign_in(&f->core, FROM, "jo@example.com", PASSWORD, &out, &err),
                     RC_UNAUTHORIZED);
    assert_string_equal(err.msg, "Invalid email or password");
    struct audit_row row;
    assert_int_equal(audit_count(f, "login", "failed", &row), 4);
    assert_string_equal(row.detail, "password");
    assert_string_equal(row.ip, FROM);
}

/* A store that cannot answer says nothing about the credential: RC_BUSY, never "invalid",
 * and no failed sign-in is recorded against the user. */
static void test_a_busy_store_is_not_a_wrong_credential(void **state)
{
    struct fixture *f = *state;
    struct err err;
    struct user out;
    char *link = NULL, hash[SHA256_HEX_LEN + 1];
    assert_int_equal(opaque_token_new("da_link_", &link, hash, &err), RC_OK);
    assert_int_equal(one_time_create(f->core.store, hash, "magic_link", f->admin.user.id,
                                     clock_now_s() + 60, &err),
                     RC_OK);
    store_set_acquire_timeout(f->core.store, 100);
    sqlite3 *held[2];
    for (size_t i = 0; i < 2; i++)
        assert_int_equal(store_conn_acquire(f->core.store, &held[i], &err), RC_OK);
    assert_int_equal(
        core_password_sign_in(&f->core, FROM, "root@example.com", PASSWORD, &out, &err), RC_BUSY);
    assert_int_equal(core_magic_link_consume(&f->core, FROM, link, NULL, &out, &err), RC_BUSY);
    for (size_t i = 0; i < 2; i++)
        store_conn_release(f->core.store, held[i]);
    assert_int_equal(audit_count(f, "login", "failed", NULL), 0);
    /* the link was not spent by the attempt that could not be made */
    assert_int_equal(core_magic_link_consume(&f->core, FROM, link, NULL, &out, &err), RC_OK);
    opaque_token_free(link);
}

/* The token of a setup URL (the part after "#token="). */
static const char *url_token(const char *url)
{
    const char *t = strstr(url, "#token=");
    assert_non_null(t);
    return t + 7;
}

static void test_a_setup_link_sets_a_password_once(void **state)
{
    struct fixture *f = *state;
    struct err err;
    struct user u, out;
    char *url = NULL;
    struct user_new in = { .email = "kim@example.com", .role = "analyst" };
    assert_int_equal(core_user_create(&f->core, FROM, &f->admin, &in, NULL, &u, &url, &err), RC_OK);
    const char *token = url_token(url);
    /* a weak password, or an e-mail that is not the user's, does not spend the link */
    assert_int_equal(core_password_setup(&f->core, FROM, token, "short", NULL, &out, &err),
                     RC_BADVALUE);
    assert_int_equal(
        core_password_setup(&f->core, FROM, token, PASSWORD, "other@example.com", &out, &err),
        RC_INVALID);
    assert_string_equal(err.msg, "Invalid or expired setup link");
    assert_int_equal(audit_count(f, "password.setup", "failed", NULL), 1);
    assert_int_equal(
        core_password_setup(&f->core, FROM, token, PASSWORD, "KIM@example.com", &out, &err), RC_OK);
    assert_string_equal(out.id, u.id);
    assert_int_equal(audit_count(f, "password.set", "ok", NULL), 1);
    assert_int_equal(core_password_setup(&f->core, FROM, token, PASSWORD, NULL, &out, &err),
                     RC_INVALID);
    assert_int_equal(
        core_password_setup(&f->core, FROM, "da_setup_nonsense", PASSWORD, NULL, &out, &err),
        RC_INVALID);
    assert_int_equal(core_password_sign_in(&f->core, FROM, "kim@example.com", PASSWORD, &out, &err),
                     RC_OK);
    free(url);
}

static void test_a_magic_link_is_spent_once(void **state)
{
    struct fixture *f = *state;
    struct err err;
    struct principal p;
    struct user out;
    char *jwt = NULL, *link = NULL, hash[SHA256_HEX_LEN + 1];
    analyst(f, "lu@example.com", &p, &jwt);
    assert_int_equal(opaque_token_new("da_link_", &link, hash, &err), RC_OK);
    assert_int_equal(
        one_time_create(f->core.store, hash, "magic_link", p.user.id, clock_now_s() + 60, &err),
        RC_OK);
    assert_int_equal(core_magic_link_consume(&f->core, FROM, link, NULL, &out, &err), RC_OK);
    assert_string_equal(out.id, p.user.id);
    assert_int_equal(core_magic_link_consume(&f->core, FROM, link, "lu@example.com", &out, &err),
                     RC_UNAUTHORIZED);
    assert_string_equal(err.msg, "Invalid or expired link");
    struct audit_row row;
    assert_int_equal(audit_count(f, "login", "failed", &row), 1);
    assert_string_equal(row.detail, "magic_link");
    assert_string_equal(row.target, "lu@example.com");
    /* mail is not set up: nothing is sent, nothing recorded */
    core_magic_link_send(&f->core, FROM, "lu@example.com");
    assert_int_equal(audit_count(f, "magic_link.send", "ok", NULL), 0);
    free(jwt);
    opaque_token_free(link);
}

static void test_an_outside_identity_joins_only_from_an_allowed_domain(void **state)
{
    struct fixture *f = *state;
    struct err err;
    struct user u, again;
    assert_int_equal(core_external_user(&f->core, FROM, "max@elsewhere.example", NULL, NULL,
                                        "google sign-in", &u, &err),
                     RC_FORBIDDEN);
    assert_int_equal(core_external_user(&f->core, FROM, "max@partner.example", "elsewhere.example",
                                        NULL, "google sign-in", &u, &err),
                     RC_FORBIDDEN);
    assert_int_equal(core_external_user(&f->core, FROM, "max@partner.example", NULL, "Max M",
                                        "google sign-in", &u, &err),
                     RC_OK);
    assert_string_equal(u.role, "analyst");
    assert_string_equal(u.name, "Max M");
    struct audit_row row;
    assert_int_equal(audit_count(f, "user.create", "ok", &row), 2); /* root and max */
    assert_string_equal(row.actor_id, u.id);                        /* they joined by themselves */
    assert_string_equal(row.detail, "google sign-in");
    /* the second time it is the same user; once deactivated, refused */
    assert_int_equal(core_external_user(&f->core, FROM, "MAX@partner.example", NULL, NULL,
                                        "google sign-in", &again, &err),
                     RC_OK);
    assert_string_equal(again.id, u.id);
    assert_int_equal(
        core_user_update(&f->core, FROM, &f->admin, u.id, NULL, NULL, 0, -1, NULL, &err), RC_OK);
    assert_int_equal(core_external_user(&f->core, FROM, "max@partner.example", NULL, NULL,
                                        "google sign-in", &again, &err),
                     RC_FORBIDDEN);
}

/* Lower-case and dashed, as a person might type the code. */
static void typed_form(const char *code, char out[DEVICE_USER_CODE_LEN + 2])
{
    core_device_display_code(code, out);
    for (char *c = out; *c; c++)
        *c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
}

static void test_a_device_grant_becomes_one_token_of_its_approver(void **state)
{
    struct fixture *f = *state;
    struct err err;
    struct principal p, via_pat, again;
    struct device_grant g;
    struct user u;
    enum device_poll poll;
    char *jwt = NULL, *dc = NULL, *token = NULL, id[RAND_ID_LEN + 1];
    char code[DEVICE_USER_CODE_LEN + 1], typed[DEVICE_USER_CODE_LEN + 2];
    int64_t expires;
    analyst(f, "mo@example.com", &p, &jwt);
    assert_int_equal(core_device_client_check("", &err), RC_BADVALUE);
    assert_int_equal(core_device_client_check("bad\x01name", &err), RC_BADVALUE);
    assert_int_equal(core_device_grant_new(&f->core, FROM, "", &dc, code, &err), RC_BADVALUE);
    assert_null(dc);

    assert_int_equal(core_device_grant_new(&f->core, FROM, "da CLI", &dc, code, &err), RC_OK);
    assert_int_equal(strlen(code), DEVICE_USER_CODE_LEN);
    typed_form(code, typed);
    assert_int_equal(core_device_pending(&f->core, typed, &g, &err), RC_OK);
    assert_string_equal(g.client_name, "da CLI");
    assert_string_equal(g.client_ip, FROM);
    assert_int_equal(core_device_pending(&f->core, "not a code", &g, &err), RC_NOTFOUND);

    /* a token cannot approve; a code that cannot be one, or is unknown, is refused */
    via_pat = p;
    via_pat.via_pat = true;
    assert_int_equal(core_device_decide(&f->core, FROM, &via_pat, typed, true, &g, &err),
                     RC_FORBIDDEN);
    assert_int_equal(core_device_decide(&f->core, FROM, &p, "AB", true, &g, &err), RC_BADVALUE);
    const char *unknown = strcmp(code, "BBBBBBBB") == 0 ? "CCCC-CCCC" : "BBBB-BBBB";
    assert_int_equal(core_device_decide(&f->core, FROM, &p, unknown, true, &g, &err), RC_NOTFOUND);
    assert_int_equal(audit_count(f, "device.approve", "failed", NULL), 1);

    assert_int_equal(core_device_decide(&f->core, FROM, &p, typed, true, &g, &err), RC_OK);
    struct audit_row row;
    assert_int_equal(audit_count(f, "device.approve", "ok", &row), 1);
    assert_string_equal(row.detail, "da CLI from " FROM);
    assert_int_equal(core_device_poll(&f->core, dc, &poll, &g, &err), RC_OK);
    assert_int_equal(poll, DEVICE_POLL_APPROVED);
    assert_string_equal(g.user_id, p.user.id);
    assert_int_equal(core_device_redeem(&f->core, FROM, dc, &g, &u, id, &token, &expires, &err),
                     RC_OK);
    assert_int_equal(core_principal_from_token(&f->core, token, &again, &err), RC_OK);
    assert_string_equal(again.user.id, p.user.id);
    assert_true(again.via_pat);
    assert_int_equal(audit_count(f, "token.create", "ok", &row), 1);
    assert_string_equal(row.detail, "da CLI");
    opaque_token_free(token);
    assert_int_equal(core_device_redeem(&f->core, FROM, dc, &g, &u, id, &token, &expires, &err),
                     RC_CONFLICT);
    assert_null(token);
    assert_int_equal(core_device_poll(&f->core, "da_device_nonsense", &poll, &g, &err), RC_OK);
    assert_int_equal(poll, DEVICE_POLL_UNKNOWN);
    opaque_token_free(dc);

    /* denied: the poll says so */
    assert_int_equal(core_device_grant_new(&f->core, FROM, "script", &dc, code, &err), RC_OK);
    assert_int_equal(core_device_decide(&f->core, FROM, &p, code, false, &g, &err), RC_OK);
    assert_int_equal(core_device_poll(&f->core, dc, &poll, &g, &err), RC_OK);
    assert_int_equal(poll, DEVICE_POLL_DENIED);
    opaque_token_free(dc);

    /* approved, then the approver is deactivated: no token */
    assert_int_equal(core_device_grant_new(&f->core, FROM, "late", &dc, code, &err), RC_OK);
    assert_int_equal(core_device_decide(&f->core, FROM, &p, code, true, &g, &err), RC_OK);
    assert_int_equal(core_device_poll(&f->core, dc, &poll, &g, &err), RC_OK);
    assert_int_equal(poll, DEVICE_POLL_APPROVED);
    assert_int_equal(
        core_user_update(&f->core, FROM, &f->admin, p.user.id, NULL, NULL, 0, -1, NULL, &err),
        RC_OK);
    assert_int_equal(core_device_redeem(&f->core, FROM, dc, &g, &u, id, &token, &expires, &err),
                     RC_FORBIDDEN);
    assert_null(token);
    opaque_token_free(dc);
    free(jwt);
}

/* A store with no admin: the bootstrap code makes the first one, once. */
static void test_the_bootstrap_code_makes_the_first_admin_once(void **state)
{
    (void)state;
    struct err err;
    struct core core = { 0 };
    char *dir = test_tmpdir();
    char *path = xasprintf("%s/system.sqlite", dir);
    assert_int_equal(store_open(path, 1, &core.store, &err), RC_OK);
    char *code = NULL;
    assert_int_equal(core_bootstrap_code_new(&core, &code, &err), RC_OK);
    assert_true(opaque_token_well_formed(code, BOOTSTRAP_PREFIX));

    struct user u;
    struct user_new in = { .email = "ops@example.com", .password = PASSWORD };
    struct user_new weak = { .email = "ops@example.com", .password = "short" };
    assert_int_equal(core_first_admin_create(&core, FROM, code, &weak, NULL, &u, &err),
                     RC_BADVALUE);
    assert_int_equal(core_first_admin_create(&core, FROM, "da_boot_wrong", &in, NULL, &u, &err),
                     RC_FORBIDDEN);
    assert_string_equal(err.msg, "Invalid or expired bootstrap code");
    struct fixture view = { .core = core };
    assert_int_equal(audit_count(&view, "bootstrap", "failed", NULL), 1);

    assert_int_equal(core_first_admin_create(&core, FROM, code, &in, NULL, &u, &err), RC_OK);
    assert_string_equal(u.role, "admin");
    struct audit_row row;
    assert_int_equal(audit_count(&view, "bootstrap", "ok", &row), 1);
    assert_string_equal(row.actor_id, u.id);
    /* the code is spent; with an admin there is no new code, and no second first admin */
    struct user_new late = { .email = "late@example.com", .password = PASSWORD };
    assert_int_equal(core_first_admin_create(&core, FROM, code, &late, NULL, &u, &err),
                     RC_FORBIDDEN);
    assert_int_equal(core_first_admin_create(&core, "cli", NULL, &late, NULL, &u, &err),
                     RC_FORBIDDEN);
    opaque_token_free(code);
    assert_int_equal(core_bootstrap_code_new(&core, &code, &err), RC_OK);
    assert_null(code);
    store_close(&core.store);
    test_rm_rf(dir);
    free(dir);
    free(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_a_session_and_a_token_verify_to_their_user, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_logout_and_revocation_end_sessions, setup, teardown),
        cmocka_unit_test_setup_teardown(test_expired_credentials_are_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_deactivation_revokes_sessions_and_tokens, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_user_create_validates_before_writing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_delete_and_user_admin_are_admin_only, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tokens_are_made_by_people_and_revoked_by_their_owner,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_password_sign_in_refuses_alike, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_busy_store_is_not_a_wrong_credential, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_a_setup_link_sets_a_password_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_magic_link_is_spent_once, setup, teardown),
        cmocka_unit_test_setup_teardown(test_an_outside_identity_joins_only_from_an_allowed_domain,
                                        setup, teardown),
        cmocka_unit_test_setup_teardown(test_a_device_grant_becomes_one_token_of_its_approver,
                                        setup, teardown),
        cmocka_unit_test(test_the_bootstrap_code_makes_the_first_admin_once),
    };
    /* the same rules on a server's core: credential cache and audit writer running */
#define SERVED(t) cmocka_unit_test_setup_teardown(t, setup_served, teardown)
    const struct CMUnitTest served[] = {
        SERVED(test_a_session_and_a_token_verify_to_their_user),
        SERVED(test_logout_and_revocation_end_sessions),
        SERVED(test_expired_credentials_are_refused),
        SERVED(test_deactivation_revokes_sessions_and_tokens),
        SERVED(test_user_create_validates_before_writing),
        SERVED(test_delete_and_user_admin_are_admin_only),
        SERVED(test_tokens_are_made_by_people_and_revoked_by_their_owner),
        SERVED(test_password_sign_in_refuses_alike),
        SERVED(test_a_busy_store_is_not_a_wrong_credential),
        SERVED(test_a_setup_link_sets_a_password_once),
        SERVED(test_a_magic_link_is_spent_once),
        SERVED(test_an_outside_identity_joins_only_from_an_allowed_domain),
        SERVED(test_a_device_grant_becomes_one_token_of_its_approver),
    };
#undef SERVED
    int failed = cmocka_run_group_tests_name("commands (no cache)", tests, NULL, NULL);
    return failed + cmocka_run_group_tests_name("served (credential cache, audit writer)", served,
                                                NULL, NULL);
}
