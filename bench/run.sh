#!/bin/sh
# bench/run.sh — runs every benchmark of da and prints its figures (make bench). Never part of
# the pass/fail tests: timings depend on the machine; docs/PERFORMANCE.md records this one's.
set -eu
BUILD=${BUILD:-build}
echo "== catalog rebuild (bench/catalog_bench.c)"
"$BUILD/bench/catalog_bench" 10 100 5
