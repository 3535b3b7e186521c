/* metric_defs.h — business metric definitions: YAML files an admin keeps under
 * <data_dir>/docs/metrics/<area>/<name>.yml (the path rule is base/metric_path.h), served to
 * signed-in users as JSON and copied byte for byte into each analyst's sync folder.
 *
 * The files are read through the folder, never through a path string: the area folder and the
 * file are opened with openat(O_NOFOLLOW) under docs/metrics, so a link inside it is refused
 * rather than followed out, and only a regular file of at most METRIC_DEF_MAX_BYTES is read.
 * (docs/metrics itself may be a link: the admin put it there.)
 *
 * The YAML is parsed into JSON with bounds, since it is file input that reaches every user:
 * one document, no anchors or aliases (so no alias-expansion bomb), nesting at most
 * METRIC_DEF_MAX_DEPTH, at most METRIC_DEF_MAX_NODES nodes, keys plain scalars of at most
 * METRIC_DEF_MAX_KEY bytes and unique. Scalars are typed by the YAML 1.2 core schema when
 * plain and untagged (null ~ "", true/false, decimal/0o/0x integers that fit 64 bits, decimal
 * floats); every quoted, block or !!str scalar is a string, and so are .inf/.nan (JSON has no
 * such numbers) and integers too large for 64 bits. Mapping keys are always strings. */
#ifndef DA_CORE_METRIC_DEFS_H
#define DA_CORE_METRIC_DEFS_H

#include <jansson.h>
#include <stddef.h>

#include "base/compat.h"
#include "base/metric_path.h"
#include "base/rc.h"
#include "core/core.h"

#define METRIC_DEFS_DIR      "docs/metrics" /* under the data folder */
#define METRIC_DEF_MAX_BYTES (256 * 1024)   /* a larger file is refused: RC_TOOBIG */
#define METRIC_DEF_MAX_DEPTH 32             /* nested mappings and sequences */
#define METRIC_DEF_MAX_NODES 20000          /* scalars, mappings and sequences of one file */
#define METRIC_DEF_MAX_KEY   256            /* bytes of a mapping key */
#define METRIC_DEFS_MAX      1000           /* files listed; more are left out (logged) */

/* Parses len bytes of YAML into *out_json (the caller releases it with json_decref). An empty
 * document is JSON null. RC_BADVALUE with a message naming the line for anything the rules
 * above refuse or that is not YAML; *out_json is then NULL. Pure: no files, no state. */
enum rc metric_yaml_to_json(const char *data, size_t len, json_t **out_json,
                            struct err *err) WARN_UNUSED;

/* Reads the file of path (valid by metric_path_valid, else RC_INVALID naming the rule) into
 * *out_data (NUL-terminated; the caller frees it with free()). RC_NOTFOUND when the area or
 * the file is missing, RC_INVALID when either is a link or not a regular file/folder,
 * RC_TOOBIG over METRIC_DEF_MAX_BYTES, RC_IO otherwise. */
enum rc core_metric_def_read(const struct core *core, const char *path, char **out_data,
                             size_t *out_len, struct err *err) WARN_UNUSED;

/* core_metric_def_read, then metric_yaml_to_json (whose RC_BADVALUE names the path). */
enum rc core_metric_def_load(const struct core *core, const char *path, json_t **out_json,
                             struct err *err) WARN_UNUSED;

struct metric_def_entry {
    char path[METRIC_PATH_MAX + 1]; /* "area/name.yml" */
    char area[METRIC_PART_MAX + 1];
    char name[METRIC_PART_MAX + 1]; /* without ".yml" */
    char *title;                    /* the top-level string `title`, else `display_name` (the
                                       original's field), or NULL; owned */
    char *description;              /* likewise `description`; owned */
};

/* Every definition under docs/metrics whose area and file names pass the rule (others, links
 * and non-regular files are skipped), sorted by path; title and description are taken from the
 * files that parse (a file that does not is still listed, without them, and logged). A missing
 * docs/metrics is an empty list. The caller frees *out with metric_def_entries_free(). */
enum rc core_metric_defs_list(const struct core *core, struct metric_def_entry **out,
                              size_t *out_len, struct err *err) WARN_UNUSED;

/* Frees what core_metric_defs_list returned (accepts NULL). */
void metric_def_entries_free(struct metric_def_entry *entries, size_t len);

#endif
