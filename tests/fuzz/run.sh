#!/bin/bash
# Run libFuzzer harnesses (built by make fuzz-build) and print TAP.
#   tests/fuzz/run.sh SECONDS [NAME...]     (no NAME: every harness)
# Each harness first replays every seed in tests/fuzz/corpus/NAME (the
# regression inputs live there too), then fuzzes for SECONDS on a copy of
# them. A crash leaves its input in build/fuzz/NAME-crash-* and fails.
set -u
cd "$(dirname "$0")/../.." || exit 2
seconds=${1:?usage: tests/fuzz/run.sh SECONDS [NAME...]}
shift
if [ $# -eq 0 ]; then
    for f in tests/fuzz/fuzz_*.c; do
        f=${f#tests/fuzz/fuzz_}
        set -- "$@" "${f%.c}"
    done
fi
n=0
failed=0
for name in "$@"; do
    n=$((n + 1))
    bin=build/fuzz/fuzz_$name
    if [ ! -x "$bin" ]; then
        echo "not ok $n - fuzz $name: $bin is missing (make fuzz-build)"
        failed=1
        continue
    fi
    work=$(mktemp -d)
    log=$(mktemp)
    cp tests/fuzz/corpus/"$name"/* "$work"/ 2>/dev/null
    # -max_len keeps inputs in the range the parsers see line by line;
    # -rss_limit_mb catches a harness that stops being flat in memory.
    "$bin" -max_total_time="$seconds" -max_len=4096 -rss_limit_mb=1024 \
        -timeout=10 -artifact_prefix="build/fuzz/$name-" \
        -print_final_stats=1 "$work" >"$log" 2>&1
    st=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    if [ "$st" -eq 0 ]; then
        echo "ok $n - fuzz $name: ${seconds}s, ${runs:-?} inputs, no crash"
    else
        echo "not ok $n - fuzz $name: exit $st, input kept as build/fuzz/$name-*"
        grep -E 'ERROR|SUMMARY|Test unit written' "$log" | sed 's/^/#   /'
        failed=1
    fi
    rm -rf "$work" "$log"
done
echo "1..$n"
exit "$failed"
