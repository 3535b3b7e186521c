/* wire.c — frames between the server and its query workers (see wire.h). Payloads are
 * fixed-width fields followed by length-prefixed strings; every decoder checks each length
 * against what is left of the frame before touching it.
 *
 *   LOAD     u64 generation, u32 steps, then per step: str sql, str token_env, str tail,
 *            str token value (str: u32 length, bytes; length 0xffffffff is NULL)
 *   RUN      u32 format, i64 max_rows, i64 max_bytes, i64 out_cap, i64 cpu_s, str parquet_path, str
 * sql LOADED and RESULT  u32 status, i64 rows, i64 bytes, u32 truncated_by (0 no, 1 rows, 2 bytes),
 * u32 columns, str message, str data (empty for LOADED) */
#include "query/wire.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "base/ident.h"
#include "base/isotime.h"
#include "base/mem.h"
#include "data/catalog.h"

#define STR_NULL 0xffffffffu

void wire_in_reset(struct wire_in *in)
{
    free(in->body);
    memset(in, 0, sizeof(*in));
}

enum rc wire_in_step(int fd, struct wire_in *in, size_t max, bool *done, struct err *err)
{
    *done = false;
    if (in->header_got < WIRE_HEADER_LEN) {
        ssize_t n = read(fd, in->header + in->header_got, WIRE_HEADER_LEN - in->header_got);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return RC_OK;
        if (n <= 0)
            return err_set(err, RC_IO, "%s",
                           n == 0 ? "the worker closed its end" : strerror(errno));
        in->header_got += (size_t)n;
        if (in->header_got < WIRE_HEADER_LEN)
            return RC_OK;
        memcpy(&in->type, in->header, 4);
        memcpy(&in->len, in->header + 4, 4);
        if (in->len > max || in->len > WIRE_FRAME_MAX)
            return err_set(err, RC_TOOBIG, "a frame of %u bytes, over the %zu allowed", in->len,
                           max);
        in->body = xmalloc((size_t)in->len + 1);
        in->body_got = 0;
    }
    if (in->body_got < in->len) {
        ssize_t n = read(fd, in->body + in->body_got, in->len - in->body_got);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return RC_OK;
        if (n <= 0)
            return err_set(err, RC_IO, "%s",
                           n == 0 ? "the worker closed its end mid-frame" : strerror(errno));
        in->body_got += (size_t)n;
    }
    if (in->body_got == in->len) {
        in->body[in->len] = '\0';
        *done = true;
    }
    return RC_OK;
}

enum rc wire_read(int fd, struct wire_in *in, size_t max, struct err *err)
{
    bool done = false;
    wire_in_reset(in);
    while (!done) {
        enum rc rc = wire_in_step(fd, in, max, &done, err);
        if (rc)
            return rc;
    }
    return RC_OK;
}

/* Waits until fd can take more bytes, up to deadline_us (0: for ever). */
static enum rc wait_writable(int fd, int64_t deadline_us, struct err *err)
{
    int ms = -1;
    if (deadline_us > 0) {
        int64_t left = deadline_us - clock_mono_us();
        if (left <= 0)
            return err_set(err, RC_CONFLICT, "the deadline passed while sending");
        ms = (int)(left / 1000) + 1;
    }
    struct pollfd p = { .fd = fd, .events = POLLOUT };
    int n = poll(&p, 1, ms);
    if (n < 0 && errno != EINTR)
        return err_set(err, RC_IO, "poll: %s", strerror(errno));
    return RC_OK;
}

enum rc wire_send(int fd, uint32_t type, const void *const *parts, const size_t *lens,
                  size_t n_parts, int64_t deadline_us, struct err *err)
{
    size_t total = 0;
    for (size_t i = 0; i < n_parts; i++)
        total += lens[i];
    if (total > WIRE_FRAME_MAX)
        return err_set(err, RC_TOOBIG, "a frame of %zu bytes is too big", total);
    unsigned char header[WIRE_HEADER_LEN];
    uint32_t len = (uint32_t)total;
    memcpy(header, &type, 4);
    memcpy(header + 4, &len, 4);
    /* one iovec per part after the header, advanced as bytes go out */
    struct iovec iov[8];
    if (n_parts + 1 > ARRAY_LEN(iov))
        return err_set(err, RC_INTERNAL, "too many parts in a frame");
    size_t n_iov = 0;
    iov[n_iov++] = (struct iovec){ header, sizeof(header) };
    for (size_t i = 0; i < n_parts; i++)
        if (lens[i] > 0)
            iov[n_iov++] = (struct iovec){ (void *)(uintptr_t)parts[i], lens[i] };
    size_t first = 0;
    while (first < n_iov) {
        struct msghdr msg = { .msg_iov = iov + first, .msg_iovlen = n_iov - first };
        ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN) {
            enum rc rc = wait_writable(fd, deadline_us, err);
            if (rc)
                return rc;
            continue;
        }
        if (n < 0)
            return err_set(err, RC_IO, "send: %s", strerror(errno));
        size_t sent = (size_t)n;
        while (first < n_iov && sent >= iov[first].iov_len)
            sent -= iov[first++].iov_len;
        if (first < n_iov) {
            iov[first].iov_base = (char *)iov[first].iov_base + sent;
            iov[first].iov_len -= sent;
        }
    }
    return RC_OK;
}

