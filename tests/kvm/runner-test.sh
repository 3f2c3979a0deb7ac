#!/bin/bash
# Tests of the KVM runner itself (tests/kvm/kvm_run.py).  The local path runs against a fake: a
# probe that always succeeds and shell scripts standing in for the test items, so it is checked on
# machines without /dev/kvm too.  The nested path boots the real L1 (a few seconds each): output and
# verdicts come back, a failing item fails the run with its reason, a wedged L1 is replaced and
# the item gets its second attempt, and no QEMU or virtiofsd is left behind, also when the runner
# itself is killed.
#   KVM_RUN_KERNEL=... KVM_RUN_INITRD=... runner-test.sh
set -u
RUN="python3 tests/kvm/kvm_run.py --kernel ${KVM_RUN_KERNEL:?} --initrd ${KVM_RUN_INITRD:?}"
tmp=$(mktemp -d)
out_dir=build/kvm-run/runner-test
trap 'rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

# check NAME WANT_STATUS OUTPUT_FILE STATUS REGEX...: the status matches and every regex is found.
check() {
	local name=$1 want=$2 file=$3 status=$4 re
	shift 4
	if [ "$status" -ne "$want" ]; then
		bad "$name: status $status, want $want"
		sed 's/^/    | /' "$file" | tail -n 15
		return
	fi
	for re in "$@"; do
		if ! grep -Eq -- "$re" "$file"; then
			bad "$name: no line matching /$re/"
			sed 's/^/    | /' "$file" | tail -n 15
			return
		fi
	done
	ok
}

# Processes a run may leave behind: L1 QEMU and virtiofsd of this test's runs (label t_rt;
# other runs on the machine use other labels).
leftovers() {
	pgrep -f "kvmrun.dir=$PWD/$out_dir" ; pgrep -f "cvmm-kvm-t_rt-.*/vfs.sock"
}

printf '#!/bin/sh\nexit 0\n' >"$tmp/probe-ok"
printf '#!/bin/sh\necho "kvm-probe: KVM_CREATE_VM: Operation not permitted" >&2\nexit 1\n' \
	>"$tmp/probe-bad"
chmod +x "$tmp/probe-ok" "$tmp/probe-bad"
: >"$tmp/fake-kvm"
# The fake VMM test: prints its own PASS/FAIL lines like the real scripts.
cat >"$tmp/fake-test.sh" <<'FAKE'
echo "fake $1: started"
[ "$1" = good ] && { echo "fake $1: 3 passed, 0 failed"; exit 0; }
echo "FAIL: fake $1: the guest said no"
exit 3
FAKE

# Local path, with the fake.
CVMM_KVM_DEVICE=$tmp/fake-kvm $RUN --probe "$tmp/probe-ok" --label t_rt --out "$out_dir" \
	--item one "bash $tmp/fake-test.sh good" --item two "bash $tmp/fake-test.sh good" \
	>"$tmp/o" 2>&1
check "local, all pass" 0 "$tmp/o" $? "works here \\(a probe VM ran\\); running locally" \
	"fake good: 3 passed" "t_rt: ok   one" "t_rt: all 2 passed \\(local /dev/kvm"

CVMM_KVM_DEVICE=$tmp/fake-kvm $RUN --probe "$tmp/probe-ok" --label t_rt --out "$out_dir" \
	--host-item h "echo on the host" --item one "bash $tmp/fake-test.sh good" \
	--item two "bash $tmp/fake-test.sh bad" >"$tmp/o" 2>&1
check "local, one fails" 1 "$tmp/o" $? "FAIL: fake bad: the guest said no" \
	"t_rt: FAIL two: exit status 3" "t_rt: 2 of 3 passed, failed: two" "t_rt: ok   h .*on this machine"

CVMM_KVM=local CVMM_KVM_DEVICE=$tmp/fake-kvm $RUN --probe "$tmp/probe-bad" --label t_rt \
	--out "$out_dir" --item one true >"$tmp/o" 2>&1
check "forced local, probe fails" 1 "$tmp/o" $? \
	"CVMM_KVM=local, but .* a probe VM does not run \\(kvm-probe: KVM_CREATE_VM"

