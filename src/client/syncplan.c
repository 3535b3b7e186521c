/* syncplan.c — the decisions of `da sync` (see syncplan.h). */
#include "client/syncplan.h"

#include <stdlib.h>
#include <string.h>

#include "base/ident.h"
#include "base/mem.h"

bool syncplan_name_valid(const char *name)
{
    if (!name || !*name || name[0] == '.' || name[0] == '-')
        return false;
    size_t len = 0;
    for (const char *p = name; *p; p++, len++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-';
        if (!ok || len >= SYNCPLAN_NAME_MAX)
            return false;
    }
    return true;
}

static bool sha256_valid(const char *s)
{
    if (!s || strlen(s) != 64)
        return false;
    for (; *s; s++)
        if (!((*s >= '0' && *s <= '9') || (*s >= 'a' && *s <= 'f')))
            return false;
    return true;
}

/* A path on the server, to be appended to its base URL: "/api/..." of plain segments. Anything
 * that could turn base + path into another host ('@', ':', "//") or climb ("..") is refused. */
static bool url_valid(const char *u)
{
    if (!u || strncmp(u, "/api/", 5) != 0 || strlen(u) > SYNCPLAN_URL_MAX)
        return false;
    for (const char *p = u; *p; p++) {
        char c = *p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '.' || c == '-' || c == '/';
        if (!ok)
            return false;
        if (c == '/' && (p[1] == '/' || p[1] == '\0' || p[1] == '.'))
            return false; /* empty segment, trailing slash, or a segment starting with '.' */
    }
    return true;
}

struct builder {
    struct syncplan *p;
    size_t cap_tables, cap_files, cap_removals, cap_gone, cap_bad;
};

static struct syncplan_table *add_table(struct builder *b, const char *id)
{
    struct syncplan *p = b->p;
    p->tables = xgrow(p->tables, &b->cap_tables, p->n_tables + 1, sizeof(*p->tables));
    struct syncplan_table *t = &p->tables[p->n_tables++];
    *t = (struct syncplan_table){ .id = xstrdup(id), .first_file = p->n_files };
    return t;
}

static void add_removal(struct builder *b, const char *relpath, bool is_dir, size_t table)
{
    struct syncplan *p = b->p;
    p->removals = xgrow(p->removals, &b->cap_removals, p->n_removals + 1, sizeof(*p->removals));
    p->removals[p->n_removals++] =
        (struct syncplan_removal){ .relpath = xstrdup(relpath),
                                   .is_dir = is_dir,
                                   .table = table,
                                   .leaving = table == SYNCPLAN_NO_TABLE };
}

/* Text from the server quoted in a message: printable ASCII, at most 64 bytes. */
static void clean(const char *s, char out[72])
{
    size_t n = 0;
    for (; s && *s && n < 64; s++)
        out[n++] = (*s < 0x20 || *s > 0x7e) ? '?' : *s;
    out[n] = '\0';
}

/* ---------------------------------------------------------------- the manifest's tables */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_entry(const void *a, const void *b)
{
    const struct syncdir_entry *const *x = a, *const *y = b;
    return strcmp((*x)->relpath, (*y)->relpath);
}

/* The local entry at relpath, or NULL. sorted is by relpath. */
static const struct syncdir_entry *local_find(const struct syncdir_entry *const *sorted, size_t n,
                                              const char *relpath)
{
    struct syncdir_entry key = { .relpath = (char *)relpath };
    const struct syncdir_entry *kp = &key;
    const struct syncdir_entry *const *hit = bsearch(&kp, sorted, n, sizeof(*sorted), cmp_entry);
    return hit ? *hit : NULL;
}

