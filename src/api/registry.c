/* registry.c — the table registry admin API on the original's paths: register a table
 * (POST /api/admin/register-table), list and read rows (GET /api/admin/registry[/{id}]),
 * change or clear fields (PUT) and delete a table with what hangs off its id (DELETE). Admins
 * only. The handlers decode JSON and answer; the rules (the values each field may hold, the
 * canonical id, the audit) are core/registry's. routes.c joins api_registry_routes into the
 * route table. */
#include "core/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/authn.h"
#include "api/request.h"
#include "base/buf.h"
#include "base/ident.h"
#include "base/mem.h"

#define PRIMARY_KEY_RAW_MAX (16 * 1024) /* bytes of an array primary key before trimming */

/* A primary key given as "a, b" or as ["a", "b"] (the original's web UI sent arrays) into
 * in, an array joined by "," into raw (which must outlive in); "" or [] clear it. */
static enum rc primary_key_value(const json_t *v, struct buf *raw, struct core_registry_input *in,
                                 struct err *err)
{
    size_t i;
    json_t *col;
    in->text[REG_PRIMARY_KEY] = NULL;
    if (json_is_string(v)) {
        if (*json_string_value(v))
            in->text[REG_PRIMARY_KEY] = json_string_value(v);
        return RC_OK;
    }
    if (!json_is_array(v))
        return err_set(err, RC_BADVALUE, "primary_key must be a string or an array of strings");
    if (json_array_size(v) == 0)
        return RC_OK;
    json_array_foreach(v, i, col)
    {
        if (!json_is_string(col))
            return err_set(err, RC_BADVALUE, "primary_key must be a string or an array of strings");
        if ((i && buf_append_str(raw, ",")) || buf_append_str(raw, json_string_value(col)))
            return err_set(err, RC_BADVALUE, "primary_key: at most %d bytes", REGISTRY_TEXT_MAX);
    }
    in->text[REG_PRIMARY_KEY] = buf_cstr(raw);
    return RC_OK;
}

/* Decodes field i from its JSON value v (present in the body) into in: the JSON types only;
 * what the values may be is core/registry's business. */
static enum rc take_field(enum registry_field_id i, const json_t *v, struct buf *raw,
                          struct core_registry_input *in, struct err *err)
{
    const struct registry_field *f = &registry_fields()[i];
    in->given |= 1u << i;
    if (json_is_null(v)) {
        in->text[i] = NULL;
        in->flag_null[i] = true;
        return RC_OK;
    }
    if (f->kind == REGISTRY_BOOL) {
        if (!json_is_boolean(v))
            return err_set(err, RC_BADVALUE, "%s must be true or false", f->name);
        in->flag[i] = json_is_true(v);
        return RC_OK;
    }
    if (i == REG_PRIMARY_KEY)
        return primary_key_value(v, raw, in, err);
    if (!json_is_string(v))
        return err_set(err, RC_BADVALUE, "%s must be a string", f->name);
    in->text[i] = json_string_value(v);
    return RC_OK;
}

/* Decodes every field present in v (indexed by registry_field_id) into in. */
static enum rc take_fields(json_t *const v[REG_FIELD_COUNT], struct buf *raw,
                           struct core_registry_input *in, struct err *err)
{
    enum rc rc = RC_OK;
    for (int i = 0; !rc && i < REG_FIELD_COUNT; i++)
        if (v[i])
            rc = take_field((enum registry_field_id)i, v[i], raw, in, err);
    return rc;
}

/* Parses the body of a POST or a PUT: every writable field and id, each optional and kept
 * as its JSON value (NULL when absent); unknown keys are refused. False after a 400/422. */
static bool read_body(struct http_req *req, json_t **root, json_t **id, json_t *v[REG_FIELD_COUNT])
{
    memset(v, 0, REG_FIELD_COUNT * sizeof(*v));
    *id = NULL;
    return api_body(req, root, "{s?o, s?o, s?o, s?o, s?o, s?o, s?o, s?o, s?o, s?o, s?o, s?o, s?o}",
                    "id", id, "bucket", &v[REG_BUCKET], "description", &v[REG_DESCRIPTION],
                    "folder", &v[REG_FOLDER], "is_public", &v[REG_IS_PUBLIC], "name", &v[REG_NAME],
                    "primary_key", &v[REG_PRIMARY_KEY], "profile_after_sync",
                    &v[REG_PROFILE_AFTER_SYNC], "query_mode", &v[REG_QUERY_MODE], "source_table",
                    &v[REG_SOURCE_TABLE], "source_type", &v[REG_SOURCE_TYPE], "sync_schedule",
                    &v[REG_SYNC_SCHEDULE], "sync_strategy", &v[REG_SYNC_STRATEGY]);
}

static json_t *nullable(const char *s)
{
    return s[0] ? json_string(s) : json_null();
}

/* A row as answers show it: every field, JSON null for an unset one. */
static json_t *row_json(const struct registry_table *t)
{
    const struct registry_field *fields = registry_fields();
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(t->id));
    for (int i = 0; i < REG_FIELD_COUNT; i++) {
        const char *at = (const char *)t + fields[i].offset;
        json_object_set_new(o, fields[i].name,
                            fields[i].kind == REGISTRY_BOOL ? json_boolean(*(const bool *)at)
                                                            : nullable(at));
    }
    json_object_set_new(o, "registered_by", nullable(t->registered_by));
    json_object_set_new(o, "registered_at", json_string(t->registered_at));
    json_object_set_new(o, "updated_at", nullable(t->updated_at));
    return o;
}

