#!/bin/sh
# serve_bench.sh — da's serving side against nginx, on the same machine in the same run:
#   - download throughput of one Parquet file: GET /api/data/{table}/download (authenticated,
#     audited, sendfile) vs nginx serving a copy of the same file (sendfile on);
#   - requests per second of a tiny authenticated request (GET /api/me) vs nginx serving a
#     static JSON file, under the same wrk load;
#   - the server's resident memory idle and under load.
# Needs nginx and wrk (bench/run.sh installs them). Prints ratios; never part of the tests.
set -eu

BUILD=${BUILD:-build}
DA="$PWD/$BUILD/da"
SECONDS_PER_RUN=${SECONDS_PER_RUN:-8}
CONNECTIONS=${CONNECTIONS:-16}
work=$(mktemp -d /tmp/da-bench-serve-XXXXXX)
da_pid=""

cleanup() {
    [ -n "$da_pid" ] && kill "$da_pid" 2>/dev/null && wait "$da_pid" 2>/dev/null || true
    [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT INT TERM

rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }

# wrk's "Requests/sec" and "Transfer/sec" (in MB/s) of one run; stops the bench when any
# answer was not a success, since errors are fast and would flatter the figure.
wrk_run() {
    wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" "$@" 2>&1 | awk '
        /Non-2xx or 3xx responses/ { print "wrk: " $0 > "/dev/stderr"; exit 1 }
        /^Requests\/sec/ { rps = $2 }
        /^Transfer\/sec/ { v = $2; u = substr(v, length(v) - 1); n = v + 0;
                           if (u == "GB") n *= 1024; else if (u == "KB") n /= 1024;
                           else if (u != "MB") n /= 1048576; mbs = n }
        END { printf "%.0f %.1f\n", rps, mbs }'
}

echo "starting da serve --demo --demo-scale 20 in $work"
JWT_SECRET_KEY=bench-secret-0123456789abcdef0123456789 \
SEED_ADMIN_EMAIL=bench@example.com SEED_ADMIN_PASSWORD='bench password 123' \
    "$DA" serve --demo --demo-scale 20 --port 0 --data-dir "$work/data" > "$work/da.log" 2>&1 &
da_pid=$!
port=""
for _ in $(seq 1 600); do
    port=$(sed -n 's/.*listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$work/da.log" | head -n 1)
    [ -n "$port" ] && break
    kill -0 "$da_pid" 2>/dev/null || break
    sleep 0.1
done
[ -n "$port" ] || { cat "$work/da.log" >&2; echo "da serve did not start" >&2; exit 1; }
base="http://127.0.0.1:$port"
token=$(curl -s -d '{"email": "bench@example.com", "password": "bench password 123"}' \
    "$base/auth/token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
[ -n "$token" ] || { echo "cannot sign in" >&2; exit 1; }
sleep 2 # let the profiler and the digests settle
idle_kb=$(rss_kb "$da_pid")

# nginx serving copies of the same bytes
mkdir -p "$work/www"
chmod 755 "$work" "$work/www" # nginx workers run as an unprivileged user
file=$(ls "$work"/data/extracts/demo/data/run-*/web_sessions.parquet)
cp "$file" "$work/www/table.parquet"
chmod 644 "$work/www/table.parquet"
curl -s -H "Authorization: Bearer $token" "$base/api/me" > "$work/www/me.json"
nport=$((port + 1))
cat > "$work/nginx.conf" <<EOF
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 1024; }
http {
    access_log off;
    sendfile on;
    tcp_nopush on;
    types { application/json json; application/octet-stream parquet; }
    server { listen 127.0.0.1:$nport; root $work/www; }
}
EOF
nginx -c "$work/nginx.conf" -p "$work"
sleep 0.5

size=$(stat -c %s "$file")
echo "file: web_sessions.parquet, $size bytes; wrk -t2 -c$CONNECTIONS -d${SECONDS_PER_RUN}s"

set -- $(wrk_run -H "Authorization: Bearer $token" "$base/api/data/web_sessions/download") || exit 1
da_dl_rps=$1 da_dl_mbs=$2
load_kb=$(rss_kb "$da_pid")
set -- $(wrk_run "http://127.0.0.1:$nport/table.parquet")
ng_dl_rps=$1 ng_dl_mbs=$2
set -- $(wrk_run -H "Authorization: Bearer $token" "$base/api/me")
da_tiny=$1
set -- $(wrk_run "http://127.0.0.1:$nport/me.json")
ng_tiny=$1

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
echo
printf "download throughput  da %8s MB/s (%s req/s)   nginx %8s MB/s   = %s x nginx\n" \
    "$da_dl_mbs" "$da_dl_rps" "$ng_dl_mbs" "$(ratio "$da_dl_mbs" "$ng_dl_mbs")"
printf "tiny request         da %8s req/s (GET /api/me, authenticated)   nginx %8s req/s   = %s x nginx\n" \
    "$da_tiny" "$ng_tiny" "$(ratio "$da_tiny" "$ng_tiny")"
printf "server RSS           idle %s MiB, under download load %s MiB\n" \
    "$((idle_kb / 1024))" "$((load_kb / 1024))"