/* ---- payloads ---- */

static enum rc put(struct buf *b, const void *p, size_t n)
{
    return buf_append(b, p, n);
}

static enum rc put_u32(struct buf *b, uint32_t v)
{
    return put(b, &v, sizeof(v));
}

static enum rc put_i64(struct buf *b, int64_t v)
{
    return put(b, &v, sizeof(v));
}

static enum rc put_str(struct buf *b, const char *s, size_t len)
{
    if (!s)
        return put_u32(b, STR_NULL);
    if (len >= STR_NULL)
        return RC_TOOBIG;
    enum rc rc = put_u32(b, (uint32_t)len);
    return rc ? rc : put(b, s, len);
}

/* A cursor over a received payload. */
struct cur {
    const char *p;
    size_t left;
    bool bad;
};

static void take(struct cur *c, void *out, size_t n)
{
    if (c->bad || c->left < n) {
        c->bad = true;
        memset(out, 0, n);
        return;
    }
    memcpy(out, c->p, n);
    c->p += n;
    c->left -= n;
}

static uint32_t take_u32(struct cur *c)
{
    uint32_t v;
    take(c, &v, sizeof(v));
    return v;
}

static int64_t take_i64(struct cur *c)
{
    int64_t v;
    take(c, &v, sizeof(v));
    return v;
}

/* A string of the payload, borrowed, or NULL (*is_null). */
static const char *take_str(struct cur *c, size_t *len, bool *is_null)
{
    uint32_t n = take_u32(c);
    *len = 0;
    *is_null = !c->bad && n == STR_NULL;
    if (c->bad || *is_null)
        return NULL;
    if (n > c->left) {
        c->bad = true;
        return NULL;
    }
    const char *s = c->p;
    c->p += n;
    c->left -= n;
    *len = n;
    return s;
}

/* A string that must hold no NUL (SQL, paths, names): heap, or NULL. */
static char *take_cstr(struct cur *c, bool *is_null)
{
    size_t n = 0;
    const char *s = take_str(c, &n, is_null);
    if (!s)
        return NULL;
    if (memchr(s, '\0', n)) {
        c->bad = true;
        return NULL;
    }
    return xstrndup(s, n);
}

enum rc wire_encode_recipe(struct buf *out, uint64_t generation, const struct catalog_recipe *r)
{
    enum rc rc = put(out, &generation, sizeof(generation));
    if (!rc && r->n > UINT32_MAX)
        rc = RC_TOOBIG;
    if (!rc)
        rc = put_u32(out, (uint32_t)r->n);
    for (size_t i = 0; !rc && i < r->n; i++) {
        const struct catalog_step *s = &r->steps[i];
        rc = put_str(out, s->sql, strlen(s->sql));
        if (!rc)
            rc = put_str(out, s->token_env, s->token_env ? strlen(s->token_env) : 0);
        if (!rc)
            rc = put_str(out, s->tail, s->tail ? strlen(s->tail) : 0);
        const char *value = s->token_env ? getenv(s->token_env) : NULL;
        if (!rc)
            rc = put_str(out, value, value ? strlen(value) : 0);
    }
    return rc;
}

void wire_tokens_cleanup(struct wire_tokens *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->names[i]);
        explicit_bzero(t->values[i], strlen(t->values[i]));
        free(t->values[i]);
    }
    free(t->names);
    free(t->values);
    memset(t, 0, sizeof(*t));
}

enum rc wire_decode_recipe(const char *p, size_t len, uint64_t *generation,
                           struct catalog_recipe *out, struct wire_tokens *tokens, struct err *err)
{
    struct cur c = { p, len, false };
    memset(out, 0, sizeof(*out));
    memset(tokens, 0, sizeof(*tokens));
    take(&c, generation, sizeof(*generation));
    uint32_t n = take_u32(&c);
    for (uint32_t i = 0; !c.bad && i < n; i++) {
        bool null_sql = false, null_env = false, null_tail = false;
        char *sql = take_cstr(&c, &null_sql);
        char *env = take_cstr(&c, &null_env);
        char *tail = take_cstr(&c, &null_tail);
        bool null_value = false;
        char *value = take_cstr(&c, &null_value);
        if (!c.bad && (null_sql || (env == NULL) != (tail == NULL) || (value && !env) ||
                       (env && !ident_valid(env))))
            c.bad = true;
        if (!c.bad)
            catalog_recipe_add(out, sql, env, tail);
        if (!c.bad && value) {
            size_t cap = tokens->cap; /* the two arrays grow alike */
            tokens->names = xgrow(tokens->names, &tokens->cap, tokens->n + 1, sizeof(char *));
            tokens->values = xgrow(tokens->values, &cap, tokens->n + 1, sizeof(char *));
            tokens->names[tokens->n] = xstrdup(env);
            tokens->values[tokens->n++] = value;
            value = NULL;
        }
        if (value) {
            explicit_bzero(value, strlen(value));
            free(value);
        }
        free(sql);
        free(env);
        free(tail);
    }
    if (c.bad || c.left != 0) {
        catalog_recipe_cleanup(out);
        wire_tokens_cleanup(tokens);
        return err_set(err, RC_INVALID, "malformed recipe frame");
    }
    return RC_OK;
}

