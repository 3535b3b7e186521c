/* rand.c — random bytes, raw or as hex. */
#include "base/rand.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "base/hex.h"
#include "base/log.h"
#include "base/mem.h"

enum rc rand_bytes(void *out, size_t len, struct err *err)
{
    unsigned char *p = out;
    while (len) {
        ssize_t n = getrandom(p, len, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return err_set(err, RC_IO, "getrandom: %s", strerror(errno));
        }
        p += n;
        len -= (size_t)n;
    }
    return RC_OK;
}

enum rc rand_hex(char *out, size_t nbytes, struct err *err)
{
    unsigned char *raw = xmalloc(nbytes);
    enum rc rc = rand_bytes(raw, nbytes, err);
    if (!rc)
        hex_encode(raw, nbytes, out);
    mem_wipe(raw, nbytes);
    free(raw);
    return rc;
}

void rand_id(char out[RAND_ID_LEN + 1])
{
    struct err err;
    if (rand_hex(out, RAND_ID_LEN / 2, &err) != RC_OK) {
        log_error("rand", "no randomness: %s", err.msg);
        abort();
    }
}
