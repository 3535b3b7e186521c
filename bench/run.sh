#!/bin/sh
# bench/run.sh — runs every benchmark of da and prints its figures (make bench). Never part of
# the pass/fail tests: timings depend on the machine; docs/PERFORMANCE.md records this one's.
set -eu
BUILD=${BUILD:-build}
export BUILD
if ! command -v nginx >/dev/null || ! command -v wrk >/dev/null || ! command -v rsync >/dev/null
then
    echo "installing nginx, wrk and rsync (apt-get)"
    SUDO=$([ "$(id -u)" -eq 0 ] && echo "" || echo sudo)
    $SUDO apt-get update -q >/dev/null
    $SUDO apt-get install -y -q nginx-light wrk rsync >/dev/null
fi
echo "== catalog rebuild (bench/catalog_bench.c)"
"$BUILD/bench/catalog_bench" 10 100 5
echo
echo "== serving against nginx (bench/serve_bench.sh)"
bench/serve_bench.sh
echo
echo "== governed queries against in-process DuckDB and nginx (bench/query_bench.sh)"
bench/query_bench.sh
echo
echo "== da sync against rsync (bench/sync_bench.sh)"
bench/sync_bench.sh
echo
echo "== Jira webhooks: 1,000 events/s for 5 s, then until the catalog shows them (bench/jira_bench.mjs)"
DA_BIN="$PWD/$BUILD/da" node bench/jira_bench.mjs 1000 5 2000 2>/dev/null
echo "== Keboola export against DuckDB on local files (bench/keboola_bench.mjs)"
node bench/keboola_bench.mjs
