/* compat.h — compiler attributes used across da. The only place GNU extensions appear,
 * each behind a macro so the code stays C11 + POSIX. */
#ifndef DA_BASE_COMPAT_H
#define DA_BASE_COMPAT_H

#define WARN_UNUSED        __attribute__((warn_unused_result))
#define PRINTF_FMT(fi, ai) __attribute__((format(printf, fi, ai)))
#define NORETURN           __attribute__((noreturn))

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

#endif
