#!/bin/bash
# Run every test against one build folder and end with "N passed, M failed".
#   tests/run.sh build/asan
# Unit tests are cmocka binaries (read as TAP); CLI cases are in tests/cli.
set -u
cd "$(dirname "$0")/.." || exit 2
build=${1:-build/asan}
export HOOKCAST="$PWD/$build/hookcast"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:print_summary=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
pass=0
fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT

# Every suite runs under a time limit, so that a hang fails it with its
# command named instead of running into CI's limit. Tests inside the
# suites have their own, shorter limits (cases.sh, hc.py run_tests).
guard() { # seconds command...: run it; on a hang say so in the output
    local limit=$1 rc
    shift
    timeout -k 10 "$limit" "$@" >"$log" 2>&1
    rc=$?
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        echo "not ok - hung: killed after $limit s: $*" >>"$log"
    fi
    return "$rc"
}

# Read TAP lines from a suite's output, count them, show the failures.
tally() { # name rc output-file
    local name=$1 rc=$2 out=$3 p f
    p=$(grep -c '^ok ' "$out")
    f=$(grep -c '^not ok ' "$out")
    if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
        f=1 # crashed, or a sanitizer stopped it
    fi
    pass=$((pass + p))
    fail=$((fail + f))
    if [ "$f" -gt 0 ]; then
        echo "FAIL: $name ($f failed, exit $rc)"
        sed 's/^/  | /' "$out" | tail -n 60
    else
        echo "ok: $name ($p passed)"
    fi
}

for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    CMOCKA_MESSAGE_OUTPUT=TAP guard 300 "$t"
    tally "$(basename "$t")" $? "$log"
done

for s in tests/cli/*.sh; do
    [ -x "$s" ] || continue
    guard 600 "$s"
    tally "$(basename "$s")" $? "$log"
done

for s in tests/integration/test_*.py tests/faults/test_*.py; do
    if [ ! -x "$s" ]; then
        # a suite that would be skipped without a word is a failure
        echo "not ok - $s is not executable (chmod +x): not run" >"$log"
        tally "${s#tests/}" 1 "$log"
        continue
    fi
    guard 900 "$s"
    tally "${s#tests/}" $? "$log"
done

# The fuzzers, briefly: every seed replayed, then HOOKCAST_FUZZ_SECONDS each.
if [ -n "${HOOKCAST_FUZZ_SECONDS:-}" ]; then
    guard 900 tests/fuzz/run.sh "$HOOKCAST_FUZZ_SECONDS"
    tally "fuzz" $? "$log"
fi

# The same unit tests and a real run, without sanitizers, under valgrind.
if [ -x build/release/hookcast ] && command -v valgrind >/dev/null; then
    guard 600 tests/valgrind.sh build/release
    tally "valgrind.sh" $? "$log"
fi

# The threads under ThreadSanitizer (make tsan).
if [ -x build/tsan/hookcast ]; then
    guard 1200 tests/tsan.sh build/tsan
    tally "tsan.sh" $? "$log"
fi

# Static checks (make lint): cppcheck and clang-tidy must stay clean.
if timeout -k 10 600 make -s --no-print-directory lint >"$log" 2>&1; then
    echo "ok 1 - make lint" >"$log"
    tally "lint" 0 "$log"
else
    { echo "not ok 1 - make lint"; cat "$log"; } >"$log.2"
    mv "$log.2" "$log"
    tally "lint" 1 "$log"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