/* Checks one manifest entry; NULL when usable, else why not (static text or into buf). */
static const char *entry_problem(const json_t *t, char buf[160])
{
    const json_t *files = json_object_get(t, "files");
    if (!json_is_object(t) || !json_is_array(files) || json_array_size(files) == 0)
        return "no files";
    json_t *rows = json_object_get(t, "rows");
    if (rows && !json_is_null(rows) && (!json_is_integer(rows) || json_integer_value(rows) < 0))
        return "rows is not a count";
    size_t n = json_array_size(files);
    for (size_t i = 0; i < n; i++) {
        const json_t *f = json_array_get(files, i);
        const char *name = json_string_value(json_object_get(f, "name"));
        json_t *size = json_object_get(f, "size_bytes");
        char shown[72];
        clean(name, shown);
        if (!syncplan_name_valid(name)) {
            snprintf(buf, 160, "unsafe file name '%s'", shown);
            return buf;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(name,
                       json_string_value(json_object_get(json_array_get(files, j), "name"))) == 0) {
                snprintf(buf, 160, "file '%s' is listed twice", shown);
                return buf;
            }
        if (!sha256_valid(json_string_value(json_object_get(f, "sha256")))) {
            snprintf(buf, 160, "file '%s' has no valid sha256", shown);
            return buf;
        }
        if (!json_is_integer(size) || json_integer_value(size) < 0) {
            snprintf(buf, 160, "file '%s' has no valid size_bytes", shown);
            return buf;
        }
        if (!url_valid(json_string_value(json_object_get(f, "url")))) {
            snprintf(buf, 160, "file '%s' has an unsafe url", shown);
            return buf;
        }
    }
    return NULL;
}

/* The state's entry of the file that lived at the same path, or NULL. */
static const json_t *old_file_at(const json_t *old_files, bool partitioned, const char *name)
{
    if (!json_is_object(old_files))
        return NULL;
    size_t n = json_object_size(old_files);
    if (partitioned)
        return n > 1 ? json_object_get(old_files, name) : NULL;
    if (n != 1)
        return NULL;
    void *it = json_object_iter((json_t *)old_files); /* one-file: whatever its name was */
    return json_object_iter_value(it);
}

static const char *str_or(const json_t *v, const char *dflt)
{
    const char *s = json_string_value(v);
    return s ? s : dflt;
}

static void decide(const struct syncplan_input *in, struct syncplan_file *f, const json_t *old_file,
                   const struct syncdir_entry *local, size_t *n_hashed)
{
    f->action = SYNCPLAN_FETCH;
    if (!local || local->size != f->size)
        return;
    if (!in->verify && old_file) {
        const char *sha = json_string_value(json_object_get(old_file, "sha256"));
        json_t *size = json_object_get(old_file, "size_bytes");
        if (sha && strcmp(sha, f->sha256) == 0 && json_is_integer(size) &&
            json_integer_value(size) == f->size) {
            f->action = SYNCPLAN_KEEP;
            return;
        }
    }
    if (!in->hash)
        return;
    char got[65] = "";
    struct err ignored;
    (*n_hashed)++;
    if (in->hash(in->hash_ctx, f->relpath, got, &ignored) == RC_OK && strcmp(got, f->sha256) == 0)
        f->action = SYNCPLAN_KEEP;
}

static void add_files(struct builder *b, const struct syncplan_input *in, size_t ti,
                      const json_t *entry, const struct syncdir_entry *const *sorted)
{
    struct syncplan *p = b->p;
    const json_t *files = json_object_get(entry, "files");
    const json_t *old_tables = in->state ? json_object_get(in->state, "tables") : NULL;
    const json_t *old_files =
        json_object_get(json_object_get(old_tables, p->tables[ti].id), "files");
    size_t n = json_array_size(files);
    bool partitioned = n > 1;
    p->tables[ti].partitioned = partitioned;
    for (size_t i = 0; i < n; i++) {
        const json_t *jf = json_array_get(files, i);
        p->files = xgrow(p->files, &b->cap_files, p->n_files + 1, sizeof(*p->files));
        struct syncplan_file *f = &p->files[p->n_files++];
        const char *name = json_string_value(json_object_get(jf, "name"));
        *f = (struct syncplan_file){
            .table = ti,
            .name = xstrdup(name),
            .url = xstrdup(json_string_value(json_object_get(jf, "url"))),
            .size = (int64_t)json_integer_value(json_object_get(jf, "size_bytes")),
            .relpath = syncdir_file_relpath(p->tables[ti].id, name, partitioned),
        };
        snprintf(f->sha256, sizeof(f->sha256), "%s",
                 json_string_value(json_object_get(jf, "sha256")));
        decide(in, f, old_file_at(old_files, partitioned, name),
               local_find(sorted, in->n_local, f->relpath), &p->n_hashed);
        p->tables[ti].n_files++;
        if (f->action == SYNCPLAN_FETCH) {
            p->tables[ti].n_fetch++;
            p->tables[ti].bytes_fetch += f->size;
            p->bytes_fetch += f->size;
        }
    }
}

