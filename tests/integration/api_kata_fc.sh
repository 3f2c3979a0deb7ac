#!/bin/bash
# Kata's Go fc driver, step by step as it drives Firecracker, with cvmm in its place and the test
# guest as the VM (requests replayed with curl --unix-socket, same headers and bodies):
#  1. `cvmm --version`: the second word of the first line is a semantic version >= 0.21.1;
#  2. `cvmm --api-sock S --config-file F`: F is the driver's fcConfig.json (tab-indented, its key
#     order), boot_args with `pci=off ... acpi=off`: the guest finds CPUs, IOAPIC and devices
#     through the MP table and the virtio_mmio.device= entries;
#  3. the config holds a read-only rootfs drive and placeholder drives drive_0..drive_7 backed by
#     empty files;
#  4. `GET /` every 10 ms until it says started (within the driver's 10 s);
#  5. `PATCH /drives/drive_0 {drive_id, path_on_host}` swaps a placeholder for a real disk on the
#     running VM (the device logs the new capacity it told the guest; the guest side is shown by
#     the unit tests and the nested Linux scenario);
#  6. the logger and metrics go to FIFOs: one line per message, Firecracker's JSON metric lines;
#  7. vsock guest_cid 3 with uds_path .../kata.hvsock (the driver chmods it 0640);
#  8. SIGTERM stops the VM within the driver's 15 s, exit status 0, the socket goes away.
set -u
CVMM=${CVMM:-build/cvmm}
GUEST_DIR=${GUEST_DIR:-build/guest}
tmp=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
	jobs -p | xargs -r kill 2>/dev/null
	wait 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
pass=0
fail=0
ok() { pass=$((pass + 1)); }
bad() { echo "FAIL: $*"; fail=$((fail + 1)); }

vm=$tmp/vc/firecracker/0123456789abcdef0123456789abcdef
root=$vm/root
sock=$root/run/firecracker.socket
mkdir -p "$root/run"

