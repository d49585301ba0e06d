#!/bin/bash
# make demo: the main job, end to end, on this machine only. It starts the
# built-in receiver (hookcast sink) on a free loopback port and points the
# example profile at it. On a terminal it opens the wizard on that profile
# (activate it in step 4, watch step 5, browse step 6); the sink stops when
# the wizard exits. Without a terminal it checks, previews and runs the
# activation headless and shows the running history. Nothing leaves
# 127.0.0.1.
set -eu
hc=$(realpath "${1:-./hookcast}")
cd "$(dirname "$0")"
work=$(mktemp -d "${TMPDIR:-/tmp}/hookcast-demo.XXXXXX")
sink_pid=
cleanup() {
    [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
export HOOKCAST_STATE_DIR="$work/state"

"$hc" sink --listen 127.0.0.1:0 --log "$work/sink.log" >"$work/sink.out" 2>&1 &
sink_pid=$!
for _ in $(seq 50); do
    grep -q 'listening on' "$work/sink.out" 2>/dev/null && break
    sleep 0.1
done
url=$(sed -n 's/.*listening on \(http[^ ]*\)/\1/p' "$work/sink.out" | sed 's|/$||')
[ -n "$url" ] || { echo "demo: the sink did not start" >&2; cat "$work/sink.out" >&2; exit 1; }

cp contacts.csv "$work/"
sed "s|https://example.com/webhook|$url/webhook|" contacts.ini >"$work/contacts.ini"
chmod 600 "$work/contacts.ini"
cd "$work"

if [ -t 0 ] && [ -t 1 ] && [ "${TERM:-dumb}" != dumb ] && [ -z "${HOOKCAST_DEMO_HEADLESS:-}" ]; then
    echo "hookcast sink is listening on $url (its log: $work/sink.log)"
    "$hc" tui -p contacts.ini
    exit $?
fi

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
step "hookcast check -p contacts.ini"
"$hc" check -p contacts.ini
step "hookcast preview -p contacts.ini --all   (no network)"
"$hc" preview -p contacts.ini --all
step "hookcast run -p contacts.ini   (to the built-in receiver at $url)"
"$hc" run -p contacts.ini
step "what hookcast sink received"
sed 's/^/  /' sink.out | grep -v 'listening on' || true
step "hookcast history"
"$hc" history
run=$("$hc" history --json | head -n 1 | sed 's/.*"run_id":"\([^"]*\)".*/\1/')
step "hookcast history show $run"
"$hc" history show "$run"
