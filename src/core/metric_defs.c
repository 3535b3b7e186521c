/* metric_defs.c — see metric_defs.h: reading metric definition files through their folder
 * and the bounded YAML-to-JSON conversion. */
#include "core/metric_defs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "base/fileio.h"
#include "base/log.h"
#include "base/mem.h"

/* ---- YAML to JSON --------------------------------------------------------------------- */

struct conv {
    yaml_parser_t parser;
    yaml_event_t ev; /* the current event, valid when has_ev */
    bool has_ev;
    size_t nodes;
    struct err *err;
};

PRINTF_FMT(3, 4)
static enum rc conv_error(struct conv *c, size_t line, const char *fmt, ...)
{
    char what[ERR_MSG_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof(what), fmt, ap); /* a truncated message is still useful */
    va_end(ap);
    return err_set(c->err, RC_BADVALUE, "line %zu: %s", line, what);
}

static size_t ev_line(const struct conv *c)
{
    return c->ev.start_mark.line + 1;
}

/* Moves to the next event. Aliases and anchors are refused here, in one place, which rules out
 * alias-expansion bombs: a definition has no use for them. */
static enum rc next_event(struct conv *c)
{
    if (c->has_ev) {
        yaml_event_delete(&c->ev);
        c->has_ev = false;
    }
    if (!yaml_parser_parse(&c->parser, &c->ev)) {
        const yaml_parser_t *p = &c->parser;
        if (p->error == YAML_MEMORY_ERROR)
            return err_set(c->err, RC_NOMEM, "out of memory while parsing YAML");
        return conv_error(c, p->problem_mark.line + 1, "not valid YAML: %s",
                          p->problem ? p->problem : "unknown problem");
    }
    c->has_ev = true;
    const yaml_char_t *anchor = NULL;
    switch (c->ev.type) {
    case YAML_ALIAS_EVENT:
        return conv_error(c, ev_line(c), "YAML aliases are not allowed (found *%s)",
                          (const char *)c->ev.data.alias.anchor);
    case YAML_SCALAR_EVENT:
        anchor = c->ev.data.scalar.anchor;
        break;
    case YAML_SEQUENCE_START_EVENT:
        anchor = c->ev.data.sequence_start.anchor;
        break;
    case YAML_MAPPING_START_EVENT:
        anchor = c->ev.data.mapping_start.anchor;
        break;
    default:
        break;
    }
    if (anchor)
        return conv_error(c, ev_line(c), "YAML anchors are not allowed (found &%s)",
                          (const char *)anchor);
    return RC_OK;
}

static bool all_of(const char *s, const char *set)
{
    return *s && strspn(s, set) == strlen(s);
}

/* A plain scalar as the YAML 1.2 core schema reads it: null, bool, int or float, or NULL when
 * it is a string. Integers beyond 64 bits and .inf/.nan stay strings (JSON cannot hold them
 * as numbers). */
static json_t *core_schema_value(const char *s)
{
    if (!*s || strcmp(s, "~") == 0 || strcmp(s, "null") == 0 || strcmp(s, "Null") == 0 ||
        strcmp(s, "NULL") == 0)
        return json_null();
    if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0 || strcmp(s, "TRUE") == 0)
        return json_true();
    if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0 || strcmp(s, "FALSE") == 0)
        return json_false();
    const char *digits = (*s == '-' || *s == '+') ? s + 1 : s;
    int base = 0;
    if (all_of(digits, "0123456789"))
        base = 10;
    else if (strncmp(s, "0o", 2) == 0 && all_of(s + 2, "01234567"))
        base = 8;
    else if (strncmp(s, "0x", 2) == 0 && all_of(s + 2, "0123456789abcdefABCDEF"))
        base = 16;
    if (base) {
        const char *from = base == 10 ? s : s + 2;
        char *end = NULL;
        errno = 0;
        long long v = strtoll(from, &end, base);
        if (errno || *end)
            return NULL;
        return json_integer((json_int_t)v);
    }
    /* [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? */
    const char *p = digits;
    size_t intd = strspn(p, "0123456789");
    p += intd;
    size_t fracd = 0;
    if (*p == '.') {
        p++;
        fracd = strspn(p, "0123456789");
        p += fracd;
    }
    if (intd == 0 && fracd == 0)
        return NULL;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '-' || *p == '+')
            p++;
        size_t expd = strspn(p, "0123456789");
        if (expd == 0)
            return NULL;
        p += expd;
    }
    if (*p)
        return NULL;
    char *end = NULL;
    double d = strtod(s, &end);
    if (*end || !isfinite(d))
        return NULL;
    return json_real(d);
}

