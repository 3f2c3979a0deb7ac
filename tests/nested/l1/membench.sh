# Memory benchmark inside L1 (nested.mode=membench), sourced by runner.sh: the test guest under
# cvmm measures
#   - conversion round trips (KVM_HC_MAP_GPA_RANGE to shared and back, 4 KiB and 2 MiB): the
#     guest's RDTSC figures, and the CPU time of cvmm's vCPU thread from /proc, from two runs
#     that differ only in the number of round trips (the difference is the conversions' cost);
#   - bounce overhead: virtio-blk 64 KiB sequential phases and virtio-vsock throughput, plain
#     (no TEE) against bounced (--tee emulated, the `cvm` check first: rings in a shared pool,
#     every buffer copied through it), alternating, nested.runs times each.
# Emits `MEMBENCH <kind> ... key=value ...` lines for run.sh, which prints the table.
MB_GUEST=/l2/cvmm-test.pvh.elf
MB_DISK=/tmp/membench.img
MB_VSOCK=/tmp/membench.vsock
MB_LOG=/tmp/membench.log
MB_PHASES=seqwrite-64k-qd32:1024,seqread-64k-qd32:1024
MB_VSOCK_BYTES=67108864
MB_ROUNDS_LOW=1
MB_ROUNDS_HIGH=2000

# Starts the next numbered item (NAME, LIMIT seconds); false when it comes before nested.from.
mb_item()
{
	ITEM=$((ITEM + 1))
	[ "$ITEM" -ge "$FROM" ] || return 1
	emit "START $ITEM $1 cvmm $2"
}

# Waits until FILE has a line matching REGEX, at most SECONDS; false on timeout.
mb_wait_line()
{
	n=$(($3 * 5))
	until grep -Eq "$2" "$1" 2>/dev/null; do
		n=$((n - 1))
		[ "$n" -gt 0 ] || return 1
		sleep 0.2
	done
}

# "utime stime guest_time" (clock ticks) and on-CPU nanoseconds (schedstat, exact) of cvmm's
# vCPU thread (named vcpu0).
mb_vcpu_cpu()
{
	for t in /proc/$1/task/*; do
		[ "$(cat "$t/comm" 2>/dev/null)" = vcpu0 ] || continue
		# Fields after "pid (comm) ": utime, stime and guest_time are the 12th, 13th, 41st.
		echo $(sed 's/^.*) //' "$t/stat" | awk '{ print $12, $13, $41 }') \
			$(cut -d' ' -f1 "$t/schedstat")
		return
	done
}

# One conversion run: ROUNDS round trips of SIZE (4k|2m); emits its line.
mb_convert()
{
	rm -f $MB_LOG
	opts="cvmmtest.only=cvm cvmmtest.hold=1 cvmmtest.cvm_rounds=$1 cvmmtest.cvm_time=$2"
	cvmm --kernel $MB_GUEST --mem-mib=256 --tee=emulated --serial=stdio --cmdline \
		"$opts cvmmtest.tsc_khz=$TSC_KHZ" >$MB_LOG 2>&1 &
	pid=$!
	if mb_wait_line $MB_LOG "^RESULT: " 300 && grep -q "^RESULT: .* PASS" $MB_LOG; then
		cpu=$(mb_vcpu_cpu $pid)
		line=$(grep "^BENCH cvm-convert size=$2 " $MB_LOG | sed 's/^BENCH cvm-convert //')
		emit "MEMBENCH convert rounds=$1 $line cpu_ticks=$(echo $cpu | tr ' ' ,)"
	else
		emit "MEMBENCH convert rounds=$1 size=$2 failed"
		tail -n 5 $MB_LOG
	fi
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
}

# One block run (plain or bounced, run number); emits one line per phase.
mb_blk()
{
	tee= only=blkbench
	[ "$1" = bounced ] && tee=--tee=emulated only=cvm,blkbench
	dd if=/dev/zero of=$MB_DISK bs=1M count=0 seek=64 2>/dev/null
	eval "$(vmrun -t 300 -o $MB_LOG -- cvmm --kernel $MB_GUEST --mem-mib=256 $tee \
		--drive=path=$MB_DISK --serial=stdio --cmdline \
		"cvmmtest.only=$only cvmmtest.cvm_time=none cvmmtest.blkbench=$MB_PHASES")"
	if [ "$exit" = 0 ]; then
		grep "^BENCH result " $MB_LOG | while read -r _ _ phase rest; do
			emit "MEMBENCH blk $1 run=$2 phase=$phase $rest"
		done
	else
		emit "MEMBENCH blk $1 run=$2 failed exit=$exit"
	fi
	rm -f $MB_DISK
}

# One vsock run (plain or bounced, run number): host->guest (sink) and guest->host (source)
# through hvsock.
mb_vsock()
{
	only=vsock tee=
	[ "$1" = bounced ] && tee=--tee=emulated only=cvm,vsock
	rm -f $MB_LOG $MB_VSOCK ${MB_VSOCK}_*
	opts="cvmmtest.vsock_sink_port=1025 cvmmtest.vsock_source_port=1026"
	opts="$opts cvmmtest.vsock_stop_port=1027 cvmmtest.vsock_source_bytes=$MB_VSOCK_BYTES"
	cvmm --kernel $MB_GUEST --mem-mib=256 $tee --vsock=cid=3,uds=$MB_VSOCK --serial=stdio \
		--cmdline "cvmmtest.only=$only cvmmtest.cvm_time=none $opts" >$MB_LOG 2>&1 &
	pid=$!
	sink= source=
	if mb_wait_line $MB_LOG "vsock: serving" 120; then
		sink=$(hvsock sink $MB_VSOCK 1025 $MB_VSOCK_BYTES | sed -n 's/.* MBps=//p')
		source=$(hvsock source $MB_VSOCK 1026 | sed -n 's/.* MBps=//p')
		hvsock stop $MB_VSOCK 1027 >/dev/null
		mb_wait_line $MB_LOG "^RESULT: " 60
	fi
	if [ -n "$sink" ] && [ -n "$source" ] && grep -q "^RESULT: .* PASS" $MB_LOG; then
		emit "MEMBENCH vsock $1 run=$2 sink_MBps=$sink source_MBps=$source"
	else
		emit "MEMBENCH vsock $1 run=$2 failed"
		tail -n 5 $MB_LOG
	fi
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
}

emit "MEMBENCH env tsc_khz=$TSC_KHZ clk_tck=100 runs=$RUNS rounds=$MB_ROUNDS_LOW,$MB_ROUNDS_HIGH"
for size in 4k 2m; do
	for rounds in $MB_ROUNDS_LOW $MB_ROUNDS_HIGH; do
		mb_item "membench-convert-$size-$rounds" 300 && mb_convert "$rounds" "$size"
	done
done
# Alternating which goes first, so that warm-up effects do not favour one side.
r=1
while [ "$r" -le "$RUNS" ]; do
	order="plain bounced"
	[ $((r % 2)) = 0 ] && order="bounced plain"
	for mode in $order; do
		mb_item "membench-blk-$mode-$r" 300 && mb_blk $mode $r
		mb_item "membench-vsock-$mode-$r" 300 && mb_vsock $mode $r
	done
	r=$((r + 1))
done
