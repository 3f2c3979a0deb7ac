#!/bin/bash
# Runs libFuzzer targets one after the other, each for a fixed time, and stops at the first
# finding (crash, sanitizer report, leak, an input running longer than TIMEOUT s, or out of
# memory).  Used by `make fuzz` and `make fuzz-smoke` (tests/fuzz/fuzz.mk).
#   run.sh BUILD_DIR CORPUS_ROOT SECONDS TIMEOUT MAX_LEN TARGET...
# Each target's corpus grows in CORPUS_ROOT/TARGET, seeded from tests/fuzz/corpus/TARGET;
# findings are saved as BUILD_DIR/TARGET-crash-..., -timeout-..., and so on.
set -u
build=$1 corpus_root=$2 seconds=$3 timeout=$4 max_len=$5
shift 5
for name in "$@"; do
	corpus=$corpus_root/$name
	seeds=(tests/fuzz/corpus/"$name")
	log=$build/$name.log
	mkdir -p "$corpus"
	[ -d "${seeds[0]}" ] || seeds=()
	echo "fuzz: $name for $seconds s"
	if ! "$build/$name" -max_total_time="$seconds" -timeout="$timeout" -max_len="$max_len" \
		-print_final_stats=1 -artifact_prefix="$build/$name-" \
		"$corpus" "${seeds[@]}" >"$log" 2>&1; then
		tail -n 40 "$log"
		echo "fuzz: $name FAILED (log: $log)"
		exit 1
	fi
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	last=$(grep -E '^#[0-9]+.*(DONE|pulse|NEW|REDUCE)' "$log" | tail -n 1)
	pat='.* cov: \([0-9]*\) ft: \([0-9]*\) corp: \([^ ]*\).*'
	cov=$(sed -n "s/$pat/cov \1, ft \2, corpus \3/p" <<<"$last")
	echo "fuzz: $name ok: $runs runs, $cov"
done
