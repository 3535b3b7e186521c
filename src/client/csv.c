/* csv.c — a query result written as CSV the way the server writes it (qresult_write_csv, see
 * output.h). */
#include <stdlib.h>

#include "client/output.h"

static void csv_field(FILE *f, const char *text)
{
    fputc('"', f);
    for (const char *p = text; *p; p++) {
        if (*p == '"')
            fputc('"', f);
        fputc(*p, f);
    }
    fputc('"', f);
}

bool qresult_write_csv(FILE *f, const struct qresult *r)
{
    for (int i = 0; i < r->ncols; i++) {
        if (i)
            fputc(',', f);
        csv_field(f, r->columns[i]);
    }
    fputs("\r\n", f);
    for (size_t row = 0; row < r->nrows; row++) {
        for (int i = 0; i < r->ncols; i++) {
            if (i)
                fputc(',', f);
            char *text = qresult_text(r, row, i);
            if (text) /* NULL stays an empty, unquoted field */
                csv_field(f, text);
            free(text);
        }
        fputs("\r\n", f);
    }
    return fflush(f) == 0 && !ferror(f);
}
