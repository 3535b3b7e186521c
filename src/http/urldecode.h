/* urldecode.h — percent-decoding of request paths and query arguments, in place. Its own
 * module (not a static of server.c) so that it is unit-tested and fuzzed without a server. */
#ifndef DA_HTTP_URLDECODE_H
#define DA_HTTP_URLDECODE_H

#include <stddef.h>

/* Decodes %XX in the NUL-terminated s as libmicrohttpd would, but leaves "%00" as it is: a
 * decoded NUL would cut the string short, so ".../files/a.parquet%00.txt" would be served as
 * "a.parquet". A '%' not followed by two hex digits stays. Returns the new length; the result
 * is never longer than s. */
size_t url_unescape_keeping_nul(char *s);

#endif
