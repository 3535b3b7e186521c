/* jira_rows.c — the issue → rows mapping of the Jira connector (see jira_rows.h). The columns
 * follow the original connector's tables (issues, comments, changelog, issuelinks,
 * attachments), plus worklogs; its organisation-specific custom fields are kept generically in
 * jira_issues.custom_fields, a JSON object. */
#include "connectors/jira_rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/mem.h"
#include "connectors/jira_adf.h"
#include "store/jira_repo.h"

#define V "VARCHAR"
#define T "TIMESTAMP"
#define I "BIGINT"

static const struct jira_column issue_cols[] = {
    { "issue_key", V },
    { "issue_id", V },
    { "issue_url", V },
    { "summary", V },
    { "description", V },
    { "issue_type", V },
    { "status", V },
    { "status_category", V },
    { "priority", V },
    { "resolution", V },
    { "project_key", V },
    { "project_name", V },
    { "creator_email", V },
    { "creator_name", V },
    { "reporter_email", V },
    { "reporter_name", V },
    { "assignee_email", V },
    { "assignee_name", V },
    { "created_at", T },
    { "updated_at", T },
    { "resolved_at", T },
    { "due_date", V },
    { "labels", V },
    { "components", V },
    { "attachment_count", I },
    { "comment_count", I },
    { "issuelink_count", I },
    { "worklog_count", I },
    { "time_spent_seconds", I },
    { "custom_fields", V },
    { "_synced_at", V },
};
static const struct jira_column comment_cols[] = {
    { "comment_id", V }, { "issue_key", V },  { "author_email", V }, { "author_name", V },
    { "body", V },       { "created_at", T }, { "updated_at", T },   { "update_author_email", V },
};
static const struct jira_column changelog_cols[] = {
    { "change_id", V },   { "issue_key", V },  { "author_email", V },
    { "author_name", V }, { "field_name", V }, { "field_type", V },
    { "from_value", V },  { "to_value", V },   { "changed_at", T },
};
static const struct jira_column worklog_cols[] = {
    { "worklog_id", V },         { "issue_key", V },  { "author_email", V },
    { "author_name", V },        { "comment", V },    { "started_at", T },
    { "time_spent_seconds", I }, { "created_at", T }, { "updated_at", T },
};
static const struct jira_column link_cols[] = {
    { "issue_key", V },           { "link_id", V },
    { "link_type", V },           { "direction", V },
    { "linked_issue_key", V },    { "linked_issue_summary", V },
    { "linked_issue_status", V }, { "linked_issue_priority", V },
};
static const struct jira_column attachment_cols[] = {
    { "attachment_id", V }, { "issue_key", V },   { "filename", V },
    { "size_bytes", I },    { "mime_type", V },   { "author_email", V },
    { "created_at", T },    { "content_url", V }, { "thumbnail_url", V },
};

#define TABLE(n, d, c)                                                                             \
    {                                                                                              \
        n, d, c, (int)ARRAY_LEN(c)                                                                 \
    }
const struct jira_table jira_tables[JIRA_N_TABLES] = {
    [JIRA_ISSUES] = TABLE("jira_issues", "Jira issues", issue_cols),
    [JIRA_COMMENTS] = TABLE("jira_comments", "Jira issue comments", comment_cols),
    [JIRA_CHANGELOG] = TABLE("jira_changelog", "Jira issue field changes", changelog_cols),
    [JIRA_WORKLOGS] = TABLE("jira_worklogs", "Jira work logs", worklog_cols),
    [JIRA_ISSUELINKS] = TABLE("jira_issuelinks", "Jira issue links", link_cols),
    [JIRA_ATTACHMENTS] = TABLE("jira_attachments", "Jira attachments (metadata)", attachment_cols),
};

void jira_rows_init(struct jira_rows *r)
{
    memset(r, 0, sizeof(*r));
    for (int t = 0; t < JIRA_N_TABLES; t++)
        buf_init(&r->lines[t], JIRA_ROWS_MAX_BYTES);
}

void jira_rows_cleanup(struct jira_rows *r)
{
    for (int t = 0; t < JIRA_N_TABLES; t++)
        buf_cleanup(&r->lines[t]);
}

/* ---- typed reads: the wrong type is "absent" ---- */

static json_t *obj(const json_t *o, const char *k)
{
    json_t *v = json_is_object(o) ? json_object_get(o, k) : NULL;
    return json_is_object(v) ? v : NULL;
}

