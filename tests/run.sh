#!/usr/bin/env bash
# Runs the unit test binaries (one per module, each under a timeout) and the end-to-end suite
# (node:test against a real `da serve`), then prints one closing line: "N passed, N failed".
# Usage: tests/run.sh [all|unit|e2e]   (BUILD=build/san for the sanitizer build)
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
what=${1:-all}
passed=0
failed=0
failures=()

run_unit() {
    local t out rc p f
    for t in "$BUILD"/tests/test_*; do
        case "$t" in *.d) continue ;; esac
        [ -x "$t" ] || continue
        out=$(timeout 300 "$t" 2>&1)
        rc=$?
        printf '%s\n' "$out"
        p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
        f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
        passed=$((passed + ${p:-0}))
        failed=$((failed + ${f:-0}))
        if [ "$rc" -ne 0 ]; then
            failures+=("$(basename "$t") (exit $rc)")
            # a crash or time-out reports no FAILED count: count the binary itself
            [ -z "$f" ] && failed=$((failed + 1))
        fi
    done
}

run_e2e() {
    local tap rc p f
    tap=$(mktemp)
    DA_BIN="$PWD/$BUILD/da" timeout 900 node --test --test-concurrency=2 \
        --test-reporter=spec --test-reporter-destination=stdout \
        --test-reporter=tap --test-reporter-destination="$tap" tests/e2e/*.test.mjs
    rc=$?
    p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" | tail -n 1)
    f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" | tail -n 1)
    rm -f "$tap"
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    if [ "$rc" -ne 0 ]; then
        failures+=("e2e (exit $rc)")
        [ "${f:-0}" -eq 0 ] && failed=$((failed + 1))
    fi
}

case "$what" in
all) run_unit; run_e2e ;;
unit) run_unit ;;
e2e) run_e2e ;;
*) echo "usage: tests/run.sh [all|unit|e2e]" >&2; exit 2 ;;
esac

[ ${#failures[@]} -gt 0 ] && printf 'failed: %s\n' "${failures[@]}"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
