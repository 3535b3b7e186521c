/* tokens.c — personal access tokens for the CLI and scripts: random, shown once, stored as a
 * SHA-256 hash, named, expiring, revocable, with a last-used time. A token can only be made
 * from a signed-in session, never from another token, so a leaked token cannot mint more. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/authn.h"
#include "auth/opaque_token.h"
#include "base/mem.h"

#define PAT_PREFIX       "da_pat_"
#define PAT_DEFAULT_DAYS 90
#define PAT_MAX_DAYS     365
#define PAT_NAME_MAX     128

static void create_token(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    json_t *root = NULL;
    const char *name = NULL;
    json_int_t days = PAT_DEFAULT_DAYS;
    char *token = NULL;
    char hash[SHA256_HEX_LEN + 1], id[USER_ID_LEN + 1];
    struct err err;
    if (!api_require_user(req, app, &p) ||
        !api_body(req, &root, "{s:s, s?I}", "name", &name, "expires_in_days", &days))
        return;
    if (p.via_pat) {
        http_respond_error(req, 403, "A personal access token cannot create tokens; sign in");
        goto out;
    }
    if (!*name || strlen(name) > PAT_NAME_MAX || days < 1 || days > PAT_MAX_DAYS) {
        http_respond_error(req, 422, "name: 1 to %d characters; expires_in_days: 1 to %d",
                           PAT_NAME_MAX, PAT_MAX_DAYS);
        goto out;
    }
    if (!api_rate_limit(req, app, NULL))
        goto out;
    int64_t expires = api_now() + (int64_t)days * 86400;
    api_new_id(id);
    struct audit_entry audit = api_audit_entry(req, &p, "token.create", id, "ok", name);
    enum rc rc = opaque_token_new(PAT_PREFIX, &token, hash, &err);
    if (!rc)
        rc = pats_create(app->core.store, id, p.user.id, name, hash, expires, &audit, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        goto out;
    }
    http_respond_json(req, 201,
                      json_pack("{s:s, s:s, s:s, s:I}", "id", id, "name", name, "token", token,
                                "expires_at", (json_int_t)expires));
out:
    opaque_token_free(token);
    json_decref(root);
}

static void list_tokens(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct pat_info *list = NULL;
    size_t len = 0;
    struct err err;
    if (!api_require_user(req, app, &p))
        return;
    enum rc rc = pats_list(app->core.store, p.user.id, &list, &len, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        return;
    }
    json_t *arr = json_array();
    for (size_t i = 0; i < len; i++) {
        const struct pat_info *t = &list[i];
        json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:I, s:s?, s:b}", "id", t->id, "name",
                                             t->name, "created_at", t->created_at, "expires_at",
                                             (json_int_t)t->expires_at, "last_used_at",
                                             t->last_used_at[0] ? t->last_used_at : NULL, "revoked",
                                             t->revoked));
    }
    free(list);
    http_respond_json(req, 200, json_pack("{s:o}", "tokens", arr));
}

static void revoke_token(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct err err;
    if (!api_require_user(req, app, &p))
        return;
    const char *id = http_req_param(req, "id");
    struct audit_entry audit = api_audit_entry(req, &p, "token.revoke", id, "ok", NULL);
    enum rc rc = pats_revoke(app->core.store, p.user.id, id, &audit, &err);
    if (rc)
        http_respond_rc(req, rc, &err);
    else
        http_respond_json(req, 200, json_pack("{s:b}", "revoked", 1));
}

static const struct http_route routes[] = {
    { "POST", "/api/tokens", create_token },
    { "GET", "/api/tokens", list_tokens },
    { "DELETE", "/api/tokens/{id}", revoke_token },
};

const struct http_route *api_tokens_routes(size_t *out_len)
{
    *out_len = ARRAY_LEN(routes);
    return routes;
}