static json_t *arr(const json_t *o, const char *k)
{
    json_t *v = json_is_object(o) ? json_object_get(o, k) : NULL;
    return json_is_array(v) ? v : NULL;
}

static const char *str(const json_t *o, const char *k)
{
    json_t *v = json_is_object(o) ? json_object_get(o, k) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

/* A JSON string, or an integer as text (Jira sends ids as strings, but not everywhere). */
static json_t *id_value(const json_t *o, const char *k)
{
    json_t *v = json_is_object(o) ? json_object_get(o, k) : NULL;
    if (json_is_string(v))
        return json_string(json_string_value(v));
    if (json_is_integer(v)) {
        char n[24];
        snprintf(n, sizeof(n), "%lld", (long long)json_integer_value(v));
        return json_string(n);
    }
    return json_null();
}

static json_t *jstr(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *jint(const json_t *o, const char *k)
{
    json_t *v = json_is_object(o) ? json_object_get(o, k) : NULL;
    return json_is_integer(v) ? json_integer(json_integer_value(v)) : json_null();
}

static json_t *jtime(const json_t *o, const char *k)
{
    char utc[32];
    return jira_time_utc(str(o, k), utc) ? json_string(utc) : json_null();
}

static json_t *jname(const json_t *o, const char *k)
{
    return jstr(str(obj(o, k), "name"));
}

static json_t *jadf(const json_t *v)
{
    char *text = jira_adf_text(v);
    json_t *j = json_string(text); /* NULL for invalid UTF-8: then a JSON null */
    free(text);
    return j ? j : json_null();
}

/* ---- times ---- */

static bool digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

bool jira_time_utc(const char *s, char out[32])
{
    out[0] = '\0';
    int y, mo, d, h, mi, se, ms = 0, oh = 0, om = 0, sign = 1;
    if (!s || strnlen(s, 40) < 19 || !digits(s, 4, &y) || s[4] != '-' || !digits(s + 5, 2, &mo) ||
        s[7] != '-' || !digits(s + 8, 2, &d) || (s[10] != 'T' && s[10] != ' ') ||
        !digits(s + 11, 2, &h) || s[13] != ':' || !digits(s + 14, 2, &mi) || s[16] != ':' ||
        !digits(s + 17, 2, &se))
        return false;
    const char *p = s + 19;
    if (*p == '.') {
        int n = 0, v = 0;
        for (p++; *p >= '0' && *p <= '9'; p++, n++)
            if (n < 3)
                v = v * 10 + (*p - '0');
        if (n == 0)
            return false;
        for (; n < 3; n++)
            v *= 10;
        ms = v;
    }
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        p++;
        if (!digits(p, 2, &oh))
            return false;
        p += 2;
        if (*p == ':')
            p++;
        if (!digits(p, 2, &om))
            return false;
        p += 2;
    }
    if (*p != '\0' || mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || se > 60 ||
        oh > 23 || om > 59)
        return false;
    struct tm tm = { .tm_year = y - 1900,
                     .tm_mon = mo - 1,
                     .tm_mday = d,
                     .tm_hour = h,
                     .tm_min = mi,
                     .tm_sec = se };
    time_t t = timegm(&tm) - (time_t)sign * (oh * 3600 + om * 60);
    struct tm utc;
    if (!gmtime_r(&t, &utc) || utc.tm_year + 1900 < 1 || utc.tm_year + 1900 > 9999)
        return false;
    strftime(out, 32, "%Y-%m-%d %H:%M:%S", &utc);
    snprintf(out + 19, 13, ".%03u", (unsigned)ms % 1000u);
    return true;
}

/* YYYY-MM of created as Jira wrote it (the reporter's offset, as the original partitioned);
 * the current UTC month when created is missing or malformed. */
static void month_of(const char *created, char out[8])
{
    int y, m;
    if (created && strnlen(created, 8) >= 7 && digits(created, 4, &y) && created[4] == '-' &&
        digits(created + 5, 2, &m) && m >= 1 && m <= 12 && y >= 1) {
        snprintf(out, 8, "%04u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u);
        return;
    }
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(out, 8, "%Y-%m", &tm);
}

/* ---- the rows ---- */

/* Writes row (consumed) as one line of table t. */
static enum rc emit(struct jira_rows *r, int t, const char *month, json_t *row, struct err *err)
{
    json_object_set_new(row, "_month", json_string(month));
    char *line = json_dumps(row, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(row);
    if (!line)
        return err_set(err, RC_NOMEM, "cannot encode a row of %s", jira_tables[t].name);
    enum rc rc = buf_append_str(&r->lines[t], line);
    if (!rc)
        rc = buf_append_str(&r->lines[t], "\n");
    free(line);
    if (rc)
        return err_set(err, RC_TOOBIG, "%s: more than %zu bytes of rows in one run",
                       jira_tables[t].name, JIRA_ROWS_MAX_BYTES);
    r->n[t]++;
    return RC_OK;
}

/* A user object's e-mail and display name into row as <prefix>_email and <prefix>_name. */
static void set_user(json_t *row, const char *prefix, const json_t *user, bool with_name)
{
    char k[64];
    snprintf(k, sizeof(k), "%s_email", prefix);
    json_object_set_new(row, k, jstr(str(user, "emailAddress")));
    if (with_name) {
        snprintf(k, sizeof(k), "%s_name", prefix);
        json_object_set_new(row, k, jstr(str(user, "displayName")));
    }
}

/* The readable value of a custom field: ADF as text, options as their value or name, lists
 * of those, users as their display name; other JSON as it is. NULL for null. */
static json_t *custom_value(const json_t *v, int depth)
{
    if (json_is_null(v) || depth > 8)
        return NULL;
    if (json_is_object(v)) {
        const char *type = str(v, "type");
        if (type && strcmp(type, "doc") == 0 && json_is_array(json_object_get(v, "content")))
            return jadf(v);
        const char *s = str(v, "value");
        if (!s)
            s = str(v, "displayName");
        if (!s)
            s = str(v, "name");
        return s ? json_string(s) : json_deep_copy(v);
    }
    if (json_is_array(v)) {
        json_t *out = json_array();
        size_t i;
        json_t *item;
        json_array_foreach(v, i, item)
        {
            json_t *c = custom_value(item, depth + 1);
            if (c)
                json_array_append_new(out, c);
        }
        return out;
    }
    return json_deep_copy(v);
}

static json_t *custom_fields(const json_t *fields)
{
    json_t *out = json_object();
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)fields, k, v)
    {
        if (strncmp(k, "customfield_", 12) != 0)
            continue;
        json_t *c = custom_value(v, 0);
        if (c)
            json_object_set_new(out, k, c);
    }
    char *text = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII);
    json_decref(out);
    json_t *j = text ? json_string(text) : json_null();
    free(text);
    return j;
}

