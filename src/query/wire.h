/* wire.h — the frames the server and its query workers exchange over a socketpair: an 8-byte
 * header (type, payload length, both uint32 in host order: both ends are the same binary)
 * and the payload. A reader states the most it accepts for each frame, so a length sent by a
 * worker in trouble can never make the server allocate or wait for more; and a reader is a
 * small state machine, so the server can read with poll() and keep checking a query's
 * deadline, memory and client between reads.
 *
 * Messages (payload layouts in wire.c):
 *   server -> worker  WIRE_LOAD  a generation's recipe: build the database from it
 *                     WIRE_RUN   one checked query, its limits and format
 *   worker -> server  WIRE_LOADED  the recipe was replayed, or why not
 *                     WIRE_RESULT  the encoded result or the engine's message */
#ifndef DA_QUERY_WIRE_H
#define DA_QUERY_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/compat.h"
#include "base/rc.h"
#include "data/result.h"

struct catalog_recipe;

enum wire_type {
    WIRE_LOAD = 1,
    WIRE_RUN = 2,
    WIRE_LOADED = 3,
    WIRE_RESULT = 4,
};

#define WIRE_HEADER_LEN  8
#define WIRE_MESSAGE_MAX 511          /* an error message, without its NUL */
#define WIRE_FRAME_MAX   (256u << 20) /* the most any frame may claim */

/* One frame being read. */
struct wire_in {
    unsigned char header[WIRE_HEADER_LEN];
    size_t header_got;
    uint32_t type;
    uint32_t len;
    char *body; /* heap, len + 1 bytes (NUL-terminated for convenience); owned by the reader */
    size_t body_got;
};

void wire_in_reset(struct wire_in *in);

/* Reads what fd has (one read at most; a non-blocking fd may have nothing). *done is true
 * when a whole frame is in. RC_TOOBIG when the frame claims more than max bytes; RC_IO at end
 * of file or on an error (err says which). */
enum rc wire_in_step(int fd, struct wire_in *in, size_t max, bool *done,
                     struct err *err) WARN_UNUSED;

/* Reads one whole frame from a blocking fd. */
enum rc wire_read(int fd, struct wire_in *in, size_t max, struct err *err) WARN_UNUSED;

/* Sends a frame made of the header and the parts, waiting (poll) while fd is full, up to
 * deadline_us (clock_mono_us; 0: no deadline). RC_IO when the peer is gone, RC_CONFLICT at
 * the deadline. */
enum rc wire_send(int fd, uint32_t type, const void *const *parts, const size_t *lens,
                  size_t n_parts, int64_t deadline_us, struct err *err) WARN_UNUSED;

/* A query for a worker. */
struct wire_run {
    enum result_format format;
    int64_t max_rows;
    int64_t max_bytes;
    int64_t out_cap;          /* the most result bytes the server takes (header included) */
    int64_t cpu_s;            /* CPU seconds the query may use: a backstop under the server's
                               * own kill at the deadline, should that ever not come */
    const char *parquet_path; /* RESULT_PARQUET: where to write; else NULL */
    const char *sql;
};

/* What a worker answers. */
enum wire_status { WIRE_OK = 0, WIRE_DB_ERROR = 1, WIRE_FAILED = 2 };

struct wire_result {
    enum wire_status status;
    struct result_stats stats;
    char message[WIRE_MESSAGE_MAX + 1];
    const char *data; /* borrowed from the frame */
    size_t data_len;
};

/* The tokens a recipe's steps name (catalog_step.token_env), with their values: a worker
 * starts with almost no environment (none of the server's secrets), so the server sends each
 * token its generation needs in the LOAD frame, and the worker sets them only while it
 * replays the recipe. */
struct wire_tokens {
    char **names;
    char **values;
    size_t n, cap; /* cap: of names and of values alike */
};

/* Wipes the values and frees everything. */
void wire_tokens_cleanup(struct wire_tokens *t);

/* Encoders append the payload to out (wire_encode_result all but the data bytes, which the
 * caller sends as the frame's next part); decoders check every length and value against the
 * frame (RC_INVALID names what is wrong) and borrow strings from it. */
enum rc wire_encode_recipe(struct buf *out, uint64_t generation,
                           const struct catalog_recipe *r) WARN_UNUSED;
/* The encoded recipe carries the value of each step's token variable (read with getenv now):
 * wipe out after sending it. */
enum rc wire_decode_recipe(const char *p, size_t len, uint64_t *generation,
                           struct catalog_recipe *out, struct wire_tokens *tokens,
                           struct err *err) WARN_UNUSED;
enum rc wire_encode_run(struct buf *out, const struct wire_run *run) WARN_UNUSED;
/* The strings of the decoded query live in *heap, which the caller frees. */
enum rc wire_decode_run(const char *p, size_t len, struct wire_run *out, char **heap,
                        struct err *err) WARN_UNUSED;
enum rc wire_encode_result(struct buf *out, const struct wire_result *res) WARN_UNUSED;
enum rc wire_decode_result(const char *p, size_t len, struct wire_result *out,
                           struct err *err) WARN_UNUSED;

#endif
