#!/bin/sh
# sync_bench.sh — `da sync` against rsync on the same files over loopback, in the same run:
#   - 200 Parquet files, about 1 GB in all (bench/sync_bench.c: 10 partitioned tables of 20
#     files of about 5 MB that barely compress), served by da serve;
#   - the first `da sync` into an empty folder, and a sync that finds nothing changed (the
#     median of 3), each timed end to end as the analyst runs it;
#   - `rsync -a` of the same files from an rsync daemon on 127.0.0.1 into an empty folder, and
#     again with nothing changed (the median of 3); rsync -a --fsync as well, since da fsyncs
#     every file before it uses it and rsync -a does not;
#   - for reference, the same 200 downloads with curl, 4 at a time, straight to files: plain
#     HTTP against the same server, with no hashing, fsync or local database.
# Needs rsync and curl (bench/run.sh installs rsync). Prints ratios; never part of the tests.
set -eu
TABLES=${TABLES:-10}
PARTS=${PARTS:-20}
ROWS=${ROWS:-125000}
work=$(mktemp -d /tmp/da-bench-sync-XXXXXX)
. bench/lib.sh
rsync_pid=""
cleanup() {
    [ -n "$rsync_pid" ] && kill "$rsync_pid" 2>/dev/null || true
    bench_cleanup
}
trap cleanup EXIT INT TERM

now_ms() { date +%s%3N; }
# flush: writes the dirty pages of the step before, so that their writeback does not slow the
# next timed step
flush() { sync; sleep 1; }
# median3 A B C
median3() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
secs() { awk -v ms="$1" 'BEGIN { printf "%.2f s", ms / 1000 }'; }

"$BUILD/bench/sync_bench" prepare "$work/data" "$TABLES" "$PARTS" "$ROWS"
src=$(ls -d "$work"/data/extracts/syncbench/data/run-*)
files=$(find "$src" -name '*.parquet' | wc -l)
bytes=$(find "$src" -name '*.parquet' -printf '%s\n' | awk '{ s += $1 } END { print s }')
echo "starting da serve in $work"
da_start --data-dir "$work/data"
da_wait_log "file digests ready"
da_wait_quiet # the profiler too

# the analyst's side: its own home, logged in with the bench admin's password
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/cfg" XDG_DATA_HOME="$work/home/share"
mkdir -p "$HOME"
printf '%s\n' "$BENCH_PASSWORD" |
    "$DA" login --server "$da_base" --email "$BENCH_EMAIL" --password-stdin > /dev/null

flush
t0=$(now_ms)
"$DA" sync --quiet --dir "$work/da-copy"
da_first=$(($(now_ms) - t0))
got=$(find "$work/da-copy/tables" -name '*.parquet' | wc -l)
[ "$got" -eq "$files" ] || { echo "da sync copied $got of $files files" >&2; exit 1; }
flush
set --
for _ in 1 2 3; do
    t0=$(now_ms)
    out=$("$DA" sync --json)
    set -- "$@" $(($(now_ms) - t0))
    echo "$out" | grep -q '"downloaded_files":0,"downloaded_bytes":0,' ||
        { echo "a no-change sync downloaded: $out" >&2; exit 1; }
done
da_again=$(median3 "$@")

# an rsync daemon on loopback serving the same files
rport=$((da_port + 2))
cat > "$work/rsyncd.conf" <<EOF
pid file = $work/rsyncd.pid
use chroot = no
uid = $(id -u)
gid = $(id -g)
[data]
    path = $src
    read only = yes
EOF
rsync --daemon --no-detach --config="$work/rsyncd.conf" --port="$rport" \
    --address=127.0.0.1 > "$work/rsyncd.log" 2>&1 &
rsync_pid=$!
for _ in $(seq 1 50); do
    rsync "rsync://127.0.0.1:$rport/" > /dev/null 2>&1 && break
    sleep 0.1
done
flush
t0=$(now_ms)
rsync -a "rsync://127.0.0.1:$rport/data/" "$work/rsync-copy/"
rs_first=$(($(now_ms) - t0))
got=$(find "$work/rsync-copy" -name '*.parquet' | wc -l)
[ "$got" -eq "$files" ] || { echo "rsync copied $got of $files files" >&2; exit 1; }
flush
set --
for _ in 1 2 3; do
    t0=$(now_ms)
    rsync -a "rsync://127.0.0.1:$rport/data/" "$work/rsync-copy/"
    set -- "$@" $(($(now_ms) - t0))
done
rs_again=$(median3 "$@")
flush
t0=$(now_ms)
rsync -a --fsync "rsync://127.0.0.1:$rport/data/" "$work/rsync-fsync/"
rs_fsync=$(($(now_ms) - t0))

# plain HTTP: the same downloads with curl, 4 at a time, no checks
curl -s -H "Authorization: Bearer $token" "$da_base/api/sync/manifest" |
    grep -o '"url": *"[^"]*"' | sed 's/.*"\(\/[^"]*\)"$/\1/' > "$work/urls"
mkdir -p "$work/curl-copy"
flush
t0=$(now_ms)
tr '/' '_' < "$work/urls" | paste -d ' ' "$work/urls" - |
    xargs -P 4 -n 2 sh -c 'curl -sf -o "$0/curl-copy/$4" -H "Authorization: Bearer $1" "$2$3"' \
        "$work" "$token" "$da_base" 2>/dev/null || true
curl_ms=$(($(now_ms) - t0))
got=$(ls "$work/curl-copy" | wc -l)
[ "$got" -eq "$files" ] || { echo "curl copied $got of $files files" >&2; exit 1; }

echo
echo "$files files, $((bytes / 1048576)) MB; da sync --jobs 4 (the default) vs rsync daemon, loopback"
printf "first sync        da %10s   rsync -a %10s   = %s x rsync   (rsync -a --fsync %s = %s x)\n" \
    "$(secs "$da_first")" "$(secs "$rs_first")" "$(ratio "$da_first" "$rs_first")" \
    "$(secs "$rs_fsync")" "$(ratio "$da_first" "$rs_fsync")"
printf "nothing changed   da %10s   rsync -a %10s   = %s x rsync   (median of 3)\n" \
    "$(secs "$da_again")" "$(secs "$rs_again")" "$(ratio "$da_again" "$rs_again")"
printf "plain HTTP        curl, 4 at a time, the same downloads: %s (da sync = %s x that)\n" \
    "$(secs "$curl_ms")" "$(ratio "$da_first" "$curl_ms")"
