/* registry.c — the table registry admin API on the original's paths: register a table
 * (POST /api/admin/register-table), list and read rows (GET /api/admin/registry[/{id}]),
 * change or clear fields (PUT) and delete a table with what hangs off its id (DELETE). Admins
 * only. A table has one canonical id, ident_table_id of its name unless an id is given; every
 * change is audited by the store in the same transaction (store/registry_repo.h). routes.c joins
 * api_registry_routes into the route table. */
#include "store/registry_repo.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/authn.h"
#include "api/request.h"
#include "base/buf.h"
#include "base/ident.h"
#include "base/utf8.h"

#define PRIMARY_KEY_RAW_MAX (16 * 1024) /* bytes of an array primary key before trimming */
#define ECHO_MAX            64          /* bytes of a client's value quoted in an error */

/* How many bytes of s to quote in a message: at most ECHO_MAX, never ending inside a UTF-8
 * sequence (the answer must stay valid JSON text). */
static int echo_len(const char *s)
{
    return (int)utf8_prefix(s, strlen(s), ECHO_MAX);
}

/* Control characters, but for newline and tab where multi-line text is allowed. */
static bool has_control(const char *s, bool multi_line)
{
    for (; *s; s++) {
        if (multi_line && (*s == '\n' || *s == '\t'))
            continue;
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return true;
    }
    return false;
}

static bool is_blank(const char *s)
{
    return s[strspn(s, " \t")] == '\0';
}

/* The rules of one text value beyond its type: length, no control characters, and what the
 * field allows. "" (unset) is fine for optional fields. */
static enum rc check_text(enum registry_field_id i, const char *s, struct err *err)
{
    const struct registry_field *f = &registry_fields()[i];
    if (strlen(s) > f->max)
        return err_set(err, RC_BADVALUE, "%s: at most %zu bytes", f->name, f->max);
    if (has_control(s, i == REG_DESCRIPTION))
        return err_set(err, RC_BADVALUE, "%s: no control characters%s", f->name,
                       i == REG_DESCRIPTION ? " but newline and tab" : "");
    switch (i) {
    case REG_NAME:
        if (is_blank(s))
            return err_set(err, RC_BADVALUE, "Table name cannot be empty");
        break;
    case REG_SYNC_STRATEGY:
        if (strcmp(s, "full_refresh") != 0 && strcmp(s, "incremental") != 0 &&
            strcmp(s, "append") != 0)
            return err_set(err, RC_BADVALUE,
                           "sync_strategy: must be full_refresh, incremental or append");
        break;
    case REG_QUERY_MODE:
        if (strcmp(s, "local") != 0 && strcmp(s, "remote") != 0)
            return err_set(err, RC_BADVALUE, "query_mode: must be local or remote");
        break;
    case REG_SYNC_SCHEDULE:
        if (*s && !registry_schedule_valid(s))
            return err_set(err, RC_BADVALUE,
                           "sync_schedule: '%.*s' is not a schedule: use \"every <N>m\","
                           " \"every <N>h\" (N from 1 to 10080) or \"daily HH:MM[,HH:MM...]\"",
                           echo_len(s), s);
        break;
    default:
        break;
    }
    return RC_OK;
}

/* A primary key given as "a, b" or as ["a", "b"] (the original's web UI sent arrays),
 * normalised into out; "" or [] leave it unset. */
static enum rc primary_key_value(const json_t *v, char out[REGISTRY_TEXT_MAX + 1], struct err *err)
{
    struct buf raw;
    size_t i;
    json_t *col;
    enum rc rc = RC_OK;
    out[0] = '\0';
    if (json_is_string(v))
        return *json_string_value(v) ? registry_primary_key_norm(json_string_value(v), out, err)
                                     : RC_OK;
    if (!json_is_array(v))
        return err_set(err, RC_BADVALUE, "primary_key must be a string or an array of strings");
    if (json_array_size(v) == 0)
        return RC_OK;
    buf_init(&raw, PRIMARY_KEY_RAW_MAX);
    json_array_foreach(v, i, col)
    {
        if (!json_is_string(col)) {
            rc = err_set(err, RC_BADVALUE, "primary_key must be a string or an array of strings");
            break;
        }
        if ((i && buf_append_str(&raw, ",")) || buf_append_str(&raw, json_string_value(col))) {
            rc = err_set(err, RC_BADVALUE, "primary_key: at most %d bytes", REGISTRY_TEXT_MAX);
            break;
        }
    }
    if (!rc)
        rc = registry_primary_key_norm(buf_cstr(&raw), out, err);
    buf_cleanup(&raw);
    return rc;
}

/* Takes field i from its JSON value v (present in the body) into c. JSON null clears an
 * optional field (the zeroed value) and is refused for a required one. */
static enum rc take_field(enum registry_field_id i, const json_t *v, struct registry_change *c,
                          struct err *err)
{
    const struct registry_field *f = &registry_fields()[i];
    char *at = (char *)&c->v + f->offset;
    c->given |= 1u << i;
    if (json_is_null(v)) {
        if (f->required)
            return err_set(err, RC_BADVALUE, "%s cannot be null", f->name);
        at[0] = '\0';
        return RC_OK;
    }
    if (f->kind == REGISTRY_BOOL) {
        if (!json_is_boolean(v))
            return err_set(err, RC_BADVALUE, "%s must be true or false", f->name);
        *(bool *)at = json_is_true(v);
        return RC_OK;
    }
    if (i == REG_PRIMARY_KEY) {
        enum rc rc = primary_key_value(v, at, err);
        return rc ? rc : check_text(i, at, err);
    }
    if (!json_is_string(v))
        return err_set(err, RC_BADVALUE, "%s must be a string", f->name);
    enum rc rc = check_text(i, json_string_value(v), err);
    if (!rc)
        memcpy(at, json_string_value(v), strlen(json_string_value(v)) + 1);
    return rc;
}