/* ---------------------------------------------------------------- removals */

static int cmp_table_id(const void *key, const void *elem)
{
    return strcmp(key, ((const struct syncplan_table *)elem)->id);
}

static size_t table_index(const struct syncplan *p, const char *id)
{
    if (p->n_tables == 0)
        return SYNCPLAN_NO_TABLE; /* tables is NULL then, which bsearch must not get */
    const struct syncplan_table *t =
        bsearch(id, p->tables, p->n_tables, sizeof(*p->tables), cmp_table_id);
    return t ? (size_t)(t - p->tables) : SYNCPLAN_NO_TABLE;
}

/* The table id a path under tables/ belongs to ("tables/<id>.parquet", "tables/<id>",
 * "tables/<id>/..."), copied into out; "" when it names none. */
static void owner_of(const char *relpath, char out[IDENT_MAX_LEN + 1])
{
    const char *s = relpath + strlen("tables/");
    size_t len = strcspn(s, "/");
    if (!s[len] && len > 8 && strcmp(s + len - 8, ".parquet") == 0)
        len -= 8;
    out[0] = '\0';
    if (len <= IDENT_MAX_LEN) {
        memcpy(out, s, len);
        out[len] = '\0';
    }
}

static int cmp_file_relpath(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void plan_removals(struct builder *b, const struct syncplan_input *in)
{
    struct syncplan *p = b->p;
    const char **expected = xmalloc((p->n_files + 1) * sizeof(*expected));
    for (size_t i = 0; i < p->n_files; i++)
        expected[i] = p->files[i].relpath;
    qsort(expected, p->n_files, sizeof(*expected), cmp_file_relpath);
    for (size_t i = 0; i < in->n_local; i++) {
        const struct syncdir_entry *e = &in->local[i];
        char id[IDENT_MAX_LEN + 1];
        owner_of(e->relpath, id);
        size_t ti = id[0] ? table_index(p, id) : SYNCPLAN_NO_TABLE;
        const struct syncplan_table *t = ti == SYNCPLAN_NO_TABLE ? NULL : &p->tables[ti];
        if (!t && p->only)
            continue; /* da sync --table leaves every other table as it is */
        if (!t && e->size > 0)
            p->bytes_remove += e->size; /* files inside a leaving folder are listed too */
        if (t && t->problem)
            continue; /* a refused table keeps what the folder holds of it */
        bool nested = strchr(e->relpath + strlen("tables/"), '/') != NULL;
        if (nested && !(t && t->partitioned))
            continue; /* inside a folder that goes as a whole */
        if (!nested && e->is_dir && t && t->partitioned)
            continue; /* the table's folder; its files are judged one by one */
        const char *key = e->relpath;
        bool wanted = bsearch(&key, expected, p->n_files, sizeof(*expected), cmp_file_relpath);
        if (!wanted || e->is_dir) /* a folder where a file belongs must go too */
            add_removal(b, e->relpath, e->is_dir, ti);
    }
    free(expected);
}

/* ---------------------------------------------------------------- the plan */

static int cmp_leaving(const void *a, const void *b)
{
    return strcmp(((const struct syncplan_leaving *)a)->id,
                  ((const struct syncplan_leaving *)b)->id);
}

bool syncplan_entry_enabled(const json_t *entry)
{
    return !json_is_false(json_object_get(entry, "enabled"));
}

static bool is_only(const struct syncplan_input *in, const char *id)
{
    for (size_t i = 0; i < in->n_only; i++)
        if (strcmp(in->only[i], id) == 0)
            return true;
    return false;
}

/* Bytes of the files under tables/ that belong to table id. */
static int64_t local_bytes(const struct syncplan_input *in, const char *id)
{
    int64_t sum = 0;
    for (size_t i = 0; i < in->n_local; i++) {
        char owner[IDENT_MAX_LEN + 1];
        owner_of(in->local[i].relpath, owner);
        if (in->local[i].size > 0 && strcmp(owner, id) == 0)
            sum += in->local[i].size;
    }
    return sum;
}

enum rc syncplan_build(const struct syncplan_input *in, struct syncplan *out, struct err *err)
{
    memset(out, 0, sizeof(*out));
    struct builder b = { .p = out };
    const json_t *tables = json_object_get(in->manifest, "tables");
    if (!json_is_object(tables))
        return err_set(err, RC_INVALID, "the server's manifest has no tables");
    out->only = in->only != NULL;
    for (size_t i = 0; i < in->n_only; i++)
        if (!json_object_get(tables, in->only[i])) {
            char shown[72];
            clean(in->only[i], shown);
            return err_set(err, RC_NOTFOUND,
                           "the server lists no table '%s' that you may read (da tables "
                           "lists them)",
                           shown);
        }

    /* tables in id order, so the plan (and what is written from it) is deterministic */
    size_t n = json_object_size(tables), k = 0;
    const char **ids = xmalloc((n + 1) * sizeof(*ids));
    const char *id;
    json_t *entry;
    json_object_foreach((json_t *)tables, id, entry) ids[k++] = id;
    qsort(ids, k, sizeof(*ids), cmp_str);

    const struct syncdir_entry **sorted = xmalloc((in->n_local + 1) * sizeof(*sorted));
    for (size_t i = 0; i < in->n_local; i++)
        sorted[i] = &in->local[i];
    qsort(sorted, in->n_local, sizeof(*sorted), cmp_entry);

    for (size_t i = 0; i < k; i++) {
        char buf[160], shown[72];
        entry = json_object_get(tables, ids[i]);
        if (out->only ? !is_only(in, ids[i]) : !syncplan_entry_enabled(entry))
            continue; /* not synced: leaves the folder, or (--table) stays as it is */
        if (!ident_is_table_id(ids[i])) {
            clean(ids[i], shown);
            out->bad_ids =
                xgrow(out->bad_ids, &b.cap_bad, out->n_bad_ids + 1, sizeof(*out->bad_ids));
            out->bad_ids[out->n_bad_ids++] = xstrdup(shown);
            continue;
        }
        struct syncplan_table *t = add_table(&b, ids[i]);
        const char *problem = entry_problem(entry, buf);
        t->hash = xstrdup(str_or(json_object_get(entry, "hash"), ""));
        t->updated = xstrdup(str_or(json_object_get(entry, "updated"), ""));
        t->rows = (int64_t)json_integer_value(json_object_get(entry, "rows"));
        if (problem)
            t->problem = xstrdup(problem);
        else
            add_files(&b, in, out->n_tables - 1, entry,
                      (const struct syncdir_entry *const *)sorted);
    }
    free(ids);
    free(sorted);

    plan_removals(&b, in);

    const json_t *old_tables = in->state ? json_object_get(in->state, "tables") : NULL;
    size_t cap_leaving = 0;
    json_object_foreach((json_t *)old_tables, id, entry)
    {
        if (out->only || table_index(out, id) != SYNCPLAN_NO_TABLE)
            continue;
        const json_t *m = json_object_get(tables, id);
        if (!m) {
            out->gone = xgrow(out->gone, &b.cap_gone, out->n_gone + 1, sizeof(*out->gone));
            out->gone[out->n_gone++] = xstrdup(id);
        }
        if (m && syncplan_entry_enabled(m))
            continue; /* an unsafe id the manifest lists: reported as such, not a leaving table */
        out->leaving = xgrow(out->leaving, &cap_leaving, out->n_leaving + 1, sizeof(*out->leaving));
        out->leaving[out->n_leaving++] = (struct syncplan_leaving){ .id = xstrdup(id),
                                                                    .disabled = m != NULL,
                                                                    .bytes = local_bytes(in, id) };
    }
    if (out->n_gone > 1)
        qsort(out->gone, out->n_gone, sizeof(*out->gone), cmp_str);
    if (out->n_leaving > 1)
        qsort(out->leaving, out->n_leaving, sizeof(*out->leaving), cmp_leaving);
    return RC_OK;
}

void syncplan_free(struct syncplan *p)
{
    for (size_t i = 0; i < p->n_tables; i++) {
        free(p->tables[i].id);
        free(p->tables[i].hash);
        free(p->tables[i].updated);
        free(p->tables[i].problem);
    }
    for (size_t i = 0; i < p->n_files; i++) {
        free(p->files[i].name);
        free(p->files[i].url);
        free(p->files[i].relpath);
    }
    for (size_t i = 0; i < p->n_removals; i++)
        free(p->removals[i].relpath);
    for (size_t i = 0; i < p->n_gone; i++)
        free(p->gone[i]);
    for (size_t i = 0; i < p->n_leaving; i++)
        free(p->leaving[i].id);
    free(p->leaving);
    for (size_t i = 0; i < p->n_bad_ids; i++)
        free(p->bad_ids[i]);
    free(p->bad_ids);
    free(p->tables);
    free(p->files);
    free(p->removals);
    free(p->gone);
    memset(p, 0, sizeof(*p));
}

/* ---------------------------------------------------------------- the new state */

json_t *syncplan_new_state(const struct syncplan *p, const bool *table_ok, const json_t *old_state,
                           const json_t *descriptions, const char *server, const char *synced_at,
                           int64_t generation)
{
    const json_t *old_tables = old_state ? json_object_get(old_state, "tables") : NULL;
    json_t *tables = json_object();
    for (size_t i = 0; i < p->n_tables; i++) {
        const struct syncplan_table *t = &p->tables[i];
        const json_t *old = json_object_get(old_tables, t->id);
        if (t->problem || !table_ok[i]) {
            if (json_is_object(old))
                json_object_set_new(tables, t->id, json_deep_copy(old));
            continue;
        }
        const char *desc = json_string_value(json_object_get(descriptions, t->id));
        if (!desc)
            desc = str_or(json_object_get(old, "description"), "");
        json_t *files = json_object();
        for (size_t f = t->first_file; f < t->first_file + t->n_files; f++)
            json_object_set_new(files, p->files[f].name,
                                json_pack("{s:s, s:I}", "sha256", p->files[f].sha256, "size_bytes",
                                          (json_int_t)p->files[f].size));
        json_object_set_new(tables, t->id,
                            json_pack("{s:s, s:I, s:s, s:s, s:o}", "hash", t->hash, "rows",
                                      (json_int_t)t->rows, "updated", t->updated, "description",
                                      desc, "files", files));
    }
    const char *id;
    const json_t *old;
    if (p->only) /* da sync --table: every other table stays as the last sync left it */
        json_object_foreach((json_t *)old_tables, id, old)
        {
            if (!json_object_get(tables, id) && table_index(p, id) == SYNCPLAN_NO_TABLE)
                json_object_set_new(tables, id, json_deep_copy(old));
        }
    return json_pack("{s:s, s:s, s:I, s:o}", "server", server, "synced_at", synced_at, "generation",
                     (json_int_t)generation, "tables", tables);
}

json_t *syncplan_shrunk_state(const struct syncplan *p, const json_t *old_state)
{
    if (!old_state || p->n_leaving == 0)
        return NULL;
    json_t *out = json_deep_copy(old_state);
    json_t *tables = json_object_get(out, "tables");
    for (size_t i = 0; i < p->n_leaving; i++)
        json_object_del(tables, p->leaving[i].id);
    return out;
}