/* The names of a list of objects (labels are strings; components are objects) as JSON text. */
static json_t *name_list(const json_t *list)
{
    json_t *out = json_array();
    size_t i;
    json_t *item;
    if (json_is_array(list))
        json_array_foreach(list, i, item)
        {
            if (json_is_string(item))
                json_array_append_new(out, json_string(json_string_value(item)));
            else if (str(item, "name"))
                json_array_append_new(out, json_string(str(item, "name")));
        }
    char *text = json_dumps(out, JSON_COMPACT | JSON_ENSURE_ASCII);
    json_decref(out);
    json_t *j = text ? json_string(text) : json_null();
    free(text);
    return j;
}

static int64_t array_len(const json_t *a)
{
    return json_is_array(a) ? (int64_t)json_array_size(a) : 0;
}

static enum rc add_issue_row(struct jira_rows *r, const char *key, const json_t *issue,
                             const json_t *f, const char *base_url, const char *month,
                             struct err *err)
{
    json_t *row = json_object();
    json_t *status = obj(f, "status");
    json_t *project = obj(f, "project");
    json_t *comment = obj(f, "comment");
    json_t *worklog = obj(f, "worklog");
    json_object_set_new(row, "issue_key", json_string(key));
    json_object_set_new(row, "issue_id", id_value(issue, "id"));
    char *url = xasprintf("%s/browse/%s", base_url, key);
    json_object_set_new(row, "issue_url", json_string(url));
    free(url);
    json_object_set_new(row, "summary", jstr(str(f, "summary")));
    json_object_set_new(row, "description", jadf(json_object_get(f, "description")));
    json_object_set_new(row, "issue_type", jname(f, "issuetype"));
    json_object_set_new(row, "status", jstr(str(status, "name")));
    json_object_set_new(row, "status_category", jname(status, "statusCategory"));
    json_object_set_new(row, "priority", jname(f, "priority"));
    json_object_set_new(row, "resolution", jname(f, "resolution"));
    json_object_set_new(row, "project_key", jstr(str(project, "key")));
    json_object_set_new(row, "project_name", jstr(str(project, "name")));
    set_user(row, "creator", obj(f, "creator"), true);
    set_user(row, "reporter", obj(f, "reporter"), true);
    set_user(row, "assignee", obj(f, "assignee"), true);
    json_object_set_new(row, "created_at", jtime(f, "created"));
    json_object_set_new(row, "updated_at", jtime(f, "updated"));
    json_object_set_new(row, "resolved_at", jtime(f, "resolutiondate"));
    json_object_set_new(row, "due_date", jstr(str(f, "duedate")));
    json_object_set_new(row, "labels", name_list(json_object_get(f, "labels")));
    json_object_set_new(row, "components", name_list(json_object_get(f, "components")));
    json_object_set_new(row, "attachment_count", json_integer(array_len(arr(f, "attachment"))));
    json_t *total = json_object_get(comment, "total");
    json_object_set_new(row, "comment_count",
                        json_integer(json_is_integer(total) ? json_integer_value(total)
                                                            : array_len(arr(comment, "comments"))));
    json_object_set_new(row, "issuelink_count", json_integer(array_len(arr(f, "issuelinks"))));
    total = json_object_get(worklog, "total");
    json_object_set_new(row, "worklog_count",
                        json_integer(json_is_integer(total) ? json_integer_value(total)
                                                            : array_len(arr(worklog, "worklogs"))));
    json_object_set_new(row, "time_spent_seconds", jint(f, "timespent"));
    json_object_set_new(row, "custom_fields", custom_fields(f));
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof(now), "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_object_set_new(row, "_synced_at", json_string(now));
    return emit(r, JIRA_ISSUES, month, row, err);
}

