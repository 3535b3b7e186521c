/* log.h — the logging module. One line per event on stderr, human-readable or JSON lines.
 * Levels are checked before arguments are evaluated. Each thread may carry a request id that
 * every line it logs includes. Never log passwords, tokens or request bodies. */
#ifndef DA_BASE_LOG_H
#define DA_BASE_LOG_H

#include <stdarg.h>
#include <stdbool.h>

#include "base/compat.h"

enum log_level { LOG_DEBUG = 0, LOG_INFO, LOG_WARN, LOG_ERROR };
enum log_format { LOG_HUMAN = 0, LOG_JSON };

/* Sets the lowest level written and the line format. Call before threads start. */
void log_setup(enum log_level level, enum log_format format);

/* Parses "debug", "info", "warn" or "error". Returns false for anything else. */
bool log_level_parse(const char *s, enum log_level *out_level);
/* Parses "human" or "json". */
bool log_format_parse(const char *s, enum log_format *out_format);

/* Sets (or, with NULL, clears) the request id of the calling thread. The string is copied. */
void log_set_request_id(const char *id);

bool log_enabled(enum log_level level);

/* Writes one line from a va_list (for libraries that hand us one). */
void log_vwrite(enum log_level level, const char *module, const char *fmt, va_list ap);

/* Writes one line. module names the part of da that speaks ("http", "store", ...). */
void log_write(enum log_level level, const char *module, const char *fmt, ...) PRINTF_FMT(3, 4);

#define LOG_AT(lvl, module, ...)                                                                   \
    do {                                                                                           \
        if (log_enabled(lvl))                                                                      \
            log_write((lvl), (module), __VA_ARGS__);                                               \
    } while (0)

#define log_debug(module, ...) LOG_AT(LOG_DEBUG, module, __VA_ARGS__)
#define log_info(module, ...)  LOG_AT(LOG_INFO, module, __VA_ARGS__)
#define log_warn(module, ...)  LOG_AT(LOG_WARN, module, __VA_ARGS__)
#define log_error(module, ...) LOG_AT(LOG_ERROR, module, __VA_ARGS__)

#endif
