/* jira_api.c — libcurl calls to Jira's REST API v3 (see jira_api.h). One easy handle per
 * client, reused so the connection to Jira stays open across calls. */
#include "connectors/jira_api.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/mem.h"
#include "store/jira_repo.h"

struct jira_api {
    char *base_url; /* without a trailing slash */
    char *userpwd;  /* "email:token", wiped when freed */
    CURL *curl;
    int64_t requests;
};

static bool has_prefix(const char *s, const char *p)
{
    return strncmp(s, p, strlen(p)) == 0;
}

enum rc jira_api_new(const struct jira_conn *conn, struct jira_api **out, struct err *err)
{
    *out = NULL;
    if (!conn->base_url || !conn->base_url[0])
        return err_set(err, RC_INVALID,
                       "Jira is not configured: set jira.base_url or "
                       "JIRA_BASE_URL");
    if (!has_prefix(conn->base_url, "https://") && !has_prefix(conn->base_url, "http://"))
        return err_set(err, RC_INVALID, "jira.base_url must start with https://");
    if (!conn->email || !conn->email[0])
        return err_set(err, RC_INVALID, "Jira is not configured: set jira.email or JIRA_EMAIL");
    if (!conn->token || !conn->token[0])
        return err_set(err, RC_INVALID, "Jira is not configured: JIRA_API_TOKEN is not set");
    if (strchr(conn->email, ':'))
        return err_set(err, RC_INVALID, "jira.email must not contain ':'");
    struct jira_api *a = xcalloc(1, sizeof(*a));
    a->base_url = xstrdup(conn->base_url);
    size_t n = strlen(a->base_url);
    while (n > 0 && a->base_url[n - 1] == '/')
        a->base_url[--n] = '\0';
    a->userpwd = xasprintf("%s:%s", conn->email, conn->token);
    a->curl = curl_easy_init();
    if (!a->curl) {
        jira_api_free(&a);
        return err_set(err, RC_NOMEM, "cannot create an HTTP client");
    }
    *out = a;
    return RC_OK;
}

void jira_api_free(struct jira_api **api)
{
    if (!api || !*api)
        return;
    struct jira_api *a = *api;
    if (a->curl)
        curl_easy_cleanup(a->curl);
    if (a->userpwd)
        mem_wipe(a->userpwd, strlen(a->userpwd));
    free(a->userpwd);
    free(a->base_url);
    free(a);
    *api = NULL;
}

int64_t jira_api_requests(const struct jira_api *api)
{
    return api->requests;
}

static size_t on_body(char *data, size_t size, size_t n, void *ctx)
{
    struct buf *b = ctx;
    if (b->failed || buf_append(b, data, size * n))
        return 0; /* over the cap: curl stops with CURLE_WRITE_ERROR */
    return size * n;
}

/* GETs base_url + path_query (what names the call in messages) and parses a JSON object. */
static enum rc get_json(struct jira_api *a, const char *path_query, const char *what, json_t **out,
                        struct err *err)
{
    *out = NULL;
    char *url = xasprintf("%s%s", a->base_url, path_query);
    struct buf body;
    char ebuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *headers = curl_slist_append(NULL, "Accept: application/json");
    buf_init(&body, JIRA_API_MAX_BYTES);
    CURL *c = a->curl;
    curl_easy_reset(c);
    CURLcode cc = curl_easy_setopt(c, CURLOPT_URL, url);
    if (!cc)
        cc = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    if (!cc)
        cc = curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
    if (!cc)
        cc = curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (!cc)
        cc = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
    if (!cc)
        cc = curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)JIRA_API_TIMEOUT_S * 1000L);
    if (!cc)
        cc = curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    if (!cc)
        cc = curl_easy_setopt(c, CURLOPT_USERPWD, a->userpwd);
    if (!cc)
        cc = curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    if (!cc)
        cc = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    if (!cc)
        cc = curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
    if (!cc)
        cc = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, ebuf);
    if (!cc) {
        a->requests++;
        cc = curl_easy_perform(c);
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    /* the handle keeps the credentials only for the call */
    (void)curl_easy_setopt(c, CURLOPT_USERPWD, NULL);
    curl_slist_free_all(headers);
    free(url);
    enum rc rc = RC_OK;
    if (cc == CURLE_WRITE_ERROR && body.failed)
        rc = err_set(err, RC_TOOBIG, "Jira %s: the answer is larger than %d bytes", what,
                     JIRA_API_MAX_BYTES);
    else if (cc)
        rc = err_set(err, RC_IO, "Jira %s: %s", what, ebuf[0] ? ebuf : curl_easy_strerror(cc));
    else if (status == 401 || status == 403)
        rc = err_set(err, RC_UNAUTHORIZED, "Jira %s: credentials refused (HTTP %ld)", what, status);
    else if (status == 404)
        rc = err_set(err, RC_NOTFOUND, "Jira %s: not found", what);
    else if (status != 200)
        rc = err_set(err, RC_IO, "Jira %s: HTTP %ld", what, status);
    if (!rc) {
        json_error_t jerr;
        json_t *root = json_loadb(body.data ? body.data : "", body.len, 0, &jerr);
        if (!json_is_object(root)) {
            json_decref(root);
            rc = err_set(err, RC_INVALID, "Jira %s: the answer is not a JSON object", what);
        } else {
            *out = root;
        }
    }
    buf_cleanup(&body);
    return rc;
}

enum rc jira_api_get_issue(struct jira_api *api, const char *key, json_t **out, struct err *err)
{
    *out = NULL;
    if (!jira_key_valid(key))
        return err_set(err, RC_INVALID, "not a Jira issue key");
    char *path = xasprintf("/rest/api/3/issue/%s?expand=changelog,renderedFields&fields=*all", key);
    char *what = xasprintf("issue %s", key);
    enum rc rc = get_json(api, path, what, out, err);
    free(what);
    free(path);
    return rc;
}

enum rc jira_api_search(struct jira_api *api, const char *jql, const char *page_token,
                        int max_results, json_t **out, struct err *err)
{
    *out = NULL;
    char *q = curl_easy_escape(api->curl, jql, 0);
    char *t = page_token ? curl_easy_escape(api->curl, page_token, 0) : NULL;
    if (!q || (page_token && !t)) {
        curl_free(q);
        curl_free(t);
        return err_set(err, RC_NOMEM, "cannot encode the search");
    }
    char *path = xasprintf("/rest/api/3/search/jql?jql=%s&fields=*all"
                           "&expand=changelog,renderedFields&maxResults=%d%s%s",
                           q, max_results, t ? "&nextPageToken=" : "", t ? t : "");
    enum rc rc = get_json(api, path, "search", out, err);
    free(path);
    curl_free(q);
    curl_free(t);
    return rc;
}