/* Takes every field present in v (indexed by registry_field_id) into c. */
static enum rc take_fields(json_t *const v[REG_FIELD_COUNT], struct registry_change *c,
                           struct err *err)
{
    enum rc rc = RC_OK;
    for (int i = 0; !rc && i < REG_FIELD_COUNT; i++)
        if (v[i])
            rc = take_field((enum registry_field_id)i, v[i], c, err);
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

/* The one canonical id: the given id, which must already be canonical, or the one of name. */
static enum rc canonical_id(const json_t *id_v, const char *name, char out[IDENT_MAX_LEN + 1],
                            struct err *err)
{
    if (id_v && !json_is_null(id_v)) {
        const char *id = json_string_value(id_v);
        if (!id)
            return err_set(err, RC_BADVALUE, "id must be a string");
        if (!ident_is_table_id(id))
            return err_set(err, RC_BADVALUE,
                           "id '%.*s' is not a valid table id: use lower-case letters, digits"
                           " and '_', starting with a letter or '_', at most %d characters",
                           echo_len(id), id, IDENT_MAX_LEN);
        memcpy(out, id, strlen(id) + 1);
        return RC_OK;
    }
    if (!ident_table_id(name, out))
        return err_set(err, RC_BADVALUE,
                       "table name '%.*s' does not give a valid table id: use letters, digits,"
                       " spaces, '-' or '_', starting with a letter or '_', at most %d"
                       " characters",
                       echo_len(name), name, IDENT_MAX_LEN);
    return RC_OK;
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
    struct err err;
    enum rc rc;
    if (!api_require_admin(req, app, &p) || !read_body(req, &root, &id_v, v))
        return;
    /* the defaults of a new row; take_fields overwrites what the body gives */
    struct registry_change c = { .v = { .profile_after_sync = true } };
    struct registry_table *t = &c.v;
    memcpy(t->sync_strategy, "full_refresh", sizeof("full_refresh"));
    memcpy(t->query_mode, "local", sizeof("local"));
    if (!v[REG_NAME] || json_is_null(v[REG_NAME]))
        rc = err_set(&err, RC_BADVALUE, "Table name cannot be empty");
    else
        rc = take_fields(v, &c, &err);
    if (!rc)
        rc = canonical_id(id_v, t->name, t->id, &err);
    if (rc)
        goto out;
    snprintf(t->registered_by, sizeof(t->registered_by), "%s", p.user.email);
    struct audit_entry audit = api_audit_entry(req, &p, "table.register", t->id, "ok", t->name);
    rc = registry_create(app->core.store, t, &audit, &err);
    if (!rc)
        http_respond_json(
            req, 201,
            json_pack("{s:s, s:s, s:s}", "id", t->id, "name", t->name, "status", "registered"));
out:
    if (rc)
        http_respond_rc(req, rc, &err);
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
    enum rc rc = registry_list(app->core.store, &rows, &len, &err);
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
    enum rc rc = registry_get(app->core.store, id, &t, &err);
    if (rc)
        http_respond_rc(req, rc, &err);
    else
        http_respond_json(req, 200, row_json(&t));
}

/* The names of the given fields, in name order, as a JSON array and as audit detail. */
static json_t *given_names(unsigned given, char *detail, size_t size)
{
    json_t *names = json_array();
    size_t at = 0;
    detail[0] = '\0';
    for (int i = 0; i < REG_FIELD_COUNT; i++) {
        if (!(given & (1u << i)))
            continue;
        const char *name = registry_fields()[i].name;
        json_array_append_new(names, json_string(name));
        int n = snprintf(detail + at, size - at, "%s%s", at ? "," : "", name);
        if (n > 0 && (size_t)n < size - at)
            at += (size_t)n;
    }
    return names;
}

static void update_registry_entry(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    json_t *root = NULL, *id_v = NULL, *v[REG_FIELD_COUNT];
    struct registry_change c = { 0 };
    struct registry_table current;
    char detail[256];
    struct err err;
    enum rc rc;
    const char *id;
    if (!api_require_admin(req, app, &p) || !(id = path_id(req)) ||
        !read_body(req, &root, &id_v, v))
        return;
    if (id_v)
        rc = err_set(&err, RC_BADVALUE, "id cannot be changed: it is the table's identity");
    else
        rc = take_fields(v, &c, &err);
    if (rc)
        goto out;
    json_t *names = given_names(c.given, detail, sizeof(detail));
    if (c.given) {
        struct audit_entry audit = api_audit_entry(req, &p, "table.update", id, "ok", detail);
        rc = registry_update(app->core.store, id, &c, &audit, NULL, &err);
    } else {
        rc = registry_get(app->core.store, id, &current, &err); /* nothing to change: no record */
    }
    if (rc)
        json_decref(names);
    else
        http_respond_json(req, 200, json_pack("{s:s, s:o}", "id", id, "updated", names));
out:
    if (rc)
        http_respond_rc(req, rc, &err);
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
    struct audit_entry audit = api_audit_entry(req, &p, "table.delete", id, "ok", NULL);
    enum rc rc = registry_delete(app->core.store, id, &audit, &err);
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
