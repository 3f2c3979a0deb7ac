#!/bin/sh
# Scenario runner inside L1.  Reads /nested/scenarios (format described there), boots the L2 for
# each with the VMM under test, judges the result, and writes one line per verdict to $1:
#   INFO text | START index name vmm limit_s | RESULT name PASS|FAIL|SKIP detail |
#   TAIL name console-line | BENCH name vmm run status marker_ms total_ms | DONE
# Every VMM run is a numbered item (test: one per selected scenario; bench: per scenario, run and
# VMM); START announces one so the host can tell which item a hung L1 was running.
# Parameters come from the L1 kernel command line: nested.mode=test|bench, nested.vmm=cvmm|qemu,
# nested.only=name,name  nested.runs=N (bench)  nested.from=N (skip the items before N)
# nested.verbose=1 (L2 kernels without `quiet`).  L2 consoles stream to this console as they run.
RESULTS=${1:-/dev/ttyS1}
SCENARIOS=/nested/scenarios
L2_INITRD=/l2/initrd
MARKER="L2: init-start"
TAIL_LINES=40

param()
{
	for arg in $(cat /proc/cmdline); do
		case "$arg" in
		nested.$1=*) echo "${arg#nested.$1=}"; return ;;
		esac
	done
	echo "$2"
}

MODE=$(param mode test)
VMM=$(param vmm cvmm)
ONLY=$(param only all)
RUNS=$(param runs 3)
VERBOSE=$(param verbose 0)
FROM=$(param from 1)
ITEM=0

emit() { echo "$*" >"$RESULTS"; }

secs() { echo "$(($1 / 1000)).$(($1 % 1000 / 100))"; }

# Does cvmm accept option $1 at run time?  It must be in --help, and a trial start with a valid
# device argument and an empty kernel must not fail on that option (a build may list an option
# whose device is not available yet).
cvmm_accepts()
{
	cvmm --help 2>/dev/null | grep -q -- "^ *$1 " || return 1
	case "$1" in
	--drive)
		dd if=/dev/zero of=/tmp/probe.img bs=4096 count=1 2>/dev/null
		trial="--drive=path=/tmp/probe.img" ;;
	--vsock) trial="--vsock=cid=3,uds=/tmp/probe.vsock" ;;
	*) return 0 ;;
	esac
	out=$(cvmm --kernel /dev/null --serial=none --mem-mib=16 "$trial" 2>&1 </dev/null)
	rm -f /tmp/probe.img /tmp/probe.vsock
	! echo "$out" | grep -q -- "$1"
}

# Does VMM $1 support option $2 (e.g. --drive)?
supports()
{
	case "$1" in
	cvmm) cvmm_accepts "$2" ;;
	qemu)
		case "$2" in
		--vsock) [ -c /dev/vhost-vsock ] ;;
		--vcpus | --mem-mib | --irqchip | --drive | --net | --boot-timer) true ;;
		*) false ;;
		esac ;;
	*) false ;;
	esac
}

# Value of KEY in a comma-separated KEY=VALUE list.
spec_get()
{
	echo ",$1," | sed -n "s/.*,$2=\([^,]*\),.*/\1/p"
}

