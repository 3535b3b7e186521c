/* fuzz_guard_tree.c — the SQL guard's two steps that need no DuckDB, on inputs DuckDB's parser
 * would never produce: the input is taken as a parse tree (JSON, as json_serialize_sql writes
 * it; the seeds are real trees) and walked by guard_check_tree, and taken as SQL text by the
 * text pre-check. fuzz_guard covers the same steps with DuckDB's parser in between; this
 * target reaches the walk's handling of malformed, truncated and hostile trees, which a tree
 * from a future DuckDB or a bug in the parser could contain.
 *
 * Invariants: a walk always reaches a verdict; a refusal carries a message and no tables; an
 * accepted tree lists its tables sorted and unique; the text check never lists tables. */
#include <jansson.h>

#include "fuzz.h"
#include "query/guard_int.h"

static enum guard_access every_table_readable(void *ctx, const char *id)
{
    (void)ctx;
    (void)id;
    return GUARD_READABLE;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    return 0;
}

static void check_result(const struct guard_result *res)
{
    if (res->verdict == GUARD_OK) {
        FUZZ_ASSERT(res->message[0] == '\0');
        for (size_t i = 1; i < res->n_tables; i++)
            FUZZ_ASSERT(strcmp(res->tables[i - 1], res->tables[i]) < 0);
    } else {
        FUZZ_ASSERT(res->message[0] != '\0');
        FUZZ_ASSERT(res->n_tables == 0 && res->tables == NULL);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = fuzz_cstr(data, size);
    struct guard_result res;
    if (!guard_text_ok(text, &res))
        FUZZ_ASSERT(res.verdict != GUARD_OK && res.message[0] != '\0');
    FUZZ_ASSERT(res.n_tables == 0);

    /* jansson refuses trees nested deeper than 2048 levels, so the walk's recursion is
     * bounded the same way as in the server, where the trees come from jansson too. */
    json_error_t jerr;
    json_t *root = json_loadb((const char *)data, size, JSON_DISABLE_EOF_CHECK, &jerr);
    if (root) {
        struct guard_policy policy = { .admin = size > 0 && data[size - 1] == ' ',
                                       .table = every_table_readable };
        guard_check_tree(root, &policy, &res);
        check_result(&res);
        guard_result_cleanup(&res);
        json_decref(root);
    }
    free(text);
    return 0;
}
