/* fuzz_urldecode.c — percent-decoding of request paths and arguments
 * (url_unescape_keeping_nul). Invariants: never longer than the input, the returned length
 * is the string's, no NUL is ever decoded, and a string with no '%' comes back unchanged. */
#include "fuzz.h"
#include "http/urldecode.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s = fuzz_cstr(data, size);
    size_t before = strlen(s);
    char *orig = xstrndup(s, before);
    size_t len = url_unescape_keeping_nul(s);
    FUZZ_ASSERT(len <= before);
    FUZZ_ASSERT(strlen(s) == len);
    if (!strchr(orig, '%'))
        FUZZ_ASSERT(strcmp(s, orig) == 0);
    /* every decoded byte used up three input bytes: the count of '%' bounds the shrinkage */
    size_t pct = 0;
    for (const char *p = orig; *p; p++)
        pct += *p == '%';
    FUZZ_ASSERT(before - len <= 2 * pct);
    free(orig);
    free(s);
    return 0;
}
