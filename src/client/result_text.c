/* result_text.c — a query result's values as the client shows them (qresult_text,
 * output_type_numeric; see output.h): DECIMALs with their scale, FLOATs in their shortest
 * exact form, everything else as the server sent it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/compat.h"
#include "base/mem.h"
#include "client/output.h"

bool output_type_numeric(const char *type)
{
    static const char *const names[] = { "TINYINT", "SMALLINT", "INTEGER",   "BIGINT",
                                         "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                                         "UBIGINT", "UHUGEINT", "FLOAT",     "DOUBLE" };
    for (size_t i = 0; i < ARRAY_LEN(names); i++)
        if (strcmp(type, names[i]) == 0)
            return true;
    return strncmp(type, "DECIMAL(", 8) == 0;
}

/* A decimal's digits as sent ("5.0", "129.97") with exactly scale digits after the point:
 * JSON writers drop trailing zeros, but 5.00 is what a DECIMAL(10,2) holds. Text in another
 * form (an exponent) is kept as it is. */
static char *decimal_text(const char *raw, long scale)
{
    if (strpbrk(raw, "eE") || scale < 0 || scale > 76)
        return xstrdup(raw);
    const char *dot = strchr(raw, '.');
    size_t int_len = dot ? (size_t)(dot - raw) : strlen(raw);
    const char *frac = dot ? dot + 1 : "";
    size_t frac_len = strlen(frac);
    for (size_t i = (size_t)scale; i < frac_len; i++)
        if (frac[i] != '0')
            return xstrdup(raw); /* more digits than the scale: keep them all */
    if (scale == 0)
        return xstrndup(raw, int_len);
    char *out = xmalloc(int_len + 1 + (size_t)scale + 1);
    memcpy(out, raw, int_len);
    out[int_len] = '.';
    for (size_t i = 0; i < (size_t)scale; i++)
        out[int_len + 1 + i] = i < frac_len ? frac[i] : '0';
    out[int_len + 1 + (size_t)scale] = '\0';
    return out;
}

/* A FLOAT sent as the double nearest to it ("0.10000000149011612"): the shortest text that
 * reads back as the same float. */
static char *float_text(const char *raw)
{
    char *end = NULL;
    double d = strtod(raw, &end);
    if (!end || *end || !isfinite(d))
        return xstrdup(raw);
    float f = (float)d;
    char buf[64];
    for (int prec = 1; prec <= 9; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, (double)f);
        if ((float)strtod(buf, NULL) == f)
            break;
    }
    return xstrdup(buf);
}

char *qresult_text(const struct qresult *r, size_t row, int col)
{
    const struct qcell *c = &r->cells[row * (size_t)r->ncols + (size_t)col];
    const char *type = r->types[col];
    if (c->kind == QCELL_NULL)
        return NULL;
    if (c->kind == QCELL_NUMBER && strncmp(type, "DECIMAL(", 8) == 0) {
        const char *comma = strchr(type, ',');
        return decimal_text(c->text, comma ? strtol(comma + 1, NULL, 10) : 0);
    }
    if (c->kind == QCELL_NUMBER && strcmp(type, "FLOAT") == 0)
        return float_text(c->text);
    return xstrdup(c->text);
}
