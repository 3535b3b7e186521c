/* fuzz.h — what the libFuzzer targets share: the entry points libFuzzer calls, a
 * NUL-terminated copy of the input, and an invariant check that crashes (so that libFuzzer
 * keeps the input) when a parser returns something it promised never to return. */
#ifndef DA_TESTS_FUZZ_H
#define DA_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/mem.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a C string (the caller frees it); an embedded NUL ends it early, as it would
 * end any C string the parser is given. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
    char *s = xmalloc(size + 1);
    memcpy(s, data, size);
    s[size] = '\0';
    return s;
}

#define FUZZ_ASSERT(cond)                                                                          \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: invariant broken: %s\n", __FILE__, __LINE__, #cond);           \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

#endif
