/* webhooks.c — POST /webhooks/jira: the signed body of a Jira webhook is checked and its event
 * queued (core/jira_intake.h), answered 202 at once; `da extract jira` processes the queue.
 * No user session here: the HMAC signature with JIRA_WEBHOOK_SECRET is the credential, and
 * without that secret every webhook is refused (503), never accepted unchecked.
 * GET /webhooks/jira/health is public, as in the original: whether Jira and the secret are
 * set, the Jira host, and the intake's counts; never a secret. */
#include <jansson.h>
#include <stdio.h>

#include "api/api.h"
#include "base/log.h"
#include "core/jira_intake.h"

static void post_jira(struct http_req *req, void *ctx)
{
    struct app *app = ctx;
    const char *secret = app->core.cfg ? app->core.cfg->jira_webhook_secret : NULL;
    if (!secret || !secret[0]) {
        log_warn("jira", "webhook refused: JIRA_WEBHOOK_SECRET is not set on the server");
        http_respond_error(req, 503, "Jira webhooks are not configured on this server");
        return;
    }
    const char *sig = http_req_header(req, "X-Hub-Signature-256");
    if (!sig)
        sig = http_req_header(req, "X-Hub-Signature");
    struct str body = http_req_body(req);
    struct jira_intake in;
    struct err err = { { 0 } };
    enum rc rc = core_jira_webhook(&app->core, secret, sig, body.ptr, body.len, &in, &err);
    if (rc) {
        if (rc == RC_UNAUTHORIZED)
            log_warn("jira", "webhook refused from %s: %s", http_req_client_ip(req), err.msg);
        http_respond_rc(req, rc, &err);
        return;
    }
    http_respond_json(
        req, 202,
        json_pack("{s:s, s:s, s:s}", "status", "queued", "event", in.event, "issue", in.issue_key));
}

/* The original's probe of the receiver, public like it and with its fields (status,
 * configured, webhook_secret_set, jira_domain), plus the intake's numbers. */
static void get_jira_health(struct http_req *req, void *ctx)
{
    struct app *app = ctx;
    struct jira_health h;
    struct err err = { { 0 } };
    enum rc rc = core_jira_health(&app->core, &h, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        return;
    }
    http_respond_json(
        req, 200,
        json_pack("{s:s, s:b, s:b, s:s, s:s?, s:I, s:I}", "status", "ok", "configured",
                  h.configured, "webhook_secret_set", h.webhook_secret_set, "jira_domain",
                  h.domain[0] ? h.domain : "(not set)", "last_event_at",
                  h.stats.last_event_at[0] ? h.stats.last_event_at : NULL, "events_total",
                  (json_int_t)h.stats.events_total, "events_queued", (json_int_t)h.stats.queued));
}

static const struct http_route routes[] = {
    { "POST", "/webhooks/jira", post_jira },
    { "GET", "/webhooks/jira/health", get_jira_health },
};

const struct http_route *api_webhooks_routes(size_t *out_len)
{
    *out_len = ARRAY_LEN(routes);
    return routes;
}
