#!/bin/sh
# serve_bench.sh — da's serving side against nginx, on the same machine in the same run:
#   - download throughput of one Parquet file: GET /api/data/{table}/download (authenticated,
#     audited, sendfile) vs nginx serving a copy of the same file (sendfile on);
#   - requests per second of a tiny authenticated request (GET /api/me) vs nginx serving a
#     static JSON file, under the same wrk load;
#   - the server's resident memory idle and under load.
# Needs nginx and wrk (bench/run.sh installs them). Prints ratios; never part of the tests.
set -eu
work=$(mktemp -d /tmp/da-bench-serve-XXXXXX)
. bench/lib.sh
trap bench_cleanup EXIT INT TERM

echo "starting da serve --demo --demo-scale 20 in $work"
da_start --demo --demo-scale 20 --data-dir "$work/data"
da_wait_log "file digests ready"
da_wait_quiet # the profiler too
idle_kb=$(rss_kb "$da_pid")

# nginx serving copies of the same bytes
mkdir -p "$work/www"
file=$(ls "$work"/data/extracts/demo/data/run-*/web_sessions.parquet)
cp "$file" "$work/www/table.parquet"
chmod 644 "$work/www/table.parquet"
curl -s -H "Authorization: Bearer $token" "$da_base/api/me" > "$work/www/me.json"
nginx_start "$work/www"

size=$(stat -c %s "$file")
echo "file: web_sessions.parquet, $size bytes; wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s"

load_pid=$da_pid
out=$(wrk_run -H "Authorization: Bearer $token" "$da_base/api/data/web_sessions/download")
set -- $out
da_dl_rps=$1 da_dl_mbs=$2
load_kb=$(cat "$work/load_kb")
load_pid=""
out=$(wrk_run "$nginx_base/table.parquet")
set -- $out
ng_dl_mbs=$2
out=$(wrk_run -H "Authorization: Bearer $token" "$da_base/api/me")
set -- $out
da_tiny=$1
out=$(wrk_run "$nginx_base/me.json")
set -- $out
ng_tiny=$1

echo
printf "download throughput  da %8s MB/s (%s req/s)   nginx %8s MB/s   = %s x nginx\n" \
    "$da_dl_mbs" "$da_dl_rps" "$ng_dl_mbs" "$(ratio "$da_dl_mbs" "$ng_dl_mbs")"
printf "tiny request         da %8s req/s (GET /api/me, authenticated)   nginx %8s req/s   = %s x nginx\n" \
    "$da_tiny" "$ng_tiny" "$(ratio "$da_tiny" "$ng_tiny")"
printf "server RSS           idle %s MiB, halfway through the download load %s MiB\n" \
    "$((idle_kb / 1024))" "$((load_kb / 1024))"
