/* access.c — the read decision and the rules of grants, groups, access requests and the audit
 * log (see access.h). */
#include "core/access.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/parse.h"
#include "base/rand.h"
#include "core/access_cache.h"
#include "core/audit.h"

/* ------------------------------------------------------------------ the read decision */

enum rc core_may_read(struct core *core, const struct user *u, const char *table_id,
                      bool *out_allowed, struct err *err)
{
    *out_allowed = false;
    if (strcmp(u->role, "admin") == 0) {
        *out_allowed = true;
        return RC_OK;
    }
    struct access_cache *c = core->access_cache;
    if (!c)
        return store_user_may_read(core->store, u->id, table_id, out_allowed, err);
    /* the version before the store is asked: a change committed meanwhile bumps it past
     * this answer's, which is then never used (access_cache.h) */
    uint64_t version = access_cache_version(c);
    if (access_cache_get(c, u->id, table_id, version, out_allowed))
        return RC_OK;
    enum rc rc = store_user_may_read(core->store, u->id, table_id, out_allowed, err);
    if (!rc)
        access_cache_put(c, u->id, table_id, version, *out_allowed);
    return rc;
}

void core_access_changed(struct core *core)
{
    if (core->access_cache)
        access_cache_bump(core->access_cache);
}

bool core_can_read(struct core *core, const struct user *u, const char *table_id)
{
    bool allowed = false;
    struct err err;
    enum rc rc = core_may_read(core, u, table_id, &allowed, &err);
    if (rc) {
        /* answered as a no (like a missing table), so say here why a reader was refused */
        log_error("access", "cannot decide whether %s may read %s (%s): %s", u->id, table_id,
                  rc_str(rc), err.msg);
        return false;
    }
    return allowed;
}

/* ------------------------------------------------------------------ names */

static bool name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '.' || c == '-';
}

/* True when the first len characters of s are 1..max characters of [A-Za-z0-9_.-]. */
static bool name_valid_len(const char *s, size_t len, size_t max)
{
    if (len == 0 || len > max)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!name_char(s[i]))
            return false;
    return true;
}

static bool group_name_valid(const char *s)
{
    return s && name_valid_len(s, strlen(s), GROUP_NAME_MAX);
}

/* A table id, or a bucket followed by ".*"; *out_bucket tells which. */
static bool dataset_valid(const char *d, bool *out_bucket)
{
    size_t len = strlen(d);
    *out_bucket = len > 2 && strcmp(d + len - 2, ".*") == 0;
    if (*out_bucket)
        len -= 2;
    return name_valid_len(d, len, TABLE_ID_MAX);
}

/* The user user_id; RC_NOTFOUND "User not found" when there is none. */
static enum rc find_user(struct core *core, const char *user_id, struct user *out, struct err *err)
{
    enum rc rc = users_get(core->store, user_id, out, err);
    if (rc == RC_NOTFOUND)
        return err_set(err, RC_NOTFOUND, "User not found");
    return rc;
}

/* ------------------------------------------------------------------ grants */

/* Checks g and resolves its group to out_group_id ("" for a user grant). With
 * table_must_exist, a plain table id must be registered. */
static enum rc grant_check(struct core *core, const struct core_grant *g, bool table_must_exist,
                           char out_group_id[USER_ID_LEN + 1], struct err *err)
{
    bool bucket = false;
    struct user u;
    struct table_entry t;
    enum rc rc;
    out_group_id[0] = '\0';
    if (!g->user_id == !g->group)
        return err_set(err, RC_BADVALUE, "exactly one of user_id and group is required");
    if (g->access && strcmp(g->access, "read") != 0)
        return err_set(err, RC_BADVALUE, "access must be 'read'");
    if (!g->dataset || !dataset_valid(g->dataset, &bucket))
        return err_set(err, RC_BADVALUE,
                       "dataset: a table id or '<bucket>.*' of 1 to %d characters from"
                       " [A-Za-z0-9_.-]",
                       TABLE_ID_MAX);
    if (g->group && !group_name_valid(g->group))
        return err_set(err, RC_BADVALUE, "group: 1 to %d characters from [A-Za-z0-9_.-]",
                       GROUP_NAME_MAX);
    if (g->user_id)
        rc = find_user(core, g->user_id, &u, err);
    else
        rc = groups_find(core->store, g->group, out_group_id, err);
    if (rc)
        return rc;
    if (table_must_exist && !bucket) {
        rc = tables_get(core->store, g->dataset, &t, err);
        if (rc == RC_NOTFOUND)
            return err_set(err, RC_NOTFOUND, "Table '%s' not found", g->dataset);
    }
    return rc;
}

