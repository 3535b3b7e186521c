# bench/lib.sh — shell helpers shared by serve_bench.sh and query_bench.sh: starting da serve
# and signing in as its seeded admin, an nginx over a folder, a wrk run that refuses errors,
# memory readings and ratios. Sourced, never run. The caller sets $work (its temporary folder)
# and calls bench_cleanup from its EXIT trap.

BUILD=${BUILD:-build}
DA="$PWD/$BUILD/da"
SECONDS_PER_RUN=${SECONDS_PER_RUN:-8}
CONNECTIONS=${CONNECTIONS:-16}
WRK_TIMEOUT=${WRK_TIMEOUT:-10s}
BENCH_EMAIL=bench@example.com
BENCH_PASSWORD='bench password 123'
da_pid=""

bench_cleanup() {
    [ -n "$da_pid" ] && kill "$da_pid" 2>/dev/null && wait "$da_pid" 2>/dev/null || true
    [ -f "$work/nginx.pid" ] && kill "$(cat "$work/nginx.pid")" 2>/dev/null || true
    rm -rf "$work"
}

# Resident memory (VmRSS) and its peak so far (VmHWM) of a process, in KiB.
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$1/status"; }
peak_kb() { awk '/^VmHWM/ { print $2 }' "/proc/$1/status"; }
# CPU time (user + system) a process has used so far, in milliseconds.
cpu_ms() {
    awk -v hz="$(getconf CLK_TCK)" '{ printf "%d\n", ($14 + $15) * 1000 / hz }' "/proc/$1/stat"
}

# da_start ARGS...: starts `da serve --port 0 ARGS...` with the bench admin seeded and the
# environment the caller exported (DA_* settings), waits until it listens, signs in; sets
# da_pid, da_port, da_base and token. The log is $work/da.log.
da_start() {
    JWT_SECRET_KEY=bench-secret-0123456789abcdef0123456789 \
    SEED_ADMIN_EMAIL="$BENCH_EMAIL" SEED_ADMIN_PASSWORD="$BENCH_PASSWORD" \
        "$DA" serve --port 0 "$@" > "$work/da.log" 2>&1 &
    da_pid=$!
    da_port=""
    for _ in $(seq 1 600); do
        da_port=$(sed -n 's/.*listening on http:\/\/[^:]*:\([0-9]*\).*/\1/p' "$work/da.log" |
            head -n 1)
        [ -n "$da_port" ] && break
        kill -0 "$da_pid" 2>/dev/null || break
        sleep 0.1
    done
    [ -n "$da_port" ] || { cat "$work/da.log" >&2; echo "da serve did not start" >&2; exit 1; }
    da_base="http://127.0.0.1:$da_port"
    token=$(curl -s -H "Content-Type: application/json" -d "{\"email\": \"$BENCH_EMAIL\", \"password\": \"$BENCH_PASSWORD\"}" \
        "$da_base/auth/token" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
    [ -n "$token" ] || { echo "cannot sign in" >&2; exit 1; }
}

# da_wait_log PATTERN: waits (up to 120 s) until da's log has a line matching PATTERN, so that
# background work (profiles, file digests) is done before anything is timed.
da_wait_log() {
    for _ in $(seq 1 1200); do
        grep -q "$1" "$work/da.log" && return 0
        sleep 0.1
    done
    echo "da serve never logged '$1'" >&2
    exit 1
}

# da_wait_quiet: waits (up to 120 s) until da's log has not grown for 3 s: the start-up work
# of a data folder with many tables (profiles, file digests) is over.
da_wait_quiet() {
    last=-1 still=0
    for _ in $(seq 1 1200); do
        size=$(wc -c < "$work/da.log")
        if [ "$size" -eq "$last" ]; then still=$((still + 1)); else still=0; fi
        [ "$still" -ge 30 ] && return 0
        last=$size
        sleep 0.1
    done
}

# nginx_start ROOT: an nginx (2 workers, sendfile, no access log) serving the folder ROOT on
# the port after da's; sets nginx_base.
nginx_start() {
    chmod 755 "$work" "$1" # nginx workers run as an unprivileged user
    nport=$((da_port + 1))
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
    server { listen 127.0.0.1:$nport; root $1; }
}
EOF
    nginx -c "$work/nginx.conf" -p "$work"
    sleep 0.5
    nginx_base="http://127.0.0.1:$nport"
}

# wrk_run ARGS...: one wrk run of SECONDS_PER_RUN with CONNECTIONS connections; prints its
# "Requests/sec", "Transfer/sec" (in MB/s) and the number of requests. Fails when any answer
# was not a success or any socket error happened, since errors are fast and would flatter the
# figure; call it as `out=$(wrk_run ...)` so that set -e stops the bench then. The timeout is
# WRK_TIMEOUT (10 s), not wrk's 2 s, so that on a busy machine a slow answer is counted as
# slow instead of stopping the bench. With $load_pid set it also writes that process's
# resident memory halfway through the run to $work/load_kb.
wrk_run() {
    sampler=""
    if [ -n "${load_pid:-}" ]; then
        (sleep "$((SECONDS_PER_RUN / 2))"; rss_kb "$load_pid" > "$work/load_kb") \
            >/dev/null 2>&1 &
        sampler=$!
    fi
    wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_PER_RUN}s" --timeout "$WRK_TIMEOUT" "$@" \
        > "$work/wrk.out" 2>&1 || {
        cat "$work/wrk.out" >&2; return 1; }
    if [ -n "$sampler" ]; then wait "$sampler"; fi
    awk '
        /Non-2xx or 3xx responses|Socket errors/ { print "wrk: " $0 > "/dev/stderr"; bad = 1 }
        /requests in/ { reqs = $1 }
        /^Requests\/sec/ { rps = $2 }
        /^Transfer\/sec/ { v = $2; u = substr(v, length(v) - 1); n = v + 0;
                           if (u == "GB") n *= 1024; else if (u == "KB") n /= 1024;
                           else if (u != "MB") n /= 1048576; mbs = n }
        END { if (bad || rps == "") exit 1; printf "%.0f %.1f %d\n", rps, mbs, reqs }' "$work/wrk.out"
}

# ratio A B: A / B with two decimals.
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
