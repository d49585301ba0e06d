#!/bin/bash
# make demo: validate the example profile and preview every request it
# would send. Nothing leaves this machine.
set -eu
hc=${1:-./hookcast}
cd "$(dirname "$0")/.."
echo "== hookcast check -p examples/contacts.ini"
"$hc" check -p examples/contacts.ini
echo
echo "== hookcast preview -p examples/contacts.ini --all"
"$hc" preview -p examples/contacts.ini --all
