/* fuzz_metric_yaml.c — the metric definition parser (metric_yaml_to_json): any bytes as the
 * YAML of a definition file.
 *
 * Invariants: a failure names the problem and leaves no JSON; a success yields JSON that
 * serialises, nests no deeper than METRIC_DEF_MAX_DEPTH and has no key longer than
 * METRIC_DEF_MAX_KEY (ASan checks for leaks and double frees on both paths). */
#include "base/log.h"
#include "core/metric_defs.h"
#include "fuzz.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    log_setup(LOG_ERROR, LOG_HUMAN);
    return 0;
}

/* Checks the bounds on v at nesting level depth (the root is 1 when it is a collection). */
static void check(const json_t *v, int depth)
{
    if (json_is_object(v)) {
        FUZZ_ASSERT(depth <= METRIC_DEF_MAX_DEPTH);
        const char *key;
        const json_t *member;
        json_object_foreach((json_t *)v, key, member)
        {
            FUZZ_ASSERT(strlen(key) <= METRIC_DEF_MAX_KEY);
            check(member, depth + 1);
        }
    } else if (json_is_array(v)) {
        FUZZ_ASSERT(depth <= METRIC_DEF_MAX_DEPTH);
        for (size_t i = 0; i < json_array_size(v); i++)
            check(json_array_get(v, i), depth + 1);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *j = NULL;
    struct err err = { { 0 } };
    enum rc rc = metric_yaml_to_json((const char *)data, size, &j, &err);
    if (rc != RC_OK) {
        FUZZ_ASSERT(err.msg[0] != '\0');
        FUZZ_ASSERT(j == NULL);
        return 0;
    }
    FUZZ_ASSERT(j != NULL);
    check(j, 1);
    char *text = json_dumps(j, JSON_ENCODE_ANY);
    FUZZ_ASSERT(text != NULL);
    free(text);
    json_decref(j);
    return 0;
}