static void grant_detail(const struct core_grant *g, char *out, size_t size)
{
    if (g->user_id)
        snprintf(out, size, "user=%s", g->user_id);
    else
        snprintf(out, size, "group=%s", g->group);
}

enum rc core_grant_add(struct core *core, const struct principal *actor, const char *from,
                       const struct core_grant *g, struct err *err)
{
    char group_id[USER_ID_LEN + 1], detail[128];
    enum rc rc = grant_check(core, g, true, group_id, err);
    if (rc)
        return rc;
    grant_detail(g, detail, sizeof(detail));
    struct audit_entry audit = core_audit_entry(from, actor, "grant.add", g->dataset, "ok", detail);
    rc = grants_add(core->store, g->user_id, g->user_id ? NULL : group_id, g->dataset,
                    actor->user.email, &audit, err);
    core_access_changed(core);
    return rc;
}

/* Whether the grant exists, so that a revocation of nothing leaves no audit record. */
static enum rc grant_exists(struct core *core, const struct core_grant *g, bool *out_exists,
                            struct err *err)
{
    struct grant *list = NULL;
    size_t len = 0;
    *out_exists = false;
    enum rc rc = grants_list(core->store, g->user_id, &list, &len, err);
    for (size_t i = 0; !rc && i < len && !*out_exists; i++) {
        const struct grant *x = &list[i];
        *out_exists = strcmp(x->dataset, g->dataset) == 0 &&
                      (g->user_id ? strcmp(x->user_id, g->user_id) == 0
                                  : strcmp(x->group_name, g->group) == 0);
    }
    free(list);
    return rc;
}

enum rc core_grant_remove(struct core *core, const struct principal *actor, const char *from,
                          const struct core_grant *g, bool *out_removed, struct err *err)
{
    char group_id[USER_ID_LEN + 1], detail[128];
    *out_removed = false;
    /* a grant may outlive its table: revoking it must not need the table */
    enum rc rc = grant_check(core, g, false, group_id, err);
    if (!rc)
        rc = grant_exists(core, g, out_removed, err);
    if (rc || !*out_removed)
        return rc;
    grant_detail(g, detail, sizeof(detail));
    struct audit_entry audit =
        core_audit_entry(from, actor, "grant.remove", g->dataset, "ok", detail);
    rc = grants_remove(core->store, g->user_id, g->user_id ? NULL : group_id, g->dataset, &audit,
                       out_removed, err);
    core_access_changed(core);
    return rc;
}

enum rc core_grants_list(struct core *core, struct grant **out, size_t *out_len, struct err *err)
{
    return grants_list(core->store, NULL, out, out_len, err);
}

enum rc core_user_access(struct core *core, const char *user_id, struct core_user_access *out,
                         struct err *err)
{
    memset(out, 0, sizeof(*out));
    enum rc rc = find_user(core, user_id, &out->user, err);
    if (!rc)
        rc = grants_list(core->store, out->user.id, &out->grants, &out->n_grants, err);
    if (!rc)
        rc = groups_of_user(core->store, out->user.id, &out->groups, &out->n_groups, err);
    if (rc)
        core_user_access_cleanup(out);
    return rc;
}

void core_user_access_cleanup(struct core_user_access *a)
{
    for (size_t i = 0; i < a->n_groups; i++)
        free(a->groups[i]);
    free(a->groups);
    free(a->grants);
    memset(a, 0, sizeof(*a));
}

/* ------------------------------------------------------------------ groups */

enum rc core_groups_of(struct core *core, const char *user_id, char ***out_names, size_t *out_len,
                       struct err *err)
{
    return groups_of_user(core->store, user_id, out_names, out_len, err);
}

