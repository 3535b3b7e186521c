/* jira_api.h — the calls the Jira connector makes to Jira Cloud's REST API v3, over libcurl
 * with basic auth (email + API token). Answers are capped (JIRA_API_MAX_BYTES) and parsed
 * with jansson; callers type-check every field they read. The token never appears in an error
 * message: errors name the URL path and the HTTP status only. */
#ifndef DA_CONNECTORS_JIRA_API_H
#define DA_CONNECTORS_JIRA_API_H

#include <jansson.h>
#include <stdint.h>

#include "base/compat.h"
#include "base/rc.h"

#define JIRA_API_MAX_BYTES (32 * 1024 * 1024) /* one answer; a larger one fails the call */
#define JIRA_API_TIMEOUT_S 60

/* Where and as whom to call Jira. Borrowed strings. */
struct jira_conn {
    const char *base_url; /* "https://org.atlassian.net", no trailing slash needed */
    const char *email;
    const char *token;
};

struct jira_api;

/* A client for conn (copied). RC_INVALID when a setting is missing or base_url is not
 * http(s). The caller frees it with jira_api_free. */
enum rc jira_api_new(const struct jira_conn *conn, struct jira_api **out,
                     struct err *err) WARN_UNUSED;
void jira_api_free(struct jira_api **api);

/* GET /rest/api/3/issue/{key}?expand=changelog,renderedFields&fields=*all into *out (a JSON
 * object; the caller decrefs it). key must pass jira_key_valid (RC_INVALID otherwise, before
 * any request). RC_NOTFOUND for 404 (deleted, or not visible to the account),
 * RC_UNAUTHORIZED for 401/403, RC_IO for other failures. */
enum rc jira_api_get_issue(struct jira_api *api, const char *key, json_t **out,
                           struct err *err) WARN_UNUSED;

/* One page of GET /rest/api/3/search/jql?jql=...&fields=*all&expand=changelog,renderedFields
 * &maxResults=N[&nextPageToken=T] into *out (an object with an "issues" array and, when more
 * pages follow, "nextPageToken"). Errors as for jira_api_get_issue. */
enum rc jira_api_search(struct jira_api *api, const char *jql, const char *page_token,
                        int max_results, json_t **out, struct err *err) WARN_UNUSED;

/* How many requests this client has made (for progress lines). */
int64_t jira_api_requests(const struct jira_api *api);

#endif
