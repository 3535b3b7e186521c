/* redact.h — keeps server paths out of messages sent to clients. DuckDB's errors can name the
 * files a query touched (the catalog's Parquet files live under the data folder); the query
 * endpoint passes every engine message through redact_paths before answering. */
#ifndef DA_BASE_REDACT_H
#define DA_BASE_REDACT_H

#include <stddef.h>

/* Copies msg into out (size bytes, size > 0), replacing every occurrence of dir, both as given
 * and as realpath() resolves it, with "<data>". out is always NUL-terminated and never written
 * past size: a message that no longer fits is cut short, and never inside an occurrence of
 * dir, so no part of the path is shown. An empty or NULL dir copies msg as it is. */
void redact_paths(const char *msg, const char *dir, char *out, size_t size);

#endif