# The go-openapi client's request: Host localhost, these headers, the body as Go marshals it.
api() { # api METHOD PATH [BODY] -> prints the status; the body goes to $tmp/body
	local args=(-sS --unix-socket "$sock" -o "$tmp/body" -w '%{http_code}' -X "$1"
		-H 'Accept: application/json' -H 'User-Agent: Go-http-client/1.1'
		-H 'Accept-Encoding: gzip')
	[ $# -ge 3 ] && args+=(-H 'Content-Type: application/json' --data-binary "$3")
	curl "${args[@]}" "http://localhost$2" 2>/dev/null
}

# 1. --version
ver=$("$CVMM" --version | head -1 | cut -d' ' -f2)
ver=${ver#v}
if [[ "$ver" =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] &&
   [ "$(printf '%s\n0.21.1\n' "$ver" | sort -V | head -1)" = "0.21.1" ]; then ok; else
	bad "--version gives '$ver', not a semver >= 0.21.1"; fi

# 3. rootfs (read-only) and the disk pool: empty placeholder files, as createDiskPool makes them.
head -c 1048576 /dev/urandom >"$root/rootfs"
for i in 0 1 2 3 4 5 6 7; do : >"$root/drive_$i"; done
python3 tests/integration/blk_pattern.py "$tmp/disk.img" 7 4
# 6. the FIFOs, with their readers open first (fifo.OpenFifo, O_RDONLY|O_NONBLOCK|O_CREAT).
mkfifo "$vm/logs.fifo" "$vm/metrics.fifo"
cat "$vm/logs.fifo" >"$tmp/logs.txt" &
cat "$vm/metrics.fifo" >"$tmp/metrics.txt" &

# 2. fcConfig.json as json.MarshalIndent(fcConfig, "", "\t") writes it: FcConfig's field order,
# each model's fields in the generated (alphabetical) order, empty optional fields left out.
args="cvmmtest.vcpus=2 cvmmtest.mem_mib=256 cvmmtest.expect_devices=10 cvmmtest.hold=1"
args="$args cvmmtest.only=memmap,cmdline,mptable,devices,smp,irq cvmmtest.cmdline_check=kata"
python3 - "$vm/fcConfig.json" "$GUEST_DIR/cvmm-test.pvh.elf" "$root" "$vm" "$args" <<'PY'
import json, sys
out, kernel, root, vm, extra = sys.argv[1:]
params = ("root=/dev/vda1 rootflags=data=ordered,errors=remount-ro ro rootfstype=ext4 pci=off "
          "reboot=k panic=1 iommu=off net.ifnames=0 random.trust_cpu=on acpi=off console=ttyS0 "
          + extra)
drives = [{"drive_id": "rootfs", "is_read_only": True, "is_root_device": False,
           "path_on_host": root + "/rootfs"}]
drives += [{"drive_id": "drive_%d" % i, "is_read_only": False, "is_root_device": False,
            "path_on_host": "%s/drive_%d" % (root, i)} for i in range(8)]
cfg = {
    "boot-source": {"boot_args": params, "kernel_image_path": kernel},
    "machine-config": {"ht_enabled": False, "mem_size_mib": 256, "vcpu_count": 2},
    "drives": drives,
    "vsock": {"guest_cid": 3, "uds_path": root + "/kata.hvsock", "vsock_id": "root"},
    "logger": {"level": "Debug", "log_path": vm + "/logs.fifo"},
    "metrics": {"metrics_path": vm + "/metrics.fifo"},
}
open(out, "w").write(json.dumps(cfg, indent="\t"))
PY

"$CVMM" --api-sock "$sock" --config-file "$vm/fcConfig.json" >"$tmp/console.log" 2>&1 </dev/null &
pid=$!

# 4. GET / every 10 ms until started, at most the driver's 10 s.
started=0
for _ in $(seq 1000); do
	if [ "$(api GET /)" = 200 ] && grep -q '"started":true' "$tmp/body"; then started=1; break; fi
	sleep 0.01
done
if [ $started = 1 ] && grep -q '"state":"Running"' "$tmp/body" &&
   grep -Eq '"id":"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"' "$tmp/body"
then ok; else bad "GET / never said started: $(cat "$tmp/body" 2>/dev/null)"; fi
[ "$(stat -c %a "$sock")" = 600 ] && ok || bad "API socket mode $(stat -c %a "$sock")"

# The guest finds everything through the MP table (acpi=off) and holds after its RESULT line.
for _ in $(seq 600); do grep -q '^RESULT' "$tmp/console.log" && break; sleep 0.1; done
if grep -q '^RESULT: 6/6 PASS' "$tmp/console.log" && grep -q 'cmdline_check=kata' "$tmp/console.log"
then ok; else bad "guest: $(grep -E 'FAIL|RESULT' "$tmp/console.log" | head -5)"; fi

# 7. the hybrid vsock socket is there; the driver makes it 0640.
if [ -S "$root/kata.hvsock" ] && chmod 0640 "$root/kata.hvsock"; then ok; else
	bad "no vsock socket at $root/kata.hvsock"; fi

# 5. a placeholder swapped for a real disk on the running VM.
st=$(api PATCH /drives/drive_0 "{\"drive_id\":\"drive_0\",\"path_on_host\":\"$tmp/disk.img\"}")
[ "$st" = 204 ] && ok || bad "PATCH /drives/drive_0: $st $(cat "$tmp/body")"
st=$(api GET /vm/config)
[ "$st" = 200 ] && grep -q "\"path_on_host\":\"$tmp/disk.img\"" "$tmp/body" && ok ||
	bad "GET /vm/config after the swap: $st $(cat "$tmp/body")"
st=$(api PATCH /drives/drive_9 '{"drive_id":"drive_9","path_on_host":"/nonexistent"}')
[ "$st" = 400 ] && grep -q "no drive 'drive_9'" "$tmp/body" && ok || bad "PATCH of no drive: $st"
# Pre-boot resources are refused now; the VM can be paused and resumed.
st=$(api PUT /machine-config '{"mem_size_mib":512,"vcpu_count":1}')
[ "$st" = 400 ] && grep -q "pre-boot" "$tmp/body" && ok || bad "PUT /machine-config after start: $st"
[ "$(api PATCH /vm '{"state":"Paused"}')" = 204 ] && api GET / >/dev/null &&
	grep -q '"state":"Paused"' "$tmp/body" && ok || bad "Paused: $(cat "$tmp/body")"
[ "$(api PATCH /vm '{"state":"Resumed"}')" = 204 ] && ok || bad "Resumed: $(cat "$tmp/body")"

# 6. metrics on request, then logs and metrics as lines.
[ "$(api PUT /actions '{"action_type":"FlushMetrics"}')" = 204 ] && ok || bad "FlushMetrics"

# 8. SIGTERM: the VM stops, cvmm exits 0 within 15 s and removes its socket.
kill -TERM "$pid"
status=timeout
for _ in $(seq 150); do
	if ! kill -0 "$pid" 2>/dev/null; then wait "$pid"; status=$?; break; fi
	sleep 0.1
done
pid=
[ "$status" = 0 ] && ok || bad "after SIGTERM: status $status"
[ ! -e "$sock" ] && ok || bad "API socket left behind"
sleep 0.2
if grep -q "drive_0: now backed by $tmp/disk.img, 8192 sectors" "$tmp/logs.txt" &&
   grep -Eq '^[0-9-]+T[0-9:.]+Z \[[0-9a-f-]{36}:[a-z0-9-]+\] ' "$tmp/logs.txt"; then ok; else
	bad "log FIFO: $(grep -c '' "$tmp/logs.txt") lines: $(grep -v libmicrohttpd "$tmp/logs.txt" | tail -4)"; fi
if python3 - "$tmp/metrics.txt" <<'PY'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) >= 2, lines                      # FlushMetrics, and the one at exit
for l in lines:
    m = json.loads(l)
    for group in ("utc_timestamp_ms", "api_server", "put_api_requests", "patch_api_requests",
                  "block", "vsock", "logger", "cvmm"):
        assert group in m, group
last = json.loads(lines[-1])
assert last["patch_api_requests"]["drive_count"] == 2, last["patch_api_requests"]
assert last["patch_api_requests"]["drive_fails"] == 1
assert last["api_server"]["process_startup_time_us"] > 0
assert "virtio-blk drive_0" in last["cvmm"]["devices"]
PY
then ok; else bad "metrics FIFO: $(head -c 300 "$tmp/metrics.txt")"; fi

echo "api_kata_fc: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