enum rc core_group_create(struct core *core, const struct principal *actor, const char *from,
                          const char *name, char out_id[USER_ID_LEN + 1], struct err *err)
{
    if (!group_name_valid(name))
        return err_set(err, RC_BADVALUE, "name: 1 to %d characters from [A-Za-z0-9_.-]",
                       GROUP_NAME_MAX);
    rand_id(out_id);
    struct audit_entry audit = core_audit_entry(from, actor, "group.create", name, "ok", NULL);
    return groups_create(core->store, out_id, name, &audit, err);
}

/* The group called name: RC_NOTFOUND when there is none (or the name is impossible). */
static enum rc find_group(struct core *core, const char *name, char out_id[USER_ID_LEN + 1],
                          struct err *err)
{
    if (!group_name_valid(name))
        return err_set(err, RC_NOTFOUND, "Group not found");
    return groups_find(core->store, name, out_id, err);
}

enum rc core_group_add_member(struct core *core, const struct principal *actor, const char *from,
                              const char *group, const char *user_id, struct err *err)
{
    char group_id[USER_ID_LEN + 1];
    struct user u;
    enum rc rc = find_group(core, group, group_id, err);
    if (!rc)
        rc = find_user(core, user_id, &u, err);
    if (rc)
        return rc;
    struct audit_entry audit = core_audit_entry(from, actor, "group.member.add", group, "ok", u.id);
    rc = groups_add_member(core->store, group_id, u.id, &audit, err);
    core_access_changed(core);
    return rc;
}

/* Whether user_id is in the group called name, so that removing a non-member is refused
 * without an audit record. */
static enum rc is_member(struct core *core, const char *user_id, const char *name, bool *out_member,
                         struct err *err)
{
    char **groups = NULL;
    size_t len = 0;
    *out_member = false;
    enum rc rc = groups_of_user(core->store, user_id, &groups, &len, err);
    for (size_t i = 0; i < len; i++) {
        *out_member = *out_member || strcmp(groups[i], name) == 0;
        free(groups[i]);
    }
    free(groups);
    return rc;
}

enum rc core_group_remove_member(struct core *core, const struct principal *actor, const char *from,
                                 const char *group, const char *user_id, struct err *err)
{
    char group_id[USER_ID_LEN + 1];
    bool member = false;
    enum rc rc = find_group(core, group, group_id, err);
    if (!rc)
        rc = is_member(core, user_id, group, &member, err);
    if (!rc && !member)
        rc = err_set(err, RC_NOTFOUND, "User is not a member of that group");
    if (rc)
        return rc;
    struct audit_entry audit =
        core_audit_entry(from, actor, "group.member.remove", group, "ok", user_id);
    rc = groups_remove_member(core->store, group_id, user_id, &audit, err);
    core_access_changed(core);
    return rc;
}

/* ------------------------------------------------------------------ access requests */

enum rc core_request_create(struct core *core, const struct principal *actor, const char *from,
                            const char *table_id, const char *reason, char out_id[USER_ID_LEN + 1],
                            char out_table_id[TABLE_ID_MAX + 1], struct err *err)
{
    struct table_entry t;
    bool may_read = false;
    if (!table_id || !*table_id || strlen(table_id) > TABLE_ID_MAX)
        return err_set(err, RC_BADVALUE, "table_id: 1 to %d characters", TABLE_ID_MAX);
    if (reason && strlen(reason) > ACCESS_REASON_MAX)
        return err_set(err, RC_BADVALUE, "reason: at most %d bytes", ACCESS_REASON_MAX);
    enum rc rc = tables_get(core->store, table_id, &t, err);
    if (rc == RC_NOTFOUND)
        rc = err_set(err, RC_NOTFOUND, "Table '%s' not found", table_id);
    if (!rc)
        rc = core_may_read(core, &actor->user, t.id, &may_read, err);
    if (!rc && may_read)
        rc = err_set(err, RC_CONFLICT, "You can already read this table");
    if (rc)
        return rc;
    rand_id(out_id);
    snprintf(out_table_id, TABLE_ID_MAX + 1, "%s", t.id);
    struct audit_entry audit =
        core_audit_entry(from, actor, "access_request.create", t.id, "ok", out_id);
    return requests_create(core->store, out_id, actor->user.id, t.id, reason ? reason : "", &audit,
                           err);
}

