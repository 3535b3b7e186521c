/* buf.h — the one growable byte buffer of da. Always NUL-terminated, with a hard size cap set
 * at init. An append that fails (over the cap) frees the contents and leaves the buffer empty
 * and unusable until buf_init again, so a half-built value is never used by mistake. */
#ifndef DA_BASE_BUF_H
#define DA_BASE_BUF_H

#include <stddef.h>

#include "base/compat.h"
#include "base/rc.h"

struct buf {
    char *data; /* NULL until the first append */
    size_t len;
    size_t cap;
    size_t max; /* the most bytes the buffer may hold, excluding the NUL */
    int failed;
};

/* Prepares an empty buffer that may grow to max bytes. Release with buf_cleanup(). */
void buf_init(struct buf *b, size_t max);

/* Frees the contents. Safe on a zeroed, failed or already cleaned buffer. */
void buf_cleanup(struct buf *b);

/* Appends len bytes. RC_TOOBIG (buffer freed) when the result would exceed max. */
enum rc buf_append(struct buf *b, const void *data, size_t len) WARN_UNUSED;
enum rc buf_append_str(struct buf *b, const char *s) WARN_UNUSED;
enum rc buf_printf(struct buf *b, const char *fmt, ...) PRINTF_FMT(2, 3) WARN_UNUSED;

/* The contents as a C string; "" when empty. Borrowed: valid until the next append or cleanup. */
const char *buf_cstr(const struct buf *b);

/* Hands the contents to the caller (who frees them with free()) and empties the buffer.
 * Never returns NULL; *out_len (may be NULL) gets the length. */
char *buf_take(struct buf *b, size_t *out_len);

/* Drops the contents but keeps the memory for reuse. */
void buf_reset(struct buf *b);

/* Shortens the contents to their first len bytes (no-op when len is not shorter): takes back
 * what was appended after an earlier length. */
void buf_truncate(struct buf *b, size_t len);

#endif
