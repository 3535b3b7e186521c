/* metric_path.h — the one rule for the name of a business metric definition, shared by the
 * server (which reads <data_dir>/docs/metrics/<path>) and the client (which writes
 * <sync dir>/metrics/<path> from a name the server sent): ^[a-z_]+/[a-z_]+\.yml$, each part at
 * most METRIC_PART_MAX characters. No dot but the one of ".yml", one slash: the name can
 * neither climb out of its folder nor hide (".x.yml"). */
#ifndef DA_BASE_METRIC_PATH_H
#define DA_BASE_METRIC_PATH_H

#include <stdbool.h>
#include <stddef.h>

#define METRIC_PART_MAX 64                        /* characters of an area or a name */
#define METRIC_PATH_MAX (2 * METRIC_PART_MAX + 5) /* "area/name.yml" */

/* The rule in words, for error messages. */
#define METRIC_PATH_RULE "<area>/<name>.yml of lower-case letters and '_' (^[a-z_]+/[a-z_]+\\.yml$)"

/* True when s (may be NULL) is a valid metric path. */
bool metric_path_valid(const char *s);

/* True when s is a valid area or name part: [a-z_]{1,METRIC_PART_MAX}, len bytes of s. */
bool metric_part_valid(const char *s, size_t len);

#endif