# Prints the QEMU (-M microvm,acpi=on) words equivalent to cvmm options; fails on the unknown.
qemu_words()
{
	accel=kvm
	words="-nodefaults -no-user-config -display none -monitor none -serial stdio -no-reboot"
	words="$words -L /usr/share/qemu -cpu host"
	n=0
	for o in "$@"; do
		case "$o" in
		--vcpus=*) words="$words -smp ${o#*=}" ;;
		--mem-mib=*) words="$words -m ${o#*=}" ;;
		--irqchip=kernel | --boot-timer) ;;
		--irqchip=split) accel="kvm,kernel-irqchip=split" ;;
		--drive=*)
			n=$((n + 1))
			ro=
			[ "$(spec_get "${o#*=}" ro)" = on ] && ro=",readonly=on"
			words="$words -drive if=none,id=blk$n,format=raw,file=$(spec_get "${o#*=}" path)$ro"
			words="$words -device virtio-blk-device,drive=blk$n" ;;
		--vsock=*)
			words="$words -device vhost-vsock-device,guest-cid=$(spec_get "${o#*=}" cid)" ;;
		--net=*)
			# virtio 1.x (QEMU's virtio-mmio is legacy by default) and the MTU offered,
			# as cvmm does.
			words="$words -global virtio-mmio.force-legacy=false"
			words="$words -netdev tap,id=n0,ifname=$(spec_get "${o#*=}" tap),script=no"
			words="$words,downscript=no,vnet_hdr=on"
			words="$words -device virtio-net-device,netdev=n0,host_mtu=1500" ;;
		*) echo "$o"; return 1 ;;
		esac
	done
	echo "-M microvm,acpi=on -accel $accel $words"
}

# The host side of a scenario's vsock traffic (expectations hvsock=MODE:PORT[:BYTES]): once the
# guest's console log $1 shows "vsock: serving", runs `hvsock MODE $2 PORT BYTES` for each action
# of $3 in order; gives up after $4 seconds.  Prints the hvsock lines.
host_side()
{
	log=$1 sock=$2 actions=$3 waits=$(($4 * 5))
	until grep -q "vsock: serving" "$log" 2>/dev/null; do
		waits=$((waits - 1))
		[ "$waits" -gt 0 ] || { echo "hvsock: FAIL the guest never served"; return; }
		sleep 0.2
	done
	for a in $actions; do
		hvsock $(echo "$a" | tr ':' ' ' | sed "s|^\([a-z]*\) |\1 $sock |") 2>&1
	done
}

# The tap of @TAP: persistent, 10.0.2.1/24, up, no IPv6 chatter.
TAP=cvmmtap0
tap_setup()
{
	tunctl -t $TAP >/dev/null && ip link set $TAP up && ip addr add 10.0.2.1/24 dev $TAP &&
		{ echo 1 >/proc/sys/net/ipv6/conf/$TAP/disable_ipv6; } 2>/dev/null
	ip link show $TAP >/dev/null 2>&1
}

tap_teardown()
{
	ip link set $TAP down 2>/dev/null
	tunctl -d $TAP >/dev/null 2>&1
}

# The L1 side of the L2 agent's net-io (expectation netio=MIB): L1 listens on port 5001 for the
# guest's upload from before the boot (net_start); once the guest's log $1 says "net down-ready",
# this sends /tmp/net-down.src to its port 5002; gives up after $2 seconds.
net_host_side()
{
	log=$1 limit=$2 waits=$(($2 * 5))
	until grep -q "L2: net down-ready" "$log" 2>/dev/null; do
		waits=$((waits - 1))
		[ "$waits" -gt 0 ] || { echo "net: FAIL the guest never got ready for the download"; return; }
		sleep 0.2
	done
	if timeout "$limit" nc 10.0.2.2 5002 </tmp/net-down.src; then
		echo "net: download sent"
	else
		echo "net: FAIL nc to the guest: status $?"
	fi
}

# Starts what netio=MIB and netecho need before the guest boots; sets NET_PIDS.
net_start()
{
	NET_PIDS=
	if [ -n "$netio" ]; then
		dd if=/dev/urandom of=/tmp/net-down.src bs=1M count="$netio" 2>/dev/null
		rm -f /tmp/net-up.got /tmp/net-hold
		mkfifo /tmp/net-hold
		# stdin held open read-write: nc waits for the guest's end of data, never for ours.
		nc -l -p 5001 <>/tmp/net-hold >/tmp/net-up.got &
		NET_PIDS="$!"
		net_host_side "$R_LOG" "$limit" >"$R_LOG.net" 2>&1 &
		NET_PIDS="$NET_PIDS $!"
	fi
	if [ -n "$netecho" ]; then
		netpeer echo $TAP >"$R_LOG.net" 2>&1 &
		NET_PIDS="$NET_PIDS $!"
		n=0
		until grep -q "echo ready" "$R_LOG.net" 2>/dev/null || [ $n -ge 50 ]; do
			sleep 0.1
			n=$((n + 1))
		done
	fi
}

# After the guest: the helpers stop, their lines go to the console.
net_stop()
{
	for pid in $NET_PIDS; do
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	[ -f "$R_LOG.net" ] && sed "s|^|nested: [$name/net] |" "$R_LOG.net"
	true
}

# What the network side found wrong: helper failures, and the SHA-256 the guest printed for its
# upload (up) and download (down) against L1's files.
net_verdict()
{
	grep "^net.*FAIL" "$R_LOG.net" 2>/dev/null | head -n 1 | sed 's/$/;/'
	[ -n "$netio" ] || return 0
	up=$(tr -d '\r' <"$R_LOG" | sed -n 's/^L2: net up_sha256=\([0-9a-f]*\).*/\1/p')
	down=$(tr -d '\r' <"$R_LOG" | sed -n 's/^L2: net down_sha256=\([0-9a-f]*\).*/\1/p')
	[ -n "$up" ] && [ "$up" = "$(sha256sum </tmp/net-up.got | cut -c1-64)" ] ||
		echo "upload: the guest's $netio MiB did not arrive intact;"
	[ -n "$down" ] && [ "$down" = "$(sha256sum </tmp/net-down.src | cut -c1-64)" ] ||
		echo "download: the guest did not get L1's $netio MiB intact;"
	rm -f /tmp/net-up.got /tmp/net-down.src /tmp/net-hold
}

# What the host-side actions and log expectations of a scenario found wrong ('' when nothing).
host_verdict()
{
	n=0
	for a in $1; do
		n=$((n + 1))
	done
	if [ "$n" -gt 0 ]; then
		ok=$(grep -cE "^hvsock: (echo|sink|source|stop) " "$R_LOG.host")
		bad=$(grep "^hvsock: FAIL" "$R_LOG.host" | head -n 1)
		[ -n "$bad" ] && echo "$bad;"
		[ "$ok" = "$n" ] || echo "$ok of $n host vsock actions done;"
	fi
	for re in $2; do
		tr -d '\r' <"$R_LOG" | grep -Eq -- "$re" || echo "console lacks /$re/;"
	done
}

# L1's TSC frequency in kHz (test guests print nanoseconds from it); empty when unknown.
tsc_khz()
{
	dmesg | sed -nE \
		's/.*tsc: (Detected|Refined TSC clocksource calibration:) ([0-9]+)\.([0-9]{3}) MHz.*/\2\3/p' |
		tail -n 1
}

# run_vm VMM NAME KERNEL "OPTIONS" "EXPECTATIONS": boots one L2 (or the test guest) and sets
# R_STATUS (PASS|FAIL|SKIP), R_DETAIL, R_MARKER_MS, R_TOTAL_MS and R_LOG.
run_vm()
{
	vmm=$1 name=$2 kernel=$3 opts=$4 expect=$5 quiet=" quiet"
	R_MARKER_MS=-1 R_TOTAL_MS=-1 R_LOG=
	want_exit=0 min_virtio=0 action=reboot limit=180 append= nested=
	only_vmm= hvsock= logre= vsock_path= diskfill= diskcheck= disk= netio= netecho= tap=
	for e in $expect; do
		case "$e" in
		exit=*) want_exit=${e#*=} ;;
		min_virtio=*) min_virtio=${e#*=} ;;
		action=*) action=${e#*=} ;;
		timeout=*) limit=${e#*=} ;;
		append=*) append="$append ${e#*=}" ;;
		vcpus=* | mem_mib=*) nested="$nested nested.$e" ;;
		only_vmm=*) only_vmm=${e#*=} ;;
		hvsock=*) hvsock="$hvsock ${e#*=}" ;;
		log=*) logre="$logre ${e#*=}" ;;
		diskfill=*) diskfill=${e#*=} ;;
		diskcheck=*) diskcheck=${e#*=} ;;
		netio=*) netio=${e#*=} ;;
		netecho) netecho=1 ;;
		*) R_STATUS=FAIL R_DETAIL="unknown expectation '$e'"; return ;;
		esac
	done
	if [ -n "$only_vmm" ] && [ "$only_vmm" != "$vmm" ]; then
		R_STATUS=SKIP R_DETAIL="$vmm: cvmm-only options (the scenario needs $only_vmm)"
		return
	fi
	emit "START $ITEM $name $vmm $limit"
	[ "$VERBOSE" = 1 ] && quiet=

	vmopts= virtio= skipped=
	for o in $opts; do
		case "$o" in
		\?*)
			o=${o#?}
			if ! supports "$vmm" "${o%%=*}"; then
				skipped="$skipped ${o%%=*}"
				continue
			fi ;;
		esac
		case "$o" in
		*@DISK*)
			disk=/tmp/$name.img
			dd if=/dev/zero of=$disk bs=1M count=0 seek=8 2>/dev/null
			o=$(echo "$o" | sed "s|@DISK|$disk|g") ;;
		esac
		case "$o" in
		*@VSOCK*)
			vsock_path=/tmp/$name.vsock
			rm -f $vsock_path ${vsock_path}_*
			o=$(echo "$o" | sed "s|@VSOCK|$vsock_path|g") ;;
		esac
		case "$o" in
		*@TAP*)
			tap=$TAP
			if ! tap_setup; then
				tap_teardown
				R_STATUS=FAIL R_DETAIL="cannot create the tap $TAP"
				return
			fi
			o=$(echo "$o" | sed "s|@TAP|$TAP|g") ;;
		esac
		case "$o" in
		--drive=*) virtio="$virtio,2" ;;
		--net=*) virtio="$virtio,1" ;;
		--vsock=*) virtio="$virtio,19" ;;
		esac
		vmopts="$vmopts $o"
	done
	virtio=${virtio#,}
	ndev=$(echo "$virtio" | tr ',' '\n' | grep -c .)
	if [ "$ndev" -lt "$min_virtio" ]; then
		R_STATUS=FAIL R_DETAIL="needs $min_virtio virtio devices; $vmm lacks:$skipped"
		return
	fi

	marker=$MARKER initrd="--initrd $L2_INITRD"
	case "$kernel" in
	bzimage) kpath=/l2/bzImage ;;
	pvh) kpath=/l2/vmlinux ;;
	testguest) kpath=/l2/cvmm-test.pvh.elf initrd= marker="RESULT: " ;;
	*) R_STATUS=FAIL R_DETAIL="unknown kernel '$kernel'"; return ;;
	esac
	cmdline="console=ttyS0 reboot=k panic=-1$quiet$nested nested.virtio=${virtio:-none}"
	cmdline="$cmdline nested.action=$action$append"
	# The test guest takes only cvmmtest.* options (and the devices the VMM appends).
	[ "$kernel" = testguest ] && cmdline="cvmmtest.tsc_khz=$TSC_KHZ$append"

	if [ "$vmm" = cvmm ]; then
		set -- cvmm --kernel "$kpath" $initrd --cmdline "$cmdline" --serial=stdio $vmopts
	else
		if ! qw=$(qemu_words $vmopts); then
			R_STATUS=FAIL R_DETAIL="no QEMU equivalent of $qw"
			return
		fi
		# microvm has no i8042: the guest resets by triple fault there instead.
		set -- qemu-system-x86_64 $qw -kernel "$kpath" ${initrd:+-initrd $L2_INITRD} \
			-append "$(echo "$cmdline" | sed 's/reboot=k/reboot=t/')"
	fi
	R_LOG=/tmp/$name.$vmm.log
	rm -f "$R_LOG" "$R_LOG.host" "$R_LOG.disk"
	# diskfill=SEED:BYTES: the scratch disk starts with the agent's pattern of SEED.
	if [ -n "$diskfill" ] && ! agent blk-pattern fill "$disk" $(echo "$diskfill" | tr ':' ' ') \
			>"$R_LOG.disk" 2>&1; then
		R_STATUS=FAIL R_DETAIL="cannot fill the disk: $(cat "$R_LOG.disk")"
		return
	fi
	echo "nested: [$name/$vmm] $*"
	host_pid=
	if [ -n "$hvsock" ]; then
		host_side "$R_LOG" "$vsock_path" "$hvsock" "$limit" >"$R_LOG.host" 2>&1 &
		host_pid=$!
	fi
	rm -f "$R_LOG.net"
	net_start
	eval "$(vmrun -v "[$name/$vmm] " -t "$limit" -o "$R_LOG" -m "$marker" -- "$@")"
	R_MARKER_MS=$marker_ms R_TOTAL_MS=$total_ms
	net_stop
	if [ -n "$host_pid" ]; then
		kill "$host_pid" 2>/dev/null
		wait "$host_pid" 2>/dev/null
		sed "s|^|nested: [$name/host] |" "$R_LOG.host"
	fi

	R_DETAIL=
	[ "$timeout" = 1 ] && R_DETAIL="no exit within $limit s;"
	[ "$exit" = "$want_exit" ] || R_DETAIL="$R_DETAIL exit status $exit (expected $want_exit);"
	R_DETAIL="$R_DETAIL $(host_verdict "$hvsock" "$logre" | tr '\n' ' ')"
	R_DETAIL="$R_DETAIL $(net_verdict | tr '\n' ' ')"
	[ -n "$tap" ] && tap_teardown
	# diskcheck=SEED:BYTES: after the VM, the backing file holds exactly that pattern, byte for
	# byte, and nothing beyond it was written.
	if [ -n "$diskcheck" ]; then
		bytes=${diskcheck#*:}
		if ! agent blk-pattern check "$disk" $(echo "$diskcheck" | tr ':' ' ') \
				>>"$R_LOG.disk" 2>&1; then
			R_DETAIL="$R_DETAIL $(tail -n 1 "$R_LOG.disk");"
		elif [ -n "$(tail -c +$((bytes + 1)) "$disk" | tr -d '\000' | head -c 1)" ]; then
			R_DETAIL="$R_DETAIL the disk holds data beyond the pattern;"
		fi
	fi
	if [ "$kernel" = testguest ]; then
		fails=$(tr -d '\r' <"$R_LOG" | grep -E "^FAIL " | cut -c1-120 | tr '\n' ';')
		tr -d '\r' <"$R_LOG" | grep -Eq "^RESULT: [0-9]+/[0-9]+ PASS" ||
			fails="$fails no passing RESULT line;"
		R_DETAIL="$R_DETAIL $fails"
	elif ! grep -q "L2: NESTED-DONE" "$R_LOG"; then
		seen=no
		[ "$marker_ms" -ge 0 ] && seen=yes
		R_DETAIL="$R_DETAIL guest never reported (init reached: $seen);"
	else
		fails=$(tr -d '\r' <"$R_LOG" | grep -E "^L2: (check .*=FAIL|insmod_failed)" |
			sed 's/^L2: //' | tr '\n' ';')
		grep -q "^L2: result=PASS" "$R_LOG" || fails="$fails result not PASS;"
		R_DETAIL="$R_DETAIL $fails"
	fi
	R_DETAIL=$(echo "$R_DETAIL" | sed 's/^ *//; s/[; ]*$//')
	if [ -z "$R_DETAIL" ] && [ "$kernel" = testguest ]; then
		R_STATUS=PASS
		result=$(tr -d '\r' <"$R_LOG" | grep -E '^RESULT: ' | cut -c9-)
		R_DETAIL="$vmm, $result at $(secs "$marker_ms") s"
	elif [ -z "$R_DETAIL" ]; then
		R_STATUS=PASS
		R_DETAIL="$vmm, L2 init at $(secs "$marker_ms") s, VMM exit at $(secs "$total_ms") s"
	else
		R_STATUS=FAIL
		R_DETAIL="$vmm: $R_DETAIL"
	fi
	[ -n "$skipped" ] && R_DETAIL="$R_DETAIL (not supported by $vmm:$skipped)"
	true
}