static enum rc add_comments(struct jira_rows *r, const char *key, const json_t *f,
                            const char *month, struct err *err)
{
    size_t i;
    json_t *c;
    enum rc rc = RC_OK;
    json_t *list = arr(obj(f, "comment"), "comments");
    if (!list)
        return RC_OK;
    json_array_foreach(list, i, c)
    {
        if (!json_is_object(c))
            continue;
        json_t *row = json_object();
        json_object_set_new(row, "comment_id", id_value(c, "id"));
        json_object_set_new(row, "issue_key", json_string(key));
        set_user(row, "author", obj(c, "author"), true);
        json_object_set_new(row, "body", jadf(json_object_get(c, "body")));
        json_object_set_new(row, "created_at", jtime(c, "created"));
        json_object_set_new(row, "updated_at", jtime(c, "updated"));
        set_user(row, "update_author", obj(c, "updateAuthor"), false);
        if ((rc = emit(r, JIRA_COMMENTS, month, row, err)))
            break;
    }
    return rc;
}

static enum rc add_changelog(struct jira_rows *r, const char *key, const json_t *issue,
                             const char *month, struct err *err)
{
    size_t i, j;
    json_t *h, *item;
    enum rc rc = RC_OK;
    json_t *list = arr(obj(issue, "changelog"), "histories");
    if (!list)
        return RC_OK;
    json_array_foreach(list, i, h)
    {
        json_t *items = arr(h, "items");
        if (!items)
            continue;
        json_array_foreach(items, j, item)
        {
            if (!json_is_object(item))
                continue;
            json_t *row = json_object();
            json_object_set_new(row, "change_id", id_value(h, "id"));
            json_object_set_new(row, "issue_key", json_string(key));
            set_user(row, "author", obj(h, "author"), true);
            json_object_set_new(row, "field_name", jstr(str(item, "field")));
            json_object_set_new(row, "field_type", jstr(str(item, "fieldtype")));
            json_object_set_new(row, "from_value", jstr(str(item, "fromString")));
            json_object_set_new(row, "to_value", jstr(str(item, "toString")));
            json_object_set_new(row, "changed_at", jtime(h, "created"));
            if ((rc = emit(r, JIRA_CHANGELOG, month, row, err)))
                return rc;
        }
    }
    return rc;
}