/* The current scalar event as JSON. */
static enum rc scalar_json(struct conv *c, json_t **out)
{
    const char *text = (const char *)c->ev.data.scalar.value;
    size_t len = c->ev.data.scalar.length;
    if (strlen(text) != len)
        return conv_error(c, ev_line(c), "text must not contain NUL characters");
    const char *tag = (const char *)c->ev.data.scalar.tag;
    bool is_str = tag && strcmp(tag, YAML_STR_TAG) == 0;
    json_t *v = NULL;
    if (!is_str && c->ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE)
        v = core_schema_value(text);
    if (!v)
        v = json_stringn(text, len);
    if (!v)
        return conv_error(c, ev_line(c), "text is not valid UTF-8");
    *out = v;
    return RC_OK;
}

static enum rc node_json(struct conv *c, int depth, json_t **out);

/* The sequence whose start is the current event, up to its end. */
static enum rc seq_json(struct conv *c, int depth, json_t *arr)
{
    for (;;) {
        enum rc rc = next_event(c);
        if (rc)
            return rc;
        if (c->ev.type == YAML_SEQUENCE_END_EVENT)
            return RC_OK;
        json_t *v = NULL;
        rc = node_json(c, depth + 1, &v);
        if (rc)
            return rc;
        if (json_array_append_new(arr, v))
            return err_set(c->err, RC_NOMEM, "out of memory building JSON");
    }
}

/* The mapping whose start is the current event, up to its end. */
static enum rc map_json(struct conv *c, int depth, json_t *obj)
{
    for (;;) {
        enum rc rc = next_event(c);
        if (rc)
            return rc;
        if (c->ev.type == YAML_MAPPING_END_EVENT)
            return RC_OK;
        if (c->ev.type != YAML_SCALAR_EVENT)
            return conv_error(c, ev_line(c), "a mapping key must be plain text");
        const char *text = (const char *)c->ev.data.scalar.value;
        size_t len = c->ev.data.scalar.length;
        size_t line = ev_line(c);
        if (len > METRIC_DEF_MAX_KEY)
            return conv_error(c, line, "a key is longer than %d bytes", METRIC_DEF_MAX_KEY);
        if (strlen(text) != len)
            return conv_error(c, line, "a key must not contain NUL characters");
        if (++c->nodes > METRIC_DEF_MAX_NODES)
            return conv_error(c, line, "more than %d nodes", METRIC_DEF_MAX_NODES);
        char key[METRIC_DEF_MAX_KEY + 1];
        memcpy(key, text, len + 1);
        if (json_object_get(obj, key))
            return conv_error(c, line, "duplicate key '%s'", key);
        rc = next_event(c);
        if (rc)
            return rc;
        json_t *v = NULL;
        rc = node_json(c, depth + 1, &v);
        if (rc)
            return rc;
        if (json_object_set_new(obj, key, v))
            return conv_error(c, line, "a key is not valid UTF-8");
    }
}

/* The node whose first event is the current one, into *out (NULL on failure). Recursion is
 * bounded by METRIC_DEF_MAX_DEPTH. */
static enum rc node_json(struct conv *c, int depth, json_t **out)
{
    *out = NULL;
    if (depth > METRIC_DEF_MAX_DEPTH)
        return conv_error(c, ev_line(c), "nested deeper than %d levels", METRIC_DEF_MAX_DEPTH);
    if (++c->nodes > METRIC_DEF_MAX_NODES)
        return conv_error(c, ev_line(c), "more than %d nodes", METRIC_DEF_MAX_NODES);
    json_t *v = NULL;
    enum rc rc = RC_OK;
    switch (c->ev.type) {
    case YAML_SCALAR_EVENT:
        return scalar_json(c, out);
    case YAML_SEQUENCE_START_EVENT:
        v = json_array();
        rc = seq_json(c, depth, v);
        break;
    case YAML_MAPPING_START_EVENT:
        v = json_object();
        rc = map_json(c, depth, v);
        break;
    default:
        return conv_error(c, ev_line(c), "unexpected YAML event");
    }
    if (rc) {
        json_decref(v);
        return rc;
    }
    *out = v;
    return RC_OK;
}

