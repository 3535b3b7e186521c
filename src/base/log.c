/* log.c — line-oriented logging to stderr. Each line is built in a local buffer and written with
 * one write(2), so lines from different threads never interleave. */
#include "base/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/buf.h"
#include "base/isotime.h"

#define LOG_LINE_MAX    4096
#define LOG_REQ_ID_SIZE 65

static enum log_level min_level = LOG_INFO;
static enum log_format line_format = LOG_HUMAN;
static _Thread_local char request_id[LOG_REQ_ID_SIZE];

static const char *level_names[] = {
    [LOG_DEBUG] = "debug", [LOG_INFO] = "info", [LOG_WARN] = "warn", [LOG_ERROR] = "error"
};

void log_setup(enum log_level level, enum log_format format)
{
    min_level = level;
    line_format = format;
}

bool log_level_parse(const char *s, enum log_level *out_level)
{
    for (int i = LOG_DEBUG; i <= LOG_ERROR; i++) {
        if (strcmp(s, level_names[i]) == 0) {
            *out_level = (enum log_level)i;
            return true;
        }
    }
    return false;
}

bool log_format_parse(const char *s, enum log_format *out_format)
{
    if (strcmp(s, "human") == 0)
        *out_format = LOG_HUMAN;
    else if (strcmp(s, "json") == 0)
        *out_format = LOG_JSON;
    else
        return false;
    return true;
}

void log_set_request_id(const char *id)
{
    if (!id) {
        request_id[0] = '\0';
        return;
    }
    snprintf(request_id, sizeof(request_id), "%s", id);
}

bool log_enabled(enum log_level level)
{
    return level >= min_level;
}

/* Appends s as the body of a JSON string, escaping what JSON requires. */
static void append_json_escaped(struct buf *b, const char *s)
{
    enum rc rc = RC_OK;
    for (const unsigned char *p = (const unsigned char *)s; *p && !rc; p++) {
        if (*p == '"' || *p == '\\')
            rc = buf_printf(b, "\\%c", *p);
        else if (*p == '\n')
            rc = buf_append_str(b, "\\n");
        else if (*p == '\t')
            rc = buf_append_str(b, "\\t");
        else if (*p < 0x20)
            rc = buf_printf(b, "\\u%04x", *p);
        else
            rc = buf_append(b, p, 1);
    }
}

void log_write(enum log_level level, const char *module, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    log_vwrite(level, module, fmt, ap);
    va_end(ap);
}

void log_vwrite(enum log_level level, const char *module, const char *fmt, va_list ap)
{
    char msg[LOG_LINE_MAX];
    vsnprintf(msg, sizeof(msg), fmt, ap); /* a long message is cut, never dropped */
    /* libraries end their messages with a newline; one line per event is ours to add */
    size_t mlen = strlen(msg);
    while (mlen && (msg[mlen - 1] == '\n' || msg[mlen - 1] == '\r'))
        msg[--mlen] = '\0';

    char ts[ISOTIME_SIZE];
    isotime_now(ts);

    struct buf line;
    buf_init(&line, LOG_LINE_MAX * 2);
    enum rc rc;
    if (line_format == LOG_JSON) {
        rc = buf_printf(&line, "{\"ts\":\"%s\",\"level\":\"%s\",\"module\":\"", ts,
                        level_names[level]);
        if (!rc)
            append_json_escaped(&line, module);
        if (!line.failed && request_id[0]) {
            rc = buf_append_str(&line, "\",\"request_id\":\"");
            if (!rc)
                append_json_escaped(&line, request_id);
        }
        if (!line.failed && !buf_append_str(&line, "\",\"msg\":\""))
            append_json_escaped(&line, msg);
        if (!line.failed)
            rc = buf_append_str(&line, "\"}\n");
    } else {
        rc = buf_printf(&line, "%s %-5s %s: %s%s%s\n", ts, level_names[level], module, msg,
                        request_id[0] ? " request_id=" : "", request_id);
    }
    (void)rc;
    if (!line.failed && line.len) {
        ssize_t n = write(STDERR_FILENO, line.data, line.len);
        (void)n; /* nowhere left to report a failed log write */
    }
    buf_cleanup(&line);
}
