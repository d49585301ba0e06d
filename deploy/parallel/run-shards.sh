#!/bin/sh
# Four shards of one profile over a handful of hosts with GNU parallel:
#   deploy/parallel/run-shards.sh hosts.txt
# hosts.txt lists one ssh login a line ("host1", or "2/host2" for two jobs
# there). Each job runs `hookcast run --shard auto` on its host; parallel
# numbers the jobs in PARALLEL_SEQ (1 to 4) and passes HOOKCAST_SHARDS and
# the secrets named with --env.
#
# Assumes: hookcast on PATH on every host; the profile and its segment at
# the same path on every host; a state folder per host (the default), so
# that a shard rerun later must run on the host that ran it before, or
# with --full. -N0: each job takes one of 1 2 3 4 but passes no argument.
set -eu
hosts=${1:?usage: run-shards.sh HOSTS-FILE}
export HOOKCAST_SHARDS=4
parallel --will-cite --sshloginfile "$hosts" --env HOOKCAST_SHARDS \
    --env WEBHOOK_TOKEN -N0 --halt never --tag \
    hookcast run -p /etc/hookcast/contacts.ini --shard auto -q --json \
    ::: 1 2 3 4