/* stream-start, then nothing (null) or one document, then stream-end. */
static enum rc stream_json(struct conv *c, json_t **out)
{
    enum rc rc = next_event(c);
    if (rc)
        return rc;
    if (c->ev.type != YAML_STREAM_START_EVENT)
        return conv_error(c, ev_line(c), "unexpected YAML event");
    rc = next_event(c);
    if (rc)
        return rc;
    if (c->ev.type == YAML_STREAM_END_EVENT) {
        *out = json_null();
        return RC_OK;
    }
    rc = next_event(c); /* past document-start, to the root node */
    if (rc)
        return rc;
    json_t *v = NULL;
    rc = node_json(c, 1, &v);
    if (!rc)
        rc = next_event(c); /* document-end */
    if (!rc)
        rc = next_event(c);
    if (!rc && c->ev.type != YAML_STREAM_END_EVENT)
        rc = conv_error(c, ev_line(c), "a definition is one YAML document, not several");
    if (rc) {
        json_decref(v);
        return rc;
    }
    *out = v;
    return RC_OK;
}

enum rc metric_yaml_to_json(const char *data, size_t len, json_t **out_json, struct err *err)
{
    *out_json = NULL;
    struct conv c = { .err = err };
    if (!yaml_parser_initialize(&c.parser))
        return err_set(err, RC_NOMEM, "cannot set up the YAML parser");
    yaml_parser_set_input_string(&c.parser, (const unsigned char *)data, len);
    json_t *v = NULL;
    enum rc rc = stream_json(&c, &v);
    if (c.has_ev)
        yaml_event_delete(&c.ev);
    yaml_parser_delete(&c.parser);
    if (!rc)
        *out_json = v;
    return rc;
}

/* ---- the files -------------------------------------------------------------------------- */

static char *defs_dir(const struct core *core)
{
    return xasprintf("%s/%s", core->data_dir, METRIC_DEFS_DIR);
}

/* Reads the regular file name inside the folder dirfd without following a link, at most
 * METRIC_DEF_MAX_BYTES. shown names the file in messages. */
static enum rc read_at(int dirfd, const char *name, const char *shown, char **out_data,
                       size_t *out_len, struct err *err)
{
    *out_data = NULL;
    *out_len = 0;
    /* O_NONBLOCK: a FIFO planted in the folder must not hang the reader */
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ENOENT)
            return err_set(err, RC_NOTFOUND, "metric definition %s not found", shown);
        if (errno == ELOOP)
            return err_set(err, RC_INVALID,
                           "metric definition %s is a link; only regular files are served", shown);
        return err_set(err, RC_IO, "%s: %s", shown, strerror(errno));
    }
    enum rc rc;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        rc = err_set(err, RC_IO, "%s: %s", shown, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        rc = err_set(err, RC_INVALID, "metric definition %s is not a regular file", shown);
    } else if (st.st_size > METRIC_DEF_MAX_BYTES) {
        rc = err_set(err, RC_TOOBIG, "metric definition %s is larger than %d bytes", shown,
                     METRIC_DEF_MAX_BYTES);
    } else { /* it may have grown since fstat: the read stops one byte past the cap too */
        char what[METRIC_PATH_MAX + 32];
        snprintf(what, sizeof(what), "metric definition %s", shown);
        rc = file_read_fd(fd, what, METRIC_DEF_MAX_BYTES, out_data, out_len, err);
    }
    close(fd);
    return rc;
}

