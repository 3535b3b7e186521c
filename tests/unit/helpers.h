/* helpers.h — small helpers shared by the unit tests: temporary folders and stderr capture. */
#ifndef DA_TESTS_HELPERS_H
#define DA_TESTS_HELPERS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Makes a fresh folder under /tmp; the caller frees the path and removes it with rm_rf. */
static inline char *test_tmpdir(void)
{
    char *p = strdup("/tmp/da-unit-XXXXXX");
    if (!p || !mkdtemp(p)) {
        perror("mkdtemp");
        abort();
    }
    return p;
}

static inline void test_rm_rf(const char *path)
{
    char cmd[4096];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", path);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", path);
}

#endif
