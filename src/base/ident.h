/* ident.h — the one identifier check of da. Every name that reaches SQL or a path (source,
 * table, column, alias, extension) passes this check first: [A-Za-z_][A-Za-z0-9_]{0,63}. */
#ifndef DA_BASE_IDENT_H
#define DA_BASE_IDENT_H

#include <stdbool.h>
#include <stddef.h>

#define IDENT_MAX_LEN 64

/* True when s (NUL-terminated, may be NULL) is a safe identifier. */
bool ident_valid(const char *s);

/* The same check on a slice that need not be NUL-terminated. */
bool ident_valid_len(const char *s, size_t len);

/* The canonical table id of a table name: trimmed, lower-cased, each space or '-' turned
 * into '_'. The one id used for registry rows, views, files, grants and the manifest.
 * Returns false (out is then "") when the result is not a safe identifier. out holds
 * IDENT_MAX_LEN + 1 bytes. */
bool ident_table_id(const char *name, char out[IDENT_MAX_LEN + 1]);

/* True when s is already a canonical table id: a safe identifier without capitals. */
bool ident_is_table_id(const char *s);

#endif
