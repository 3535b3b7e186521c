/* rc.c — error detail formatting and the mapping of results to names and HTTP statuses. */
#include "base/rc.h"

#include <stdarg.h>
#include <stdio.h>

enum rc err_set(struct err *err, enum rc rc, const char *fmt, ...)
{
    if (err) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof(err->msg), fmt, ap); /* truncation of a message is fine */
        va_end(ap);
    }
    return rc;
}

const char *rc_str(enum rc rc)
{
    switch (rc) {
    case RC_OK:
        return "ok";
    case RC_NOMEM:
        return "out_of_memory";
    case RC_INVALID:
        return "invalid";
    case RC_BADVALUE:
        return "bad_value";
    case RC_NOTFOUND:
        return "not_found";
    case RC_CONFLICT:
        return "conflict";
    case RC_UNAUTHORIZED:
        return "unauthorized";
    case RC_FORBIDDEN:
        return "forbidden";
    case RC_TOOBIG:
        return "too_big";
    case RC_DB:
        return "database";
    case RC_IO:
        return "io";
    case RC_INTERNAL:
        return "internal";
    case RC_BUSY:
        return "busy";
    }
    return "unknown";
}

int rc_http_status(enum rc rc)
{
    switch (rc) {
    case RC_OK:
        return 200;
    case RC_INVALID:
        return 400;
    case RC_BADVALUE:
        return 422; /* the request was read; one of its values is wrong */
    case RC_UNAUTHORIZED:
        return 401;
    case RC_FORBIDDEN:
        return 403;
    case RC_NOTFOUND:
        return 404;
    case RC_CONFLICT:
        return 409;
    case RC_TOOBIG:
        return 413;
    case RC_NOMEM:
    case RC_DB:
    case RC_IO:
    case RC_INTERNAL:
        return 500;
    case RC_BUSY:
        return 503;
    }
    return 500;
}
