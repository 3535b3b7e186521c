/* server_key.c — loading or creating the token signing key. The key file holds the key as 64
 * hex characters and a newline; it is created with a single atomic link so two servers that
 * start together end up with the same key, and a crash never leaves half a key. */
#include "auth/server_key.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/fileio.h"
#include "base/hex.h"
#include "base/limits.h"
#include "base/log.h"
#include "base/mem.h"
#include "base/rand.h"

static enum rc read_key_file(const char *path, struct server_key *out, struct err *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return err_set(err, RC_NOTFOUND, "%s does not exist", path);
    if (st.st_mode & (S_IRWXG | S_IRWXO))
        return err_set(err, RC_FORBIDDEN,
                       "%s may be read by other users (mode %03o); run chmod 600 on it", path,
                       (unsigned)(st.st_mode & 0777));
    char *text = NULL;
    size_t len = 0;
    enum rc rc = file_read_all(path, 256, &text, &len, err);
    if (rc)
        return rc;
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r'))
        len--;
    if (len != SERVER_KEY_RANDOM * 2) {
        rc = err_set(err, RC_INVALID, "%s is damaged: expected %d hex characters", path,
                     SERVER_KEY_RANDOM * 2);
        goto out;
    }
    if (!hex_decode(text, SERVER_KEY_RANDOM, out->bytes, true)) {
        rc = err_set(err, RC_INVALID, "%s is damaged: not lowercase hex", path);
        goto out;
    }
    out->len = SERVER_KEY_RANDOM;
out:
    mem_wipe(text, len);
    free(text);
    return rc;
}

static enum rc create_key_file(const char *path, struct err *err)
{
    char hex[SERVER_KEY_RANDOM * 2 + 2];
    enum rc rc = rand_hex(hex, SERVER_KEY_RANDOM, err);
    if (rc)
        return rc;
    hex[SERVER_KEY_RANDOM * 2] = '\n';
    hex[SERVER_KEY_RANDOM * 2 + 1] = '\0';
    rc = file_create_atomic(path, hex, strlen(hex), 0600, err);
    mem_wipe(hex, sizeof(hex));
    return rc;
}

enum rc server_key_load(const char *state_dir, const char *configured, struct server_key *out,
                        struct err *err)
{
    memset(out, 0, sizeof(*out));
    if (configured) {
        size_t len = strlen(configured);
        if (len < DA_JWT_SECRET_MIN)
            return err_set(err, RC_INVALID, "JWT_SECRET_KEY: must be at least %d bytes (got %zu)",
                           DA_JWT_SECRET_MIN, len);
        if (len > SERVER_KEY_MAX)
            return err_set(err, RC_INVALID, "JWT_SECRET_KEY: must be at most %d bytes (got %zu)",
                           SERVER_KEY_MAX, len);
        memcpy(out->bytes, configured, len);
        out->len = len;
        out->from_env = true;
        return RC_OK;
    }
    char *path = xasprintf("%s/%s", state_dir, SERVER_KEY_FILE);
    enum rc rc = read_key_file(path, out, err);
    if (rc == RC_NOTFOUND) {
        rc = create_key_file(path, err);
        if (rc == RC_CONFLICT) /* another process created it first: use theirs */
            rc = RC_OK;
        else if (!rc)
            out->created = true;
        if (!rc)
            rc = read_key_file(path, out, err);
        if (!rc && out->created)
            log_warn("auth",
                     "JWT_SECRET_KEY is not set: created a random signing key in %s (keep it "
                     "secret; set JWT_SECRET_KEY to share one key between servers)",
                     path);
    }
    free(path);
    if (rc)
        server_key_wipe(out);
    return rc;
}

void server_key_wipe(struct server_key *key)
{
    mem_wipe(key, sizeof(*key));
}
