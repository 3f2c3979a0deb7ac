#!/bin/bash
# Runs one layer of the test suite and records how long it took:
#   layer.sh LOG NAME COMMAND...
# Appends "NAME passed|FAILED N s" to LOG and exits with the command's status.  `layer.sh LOG
# --summary` prints the table of the layers recorded so far.
set -u
log=$1 name=$2
shift 2
if [ "$name" = --summary ]; then
	echo "== test layers:"
	sed 's/^/   /' "$log"
	exit 0
fi
start=$(date +%s)
echo "== layer $name"
"$@"
status=$?
took=$(($(date +%s) - start))
verdict=passed
[ "$status" -eq 0 ] || verdict=FAILED
printf '%-12s %-7s %5d s\n' "$name" "$verdict" "$took" >>"$log"
echo "== layer $name: $verdict in $took s"
exit "$status"
