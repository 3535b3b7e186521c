/* device.c — the rules of browser sign-in for the CLI (RFC 8628; see device.h). The device
 * code is a 256-bit secret stored as a hash and spent once. The user code is short because
 * people type it; alone it is worth nothing, since only a signed-in person's approval turns it
 * into a token, and that token goes to whoever holds the device code. */
#include "core/device.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/opaque_token.h"
#include "base/isotime.h"
#include "base/mem.h"
#include "core/audit.h"
#include "core/identity.h"

#define DEVICE_PREFIX        "da_device_"
#define DEVICE_SLOW_DOWN_S   5 /* added to the interval at each slow_down, as in the RFC */
#define DEVICE_MAX_INTERVAL  60
#define DEVICE_POLL_SLACK_MS 500 /* clock jitter forgiven before a poll counts as too fast */
#define DEVICE_MAX_PENDING   1000
/* 20 consonants (RFC 8628 §6.1): no vowels, so no words; no 0/O or 1/I/L to confuse. 8 of
 * them are 34 bits, far beyond what the rate limits let anyone guess in ten minutes. */
static const char user_code_alphabet[] = "BCDFGHJKLMNPQRSTVWXZ";

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static enum rc new_user_code(char out[DEVICE_USER_CODE_LEN + 1], struct err *err)
{
    size_t n = 0, alpha = sizeof(user_code_alphabet) - 1;
    while (n < DEVICE_USER_CODE_LEN) {
        unsigned char raw[16];
        enum rc rc = rand_bytes(raw, sizeof(raw), err);
        if (rc)
            return rc;
        for (size_t i = 0; i < sizeof(raw) && n < DEVICE_USER_CODE_LEN; i++) {
            if (raw[i] >= 256 - 256 % alpha)
                continue; /* rejection sampling: every letter equally likely */
            out[n++] = user_code_alphabet[raw[i] % alpha];
        }
    }
    out[n] = '\0';
    return RC_OK;
}

/* Normalises what a person typed ("abcd-efgh", "ABCD EFGH") to the stored form. False when
 * it cannot be a user code. */
static bool normalize_user_code(const char *in, char out[DEVICE_USER_CODE_LEN + 1])
{
    size_t n = 0;
    for (const char *p = in ? in : ""; *p; p++) {
        if (*p == '-' || *p == ' ')
            continue;
        char c = (char)(*p >= 'a' && *p <= 'z' ? *p - 32 : *p);
        if (n == DEVICE_USER_CODE_LEN || !strchr(user_code_alphabet, c) || c == '\0')
            return false;
        out[n++] = c;
    }
    out[n] = '\0';
    return n == DEVICE_USER_CODE_LEN;
}

void core_device_display_code(const char *code, char out[DEVICE_USER_CODE_LEN + 2])
{
    snprintf(out, DEVICE_USER_CODE_LEN + 2, "%.4s-%.4s", code, code + 4);
}

