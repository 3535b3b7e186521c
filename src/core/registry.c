/* registry.c — the rules of the table registry (see registry.h). */
#include "core/registry.h"

#include <stdio.h>
#include <string.h>

#include "base/ident.h"
#include "base/utf8.h"
#include "core/audit.h"

#define ECHO_MAX 64 /* bytes of a caller's value quoted in an error */

/* How many bytes of s to quote in a message: at most ECHO_MAX, never ending inside a UTF-8
 * sequence (the message must stay valid text wherever it is shown). */
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

/* Takes given field i of in into c after its rules. Null clears an optional field (the zeroed
 * value) and is refused for a required one; the primary key is normalised. */
static enum rc take_field(const struct core_registry_input *in, enum registry_field_id i,
                          struct registry_change *c, struct err *err)
{
    const struct registry_field *f = &registry_fields()[i];
    char *at = (char *)&c->v + f->offset;
    c->given |= 1u << i;
    if (f->kind == REGISTRY_BOOL ? in->flag_null[i] : !in->text[i]) {
        if (f->required)
            return err_set(err, RC_BADVALUE, "%s cannot be null", f->name);
        at[0] = '\0';
        return RC_OK;
    }
    if (f->kind == REGISTRY_BOOL) {
        *(bool *)at = in->flag[i];
        return RC_OK;
    }
    if (i == REG_PRIMARY_KEY) {
        enum rc rc = registry_primary_key_norm(in->text[i], at, err);
        return rc ? rc : check_text(i, at, err);
    }
    enum rc rc = check_text(i, in->text[i], err);
    if (!rc)
        memcpy(at, in->text[i], strlen(in->text[i]) + 1);
    return rc;
}

/* Takes every given field of in into c, in field order (the first problem is the answer). */
static enum rc take_fields(const struct core_registry_input *in, struct registry_change *c,
                           struct err *err)
{
    enum rc rc = RC_OK;
    for (int i = 0; !rc && i < REG_FIELD_COUNT; i++)
        if (in->given & (1u << i))
            rc = take_field(in, (enum registry_field_id)i, c, err);
    return rc;
}

/* The rule across fields: an incremental sync appends the rows changed since the last one
 * and needs a key to tell a changed row from a new one. */
static enum rc check_row(const struct registry_table *t, struct err *err)
{
    if (strcmp(t->sync_strategy, "incremental") == 0 && !t->primary_key[0])
        return err_set(err, RC_BADVALUE, "sync_strategy incremental needs a primary_key");
    return RC_OK;
}

/* The one canonical id: the given id, which must already be canonical, or the one of name. */
static enum rc canonical_id(const char *id, const char *name, char out[IDENT_MAX_LEN + 1],
                            struct err *err)
{
    if (id) {
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

enum rc core_registry_create(struct core *core, const struct principal *actor, const char *from,
                             const struct core_registry_input *in, const char *id,
                             struct registry_table *out, struct err *err)
{
    /* the defaults of a new row; take_fields overwrites what the input gives */
    struct registry_change c = { .v = { .profile_after_sync = true } };
    struct registry_table *t = &c.v;
    memcpy(t->sync_strategy, "full_refresh", sizeof("full_refresh"));
    memcpy(t->query_mode, "local", sizeof("local"));
    enum rc rc;
    if (!(in->given & (1u << REG_NAME)) || !in->text[REG_NAME])
        rc = err_set(err, RC_BADVALUE, "Table name cannot be empty");
    else
        rc = take_fields(in, &c, err);
    if (!rc)
        rc = canonical_id(id, t->name, t->id, err);
    if (!rc)
        rc = check_row(t, err);
    if (rc)
        return rc;
    snprintf(t->registered_by, sizeof(t->registered_by), "%s", actor->user.email);
    struct audit_entry audit =
        core_audit_entry(from, actor, "table.register", t->id, "ok", t->name);
    rc = registry_create(core->store, t, &audit, err);
    core_access_changed(core); /* a registered table may be public */
    if (!rc)
        *out = *t;
    return rc;
}

/* The names of the given fields, in field order, comma-separated into detail. */
static void given_names(unsigned given, char *detail, size_t size)
{
    size_t at = 0;
    detail[0] = '\0';
    for (int i = 0; i < REG_FIELD_COUNT; i++) {
        if (!(given & (1u << i)))
            continue;
        int n = snprintf(detail + at, size - at, "%s%s", at ? "," : "", registry_fields()[i].name);
        if (n > 0 && (size_t)n < size - at)
            at += (size_t)n;
    }
}

enum rc core_registry_update(struct core *core, const struct principal *actor, const char *from,
                             const char *id, const struct core_registry_input *in, struct err *err)
{
    struct registry_change c = { .check = check_row };
    char detail[256];
    enum rc rc = take_fields(in, &c, err);
    if (rc)
        return rc;
    if (!c.given) { /* nothing to change and no record, but a missing table is still one */
        struct registry_table current;
        return registry_get(core->store, id, &current, err);
    }
    given_names(c.given, detail, sizeof(detail));
    struct audit_entry audit = core_audit_entry(from, actor, "table.update", id, "ok", detail);
    rc = registry_update(core->store, id, &c, &audit, NULL, err);
    core_access_changed(core); /* is_public or the bucket may have changed */
    return rc;
}

enum rc core_registry_delete(struct core *core, const struct principal *actor, const char *from,
                             const char *id, struct err *err)
{
    struct audit_entry audit = core_audit_entry(from, actor, "table.delete", id, "ok", NULL);
    enum rc rc;
    rc = registry_delete(core->store, id, &audit, err);
    core_access_changed(core); /* the table's grants go with it */
    return rc;
}

enum rc core_registry_get(struct core *core, const char *id, struct registry_table *out,
                          struct err *err)
{
    return registry_get(core->store, id, out, err);
}

enum rc core_registry_list(struct core *core, struct registry_table **out, size_t *out_len,
                           struct err *err)
{
    return registry_list(core->store, out, out_len, err);
}
