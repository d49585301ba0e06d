#!/bin/bash
# make valgrind: every unit test, then a real run against hookcast sink,
# under valgrind --leak-check=full; ends with "N passed, M failed".
set -u
cd "$(dirname "$0")/.." || exit 2
build=${1:-build/release}
# Each command gets 300 s; a hang is killed and named.
# The release hookcast allocates with mimalloc: valgrind puts its own
# malloc in place of mimalloc's, as it does of libc's, so that it sees
# every block.
vg=(timeout -k 10 300 valgrind --leak-check=full --errors-for-leak-kinds=definite
    --soname-synonyms='somalloc=libmimalloc.so*' --error-exitcode=99 --quiet)
pass=0
fail=0
log=$(mktemp)
work=$(mktemp -d)
trap 'rm -rf "$log" "$work"; [ -n "${sink:-}" ] && kill "$sink" 2>/dev/null' EXIT
n=0
result() { # name status: a TAP line
    n=$((n + 1))
    if [ "$2" -eq 0 ]; then
        pass=$((pass + 1)); echo "ok $n - $1"
    else
        fail=$((fail + 1))
        if [ "$2" -eq 124 ] || [ "$2" -eq 137 ]; then
            echo "not ok $n - $1 (hung: killed after 300 s)"
        else
            echo "not ok $n - $1 (exit $2)"
        fi
        tail -n 40 "$log" | sed 's/^/# /'
    fi
}
for t in "$build"/tests/test_*; do
    [ -x "$t" ] || continue
    "${vg[@]}" "$t" >"$log" 2>&1
    result "valgrind $(basename "$t")" $?
done

"$build/hookcast" sink --listen 127.0.0.1:0 -q >"$work/sink.out" 2>&1 &
sink=$!
for _ in $(seq 50); do grep -q listening "$work/sink.out" && break; sleep 0.1; done
url=$(sed -n 's/.*listening on \(http[^ ]*\)/\1/p' "$work/sink.out" | sed 's|/$||')
cp examples/contacts.csv "$work/"
sed "s|https://example.com/webhook|$url/webhook|" examples/contacts.ini >"$work/p.ini"
export HOOKCAST_STATE_DIR="$work/state"
(cd "$work" && "${vg[@]}" "$OLDPWD/$build/hookcast" run -p p.ini -q --json) >"$log" 2>&1
result "valgrind hookcast run" $?
(cd "$work" && "${vg[@]}" "$OLDPWD/$build/hookcast" history show \
    "$(ls "$work/state/runs" | head -n 1)") >"$log" 2>&1
result "valgrind hookcast history show" $?
(cd "$work" && "${vg[@]}" "$OLDPWD/$build/hookcast" check -p p.ini) >"$log" 2>&1
result "valgrind hookcast check" $?
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
