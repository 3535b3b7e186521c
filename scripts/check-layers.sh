#!/bin/sh
# check-layers.sh — fails when a module of src/ includes a folder its layer may not depend on,
# so dependencies keep pointing down. Run by `make lint`; tests/e2e/layers.test.mjs runs it over
# small trees of its own.
#
# The rules are the table below (lines starting with "#:"; this script reads itself). A file in
# src/LAYER/ may include headers of its own folder and of what its row names: a folder (every
# header in it) or one header (folder/name.h). A row named after one file (cmd/serve.c) adds to
# what its folder's row allows; a file directly in src/ (main.c) has a row of its own. Only
# "..." includes naming a folder are checked; <system> headers and third-party ones are not.
#
#: base
#: config        base
#: store         base
#: auth          base
#: http          base
#: net           base
#: data          base store
#: query         base data
#: connectors    base data store net
#: sched         base config store data
#: core          base config store auth data query connectors sched
#: api           base config auth http core data query
#: client        base data/duck.h data/result.h
#: cmd           base config store auth http data query connectors core client sched
#: cmd/serve.c   api/api.h
#: main.c        base cmd query/worker.h sched/job_child.h
#
# api reaches the state store only through core/. cmd may include no surface's internals:
# only serve.c, which assembles the server, includes api/api.h.
#
# Usage: scripts/check-layers.sh [SRC_DIR]   (default: src next to this script's folder)
# Prints "file: includes X (layer A may not depend on B)" per violation; exit 1 if any.
set -eu

table=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
src=${1:-$(dirname "$table")/../src}
shown=${1:-src} # how file names start in the messages
[ -d "$src" ] || { echo "check-layers: no folder $src" >&2; exit 2; }

files=$(cd "$src" && find . -name '*.[ch]' | sed 's|^\./||' | LC_ALL=C sort)
[ -n "$files" ] || exit 0

cd "$src"
# shellcheck disable=SC2086 # file names under src/ have no spaces
awk -v table="$table" -v shown="${shown%/}/" '
BEGIN {
    while ((getline line < table) > 0) {
        if (line !~ /^#: /)
            continue
        n = split(substr(line, 4), w, /[ \t]+/)
        known[w[1]] = 1
        for (i = 2; i <= n; i++)
            if (w[i] != "")
                allow[w[1] SUBSEP w[i]] = 1
    }
    close(table)
    bad = 0
}
FNR == 1 {
    # the layer of the file: its folder, or its own name when directly in src/
    layer = FILENAME ~ /\// ? substr(FILENAME, 1, index(FILENAME, "/") - 1) : FILENAME
    if (!(layer in known)) {
        printf "%s%s: layer %s is not in the table of scripts/check-layers.sh\n", shown, FILENAME,
               layer
        bad = 1
    }
}
/^[ \t]*#[ \t]*include[ \t]*"/ {
    inc = $0
    sub(/^[^"]*"/, "", inc)
    sub(/".*$/, "", inc)
    if (index(inc, "/") == 0)
        next
    dep = substr(inc, 1, index(inc, "/") - 1)
    if (dep == layer || (layer SUBSEP dep) in allow || (layer SUBSEP inc) in allow ||
        (FILENAME SUBSEP dep) in allow || (FILENAME SUBSEP inc) in allow)
        next
    printf "%s%s: includes %s (layer %s may not depend on %s)\n", shown, FILENAME, inc, layer,
           dep
    bad = 1
}
END { exit bad }
' $files
