#!/bin/bash
# Runs every unit-test binary given on the command line; fails if any of them fails.
set -u
failed=0
for bin in "$@"; do
	if ! "$bin"; then
		echo "FAIL: $bin"
		failed=$((failed + 1))
	fi
done
echo "unit tests: $(( $# - failed )) of $# binaries passed"
[ "$failed" -eq 0 ]
