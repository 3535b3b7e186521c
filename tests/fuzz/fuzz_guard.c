/* fuzz_guard.c — the SQL guard (guard_check) on arbitrary text: its text pre-check, DuckDB's
 * parse (json_serialize_sql) and the walk of the parse tree. The policy reads every table, so
 * the walk goes as deep as the tree does. One in-memory DuckDB for the whole run: opening one
 * per input would spend the time in DuckDB's start-up, not in the guard.
 *
 * Invariants: a verdict is always reached or RC_TOOBIG/RC_DB reported; a refusal carries a
 * message and no tables; an accepted query lists its tables sorted and unique. */
#include "base/log.h"
#include "data/duck.h"
#include "fuzz.h"
#include "query/guard.h"

static struct duck *duck;

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
    log_setup(LOG_ERROR, LOG_HUMAN);
    struct err err = { { 0 } };
    if (duck_open(NULL, &duck, &err) != RC_OK) {
        fprintf(stderr, "fuzz_guard: duck_open: %s\n", err.msg);
        abort();
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > GUARD_SQL_MAX + 16)
        return -1; /* past the limit only RC_TOOBIG is tested, once is enough */
    char *sql = fuzz_cstr(data, size);
    struct guard_policy policy = { .admin = size > 0 && data[0] == ' ',
                                   .table = every_table_readable };
    struct guard_result res = { 0 };
    struct err err = { { 0 } };
    enum rc rc = guard_check(duck, sql, &policy, &res, &err);
    if (rc == RC_OK) {
        if (res.verdict == GUARD_OK) {
            FUZZ_ASSERT(res.message[0] == '\0');
            for (size_t i = 1; i < res.n_tables; i++)
                FUZZ_ASSERT(strcmp(res.tables[i - 1], res.tables[i]) < 0);
        } else {
            FUZZ_ASSERT(res.message[0] != '\0');
            FUZZ_ASSERT(res.n_tables == 0 && res.tables == NULL);
        }
    } else {
        FUZZ_ASSERT(rc == RC_TOOBIG || rc == RC_DB);
        FUZZ_ASSERT(res.verdict != GUARD_OK && res.n_tables == 0);
    }
    guard_result_cleanup(&res);
    free(sql);
    return 0;
}
