#!/bin/sh
# make bench: install what the benchmark needs, then run it.
#   bench/run.sh [--smoke]
set -e
cd "$(dirname "$0")/.."
HOOKCAST_EXTRA_NEEDS="/usr/sbin/nginx:nginx-light wrk:wrk curl:curl hyperfine:hyperfine h2load:nghttp2-client openssl:openssl /usr/bin/time:time tmux:tmux python3:python3" \
    scripts/deps.sh
exec python3 bench/bench.py "$@"