selected()
{
	[ "$ONLY" = all ] && return 0
	case ",$ONLY," in *",$1,"*) return 0 ;; esac
	return 1
}

TSC_KHZ=$(tsc_khz)
emit "INFO L1 ready: $(nproc) CPU, kvm-amd nested=$(cat /sys/module/kvm_amd/parameters/nested)," \
	"mode=$MODE vmm=$VMM"
grep -v '^[[:space:]]*#' $SCENARIOS | grep '|' | while IFS='|' read -r f_name f_kernel f_opts f_expect
do
	set -- $f_name
	name=$1
	set -- $f_kernel
	kernel=$1
	selected "$name" || continue
	if [ "$MODE" = bench ]; then
		r=1
		while [ $r -le "$RUNS" ]; do
			for v in cvmm qemu; do
				ITEM=$((ITEM + 1))
				[ $ITEM -lt "$FROM" ] && continue
				run_vm $v "$name" "$kernel" "$f_opts" "$f_expect"
				emit "BENCH $name $v $r $R_STATUS $R_MARKER_MS $R_TOTAL_MS"
			done
			r=$((r + 1))
		done
		continue
	fi
	ITEM=$((ITEM + 1))
	[ $ITEM -lt "$FROM" ] && continue
	run_vm "$VMM" "$name" "$kernel" "$f_opts" "$f_expect"
	emit "RESULT $name $R_STATUS $R_DETAIL"
	if [ "$R_STATUS" = FAIL ] && [ -n "$R_LOG" ] && [ -f "$R_LOG" ]; then
		tail -n $TAIL_LINES "$R_LOG" | tr -d '\r' | while IFS= read -r line; do
			emit "TAIL $name $line"
		done
	fi
done
emit "DONE"
