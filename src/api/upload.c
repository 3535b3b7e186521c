/* upload.c — what analysts' machines send back:
 *   POST /api/upload/sessions    an assistant session transcript (multipart field "file",
 *                                JSON lines), for the corporate memory
 *   POST /api/upload/artifacts   a report or chart (multipart field "file"), any type
 *   POST /api/upload/local-md    {content}: the analyst's CLAUDE.local.md
 * Files stream to disk as they arrive (http/upload.c) up to uploads.max_bytes, are checked,
 * then renamed into <data>/uploads/<kind>/<user id>/<name>: a reader never sees half a file,
 * and re-sending a name replaces it whole. The client's file name is hostile: only its last
 * component is used, reduced to a safe alphabet. Answers name the stored file relative to the
 * data folder, never a server path. Every upload is audited. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/authn.h"
#include "api/request.h"
#include "base/fileio.h"
#include "base/mem.h"
#include "base/rand.h"
#include "base/utf8.h"

#define NAME_MAX_LEN   128
#define LINE_MAX_BYTES (64 * 1024 * 1024) /* one transcript line; larger is refused */

struct upload_kind {
    const char *name;   /* folder under uploads/ and audit target */
    const char *prefix; /* and extension of a generated name */
    const char *default_ext;
    bool json_lines; /* every non-blank line must be a JSON value */
};

static const struct upload_kind session_kind = { "sessions", "session", ".jsonl", true };
static const struct upload_kind artifact_kind = { "artifacts", "artifact", "", false };

/* The stored name for a client's file name: its last path component with every byte outside
 * [A-Za-z0-9._-] made '_', no leading dot, at most NAME_MAX_LEN; or, when nothing usable is
 * left, "<kind>_<16 hex><ext>". */
static enum rc safe_name(const char *given, const struct upload_kind *k, char *out, size_t size,
                         struct err *err)
{
    const char *base = given ? given : "";
    for (const char *p = base; *p; p++)
        if (*p == '/' || *p == '\\')
            base = p + 1;
    size_t n = 0;
    for (const char *p = base; *p && n < NAME_MAX_LEN && n + 1 < size; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '_' || c == '-';
        out[n++] = ok ? c : '_';
    }
    out[n] = '\0';
    if (n > 0 && out[0] != '.' && strspn(out, "._") < n)
        return RC_OK;
    char hex[17];
    enum rc rc = rand_hex(hex, 8, err);
    if (!rc)
        snprintf(out, size, "%s_%s%s", k->prefix, hex, k->default_ext);
    return rc;
}

/* Whether every non-blank line of the file at path is one JSON value; *bad_line names the
 * first that is not (1-based) with jansson's reason in why. */
static enum rc check_json_lines(const char *path, long *bad_line, char *why, size_t why_size,
                                struct err *err)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return err_set(err, RC_IO, "cannot read the upload back");
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long number = 0;
    *bad_line = 0;
    while (!*bad_line && (len = getline(&line, &cap, f)) >= 0) {
        number++;
        if (strspn(line, " \t\r\n") == (size_t)len)
            continue;
        json_error_t jerr;
        json_t *v =
            len > LINE_MAX_BYTES ? NULL : json_loadb(line, (size_t)len, JSON_DECODE_ANY, &jerr);
        if (!v) {
            *bad_line = number;
            snprintf(why, why_size, "%s", len > LINE_MAX_BYTES ? "line too long" : jerr.text);
        }
        json_decref(v);
    }
    free(line);
    fclose(f);
    return RC_OK;
}

/* Refuses an upload before its body is read unless the caller is signed in. */
static void require_user_first(struct http_req *req, void *appv)
{
    struct principal p;
    (void)api_require_user(req, appv, &p);
}

static void store_upload(struct http_req *req, struct app *app, const struct upload_kind *k)
{
    struct principal p;
    struct err err = { { 0 } };
    char name[NAME_MAX_LEN + 1];
    char *dir = NULL, *path = NULL, *relative = NULL;
    if (!api_require_user(req, app, &p))
        return;
    enum rc rc = safe_name(http_req_upload_filename(req), k, name, sizeof(name), &err);
    if (!rc && k->json_lines) {
        long bad = 0;
        char why[160];
        rc = check_json_lines(http_req_upload_path(req), &bad, why, sizeof(why), &err);
        if (!rc && bad) {
            api_audit(app, req, &p, "upload", k->name, "invalid", name);
            http_respond_error(req, 422, "line %ld of the session is not JSON: %s", bad, why);
            return;
        }
    }
    if (!rc) {
        dir = xasprintf("%s/uploads/%s/%s", app->core.data_dir, k->name, p.user.id);
        path = xasprintf("%s/%s", dir, name);
        relative = xasprintf("uploads/%s/%s/%s", k->name, p.user.id, name);
        rc = file_mkdir_p(dir, 0700, &err);
    }
    if (!rc)
        rc = http_req_upload_keep(req, path, &err);
    if (rc) {
        http_respond_rc(req, rc, &err);
        goto out;
    }
    uint64_t size = http_req_upload_size(req);
    char detail[NAME_MAX_LEN + 32];
    snprintf(detail, sizeof(detail), "%s %llu bytes", name, (unsigned long long)size);
    api_audit(app, req, &p, "upload", k->name, "ok", detail);
    http_respond_json(req, 200,
                      json_pack("{s:s, s:s, s:s, s:I}", "status", "ok", "path", relative, "name",
                                name, "size", (json_int_t)size));
out:
    free(dir);
    free(path);
    free(relative);
}

static void post_session(struct http_req *req, void *app)
{
    store_upload(req, app, &session_kind);
}

static void post_artifact(struct http_req *req, void *app)
{
    store_upload(req, app, &artifact_kind);
}

static void post_local_md(struct http_req *req, void *appv)
{
    struct app *app = appv;
    struct principal p;
    struct err err = { { 0 } };
    json_t *root = NULL;
    const char *content = NULL;
    size_t len = 0;
    if (!api_require_user(req, app, &p) ||
        !api_body(req, &root, "{s:s%}", "content", &content, &len))
        goto out;
    char *dir = xasprintf("%s/uploads/local-md", app->core.data_dir);
    char *path = xasprintf("%s/%s.md", dir, p.user.id);
    enum rc rc = file_mkdir_p(dir, 0700, &err);
    if (!rc)
        rc = file_write_atomic(path, content, len, 0600, &err);
    free(dir);
    free(path);
    if (rc) {
        http_respond_rc(req, rc, &err);
        goto out;
    }
    api_audit(app, req, &p, "upload", "local-md", "ok", NULL);
    http_respond_json(req, 200,
                      json_pack("{s:s, s:s, s:I}", "status", "ok", "user", p.user.email, "size",
                                (json_int_t)utf8_length(content, len)));
out:
    json_decref(root);
}

static const struct http_upload_spec file_upload = { "file", require_user_first };

static const struct http_route routes[] = {
    { "POST", "/api/upload/sessions", post_session, &file_upload },
    { "POST", "/api/upload/artifacts", post_artifact, &file_upload },
    { "POST", "/api/upload/local-md", post_local_md },
};

const struct http_route *api_upload_routes(size_t *out_len)
{
    *out_len = ARRAY_LEN(routes);
    return routes;
}
