#!/bin/bash
# Run each tests/cli/cases/*.case and compare the exact stdout, stderr and
# exit status. A case file is:
#   # what it shows (comment lines)
#   cmd: hookcast preview -p example.ini      (a bash line, run in tests/data)
#   status: 0
#   --- stdout
#   expected lines...
#   --- stderr
#   expected lines...
# A missing section expects no output there. Prints TAP lines.
# Each case gets HC_CASE_TIMEOUT seconds (30); a case that takes longer is
# killed and fails as hung, with its command named.
set -u
limit=${HC_CASE_TIMEOUT:-30}
here=$(cd "$(dirname "$0")" && pwd)
data="$here/../data"
: "${HOOKCAST:?set HOOKCAST to the binary under test}"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

n=0
failed=0
for case in "$here"/cases/*.case; do
    n=$((n + 1))
    name=$(basename "$case" .case)
    cmd=$(sed -n 's/^cmd: //p' "$case")
    want_status=$(sed -n 's/^status: //p' "$case")
    awk '/^--- stdout$/{s=1;next} /^--- /{s=0} s' "$case" >"$work/want.out"
    awk '/^--- stderr$/{s=1;next} /^--- /{s=0} s' "$case" >"$work/want.err"
    (
        cd "$data" || exit 99
        export TMPDIR="$work"
        hookcast() { "$HOOKCAST" "$@"; }
        export -f hookcast
        export cmd
        timeout -k 5 "$limit" bash -c 'eval "$cmd"'
    ) >"$work/got.out" 2>"$work/got.err"
    status=$?
    ok=1
    if [ "$status" = 124 ] || [ "$status" = 137 ]; then
        echo "# $name: hung: killed after $limit s: $cmd"
        ok=0
    elif [ "$status" != "$want_status" ]; then
        echo "# $name: exit status $status, expected $want_status"
        ok=0
    fi
    for s in out err; do
        if ! cmp -s "$work/want.$s" "$work/got.$s"; then
            echo "# $name: std$s differs (- expected, + got):"
            diff -u "$work/want.$s" "$work/got.$s" | tail -n +3 | sed 's/^/#   /'
            ok=0
        fi
    done
    if [ $ok = 1 ]; then
        echo "ok $n - $name"
    else
        echo "not ok $n - $name"
        failed=$((failed + 1))
    fi
done
echo "1..$n"
[ $failed -eq 0 ]
