/* jira_intake.c — checking and queueing one Jira webhook (see jira_intake.h). The signature is
 * checked before the body is parsed, so an unsigned caller cannot make the server parse
 * anything. */
#include "core/jira_intake.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "auth/crypto.h"
#include "base/hex.h"
#include "base/log.h"
#include "core/jobs.h"

bool jira_signature_valid(const char *secret, const char *header, const void *body, size_t len)
{
    static const char prefix[] = "sha256=";
    if (!secret || !secret[0] || !header)
        return false;
    if (strncmp(header, prefix, sizeof(prefix) - 1) != 0)
        return false;
    const char *hexpart = header + sizeof(prefix) - 1;
    if (strlen(hexpart) != 2 * SHA256_LEN)
        return false;
    unsigned char given[SHA256_LEN], mac[SHA256_LEN];
    if (!hex_decode(hexpart, SHA256_LEN, given, false))
        return false;
    crypto_hmac_sha256(secret, strlen(secret), body, len, mac);
    return crypto_equal(given, mac, SHA256_LEN);
}

/* The issue key of the event: issue.key, else issue_key (as the original read it). */
static const char *event_key(json_t *root)
{
    json_t *issue = json_object_get(root, "issue");
    json_t *key = json_is_object(issue) ? json_object_get(issue, "key") : NULL;
    if (!key)
        key = json_object_get(root, "issue_key");
    return json_is_string(key) ? json_string_value(key) : NULL;
}

/* Asks the scheduler for a run of source "jira" (coalesced with one queued or running). The
 * event is durable already, so a scheduler that cannot be asked (none in a command, or Jira
 * not configured) only delays it until the next run: logged, not refused. */
static void wake_scheduler(struct core *core)
{
    if (!core->sched)
        return;
    int64_t id = 0;
    struct err err;
    if (core_jobs_request(core, "jira", NULL, 0, "webhook", &id, &err) != RC_OK)
        log_warn("jira", "event queued, but no run could be asked for: %s", err.msg);
}

enum rc core_jira_webhook(struct core *core, const char *secret, const char *signature,
                          const char *body, size_t len, struct jira_intake *out, struct err *err)
{
    if (len > JIRA_WEBHOOK_MAX_BYTES)
        return err_set(err, RC_TOOBIG, "webhook body is larger than %d bytes",
                       JIRA_WEBHOOK_MAX_BYTES);
    if (!signature)
        return err_set(err, RC_UNAUTHORIZED, "missing X-Hub-Signature");
    if (!jira_signature_valid(secret, signature, body, len))
        return err_set(err, RC_UNAUTHORIZED, "invalid signature");
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!json_is_object(root)) {
        json_decref(root);
        return err_set(err, RC_INVALID, "the body is not a JSON object");
    }
    enum rc rc = RC_OK;
    json_t *ev = json_object_get(root, "webhookEvent");
    const char *key = event_key(root);
    if (!json_is_string(ev))
        rc = err_set(err, RC_BADVALUE, "webhookEvent is missing or not a string");
    else if (!key)
        rc = err_set(err, RC_BADVALUE, "issue.key is missing or not a string");
    else if (!jira_key_valid(key))
        rc = err_set(err, RC_BADVALUE, "issue.key is not a Jira issue key");
    if (!rc)
        rc = jira_event_enqueue(core->store, key, json_string_value(ev), err);
    if (rc == RC_INVALID) /* the repository refused the event name */
        rc = RC_BADVALUE;
    if (!rc) {
        snprintf(out->issue_key, sizeof(out->issue_key), "%s", key);
        snprintf(out->event, sizeof(out->event), "%s", json_string_value(ev));
        wake_scheduler(core);
    }
    json_decref(root);
    return rc;
}

static bool set(const char *s)
{
    return s && s[0];
}

/* The host of a URL: what follows "scheme://", without any "user:password@" before it and any
 * ":port" or path after it. */
static void url_host(const char *url, char *out, size_t size)
{
    out[0] = '\0';
    if (!set(url))
        return;
    const char *p = strstr(url, "://");
    p = p ? p + 3 : url;
    size_t auth = strcspn(p, "/?#");
    const char *at = memchr(p, '@', auth);
    while (at) { /* the last '@' of the authority ends the user part */
        auth -= (size_t)(at + 1 - p);
        p = at + 1;
        at = memchr(p, '@', auth);
    }
    size_t host = strcspn(p, ":/?#");
    if (host > auth)
        host = auth;
    if (host >= size)
        return;
    memcpy(out, p, host);
    out[host] = '\0';
}

enum rc core_jira_health(struct core *core, struct jira_health *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    const struct config *c = core->cfg;
    if (c) {
        out->configured = set(c->jira_base_url) && set(c->jira_email) && set(c->jira_api_token);
        out->webhook_secret_set = set(c->jira_webhook_secret);
        url_host(c->jira_base_url, out->domain, sizeof(out->domain));
    }
    return jira_intake_stats(core->store, &out->stats, err);
}
