/* fuzz_config.c — the configuration loader: a YAML file (config_load_file, with ${VAR}
 * expansion) and the environment overrides (config_apply_env), then the cross-field checks.
 * The input is the YAML text, optionally followed by a NUL and lines NAME=value that are set in
 * the environment for this input only (so ${NAME} references resolve, and DA_* overrides are
 * parsed). The file is one temporary file, rewritten for each input.
 *
 * Invariants: a failure names the problem (a message), and success or failure, the struct is
 * released cleanly (ASan checks for leaks and double frees). */
#include <fcntl.h>
#include <unistd.h>

#include "base/log.h"
#include "config/config.h"
#include "fuzz.h"

#define MAX_VARS 16

static char path[] = "/tmp/da-fuzz-config-XXXXXX";
static int fd = -1;

static void remove_file(void)
{
    unlink(path);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    log_setup(LOG_ERROR, LOG_HUMAN);
    fd = mkstemp(path);
    if (fd < 0)
        abort();
    atexit(remove_file);
    return 0;
}

/* Sets the NAME=value lines of env (NAME of [A-Z0-9_] only) and records the names. */
static size_t set_env(char *env, char *names[MAX_VARS])
{
    size_t n = 0;
    for (char *line = env; line && *line && n < MAX_VARS;) {
        char *end = strchr(line, '\n');
        if (end)
            *end = '\0';
        char *eq = strchr(line, '=');
        bool ok = eq && eq > line;
        for (const char *c = line; ok && c < eq; c++)
            ok = (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') || *c == '_';
        if (ok) {
            *eq = '\0';
            if (setenv(line, eq + 1, 1) == 0)
                names[n++] = line;
        }
        line = end ? end + 1 : NULL;
    }
    return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nul = memchr(data, 0, size);
    size_t ylen = nul ? (size_t)(nul - data) : size;
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, ylen, 0) != (ssize_t)ylen)
        abort();
    char *env = nul ? fuzz_cstr(nul + 1, size - ylen - 1) : NULL;
    char *names[MAX_VARS];
    size_t n = env ? set_env(env, names) : 0;

    struct config c = { 0 };
    config_defaults(&c);
    struct err err = { { 0 } };
    enum rc rc = config_load_file(&c, path, &err);
    if (rc == RC_OK)
        rc = config_apply_env(&c, &err);
    if (rc == RC_OK)
        rc = config_validate(&c, &err);
    if (rc != RC_OK)
        FUZZ_ASSERT(err.msg[0] != '\0');
    config_cleanup(&c);

    for (size_t i = 0; i < n; i++)
        unsetenv(names[i]);
    free(env);
    return 0;
}