enum rc core_requests_list(struct core *core, const struct principal *actor, bool mine,
                           struct access_request **out, size_t *out_len, struct err *err)
{
    return requests_list(core->store, mine ? actor->user.id : NULL, out, out_len, err);
}

/* What a pending request asks for, "table=<id> user=<email>", for the audit record; "" when
 * it is not pending (the decision then fails with RC_NOTFOUND anyway). */
static enum rc request_detail(struct core *core, const char *id, char *out, size_t size,
                              struct err *err)
{
    struct access_request *list = NULL;
    size_t len = 0;
    out[0] = '\0';
    enum rc rc = requests_list(core->store, NULL, &list, &len, err);
    for (size_t i = 0; !rc && i < len; i++)
        if (strcmp(list[i].id, id) == 0)
            snprintf(out, size, "table=%s user=%s", list[i].table_id, list[i].user_email);
    free(list);
    return rc;
}

enum rc core_request_decide(struct core *core, const struct principal *actor, const char *from,
                            const char *id, bool approve, struct err *err)
{
    char detail[TABLE_ID_MAX + USER_EMAIL_MAX + 16];
    enum rc rc = request_detail(core, id, detail, sizeof(detail), err);
    if (rc)
        return rc;
    const char *action = approve ? "access_request.approve" : "access_request.deny";
    struct audit_entry audit = core_audit_entry(from, actor, action, id, "ok", detail);
    rc = requests_decide(core->store, id, approve, actor->user.email, &audit, err); /* a grant */
    core_access_changed(core);
    return rc;
}

/* ------------------------------------------------------------------ audit log */

/* A since/until bound as the store compares it: "YYYY-MM-DDTHH:MM:SS[.fff]" in UTC without a
 * zone letter, so that a bound is a prefix of the stored "...SS.mmmZ" of the same instant and
 * string order is time order. False when s is not an ISO time. */
static bool audit_bound(const char *s, char out[ISOTIME_SIZE])
{
    time_t t;
    if (!isotime_parse(s, &t))
        return false;
    char whole[ISOTIME_SIZE];
    isotime_format(t, whole);
    const char *frac = strchr(s, '.');
    size_t digits = frac ? strspn(frac + 1, "0123456789") : 0;
    if (digits > 9)
        digits = 9;
    snprintf(out, ISOTIME_SIZE, "%.19s%s%.*s", whole, digits ? "." : "", (int)digits,
             digits ? frac + 1 : "");
    return true;
}

enum rc core_audit_read(struct core *core, const struct core_audit_query *q,
                        struct core_audit_page *out, struct err *err)
{
    char since[ISOTIME_SIZE], until[ISOTIME_SIZE];
    struct audit_filter f = { .action = q->action && *q->action ? q->action : NULL,
                              .actor_id = q->actor_id && *q->actor_id ? q->actor_id : NULL,
                              .limit = AUDIT_LIMIT_DEFAULT };
    memset(out, 0, sizeof(*out));
    if (q->limit && !parse_i64(q->limit, 1, AUDIT_LIMIT_MAX, &f.limit))
        return err_set(err, RC_BADVALUE, "limit: an integer from 1 to %d", AUDIT_LIMIT_MAX);
    if (q->offset && !parse_i64(q->offset, 0, AUDIT_OFFSET_MAX, &f.offset))
        return err_set(err, RC_BADVALUE, "offset: an integer from 0 to %d", AUDIT_OFFSET_MAX);
    if (q->since && !audit_bound(q->since, since))
        return err_set(err, RC_BADVALUE, "since: an ISO-8601 UTC time (YYYY-MM-DDTHH:MM:SSZ)");
    if (q->until && !audit_bound(q->until, until))
        return err_set(err, RC_BADVALUE, "until: an ISO-8601 UTC time (YYYY-MM-DDTHH:MM:SSZ)");
    f.since = q->since ? since : NULL;
    f.until = q->until ? until : NULL;
    out->limit = f.limit;
    out->offset = f.offset;
    return audit_list(core->store, &f, &out->rows, &out->len, &out->total, err);
}