/* The {id} of the path when it is a canonical table id; otherwise NULL after a 404 (no
 * other id can name a row). */
static const char *path_id(struct http_req *req)
{
    const char *id = http_req_param(req, "id");
    if (ident_is_table_id(id))
        return id;
    http_respond_error(req, 404, "Table not found");
    return NULL;
}

/* ------------------------------------------------------------------ handlers */

static void register_table(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    json_t *root = NULL, *id_v = NULL, *v[REG_FIELD_COUNT];
    struct core_registry_input in = { 0 };
    struct registry_table *t = NULL;
    struct buf raw;
    struct err err;
    enum rc rc;
    if (!api_require_admin(req, app, &p) || !read_body(req, &root, &id_v, v))
        return;
    buf_init(&raw, PRIMARY_KEY_RAW_MAX);
    /* a missing or null name is the first thing to say, before the other fields */
    if (!v[REG_NAME] || json_is_null(v[REG_NAME]))
        rc = err_set(&err, RC_BADVALUE, "Table name cannot be empty");
    else
        rc = take_fields(v, &raw, &in, &err);
    if (!rc && id_v && !json_is_null(id_v) && !json_is_string(id_v))
        rc = err_set(&err, RC_BADVALUE, "id must be a string");
    if (!rc) {
        t = xmalloc(sizeof(*t));
        rc = core_registry_create(&app->core, &p, http_req_client_ip(req), &in,
                                  id_v ? json_string_value(id_v) : NULL, t, &err);
    }
    if (rc)
        http_respond_rc(req, rc, &err);
    else
        http_respond_json(
            req, 201,
            json_pack("{s:s, s:s, s:s}", "id", t->id, "name", t->name, "status", "registered"));
    free(t);
    buf_cleanup(&raw);
    json_decref(root);
}

static void list_registry(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct registry_table *rows = NULL;
    size_t len = 0;
    struct err err;
    if (!api_require_admin(req, app, &p))
        return;
    enum rc rc = core_registry_list(&app->core, &rows, &len, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        return;
    }
    json_t *tables = json_array();
    for (size_t i = 0; i < len; i++)
        json_array_append_new(tables, row_json(&rows[i]));
    free(rows);
    http_respond_json(req, 200,
                      json_pack("{s:o, s:I}", "tables", tables, "count", (json_int_t)len));
}

static void get_registry_entry(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct registry_table t;
    struct err err;
    const char *id;
    if (!api_require_admin(req, app, &p) || !(id = path_id(req)))
        return;
    enum rc rc = core_registry_get(&app->core, id, &t, &err);
    if (rc)
        http_respond_rc(req, rc, &err);
    else
        http_respond_json(req, 200, row_json(&t));
}

/* The names of the given fields, in name order, as a JSON array. */
static json_t *given_names(unsigned given)
{
    json_t *names = json_array();
    for (int i = 0; i < REG_FIELD_COUNT; i++)
        if (given & (1u << i))
            json_array_append_new(names, json_string(registry_fields()[i].name));
    return names;
}

static void update_registry_entry(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    json_t *root = NULL, *id_v = NULL, *v[REG_FIELD_COUNT];
    struct core_registry_input in = { 0 };
    struct buf raw;
    struct err err;
    enum rc rc;
    const char *id;
    if (!api_require_admin(req, app, &p) || !(id = path_id(req)) ||
        !read_body(req, &root, &id_v, v))
        return;
    buf_init(&raw, PRIMARY_KEY_RAW_MAX);
    if (id_v)
        rc = err_set(&err, RC_BADVALUE, "id cannot be changed: it is the table's identity");
    else
        rc = take_fields(v, &raw, &in, &err);
    if (!rc)
        rc = core_registry_update(&app->core, &p, http_req_client_ip(req), id, &in, &err);
    if (rc)
        http_respond_rc(req, rc, &err);
    else
        http_respond_json(req, 200,
                          json_pack("{s:s, s:o}", "id", id, "updated", given_names(in.given)));
    buf_cleanup(&raw);
    json_decref(root);
}

static void delete_registry_entry(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct err err;
    const char *id;
    if (!api_require_admin(req, app, &p) || !(id = path_id(req)))
        return;
    enum rc rc = core_registry_delete(&app->core, &p, http_req_client_ip(req), id, &err);
    if (rc)
        http_respond_rc(req, rc, &err);
    else
        http_respond_bytes(req, 204, "application/json", "", 0);
}

/* ------------------------------------------------------------------ routes */

static const struct http_route routes[] = {
    { "POST", "/api/admin/register-table", register_table },
    { "GET", "/api/admin/registry", list_registry },
    { "GET", "/api/admin/registry/{id}", get_registry_entry },
    { "PUT", "/api/admin/registry/{id}", update_registry_entry },
    { "DELETE", "/api/admin/registry/{id}", delete_registry_entry },
};

const struct http_route *api_registry_routes(size_t *out_len)
{
    *out_len = ARRAY_LEN(routes);
    return routes;
}
