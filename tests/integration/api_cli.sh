#!/bin/bash
# The API's command line and its answers that need no KVM (the same on any machine): --version,
# option errors, --config-file errors before anything starts (exit 2, one line), a socket path
# that is not a socket, hostile requests over a real socket with curl, and InstanceStart where KVM
# cannot be opened answered as a host error (500) while the API goes on.
set -u
CVMM=${CVMM:-build/cvmm}
tmp=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

expect_exit() { # expect_exit STATUS REGEX ARGS...
	local want=$1 regex=$2 out status
	shift 2
	out=$("$CVMM" "$@" 2>&1 </dev/null)
	status=$?
	if [ "$status" = "$want" ] && grep -Eq -- "$regex" <<<"$out" &&
	   [ "$(grep -c '' <<<"$out")" -le 1 ]; then ok; else
		bad "cvmm $*: status $status (want $want), '$out'"; fi
}

expect_exit 0 '^cvmm v[0-9]+\.[0-9]+\.[0-9]+$' --version
expect_exit 2 'is required .*--api-sock' --id x
expect_exit 2 'exclude each other' --api-sock "$tmp/s" --no-api
expect_exit 2 "is not an id" --id 'bad id!' --api-sock "$tmp/s"
expect_exit 2 "not one of Error" --level Loud --api-sock "$tmp/s"
echo '{"boot-source":' >"$tmp/bad.json"
expect_exit 2 'config-file .*malformed JSON' --config-file "$tmp/bad.json"
echo '{"machine-config":{"vcpu_count":1,"mem_size_mib":64,"smp":2}}' >"$tmp/unknown.json"
expect_exit 2 "unknown field 'smp'" --config-file "$tmp/unknown.json"
echo '{"boot-source":{"kernel_image_path":"/nonexistent"}}' >"$tmp/nokernel.json"
expect_exit 2 "/nonexistent: No such file" --config-file "$tmp/nokernel.json"
expect_exit 2 "config-file .*No such file" --config-file "$tmp/none.json"
: >"$tmp/file"
expect_exit 2 "exists and is not a socket" --api-sock "$tmp/file"
# Without /dev/kvm here (CVMM_KVM_DEVICE points nowhere), a valid config fails as a host error.
printf '\x7fELF' >"$tmp/kernel"
echo "{\"boot-source\":{\"kernel_image_path\":\"$tmp/kernel\"}}" >"$tmp/k.json"
out=$("$CVMM" --config-file "$tmp/k.json" 2>&1 </dev/null)
[ $? = 2 ] && ok || bad "a bad kernel in --config-file: $out"

# The API over a real socket, no VM: hostile requests answered 400, the server stays up.
sock=$tmp/api.sock
CVMM_KVM_DEVICE=/nonexistent/kvm "$CVMM" --api-sock "$sock" --id hostile-1 </dev/null 2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.02; done
call() { curl -sS --unix-socket "$sock" -o "$tmp/body" -w '%{http_code}' "$@" 2>/dev/null; }
[ "$(call http://localhost/)" = 200 ] && grep -q '"id":"hostile-1"' "$tmp/body" && ok || bad "GET /"
[ "$(stat -c %a "$sock")" = 600 ] && ok || bad "socket mode"
[ "$(call -X PUT --data-binary '{"vcpu_count":' http://localhost/machine-config)" = 400 ] &&
	grep -q 'malformed JSON' "$tmp/body" && ok || bad "malformed JSON: $(cat "$tmp/body")"
[ "$(call -X PUT --data-binary '{"vcpu_count":"2","mem_size_mib":64}' http://localhost/machine-config)" = 400 ] &&
	grep -q "'vcpu_count' must be" "$tmp/body" && ok || bad "wrong type"
head -c 200000 /dev/zero | tr '\0' 'a' >"$tmp/huge"
[ "$(call -X PUT --data-binary @"$tmp/huge" http://localhost/boot-source)" = 400 ] &&
	grep -q 'larger than' "$tmp/body" && ok || bad "huge body: $(cat "$tmp/body")"
[ "$(call -X DELETE http://localhost/vm)" = 400 ] && ok || bad "DELETE"
[ "$(call -X PATCH --data-binary '{"state":"Paused"}' http://localhost/vm)" = 400 ] &&
	grep -q 'not started' "$tmp/body" && ok || bad "pause before start"
