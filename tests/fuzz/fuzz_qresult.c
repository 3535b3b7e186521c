/* fuzz_qresult.c — the client's reader of query results (qresult_parse), which takes what a
 * server answers: hostile input for the client. Whatever parses is also rendered as cell
 * text, CSV and an aligned table cut to a width, the paths that index into it.
 * Invariants: a parsed result has ncols columns and nrows * ncols cells, and every cell's
 * text is present unless it is NULL. */
#include "client/output.h"
#include "fuzz.h"

static FILE *devnull;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    devnull = fopen("/dev/null", "w");
    if (!devnull)
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct qresult r;
    struct err err = { { 0 } };
    /* not NUL-terminated on purpose: qresult_parse takes a length */
    char *copy = xmalloc(size ? size : 1);
    memcpy(copy, data, size);
    if (qresult_parse(copy, size, &r, &err) == RC_OK) {
        FUZZ_ASSERT(r.ncols >= 0);
        for (int c = 0; c < r.ncols; c++)
            FUZZ_ASSERT(r.columns[c] && r.types[c]);
        for (size_t row = 0; row < r.nrows; row++)
            for (int c = 0; c < r.ncols; c++) {
                const struct qcell *cell = &r.cells[row * (size_t)r.ncols + (size_t)c];
                FUZZ_ASSERT((cell->kind == QCELL_NULL) == (cell->text == NULL));
                free(qresult_text(&r, row, c));
            }
        (void)qresult_write_csv(devnull, &r);
        struct table t;
        qresult_to_table(&r, &t);
        struct table_style style = { .max_cell = 20, .max_width = 60, .null_text = "NULL" };
        table_print(devnull, &t, &style);
        table_free(&t);
    }
    qresult_free(&r);
    free(copy);
    return 0;
}
