/* rc.h — the one result convention of da: functions return enum rc, 0 meaning success, and
 * put a human-readable detail in a caller-owned struct err. */
#ifndef DA_BASE_RC_H
#define DA_BASE_RC_H

#include "base/compat.h"

enum rc {
    RC_OK = 0,
    RC_NOMEM,        /* a size-capped buffer or a library ran out of memory */
    RC_INVALID,      /* bad input: the message names what is wrong */
    RC_NOTFOUND,     /* the thing asked for does not exist */
    RC_CONFLICT,     /* it exists already, or the state forbids the change */
    RC_UNAUTHORIZED, /* no valid credential */
    RC_FORBIDDEN,    /* a valid credential without the right */
    RC_TOOBIG,       /* over a named limit */
    RC_DB,           /* the state store or the engine failed */
    RC_IO,           /* a file or socket operation failed */
    RC_INTERNAL,     /* a bug or an impossible state */
    RC_BUSY,         /* a shared resource (the state store) did not answer in time: retry */
    RC_BADVALUE,     /* well-formed input with a value the rules refuse: the message names it */
};

#define ERR_MSG_LEN 256

/* Detail of the last failure. Owned by the caller, usually on its stack. */
struct err {
    char msg[ERR_MSG_LEN];
};

/* Formats a message into err (which may be NULL) and returns rc, so callers can write
 * `return err_set(err, RC_INVALID, "bad port %s", s);`. */
enum rc err_set(struct err *err, enum rc rc, const char *fmt, ...) PRINTF_FMT(3, 4);

/* A short stable name for rc ("invalid", "not_found", ...). Static storage. */
const char *rc_str(enum rc rc);

/* The HTTP status that stands for rc. The only mapping from rc to HTTP in da. */
int rc_http_status(enum rc rc);

#endif