# InstanceStart where KVM cannot be opened: a host error, 500, and the API goes on.
kernel=$(dirname "$CVMM")/guest/cvmm-test.pvh.elf
if [ -f "$kernel" ]; then
	[ "$(call -X PUT --data-binary "{\"kernel_image_path\":\"$kernel\"}" http://localhost/boot-source)" = 204 ] &&
	[ "$(call -X PUT --data-binary '{"action_type":"InstanceStart"}' http://localhost/actions)" = 500 ] &&
	grep -q 'cannot open /nonexistent/kvm' "$tmp/body" && ok || bad "InstanceStart without KVM: $(cat "$tmp/body")"
fi
[ "$(call http://localhost/version)" = 200 ] && grep -q '"firecracker_version"' "$tmp/body" && ok ||
	bad "GET /version"
kill -TERM "$pid"
wait "$pid"
[ $? = 0 ] && ok || bad "SIGTERM without a VM: not 0"
pid=
[ ! -e "$sock" ] && ok || bad "socket left behind"

# The Cloud Hypervisor subset's command line: one API per cvmm, the VM from vm.create only, Cloud
# Hypervisor's -v and --seccomp false taken; with no KVM, vm.boot is a 500 and vmm.shutdown ends
# cvmm with status 0.
expect_exit 2 'exclude each other' --api-sock "$tmp/s" --api-socket "$tmp/t"
expect_exit 2 'exclude each other' --api-socket "$tmp/t" --no-api
expect_exit 2 'described with PUT vm.create, not with --kernel' --api-socket "$tmp/t" --kernel "$tmp/kernel"
expect_exit 2 'not with --vcpus on the command line' --api-socket "$tmp/t" --vcpus 2
expect_exit 2 'not with --quote-service' --api-socket "$tmp/t" --quote-service unix:/q
expect_exit 2 'described with PUT vm.create' --api-socket "$tmp/t" --config-file "$tmp/k.json"
expect_exit 2 "cvmm has no log-only mode" --api-socket "$tmp/t" --seccomp log
expect_exit 2 "exists and is not a socket" --api-socket "$tmp/file"
sock=$tmp/clh-api.sock
CVMM_KVM_DEVICE=/nonexistent/kvm "$CVMM" --api-socket "$sock" -v --seccomp false </dev/null \
	2>"$tmp/err" &
pid=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.02; done
[ "$(call http://localhost/api/v1/vmm.ping)" = 200 ] && grep -q '"version"' "$tmp/body" && ok ||
	bad "vmm.ping"
[ "$(stat -c %a "$sock")" = 600 ] && ok || bad "socket mode"
[ "$(call -X PUT --data-binary '{"payload":' http://localhost/api/v1/vm.create)" = 400 ] &&
	grep -q 'malformed JSON' "$tmp/body" && ok || bad "vm.create malformed: $(cat "$tmp/body")"
if [ -f "$kernel" ]; then
	[ "$(call -X PUT --data-binary "{\"payload\":{\"kernel\":\"$kernel\"},\"fs\":[{\"tag\":\"t\",\"socket\":\"/s\",\"num_queues\":1,\"queue_size\":1024}]}" http://localhost/api/v1/vm.create)" = 400 ] &&
	grep -q 'vm.create.fs: cvmm has no virtio-fs' "$tmp/body" && ok || bad "fs: $(cat "$tmp/body")"
	[ "$(call -X PUT --data-binary "{\"payload\":{\"kernel\":\"$kernel\"}}" http://localhost/api/v1/vm.create)" = 204 ] &&
	[ "$(call -X PUT http://localhost/api/v1/vm.boot)" = 500 ] &&
	grep -q 'cannot open /nonexistent/kvm' "$tmp/body" && ok || bad "vm.boot without KVM: $(cat "$tmp/body")"
	[ "$(call http://localhost/api/v1/vm.info)" = 200 ] && grep -q '"state":"Created"' "$tmp/body" &&
		ok || bad "vm.info after a failed boot: $(cat "$tmp/body")"
fi
[ "$(call -X PUT http://localhost/api/v1/vmm.shutdown)" = 204 ] && ok || bad "vmm.shutdown"
wait "$pid"
[ $? = 0 ] && ok || bad "vmm.shutdown: not 0"
pid=
[ ! -e "$sock" ] && ok || bad "socket left behind after vmm.shutdown"

echo "api_cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
