/* duck_helpers.h — DuckDB calls that must succeed in a test: on failure they fail the test
 * with the statement and the engine's message. Include after cmocka.h and data/duck.h. */
#ifndef DA_TESTS_DUCK_HELPERS_H
#define DA_TESTS_DUCK_HELPERS_H

#include <stdint.h>

static inline void exec_ok(struct duck *d, const char *sql)
{
    struct err err = { { 0 } };
    if (duck_exec(d, sql, &err))
        fail_msg("%s: %s", sql, err.msg);
}

static inline int64_t q_i64(struct duck *d, const char *sql)
{
    struct err err = { { 0 } };
    int64_t v = -1;
    enum rc rc = duck_query_i64(d, sql, &v, &err);
    if (rc)
        fail_msg("%s: %s (%s)", sql, err.msg, rc_str(rc));
    return v;
}

/* The first value of the first row, as heap text the caller frees. */
static inline char *q_text(struct duck *d, const char *sql)
{
    struct err err = { { 0 } };
    char *v = NULL;
    if (duck_query_text(d, sql, &v, &err))
        fail_msg("%s: %s", sql, err.msg);
    return v;
}

#endif
