#!/usr/bin/env bash
# Runs the unit test binaries (one per module, each under a timeout) and the end-to-end suite
# (node:test against a real `da serve`), then prints one closing line:
# "N passed, N failed, N skipped". A skipped test fails the run: a test that silently does not
# run (a missing tool, a missing binary) looks like a pass. DA_ALLOW_SKIPS=1 lets skips pass,
# with a loud warning, for a machine that cannot have every tool.
# Usage: tests/run.sh [all|unit|e2e]   (BUILD=build/san for the sanitizer build; UNIT_TIMEOUT
# seconds per unit binary, 300 by default; UNIT_SKIP names unit binaries a build leaves out on
# purpose, e.g. make tsan's, which are then reported as not run instead of failing as unbuilt)
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
what=${1:-all}
passed=0
failed=0
skipped=0
failures=()
skips=()

run_unit() {
    local src t out rc p f s
    # one binary per source file: a stale binary of a renamed or deleted test is never run,
    # and a test whose binary is missing fails instead of passing by absence
    for src in tests/unit/test_*.c; do
        t="$BUILD/tests/$(basename "$src" .c)"
        case " ${UNIT_SKIP:-} " in
        *" $(basename "$t") "*)
            echo "not run in this build: $(basename "$t") (left out by the Makefile: UNIT_SKIP)"
            continue
            ;;
        esac
        if [ ! -x "$t" ]; then
            failures+=("$(basename "$t") (not built)")
            failed=$((failed + 1))
            continue
        fi
        out=$(timeout "${UNIT_TIMEOUT:-300}" "$t" 2>&1)
        rc=$?
        printf '%s\n' "$out"
        p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
        f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -n 1)
        s=$(printf '%s\n' "$out" | sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' | tail -n 1)
        passed=$((passed + ${p:-0}))
        failed=$((failed + ${f:-0}))
        skipped=$((skipped + ${s:-0}))
        [ -n "$s" ] && skips+=("$(basename "$t"): $s")
        if [ "$rc" -ne 0 ]; then
            failures+=("$(basename "$t") (exit $rc)")
            # a crash or time-out reports no FAILED count: count the binary itself
            [ -z "$f" ] && failed=$((failed + 1))
        fi
    done
}

run_e2e() {
    local tap rc p f s d
    tap=$(mktemp)
    DA_BIN="$PWD/$BUILD/da" timeout 900 node --test --test-concurrency=2 \
        --test-reporter=spec --test-reporter-destination=stdout \
        --test-reporter=tap --test-reporter-destination="$tap" tests/e2e/*.test.mjs
    rc=$?
    p=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tap" | tail -n 1)
    f=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tap" | tail -n 1)
    s=$(sed -n 's/^# skipped \([0-9]*\)$/\1/p' "$tap" | tail -n 1)
    d=$(sed -n 's/^# todo \([0-9]*\)$/\1/p' "$tap" | tail -n 1)
    # the names of what was skipped: "ok N - name # SKIP reason" at any depth
    grep -E '^ *ok [0-9]+ - .* # (SKIP|TODO)' "$tap" | sed 's/^ *ok [0-9]* - /e2e: /' >"$tap.skips"
    while IFS= read -r line; do skips+=("$line"); done <"$tap.skips"
    rm -f "$tap" "$tap.skips"
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0}))
    skipped=$((skipped + ${s:-0} + ${d:-0}))
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
[ ${#skips[@]} -gt 0 ] && printf 'skipped: %s\n' "${skips[@]}"
echo "$passed passed, $failed failed, $skipped skipped"
if [ "$skipped" -gt 0 ]; then
    if [ "${DA_ALLOW_SKIPS:-0}" = 1 ]; then
        echo "*** WARNING: $skipped test(s) did not run; DA_ALLOW_SKIPS=1 lets that pass ***"
    else
        echo "*** $skipped test(s) did not run: install what they need (scripts/install-deps.sh)" \
            "or set DA_ALLOW_SKIPS=1 ***"
        exit 1
    fi
fi
[ "$failed" -eq 0 ]
