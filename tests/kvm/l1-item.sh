#!/bin/bash
# Runs one item of the KVM runner inside L1's chroot of the host: the environment the host runner
# saved, the repository as working directory, every output line sent to the verdict port as
# "O <index> <line>".  Exit status: the item's.
#   l1-item.sh RUN_DIR REPO INDEX PORT
set -u
dir=$1 repo=$2 idx=$3 port=$4
# shellcheck disable=SC1091
. "$dir/env"
cmd=$(awk -F'\t' -v i="$idx" '$1 == i { sub(/^[^\t]*\t[^\t]*\t/, ""); print; exit }' "$dir/items")
cd "$repo" || exit 1
set -o pipefail
bash -c "$cmd" 2>&1 </dev/null | sed -u "s/^/O $idx /" >"$port"
