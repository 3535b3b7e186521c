#!/bin/sh
# query_bench.sh — governed queries against references measured in the same run:
#   - POST /api/query latency (p50, p99) of a point lookup, an aggregation over 1M rows and a
#     10k-row result vs the same queries on the same Parquet file in-process through the
#     DuckDB C API (bench/query_bench.c, which also times the SQL guard and the encoding);
#   - requests per second of a tiny authenticated query (POST /api/query "SELECT 1") vs nginx
#     serving that query's answer as a static JSON file, under the same wrk load;
#   - the server's resident memory idle, after the latency runs and under the wrk load.
# Needs nginx and wrk (bench/run.sh installs them), unless LATENCY_ONLY=1 (the latency figures
# and the idle memory only, e.g. to compare two builds). Never part of the tests.
set -eu
ROWS=${ROWS:-1000000}
RUNS=${RUNS:-200}
work=$(mktemp -d /tmp/da-bench-query-XXXXXX)
. bench/lib.sh
trap bench_cleanup EXIT INT TERM

"$BUILD/bench/query_bench" prepare "$work/data" "$ROWS"
# wrk runs all its connections as one user: lift the per-user cap of running queries (8 by
# default) above them, or the figure would count 429s.
export DA_QUERY_MAX_CONCURRENT=$((CONNECTIONS * 2))
echo "starting da serve in $work (DA_QUERY_MAX_CONCURRENT=$DA_QUERY_MAX_CONCURRENT)"
da_start --data-dir "$work/data"
da_wait_log "profiled t "
da_wait_log "file digests ready"
idle_kb=$(rss_kb "$da_pid")
start_peak=$(peak_kb "$da_pid")

echo
DA_BENCH_TOKEN=$token "$BUILD/bench/query_bench" run "$work/data" "$da_base" "$RUNS"
after_kb=$(rss_kb "$da_pid")
if [ "${LATENCY_ONLY:-0}" = 1 ]; then
    # the latency figures alone (no nginx or wrk): enough to compare two builds of da
    printf "server RSS     idle %s MiB, after the latency runs %s MiB\n" \
        "$((idle_kb / 1024))" "$((after_kb / 1024))"
    exit 0
fi

# nginx serves the tiny query's own answer
mkdir -p "$work/www"
tiny='{"sql": "SELECT 1 AS one"}'
curl -s -H "Authorization: Bearer $token" -H "Content-Type: application/json" -d "$tiny" \
    "$da_base/api/query" > "$work/www/tiny.json"
grep -q '"row_count":1,' "$work/www/tiny.json" ||
    { cat "$work/www/tiny.json" >&2; echo "the tiny query failed" >&2; exit 1; }
chmod 644 "$work/www/tiny.json"
nginx_start "$work/www"
cat > "$work/tiny.lua" <<LUA
wrk.method = "POST"
wrk.body = '$tiny'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token"
LUA

echo
echo "tiny query: wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s"
load_pid=$da_pid
cpu0=$(cpu_ms "$da_pid")
out=$(wrk_run -s "$work/tiny.lua" "$da_base/api/query")
cpu1=$(cpu_ms "$da_pid")
set -- $out
da_tiny=$1
cpu_per_query=$(awk -v ms="$((cpu1 - cpu0))" -v n="$3" 'BEGIN { printf "%.2f", ms / n }')
load_kb=$(cat "$work/load_kb")
load_pid=""
out=$(wrk_run "$nginx_base/tiny.json")
set -- $out
ng_tiny=$1
peak=$(peak_kb "$da_pid")

printf "tiny query     da %6s req/s (POST /api/query, authenticated)   nginx %6s req/s   = %s x nginx\n" \
    "$da_tiny" "$ng_tiny" "$(ratio "$da_tiny" "$ng_tiny")"
printf "               da used %s ms of CPU per tiny query (user + system, all its threads)\n" \
    "$cpu_per_query"
printf "server RSS     idle %s MiB (peak while starting %s MiB: the profile of t), after the latency runs %s MiB,\n" \
    "$((idle_kb / 1024))" "$((start_peak / 1024))" "$((after_kb / 1024))"
printf "               under the tiny-query load %s MiB; peak of the whole run %s MiB\n" \
    "$((load_kb / 1024))" "$((peak / 1024))"