static enum rc add_worklogs(struct jira_rows *r, const char *key, const json_t *f,
                            const char *month, struct err *err)
{
    size_t i;
    json_t *w;
    enum rc rc = RC_OK;
    json_t *list = arr(obj(f, "worklog"), "worklogs");
    if (!list)
        return RC_OK;
    json_array_foreach(list, i, w)
    {
        if (!json_is_object(w))
            continue;
        json_t *row = json_object();
        json_object_set_new(row, "worklog_id", id_value(w, "id"));
        json_object_set_new(row, "issue_key", json_string(key));
        set_user(row, "author", obj(w, "author"), true);
        json_object_set_new(row, "comment", jadf(json_object_get(w, "comment")));
        json_object_set_new(row, "started_at", jtime(w, "started"));
        json_object_set_new(row, "time_spent_seconds", jint(w, "timeSpentSeconds"));
        json_object_set_new(row, "created_at", jtime(w, "created"));
        json_object_set_new(row, "updated_at", jtime(w, "updated"));
        if ((rc = emit(r, JIRA_WORKLOGS, month, row, err)))
            break;
    }
    return rc;
}

static enum rc add_links(struct jira_rows *r, const char *key, const json_t *f, const char *month,
                         struct err *err)
{
    size_t i;
    json_t *l;
    enum rc rc = RC_OK;
    json_t *list = arr(f, "issuelinks");
    if (!list)
        return RC_OK;
    json_array_foreach(list, i, l)
    {
        json_t *other = obj(l, "inwardIssue");
        const char *direction = "inward";
        if (!other) {
            other = obj(l, "outwardIssue");
            direction = "outward";
        }
        if (!other)
            continue;
        json_t *of = obj(other, "fields");
        json_t *row = json_object();
        json_object_set_new(row, "issue_key", json_string(key));
        json_object_set_new(row, "link_id", id_value(l, "id"));
        json_object_set_new(row, "link_type", jname(l, "type"));
        json_object_set_new(row, "direction", json_string(direction));
        json_object_set_new(row, "linked_issue_key", jstr(str(other, "key")));
        json_object_set_new(row, "linked_issue_summary", jstr(str(of, "summary")));
        json_object_set_new(row, "linked_issue_status", jname(of, "status"));
        json_object_set_new(row, "linked_issue_priority", jname(of, "priority"));
        if ((rc = emit(r, JIRA_ISSUELINKS, month, row, err)))
            break;
    }
    return rc;
}

static enum rc add_attachments(struct jira_rows *r, const char *key, const json_t *f,
                               const char *month, struct err *err)
{
    size_t i;
    json_t *a;
    enum rc rc = RC_OK;
    json_t *list = arr(f, "attachment");
    if (!list)
        return RC_OK;
    json_array_foreach(list, i, a)
    {
        if (!json_is_object(a))
            continue;
        json_t *row = json_object();
        json_object_set_new(row, "attachment_id", id_value(a, "id"));
        json_object_set_new(row, "issue_key", json_string(key));
        json_object_set_new(row, "filename", jstr(str(a, "filename")));
        json_object_set_new(row, "size_bytes", jint(a, "size"));
        json_object_set_new(row, "mime_type", jstr(str(a, "mimeType")));
        set_user(row, "author", obj(a, "author"), false);
        json_object_set_new(row, "created_at", jtime(a, "created"));
        json_object_set_new(row, "content_url", jstr(str(a, "content")));
        json_object_set_new(row, "thumbnail_url", jstr(str(a, "thumbnail")));
        if ((rc = emit(r, JIRA_ATTACHMENTS, month, row, err)))
            break;
    }
    return rc;
}

enum rc jira_rows_add_issue(struct jira_rows *r, const json_t *issue, const char *base_url,
                            struct err *err)
{
    const char *key = str(issue, "key");
    if (!key || !jira_key_valid(key))
        return err_set(err, RC_BADVALUE, "an issue without a valid key");
    json_t *f = obj(issue, "fields");
    char month[8];
    month_of(str(f, "created"), month);
    enum rc rc = add_issue_row(r, key, issue, f, base_url, month, err);
    if (!rc)
        rc = add_comments(r, key, f, month, err);
    if (!rc)
        rc = add_changelog(r, key, issue, month, err);
    if (!rc)
        rc = add_worklogs(r, key, f, month, err);
    if (!rc)
        rc = add_links(r, key, f, month, err);
    if (!rc)
        rc = add_attachments(r, key, f, month, err);
    if (!rc)
        r->issues++;
    return rc;
}