CVMM_KVM=local CVMM_KVM_DEVICE=$tmp/none $RUN --probe "$tmp/probe-ok" --label t_rt \
	--out "$out_dir" --item one true >"$tmp/o" 2>&1
check "forced local, no device" 1 "$tmp/o" $? "CVMM_KVM=local, but no $tmp/none on this machine"

CVMM_KVM=sideways $RUN --label t_rt --out "$out_dir" --item one true >"$tmp/o" 2>&1
check "bad CVMM_KVM" 2 "$tmp/o" $? "CVMM_KVM=sideways: expected local, nested or auto"

# Auto with a probe that fails: nested, saying why (L1 pieces missing here, so it stops there).
CVMM_KVM_DEVICE=$tmp/fake-kvm python3 tests/kvm/kvm_run.py --probe "$tmp/probe-bad" --label t_rt \
	--kernel "$tmp/none" --initrd "$tmp/none" --out "$out_dir" --item one true >"$tmp/o" 2>&1
check "auto, probe fails" 1 "$tmp/o" $? \
	"a probe VM does not run .*; running in the nested L1" "nested L1 needs --kernel"

# Nested path, the real L1.
CVMM_KVM=nested $RUN --label t_rt --out "$out_dir" --host-item h "echo host side" \
	--item kvm 'test -c /dev/kvm && echo "kvm here: $(uname -r)"' \
	--item env 'echo "env ${RUNNER_TEST_MARK:-unset} in $PWD"' \
	--item bad 'echo "reason: the frobnicator broke"; exit 4' \
	--item after 'echo "still running after a failure"' \
	>"$tmp/o" 2>&1 </dev/null
status=$?
check "nested, output and verdicts" 1 "$tmp/o" $status "CVMM_KVM=nested; running in the nested L1" \
	"kvm here: " "env unset in $PWD$" "reason: the frobnicator broke" \
	"t_rt: FAIL bad: exit status 4" "still running after a failure" \
	"t_rt: 4 of 5 passed, failed: bad \\(nested L1, 1 L1 boot"
RUNNER_TEST_MARK=passed-through CVMM_KVM=nested $RUN --label t_rt --out "$out_dir" \
	--item env 'echo "env ${RUNNER_TEST_MARK:-unset}"' >"$tmp/o" 2>&1 </dev/null
check "nested, environment" 0 "$tmp/o" $? "env passed-through"
[ -z "$(leftovers)" ] && ok || bad "processes left after nested runs: $(leftovers)"

CVMM_KVM=nested $RUN --label t_rt --out "$out_dir" --wedge-item 2 --heartbeat-limit 15 \
	--item first 'echo first' --item second 'echo second ran' --item third 'echo third' \
	>"$tmp/o" 2>&1 </dev/null
check "nested, wedged L1 replaced" 0 "$tmp/o" $? "L1 sent no heartbeat for 15 s during second" \
	"booting a fresh L1 to run second again" "second ran" \
	"ok   second .*second attempt: L1 hung on the first" "all 3 passed \\(nested L1, 2 L1 boot"
[ -z "$(leftovers)" ] && ok || bad "processes left after the wedge run: $(leftovers)"

CVMM_KVM=nested $RUN --label t_rt --out "$out_dir" --wedge-item 1 --wedge-boots 2 \
	--heartbeat-limit 15 --item stuck 'echo never' --item next 'echo next ran' >"$tmp/o" 2>&1 </dev/null
check "nested, an item that wedges L1 twice fails" 1 "$tmp/o" $? "FAIL stuck: L1 hung on it twice" \
	"next ran" "1 of 2 passed, failed: stuck \(nested L1, 3 L1 boot"

# The runner killed in the middle of an item takes L1 and virtiofsd with it.
CVMM_KVM=nested $RUN --label t_rt --out "$out_dir" --item long 'echo long-started; sleep 600' \
	>"$tmp/o" 2>&1 </dev/null &
runner=$!
for _ in $(seq 120); do
	grep -q long-started "$tmp/o" && break
	sleep 0.5
done
kill -TERM $runner
wait $runner
status=$?
[ "$status" -eq 143 ] && ok || bad "killed runner: status $status, want 143"
[ -z "$(leftovers)" ] && ok || bad "processes left after killing the runner: $(leftovers)"

echo "kvm runner: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