enum rc wire_encode_run(struct buf *out, const struct wire_run *run)
{
    enum rc rc = put_u32(out, (uint32_t)run->format);
    if (!rc)
        rc = put_i64(out, run->max_rows);
    if (!rc)
        rc = put_i64(out, run->max_bytes);
    if (!rc)
        rc = put_i64(out, run->out_cap);
    if (!rc)
        rc = put_i64(out, run->cpu_s);
    if (!rc)
        rc = put_str(out, run->parquet_path, run->parquet_path ? strlen(run->parquet_path) : 0);
    if (!rc)
        rc = put_str(out, run->sql, strlen(run->sql));
    return rc;
}

enum rc wire_decode_run(const char *p, size_t len, struct wire_run *out, char **heap,
                        struct err *err)
{
    struct cur c = { p, len, false };
    memset(out, 0, sizeof(*out));
    *heap = NULL;
    uint32_t fmt = take_u32(&c);
    out->max_rows = take_i64(&c);
    out->max_bytes = take_i64(&c);
    out->out_cap = take_i64(&c);
    out->cpu_s = take_i64(&c);
    size_t path_len = 0, sql_len = 0;
    bool path_null = false, sql_null = false;
    const char *path = take_str(&c, &path_len, &path_null);
    const char *sql = take_str(&c, &sql_len, &sql_null);
    if (c.bad || c.left != 0 || fmt > RESULT_PARQUET || sql_null || out->max_rows < 1 ||
        out->max_bytes < 1 || out->out_cap < 1 || out->cpu_s < 1 ||
        (fmt == RESULT_PARQUET) == path_null || (path && memchr(path, '\0', path_len)) ||
        memchr(sql, '\0', sql_len))
        return err_set(err, RC_INVALID, "malformed query frame");
    out->format = (enum result_format)fmt;
    /* one allocation: the SQL, its NUL, the path, its NUL */
    char *h = xmalloc(sql_len + path_len + 2);
    memcpy(h, sql, sql_len);
    h[sql_len] = '\0';
    out->sql = h;
    if (path) {
        memcpy(h + sql_len + 1, path, path_len);
        h[sql_len + 1 + path_len] = '\0';
        out->parquet_path = h + sql_len + 1;
    }
    *heap = h;
    return RC_OK;
}

enum rc wire_encode_result(struct buf *out, const struct wire_result *res)
{
    uint32_t by = !res->stats.truncated_by                       ? 0
                  : strcmp(res->stats.truncated_by, "rows") == 0 ? 1
                                                                 : 2;
    size_t msg_len = strnlen(res->message, WIRE_MESSAGE_MAX);
    enum rc rc = put_u32(out, (uint32_t)res->status);
    if (!rc)
        rc = put_i64(out, res->stats.rows);
    if (!rc)
        rc = put_i64(out, res->stats.bytes);
    if (!rc)
        rc = put_u32(out, by);
    if (!rc)
        rc = put_u32(out, (uint32_t)res->stats.columns);
    if (!rc)
        rc = put_str(out, res->message, msg_len);
    /* the data itself follows as the frame's next part (wire_send), not copied here */
    if (!rc && res->data_len >= STR_NULL)
        rc = RC_TOOBIG;
    if (!rc)
        rc = put_u32(out, (uint32_t)res->data_len);
    return rc;
}

enum rc wire_decode_result(const char *p, size_t len, struct wire_result *out, struct err *err)
{
    struct cur c = { p, len, false };
    memset(out, 0, sizeof(*out));
    uint32_t status = take_u32(&c);
    out->stats.rows = take_i64(&c);
    out->stats.bytes = take_i64(&c);
    uint32_t by = take_u32(&c);
    uint32_t columns = take_u32(&c);
    size_t msg_len = 0;
    bool msg_null = false, data_null = false;
    const char *msg = take_str(&c, &msg_len, &msg_null);
    out->data = take_str(&c, &out->data_len, &data_null);
    if (c.bad || c.left != 0 || status > WIRE_FAILED || by > 2 || columns > INT32_MAX || msg_null ||
        data_null || msg_len > WIRE_MESSAGE_MAX || out->stats.rows < 0 || out->stats.bytes < 0)
        return err_set(err, RC_INVALID, "malformed result frame");
    out->status = (enum wire_status)status;
    out->stats.truncated = by != 0;
    out->stats.truncated_by = by == 1 ? "rows" : by == 2 ? "bytes" : NULL;
    out->stats.columns = (int)columns;
    memcpy(out->message, msg, msg_len);
    out->message[msg_len] = '\0';
    return RC_OK;
}
