/* keboola_json.c — Keboola's answers parsed as hostile input (see keboola_int.h): every field
 * is checked for its type and size, ids that reach a URL are checked against a narrow
 * alphabet, column names become safe identifiers, and text kept for messages is cleaned of
 * control characters. Nothing from an answer ever reaches SQL or a path unchecked. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/mem.h"
#include "connectors/keboola_int.h"
#include "net/sigv4.h"

bool kbc_id_valid(const char *id)
{
    if (!id || !*id || strlen(id) > KBC_ID_MAX || id[0] == '.' || id[0] == '-')
        return false;
    for (const char *p = id; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '.' || c == '-'))
            return false;
    }
    return true;
}

static bool word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

/* name made of [A-Za-z0-9_] (others as '_'), prefix before a leading digit, cut to fit. */
static bool make_ident(const char *name, const char *prefix, bool lower,
                       char out[IDENT_MAX_LEN + 1])
{
    out[0] = '\0';
    if (!name || !*name)
        return false;
    size_t n = 0;
    if (name[0] >= '0' && name[0] <= '9')
        for (const char *p = prefix; *p; p++)
            out[n++] = *p;
    for (const char *p = name; *p && n < IDENT_MAX_LEN; p++) {
        char c = word_char(*p) ? *p : '_';
        if (lower && c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        out[n++] = c;
    }
    out[n] = '\0';
    /* all '_' is still an identifier, but says nothing: refuse it */
    if (strspn(out, "_") == n) {
        out[0] = '\0';
        return false;
    }
    return ident_valid(out);
}

bool kbc_column_ident(const char *name, char out[IDENT_MAX_LEN + 1])
{
    if (ident_valid(name)) {
        snprintf(out, IDENT_MAX_LEN + 1, "%s", name);
        return true;
    }
    return make_ident(name, "c_", false, out);
}

bool kbc_table_ident(const char *kbc_id, char out[IDENT_MAX_LEN + 1])
{
    return make_ident(kbc_id, "t_", true, out);
}

const char *kbc_duck_type(const char *basetype)
{
    static const struct {
        const char *base, *duck;
    } map[] = {
        { "INTEGER", "BIGINT" }, { "NUMERIC", "DECIMAL(38,9)" },
        { "FLOAT", "DOUBLE" },   { "BOOLEAN", "BOOLEAN" },
        { "DATE", "DATE" },      { "TIMESTAMP", "TIMESTAMP" },
    };
    for (size_t i = 0; basetype && i < sizeof(map) / sizeof(map[0]); i++)
        if (strcmp(basetype, map[i].base) == 0)
            return map[i].duck;
    return NULL;
}

/* Copies text from an answer with control characters replaced and the length cut. */
static void clean_copy(const char *in, char *out, size_t size)
{
    size_t n = 0;
    for (const char *p = in ? in : ""; *p && n + 1 < size; p++) {
        unsigned char c = (unsigned char)*p;
        out[n++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
    }
    out[n] = '\0';
}

void kbc_table_cleanup(struct kbc_table *t)
{
    free(t->cols);
    for (size_t i = 0; i < t->n_pk; i++)
        free(t->pk[i]);
    free(t->pk);
    memset(t, 0, sizeof(*t));
}

/* The KBC.datatype.basetype of one column from a columnMetadata list: the "user" provider's
 * when there is one (what people set by hand wins), else the first. "" when none. */
static void column_basetype(const json_t *list, char out[16])
{
    out[0] = '\0';
    size_t i;
    const json_t *m;
    bool from_user = false;
    json_array_foreach(list, i, m)
    {
        const char *key = json_string_value(json_object_get(m, "key"));
        const char *value = json_string_value(json_object_get(m, "value"));
        const char *provider = json_string_value(json_object_get(m, "provider"));
        if (!key || !value || strcmp(key, "KBC.datatype.basetype") != 0 || strlen(value) > 15)
            continue;
        bool user = provider && strcmp(provider, "user") == 0;
        if (!out[0] || (user && !from_user)) {
            snprintf(out, 16, "%s", value);
            from_user = user;
        }
    }
}

/* The basetype of column name in a typed table's definition.columns, or "". */
static void definition_basetype(const json_t *table, const char *name, char out[16])
{
    out[0] = '\0';
    const json_t *cols = json_object_get(json_object_get(table, "definition"), "columns");
    size_t i;
    const json_t *c;
    json_array_foreach(cols, i, c)
    {
        const char *n = json_string_value(json_object_get(c, "name"));
        const char *b = json_string_value(json_object_get(c, "basetype"));
        if (!b)
            b = json_string_value(
                json_object_get(json_object_get(json_object_get(c, "definition"), "base"), "type"));
        if (n && b && strcmp(n, name) == 0 && strlen(b) <= 15) {
            snprintf(out, 16, "%s", b);
            return;
        }
    }
}

static void upper(char *s)
{
    for (; *s; s++)
        if (*s >= 'a' && *s <= 'z')
            *s = (char)(*s - 'a' + 'A');
}

enum rc kbc_parse_table(const json_t *j, struct kbc_table *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    if (!json_is_object(j))
        return err_set(err, RC_INVALID, "Keboola sent a table that is not an object");
    const char *id = json_string_value(json_object_get(j, "id"));
    if (!id || !*id)
        return err_set(err, RC_INVALID, "Keboola sent a table without an id");
    clean_copy(id, out->id, sizeof(out->id));
    clean_copy(json_string_value(json_object_get(j, "name")), out->name, sizeof(out->name));
    const json_t *bucket = json_object_get(j, "bucket");
    clean_copy(json_string_value(json_is_object(bucket) ? json_object_get(bucket, "id") : bucket),
               out->bucket, sizeof(out->bucket));
    clean_copy(json_string_value(json_object_get(j, "lastChangeDate")), out->last_change,
               sizeof(out->last_change));
    const json_t *rows = json_object_get(j, "rowsCount");
    out->rows =
        json_is_integer(rows) && json_integer_value(rows) >= 0 ? json_integer_value(rows) : -1;
    if (!kbc_id_valid(id)) {
        snprintf(out->skip, sizeof(out->skip),
                 "the Keboola table id is not of [A-Za-z0-9_.-] (up to %d characters)", KBC_ID_MAX);
        return RC_OK;
    }
    if (!kbc_table_ident(id, out->da_id))
        snprintf(out->skip, sizeof(out->skip), "no table id can be made of the Keboola id");

    const json_t *cols = json_object_get(j, "columns");
    if (cols && !json_is_array(cols))
        return err_set(err, RC_INVALID, "Keboola sent table %s with columns that are not a list",
                       out->id);
    size_t n = json_array_size(cols);
    if (n > KBC_COLUMNS_MAX) {
        snprintf(out->skip, sizeof(out->skip), "more than %d columns", KBC_COLUMNS_MAX);
        return RC_OK;
    }
    out->cols = xcalloc(n ? n : 1, sizeof(*out->cols));
    const json_t *meta = json_object_get(j, "columnMetadata");
    for (size_t i = 0; i < n; i++) {
        const char *name = json_string_value(json_array_get(cols, i));
        if (!name)
            return err_set(err, RC_INVALID, "Keboola sent table %s with a column that is not text",
                           out->id);
        struct kbc_column *c = &out->cols[out->n_cols++];
        if (strlen(name) >= sizeof(c->name) || strchr(name, '\n') || strchr(name, '\r')) {
            snprintf(out->skip, sizeof(out->skip), "column %zu has an unusable name", i + 1);
            continue;
        }
        snprintf(c->name, sizeof(c->name), "%s", name);
        if (!kbc_column_ident(name, c->ident)) {
            snprintf(out->skip, sizeof(out->skip),
                     "column %zu: no identifier can be made of its name", i + 1);
            continue;
        }
        definition_basetype(j, name, c->basetype);
        if (!c->basetype[0])
            column_basetype(json_object_get(meta, name), c->basetype);
        upper(c->basetype);
        if (!c->basetype[0] || (strcmp(c->basetype, "STRING") != 0 && !kbc_duck_type(c->basetype)))
            snprintf(c->basetype, sizeof(c->basetype), "STRING");
        for (size_t k = 0; k + 1 < out->n_cols; k++)
            if (strcasecmp(out->cols[k].ident, c->ident) == 0)
                snprintf(out->skip, sizeof(out->skip),
                         "columns %zu and %zu give the same column name %s", k + 1, i + 1,
                         c->ident);
    }
    const json_t *pk = json_object_get(j, "primaryKey");
    size_t npk = json_array_size(pk);
    if (npk > 0 && npk <= n) {
        out->pk = xcalloc(npk, sizeof(char *));
        for (size_t i = 0; i < npk; i++) {
            const char *k = json_string_value(json_array_get(pk, i));
            if (k && strlen(k) < KBC_TEXT_MAX)
                out->pk[out->n_pk++] = xstrdup(k);
        }
    }
    return RC_OK;
}

static json_t *load(const char *body, size_t len, const char *what, struct err *err)
{
    json_error_t je;
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (!j)
        err_set(err, RC_INVALID, "Keboola's answer to %s is not JSON", what);
    return j;
}

enum rc kbc_parse_tables(const char *body, size_t len, struct kbc_table **out, size_t *out_len,
                         struct err *err)
{
    *out = NULL;
    *out_len = 0;
    json_t *j = load(body, len, "the table list", err);
    if (!j)
        return RC_INVALID;
    enum rc rc = RC_OK;
    if (!json_is_array(j)) {
        rc = err_set(err, RC_INVALID, "Keboola's table list is not a list");
        goto out;
    }
    size_t n = json_array_size(j);
    struct kbc_table *v = xcalloc(n ? n : 1, sizeof(*v));
    for (size_t i = 0; i < n && !rc; i++) {
        rc = kbc_parse_table(json_array_get(j, i), &v[i], err);
        if (rc) {
            for (size_t k = 0; k <= i; k++)
                kbc_table_cleanup(&v[k]);
            free(v);
            goto out;
        }
    }
    *out = v;
    *out_len = n;
out:
    json_decref(j);
    return rc;
}

static bool positive_id(const json_t *v, int64_t *out)
{
    if (json_is_integer(v) && json_integer_value(v) > 0) {
        *out = json_integer_value(v);
        return true;
    }
    /* some stacks send ids as strings of digits */
    const char *s = json_string_value(v);
    if (!s || !*s || strlen(s) > 18 || strspn(s, "0123456789") != strlen(s))
        return false;
    *out = strtoll(s, NULL, 10);
    return *out > 0;
}

enum rc kbc_parse_job(const char *body, size_t len, struct kbc_job *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    json_t *j = load(body, len, "the export job", err);
    if (!j)
        return RC_INVALID;
    enum rc rc = RC_OK;
    const char *status = json_string_value(json_object_get(j, "status"));
    if (!positive_id(json_object_get(j, "id"), &out->id)) {
        rc = err_set(err, RC_INVALID, "Keboola sent an export job without an id");
        goto out;
    }
    if (!status) {
        rc = err_set(err, RC_INVALID, "Keboola sent export job %lld without a status",
                     (long long)out->id);
        goto out;
    }
    if (strcmp(status, "waiting") == 0) {
        out->state = KBC_JOB_WAITING;
    } else if (strcmp(status, "processing") == 0) {
        out->state = KBC_JOB_PROCESSING;
    } else if (strcmp(status, "success") == 0) {
        out->state = KBC_JOB_SUCCESS;
        const json_t *file = json_object_get(json_object_get(j, "results"), "file");
        if (!positive_id(json_object_get(file, "id"), &out->file_id))
            rc = err_set(err, RC_INVALID, "Keboola's export job %lld succeeded without a file id",
                         (long long)out->id);
    } else if (strcmp(status, "error") == 0) {
        out->state = KBC_JOB_ERROR;
        const json_t *e = json_object_get(j, "error");
        const char *msg = json_string_value(json_object_get(e, "message"));
        if (!msg)
            msg = json_string_value(e);
        clean_copy(msg ? msg : "no message given", out->message, sizeof(out->message));
    } else {
        char s[32];
        clean_copy(status, s, sizeof(s));
        rc = err_set(err, RC_INVALID, "Keboola's export job %lld has an unknown status '%s'",
                     (long long)out->id, s);
    }
out:
    json_decref(j);
    return rc;
}

static bool http_url(const char *u)
{
    return u && strlen(u) <= 8192 &&
           (strncasecmp(u, "https://", 8) == 0 || strncasecmp(u, "http://", 7) == 0);
}

void kbc_file_cleanup(struct kbc_file *f)
{
    free(f->url);
    if (f->s3.secret)
        mem_wipe(f->s3.secret, strlen(f->s3.secret));
    if (f->s3.token)
        mem_wipe(f->s3.token, strlen(f->s3.token));
    free(f->s3.secret);
    free(f->s3.token);
    mem_wipe(f->s3.access_key, sizeof(f->s3.access_key));
    memset(f, 0, sizeof(*f));
}

/* A credential string of len min..max whose every byte passes ok. */
static const char *cred_string(const json_t *obj, const char *name, size_t min, size_t max,
                               bool (*ok)(unsigned char))
{
    const char *s = json_string_value(json_object_get(obj, name));
    size_t n = s ? strlen(s) : 0;
    if (!s || n < min || n > max || n != json_string_length(json_object_get(obj, name)))
        return NULL;
    for (size_t i = 0; i < n; i++)
        if (!ok((unsigned char)s[i]))
            return NULL;
    return s;
}

static bool key_id_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool secret_char(unsigned char c)
{
    return c > ' ' && c < 0x7f;
}

static bool token_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' ||
           c == '/' || c == '=';
}

/* region and credentials of a file answer into *s3; a wrong shape is no error, s3->problem
 * names the field (never its value). */
static void parse_s3(const json_t *j, struct kbc_s3 *s3)
{
    const json_t *c = json_object_get(j, "credentials");
    if (!c)
        return;
    const char *region = json_string_value(json_object_get(j, "region"));
    const char *key = cred_string(c, "AccessKeyId", 16, 128, key_id_char);
    const char *secret = cred_string(c, "SecretAccessKey", 1, 256, secret_char);
    const char *token = cred_string(c, "SessionToken", 1, 8192, token_char);
    const char *bad = !json_is_object(c)         ? "credentials"
                      : !s3_region_valid(region) ? "region"
                      : !key                     ? "credentials.AccessKeyId"
                      : !secret                  ? "credentials.SecretAccessKey"
                      : !token                   ? "credentials.SessionToken"
                                                 : NULL;
    if (bad) {
        snprintf(s3->problem, sizeof(s3->problem), "Keboola's file answer has an unusable %s", bad);
        return;
    }
    snprintf(s3->region, sizeof(s3->region), "%s", region);
    snprintf(s3->access_key, sizeof(s3->access_key), "%s", key);
    s3->secret = xstrdup(secret);
    s3->token = xstrdup(token);
    s3->ok = true;
    /* jansson frees its copies without wiping: wipe them in place first */
    mem_wipe((char *)secret, strlen(secret));
    mem_wipe((char *)token, strlen(token));
}

enum rc kbc_parse_file(const char *body, size_t len, struct kbc_file *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    json_t *j = load(body, len, "the file", err);
    if (!j)
        return RC_INVALID;
    enum rc rc = RC_OK;
    const char *url = json_string_value(json_object_get(j, "url"));
    const json_t *sliced = json_object_get(j, "isSliced");
    (void)positive_id(json_object_get(j, "id"), &out->id);
    if (!http_url(url))
        rc = err_set(err, RC_INVALID, "Keboola's export file has no http(s) url");
    else if (sliced && !json_is_boolean(sliced))
        rc = err_set(err, RC_INVALID,
                     "Keboola's export file has an isSliced that is not true or false");
    else {
        out->url = xstrdup(url);
        out->sliced = json_is_true(sliced);
        parse_s3(j, &out->s3);
    }
    json_decref(j);
    return rc;
}

bool kbc_s3_split(const char *url, char bucket[64], char key[KBC_S3_KEY_MAX + 1])
{
    bucket[0] = key[0] = '\0';
    if (strncmp(url, "s3://", 5) != 0)
        return false;
    const char *b = url + 5, *slash = strchr(b, '/');
    if (!slash || slash - b > 63)
        return false;
    size_t klen = strlen(slash + 1);
    if (klen < 1 || klen > KBC_S3_KEY_MAX)
        return false;
    for (const unsigned char *p = (const unsigned char *)slash + 1; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return false;
    memcpy(bucket, b, (size_t)(slash - b));
    bucket[slash - b] = '\0';
    if (!s3_bucket_valid(bucket)) {
        bucket[0] = '\0';
        return false;
    }
    memcpy(key, slash + 1, klen + 1);
    return true;
}

void kbc_strings_free(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

enum rc kbc_parse_manifest(const char *body, size_t len, char ***out, size_t *out_len,
                           struct err *err)
{
    *out = NULL;
    *out_len = 0;
    json_t *j = load(body, len, "the slice manifest", err);
    if (!j)
        return RC_INVALID;
    enum rc rc = RC_OK;
    const json_t *entries = json_object_get(j, "entries");
    size_t n = json_array_size(entries);
    if (!json_is_array(entries)) {
        rc = err_set(err, RC_INVALID, "Keboola's slice manifest has no list of entries");
    } else if (n > KBC_SLICES_MAX) {
        rc = err_set(err, RC_TOOBIG, "Keboola's slice manifest lists more than %d slices",
                     KBC_SLICES_MAX);
    } else {
        char **v = xcalloc(n ? n : 1, sizeof(char *));
        for (size_t i = 0; i < n; i++) {
            const char *u = json_string_value(json_object_get(json_array_get(entries, i), "url"));
            char bucket[64], key[KBC_S3_KEY_MAX + 1];
            if (!http_url(u) && !(u && kbc_s3_split(u, bucket, key))) {
                rc = err_set(err, RC_INVALID,
                             "slice %zu of Keboola's manifest has no http(s) or s3://bucket/key "
                             "url",
                             i + 1);
                kbc_strings_free(v, i);
                goto out;
            }
            v[i] = xstrdup(u);
        }
        *out = v;
        *out_len = n;
    }
out:
    json_decref(j);
    return rc;
}

void kbc_answer_message(const char *body, size_t len, char *out, size_t size)
{
    out[0] = '\0';
    json_t *j = body && len ? json_loadb(body, len, 0, NULL) : NULL;
    const char *msg = json_string_value(json_object_get(j, "error"));
    if (!msg)
        msg = json_string_value(json_object_get(j, "message"));
    if (msg)
        clean_copy(msg, out, size > 200 ? 200 : size);
    json_decref(j);
}

static json_t *clean_string(const json_t *v)
{
    char text[KBC_TEXT_MAX];
    if (!json_is_string(v))
        return json_null();
    clean_copy(json_string_value(v), text, sizeof(text));
    return json_string(text);
}

enum rc kbc_parse_buckets(const char *body, size_t len, json_t **out, struct err *err)
{
    *out = NULL;
    json_t *j = load(body, len, "the bucket list", err);
    if (!j)
        return RC_INVALID;
    if (!json_is_array(j)) {
        json_decref(j);
        return err_set(err, RC_INVALID, "Keboola's bucket list is not a list");
    }
    json_t *v = json_array();
    size_t i;
    const json_t *b;
    json_array_foreach(j, i, b)
    {
        const char *id = json_string_value(json_object_get(b, "id"));
        if (!id || strlen(id) > KBC_ID_MAX)
            continue;
        json_t *o = json_object();
        json_object_set_new(o, "id", clean_string(json_object_get(b, "id")));
        json_object_set_new(o, "name", clean_string(json_object_get(b, "name")));
        json_object_set_new(o, "stage", clean_string(json_object_get(b, "stage")));
        json_array_append_new(v, o);
    }
    json_decref(j);
    *out = v;
    return RC_OK;
}
