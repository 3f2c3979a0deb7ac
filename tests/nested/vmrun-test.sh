#!/bin/bash
# Checks vmrun (the L1 runner's VMM launcher) on the build host: exit status pass-through,
# deadline enforcement (a hung VMM is killed, not waited for), marker detection across writes,
# and the console copy.
#   usage: vmrun-test.sh VMRUN
set -uo pipefail

VMRUN=$(realpath "${1:?usage: vmrun-test.sh VMRUN}")
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0

# check NAME CONDITION: CONDITION is evaluated with vmrun's output variables set.
check()
{
	if eval "$2"; then
		echo "ok   vmrun: $1"
	else
		echo "FAIL vmrun: $1 ($2; got: $result)"
		failures=$((failures + 1))
	fi
}

run()
{
	result=$("$VMRUN" "$@")
	eval "$result"
}

run -t 5 -o "$WORK/log" -m MARK -- sh -c 'echo hello; exit 3'
check "exit status passes through" '[ "$exit" = 3 ] && [ "$timeout" = 0 ]'
check "absent marker is -1" '[ "$marker_ms" = -1 ]'
check "console copied to the log" '[ "$(cat "$WORK/log")" = hello ]'

run -t 1 -o "$WORK/log" -m MARK -- sh -c 'echo MARK; exec sleep 30'
check "hung VMM is killed at the deadline" '[ "$timeout" = 1 ] && [ "$exit" = 137 ]'
check "deadline is kept" '[ "$total_ms" -lt 3000 ]'
check "marker seen before the hang" '[ "$marker_ms" -ge 0 ] && [ "$marker_ms" -lt 1000 ]'

run -t 1 -o "$WORK/log" -- sh -c 'exec >/dev/null 2>&1; exec sleep 30'
check "VMM that closed its console still gets the deadline" '[ "$timeout" = 1 ]'

run -t 5 -o "$WORK/log" -m MARKER -- sh -c 'printf xxMAR; sleep 0.3; printf KERyy'
check "marker split across writes" '[ "$marker_ms" -ge 250 ] && [ "$exit" = 0 ]'

run -t 5 -o "$WORK/log" -m MARK -- sh -c 'echo to-stderr >&2'
check "stderr is part of the console" 'grep -q to-stderr "$WORK/log"'

echoed=$("$VMRUN" -t 5 -o "$WORK/log" -v '[vm] ' -- sh -c 'printf "a\nb"; sleep 0.1; echo c' 2>&1 >/dev/null)
result=$echoed
check "live copy prefixes every line" '[ "$echoed" = "$(printf "[vm] a\n[vm] bc")" ]'

run -t 5 -o "$WORK/log" -- /nonexistent/vmm
check "unrunnable VMM exits 127" '[ "$exit" = 127 ] && grep -q "cannot exec" "$WORK/log"'

[ "$failures" -eq 0 ] && echo "vmrun: all checks behave" || echo "vmrun: $failures case(s) wrong"
[ "$failures" -eq 0 ]