/* Opens the area folder inside the definitions folder without following a link. */
static enum rc open_area(int topfd, const char *area, int *out_fd, struct err *err)
{
    *out_fd = openat(topfd, area, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (*out_fd >= 0)
        return RC_OK;
    if (errno == ENOENT)
        return err_set(err, RC_NOTFOUND, "metric area %s not found", area);
    if (errno == ELOOP || errno == ENOTDIR)
        return err_set(err, RC_INVALID, "metric area %s is not a folder (links are not followed)",
                       area);
    return err_set(err, RC_IO, "metric area %s: %s", area, strerror(errno));
}

enum rc core_metric_def_read(const struct core *core, const char *path, char **out_data,
                             size_t *out_len, struct err *err)
{
    *out_data = NULL;
    *out_len = 0;
    if (!metric_path_valid(path))
        return err_set(err, RC_INVALID, "invalid metric path: it must be %s", METRIC_PATH_RULE);
    const char *slash = strchr(path, '/');
    char area[METRIC_PART_MAX + 1];
    memcpy(area, path, (size_t)(slash - path));
    area[slash - path] = '\0';

    char *dir = defs_dir(core);
    int topfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int areafd = -1;
    enum rc rc = RC_OK;
    if (topfd < 0) {
        if (errno == ENOENT)
            rc = err_set(err, RC_NOTFOUND, "metric definition %s not found", path);
        else
            rc = err_set(err, RC_IO, "%s: %s", dir, strerror(errno));
        goto out;
    }
    rc = open_area(topfd, area, &areafd, err);
    if (rc == RC_NOTFOUND)
        rc = err_set(err, RC_NOTFOUND, "metric definition %s not found", path);
    if (rc)
        goto out;
    rc = read_at(areafd, slash + 1, path, out_data, out_len, err);
out:
    if (areafd >= 0)
        close(areafd);
    if (topfd >= 0)
        close(topfd);
    free(dir);
    return rc;
}

enum rc core_metric_def_load(const struct core *core, const char *path, json_t **out_json,
                             struct err *err)
{
    *out_json = NULL;
    char *data = NULL;
    size_t len = 0;
    enum rc rc = core_metric_def_read(core, path, &data, &len, err);
    if (rc)
        return rc;
    struct err inner = { { 0 } };
    rc = metric_yaml_to_json(data, len, out_json, &inner);
    free(data);
    if (rc)
        return err_set(err, rc, "metric definition %s: %s", path, inner.msg);
    return RC_OK;
}

/* ---- the list ----------------------------------------------------------------------------- */

static int entry_cmp(const void *a, const void *b)
{
    const struct metric_def_entry *x = a, *y = b;
    return strcmp(x->path, y->path);
}

/* A top-level string of a definition: its mapping, or the first item of a list of them (the
 * original's files use both shapes). */
static char *top_string(const json_t *def, const char *key)
{
    if (json_is_array(def))
        def = json_array_get(def, 0);
    const json_t *v = json_is_object(def) ? json_object_get(def, key) : NULL;
    return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

/* Adds the definitions of one area folder to *list. */
static void list_area(int topfd, const char *area, struct metric_def_entry **list, size_t *len,
                      size_t *cap)
{
    int fd = -1;
    struct err err;
    if (open_area(topfd, area, &fd, &err)) {
        log_warn("metrics", "skipped: %s", err.msg);
        return;
    }
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        return;
    }
    const struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        char path[METRIC_PATH_MAX + 2];
        int n = snprintf(path, sizeof(path), "%s/%s", area, de->d_name);
        if (n < 0 || (size_t)n >= sizeof(path) || !metric_path_valid(path))
            continue; /* dot files, other names: not definitions */
        if (*len >= METRIC_DEFS_MAX) {
            log_warn("metrics", "more than %d metric definitions; %s and later are not listed",
                     METRIC_DEFS_MAX, path);
            break;
        }
        char *data = NULL;
        size_t dlen = 0;
        if (read_at(dirfd(d), de->d_name, path, &data, &dlen, &err)) {
            log_warn("metrics", "skipped: %s", err.msg);
            continue;
        }
        json_t *def = NULL;
        if (metric_yaml_to_json(data, dlen, &def, &err))
            log_warn("metrics", "metric definition %s: %s", path, err.msg);
        free(data);
        *list = xgrow(*list, cap, *len + 1, sizeof(**list));
        struct metric_def_entry *e = &(*list)[(*len)++];
        memset(e, 0, sizeof(*e));
        memcpy(e->path, path, (size_t)n + 1);
        memcpy(e->area, area, strlen(area) + 1);
        size_t nlen = strlen(de->d_name) - 4;
        memcpy(e->name, de->d_name, nlen);
        e->name[nlen] = '\0';
        e->title = top_string(def, "title");
        if (!e->title)
            e->title = top_string(def, "display_name"); /* the original's name for it */
        e->description = top_string(def, "description");
        json_decref(def);
    }
    closedir(d); /* closes fd */
}

enum rc core_metric_defs_list(const struct core *core, struct metric_def_entry **out,
                              size_t *out_len, struct err *err)
{
    *out = NULL;
    *out_len = 0;
    char *dir = defs_dir(core);
    DIR *d = opendir(dir);
    if (!d) {
        enum rc rc = errno == ENOENT ? RC_OK : err_set(err, RC_IO, "%s: %s", dir, strerror(errno));
        free(dir);
        return rc;
    }
    free(dir);
    struct metric_def_entry *list = NULL;
    size_t len = 0, cap = 0;
    const struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (metric_part_valid(de->d_name, strlen(de->d_name)))
            list_area(dirfd(d), de->d_name, &list, &len, &cap);
    }
    closedir(d);
    if (len)
        qsort(list, len, sizeof(*list), entry_cmp);
    *out = list;
    *out_len = len;
    return RC_OK;
}

void metric_def_entries_free(struct metric_def_entry *entries, size_t len)
{
    if (!entries)
        return;
    for (size_t i = 0; i < len; i++) {
        free(entries[i].title);
        free(entries[i].description);
    }
    free(entries);
}
