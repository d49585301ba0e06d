#!/bin/bash
# make demo: the main job, end to end, on this machine only. It starts two
# built-in receivers (hookcast sink) on free loopback ports and writes two
# profiles where the wizard offers them:
#   contacts.ini   the example: 6 rows to a receiver that accepts them all;
#   big-demo.ini   3,000 generated rows to a receiver that answers in
#                  about 30 ms, fails the first attempt of every 40th row
#                  (503: retried) and rejects every 250th (422: failed), so
#                  that the live progress pane, the retry messages, p,
#                  +/-, r and a History with failures show in a minute.
# On a terminal it opens the wizard on the list of both; the receivers stop
# when it exits. Without a terminal it checks, previews and runs both
# headless and shows the running history. Nothing leaves 127.0.0.1.
set -eu
hc=$(realpath "${1:-./hookcast}")
cd "$(dirname "$0")"
work=$(mktemp -d "${TMPDIR:-/tmp}/hookcast-demo.XXXXXX")
sink_pids=
cleanup() {
    for p in $sink_pids; do
        kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
    done
    rm -rf "$work"
}
trap cleanup EXIT
export HOOKCAST_STATE_DIR="$work/state"

# start_sink NAME [OPTIONS...]: a receiver on a free port; its URL in $url
start_sink() {
    name=$1
    shift
    "$hc" sink --listen 127.0.0.1:0 --log "$work/$name.log" "$@" \
        >"$work/$name.out" 2>&1 &
    sink_pids="$sink_pids $!"
    url=
    for _ in $(seq 50); do
        grep -q 'listening on' "$work/$name.out" 2>/dev/null && break
        sleep 0.1
    done
    url=$(sed -n 's/.*listening on \(http[^ ]*\)/\1/p' "$work/$name.out" | sed 's|/$||')
    [ -n "$url" ] || { echo "demo: the sink did not start" >&2; cat "$work/$name.out" >&2; exit 1; }
}

start_sink sink
small_url=$url
start_sink big-sink --delay-ms 30 --fail-every 40 --fail-status 503 --reject-every 250 -q
big_url=$url

profiles="$work/cfg/hookcast/profiles"
mkdir -p "$profiles"
cp contacts.csv "$work/"
awk 'BEGIN {
    print "contacts.id,contacts.email,contacts.first_name,contacts.country,contacts.plan"
    split("FR BR US JP DE IN", cc, " "); split("free pro team", pl, " ")
    for (i = 1; i <= 3000; i++)
        printf "%d,user%d+demo@example.org,Name%d,%s,%s\n", 1000 + i, i, i, cc[i % 6 + 1], pl[i % 3 + 1]
}' >"$work/big-demo.csv"
sed -e "s|https://example.com/webhook|$small_url/webhook|" \
    -e "s|\"contacts.csv\"|\"$work/contacts.csv\"|" contacts.ini >"$profiles/contacts.ini"
sed -e "s|https://example.com/webhook|$big_url/webhook|" \
    -e "s|\"contacts.csv\"|\"$work/big-demo.csv\"|" \
    -e "s|^max_attempts = 5|max_attempts = 3|" contacts.ini >"$profiles/big-demo.ini"
chmod 600 "$profiles"/*.ini
cp "$profiles/contacts.ini" "$profiles/big-demo.ini" "$work/"
export XDG_CONFIG_HOME="$work/cfg"
cd "$work"

if [ -t 0 ] && [ -t 1 ] && [ "${TERM:-dumb}" != dumb ] && [ -z "${HOOKCAST_DEMO_HEADLESS:-}" ]; then
    echo "hookcast sink is listening on $small_url and $big_url"
    "$hc" tui
    exit $?
fi

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
step "hookcast check -p contacts.ini"
"$hc" check -p contacts.ini
step "hookcast preview -p contacts.ini --all   (no network)"
"$hc" preview -p contacts.ini --all
step "hookcast run -p contacts.ini   (to the built-in receiver at $small_url)"
"$hc" run -p contacts.ini
step "what hookcast sink received"
sed 's/^/  /' sink.out | grep -v 'listening on' || true
step "hookcast run -p big-demo.ini   (3,000 rows; the receiver at $big_url fails some)"
"$hc" run -p big-demo.ini || true
step "hookcast history"
"$hc" history
run=$("$hc" history --json | head -n 1 | sed 's/.*"run_id":"\([^"]*\)".*/\1/')
step "hookcast history show $run --failed   (the big demo's rows that failed for good)"
"$hc" history show "$run" --failed
