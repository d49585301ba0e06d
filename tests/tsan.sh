#!/bin/bash
# make tsan: the threads under ThreadSanitizer. Every unit test, then the
# integration suites that run the state writer's thread (sync), deliver
# on several threads (delivery; abort and signals in faults/test_process)
# and batch (payload), against a -fsanitize=thread build. A
# data race stops the process (halt_on_error) with exit 66, which fails
# the suite. Prints TAP lines.
set -u
cd "$(dirname "$0")/.." || exit 2
build=${1:-build/tsan}
export TSAN_OPTIONS="halt_on_error=1 exitcode=66 second_deadlock_stack=1"
export HOOKCAST="$PWD/$build/hookcast"
n=0
fail=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    n=$((n + 1))
    if timeout -k 10 300 "$t" >"$log" 2>&1; then
        echo "ok $n - tsan $(basename "$t")"
    else
        fail=1
        echo "not ok $n - tsan $(basename "$t")"
        tail -n 40 "$log" | sed 's/^/# /'
    fi
done
for s in tests/integration/test_sync.py tests/integration/test_delivery.py \
         tests/faults/test_process.py \
         tests/integration/test_payload.py; do
    n=$((n + 1))
    if timeout -k 10 900 python3 "$s" >"$log" 2>&1; then
        echo "ok $n - tsan $s ($(grep -c '^ok ' "$log") checks)"
    else
        fail=1
        echo "not ok $n - tsan $s"
        grep -v '^ok ' "$log" | tail -n 40 | sed 's/^/# /'
    fi
done
exit "$fail"
