/* tokens.c — personal access tokens over HTTP: create (shown once), list, revoke. The rules
 * (who may mint one, names, lifetimes) are the domain layer's (core/identity.h). */
#include <stdlib.h>

#include "api/authn.h"
#include "api/request.h"
#include "auth/opaque_token.h"
#include "core/identity.h"

static void create_token(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    json_t *root = NULL;
    const char *name = NULL;
    json_int_t days = PAT_DEFAULT_DAYS;
    char *token = NULL;
    char id[RAND_ID_LEN + 1];
    int64_t expires = 0;
    struct err err;
    if (!api_require_user(req, app, &p) ||
        !api_body(req, &root, "{s:s, s?I}", "name", &name, "expires_in_days", &days))
        return;
    /* checked before the rate limit, so a refused request does not spend a token of it */
    enum rc rc = core_pat_check(&p, name, days, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        goto out;
    }
    if (!api_rate_limit(req, app, NULL))
        goto out;
    rc = core_pat_create(&app->core, http_req_client_ip(req), &p, name, days, id, &token, &expires,
                         &err);
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
    enum rc rc = core_pat_list(&app->core, &p, &list, &len, &err);
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
    enum rc rc = core_pat_revoke(&app->core, http_req_client_ip(req), &p, id, &err);
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