enum rc core_device_client_check(const char *client_name, struct err *err)
{
    size_t len = client_name ? strlen(client_name) : 0;
    bool ok = len > 0 && len <= DEVICE_CLIENT_NAME_MAX;
    for (const unsigned char *p = (const unsigned char *)client_name; ok && *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            ok = false;
    if (!ok)
        return err_set(err, RC_BADVALUE, "client_name: 1 to %d characters, no control characters",
                       DEVICE_CLIENT_NAME_MAX);
    return RC_OK;
}

enum rc core_device_grant_new(struct core *core, const char *from, const char *client_name,
                              char **out_device_code, char out_user_code[DEVICE_USER_CODE_LEN + 1],
                              struct err *err)
{
    char hash[SHA256_HEX_LEN + 1];
    *out_device_code = NULL;
    enum rc rc = core_device_client_check(client_name, err);
    if (rc)
        return rc;
    int64_t now = clock_now_s();
    rc = opaque_token_new(DEVICE_PREFIX, out_device_code, hash, err);
    /* a taken user code is a rare collision: draw again a few times */
    for (int attempt = 0; !rc && attempt < 5; attempt++) {
        rc = new_user_code(out_user_code, err);
        if (!rc)
            rc = device_grants_create(core->store, hash, out_user_code, client_name, from, now,
                                      now + DEVICE_LIFETIME_S, DEVICE_INTERVAL_S,
                                      DEVICE_MAX_PENDING, err);
        if (rc != RC_CONFLICT)
            break;
    }
    if (rc) {
        opaque_token_free(*out_device_code);
        *out_device_code = NULL;
    }
    return rc;
}

enum rc core_device_poll(struct core *core, const char *device_code, enum device_poll *out_state,
                         struct device_grant *out, struct err *err)
{
    char hash[SHA256_HEX_LEN + 1];
    *out_state = DEVICE_POLL_UNKNOWN;
    if (!opaque_token_well_formed(device_code, DEVICE_PREFIX))
        return RC_OK;
    opaque_token_hash(device_code, hash);
    return device_grants_poll(core->store, hash, now_ms(), DEVICE_POLL_SLACK_MS, DEVICE_SLOW_DOWN_S,
                              DEVICE_MAX_INTERVAL, out_state, out, err);
}

enum rc core_device_pending(struct core *core, const char *typed, struct device_grant *out,
                            struct err *err)
{
    char code[DEVICE_USER_CODE_LEN + 1];
    if (!normalize_user_code(typed, code))
        return err_set(err, RC_NOTFOUND, "not a user code");
    return device_grants_pending(core->store, code, clock_now_s(), out, err);
}

enum rc core_device_may_decide(const struct principal *actor, struct err *err)
{
    if (actor->via_pat)
        return err_set(err, RC_FORBIDDEN,
                       "A personal access token cannot approve a sign-in; sign in");
    return RC_OK;
}

enum rc core_device_decide(struct core *core, const char *from, const struct principal *actor,
                           const char *typed, bool approve, struct device_grant *out,
                           struct err *err)
{
    char code[DEVICE_USER_CODE_LEN + 1], shown[DEVICE_USER_CODE_LEN + 2];
    const char *action = approve ? "device.approve" : "device.deny";
    enum rc rc = core_device_may_decide(actor, err);
    if (rc)
        return rc;
    if (!normalize_user_code(typed, code))
        return err_set(err, RC_BADVALUE, "user_code: 8 letters, as shown by the CLI (XXXX-XXXX)");
    core_device_display_code(code, shown);
    /* read first so the audit record names the client; the decision re-checks atomically */
    rc = device_grants_pending(core->store, code, clock_now_s(), out, err);
    char *detail = rc ? xstrdup("unknown or expired code")
                      : xasprintf("%s from %s", out->client_name, out->client_ip);
    struct audit_entry audit = core_audit_entry(from, actor, action, shown, "ok", detail);
    if (!rc)
        rc = device_grants_decide(core->store, code, actor->user.id, approve, clock_now_s(), &audit,
                                  out, err);
    if (rc == RC_NOTFOUND) {
        core_audit(core, from, actor, action, shown, "failed", detail);
        err_set(err, RC_NOTFOUND, "Unknown or expired code; start again with da login");
    }
    free(detail);
    return rc;
}

enum rc core_device_redeem(struct core *core, const char *from, const char *device_code,
                           const struct device_grant *g, struct user *out_user,
                           char out_id[RAND_ID_LEN + 1], char **out_token, int64_t *out_expires,
                           struct err *err)
{
    char grant_hash[SHA256_HEX_LEN + 1], hash[SHA256_HEX_LEN + 1];
    *out_token = NULL;
    enum rc rc = users_get(core->store, g->user_id, out_user, err);
    if (rc == RC_NOTFOUND || (!rc && !out_user->active))
        return err_set(err, RC_FORBIDDEN, "The approving account is not active");
    if (rc)
        return rc;
    *out_expires = clock_now_s() + (int64_t)DEVICE_PAT_DAYS * 86400;
    rand_id(out_id);
    struct principal actor = { .user = *out_user };
    struct audit_entry audit =
        core_audit_entry(from, &actor, "token.create", out_id, "ok", g->client_name);
    opaque_token_hash(device_code, grant_hash);
    rc = opaque_token_new(PAT_PREFIX, out_token, hash, err);
    if (!rc)
        rc = device_grants_redeem(core->store, grant_hash, clock_now_s(), out_id, hash,
                                  *out_expires, &audit, err);
    if (rc) {
        opaque_token_free(*out_token);
        *out_token = NULL;
    }
    return rc;
}
