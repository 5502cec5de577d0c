#!/bin/bash
# daedalus-ioctl-fuzz (tests/ioctl-fuzz): several processes and threads hammer the video node,
# the media device and request fds with seeded random ioctls (formats of boundary sizes,
# buffers of huge sizes, QBUF with and without requests, every stateless control with random
# payloads, the AV1 tile group array of 0..520 entries, events, decoder commands, files closed
# while in use), and race S_EXT_CTRLS of the tile group array (1 <-> 512 entries) against
# device_run on one file. Three phases of DAEDALUS_IOCTL_FUZZ_SECONDS (20 s, times the
# kernel's time scale) each: with the real daemon, with no daemon, with the fuzzer's own
# stand-in daemon answering each job in a random way (skipped, said, when the module does not
# speak the stand-in's protocol). The fuzzer fails only on its documented invariants; dmesg
# (any WARNING, BUG, KASAN, lockdep report) is judged by tests/vm/run. Afterwards a restarted
# daemon decodes a VP9 clip md5-identically to FFmpeg, and the module's debugfs counters add
# up (done + failed + timed out = jobs: none in flight) with no context left open. Seed: DAEDALUS_FUZZ_SEED (printed).
. /src/tests/guest/lib.sh

FUZZ=/src/build/guest/tests/ioctl-fuzz/daedalus-ioctl-fuzz
[[ -x $FUZZ ]] || fail "no $FUZZ (cmake --build build/guest --target daedalus-ioctl-fuzz)"
pid=$(daemon_pid)
[[ -n $pid ]] || fail "no daemon running at the start"
seed=${DAEDALUS_FUZZ_SEED:-20261207}
secs=$(scaled "${DAEDALUS_IOCTL_FUZZ_SECONDS:-20}")
# A fuzzer that has not ended this long after its own deadline hangs (it kills its children
# 5 s plus a tenth of the run after the deadline).
limit=$(awk -v s="$secs" -v k="$TIME_SCALE" 'BEGIN { printf "%d", s * 1.2 + 60 * k }')
say "seed $seed (DAEDALUS_FUZZ_SEED), $secs s per phase (DAEDALUS_IOCTL_FUZZ_SECONDS, time scale $TIME_SCALE)"

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug 2>/dev/null
STATUS=/sys/kernel/debug/$DAEDALUS_CARD/status

# The daemon comes back at the end, whatever happens (run-all expects one).
trap '[[ -n $(daemon_pid) ]] || start_daemon >/dev/null 2>&1' EXIT

status=0
# phase NAME MODE: one fuzzer run; prints its summary and figures. Exit 77 of the stand-in
# mode is a skip of that phase, said.
phase() {
	local name=$1 mode=$2 rc log=$WORK/ioctl-fuzz-$1.log t0
	t0=$(now)
	timeout -s KILL "$limit" "$FUZZ" --daemon "$mode" --seed "$seed" --seconds "$secs" >"$log" 2>&1
	rc=$?
	say "$name: $(grep -m1 '^daedalus-ioctl-fuzz: summary:' "$log" | sed 's/^daedalus-ioctl-fuzz: summary: //') (exit $rc, $(elapsed "$t0" "$(now)") s)"
	grep -E '^daedalus-ioctl-fuzz: (stand-in|standin|violation|child|INVARIANT)|^ {2}[A-Z_]+ ' "$log" |
		sed 's/^daedalus-ioctl-fuzz: /    /; s/^  /      /'
	# Children that SIGKILL does not end are stuck in the kernel (an oops with a lock held,
	# a deadlock): the node is unusable from here on, and a decode would wait for ever.
	if grep -q "stuck in the kernel" "$log"; then
		say "$name: FAILED: fuzzer processes stuck in the kernel (see dmesg); no further phase or decode"
		exit 1
	fi
	case $rc in
	0) ;;
	77) say "$name: skipped: $(grep -m1 SKIP "$log" | sed 's/.*SKIP: //')" ;;
	137) say "$name: FAILED: the fuzzer did not end within $limit s (hang)"; status=1 ;;
	*) say "$name: FAILED (exit $rc)"; grep -v '^ ' "$log" | tail -n 5 | sed 's/^/      /'; status=1 ;;
	esac
}

phase real-daemon real
kill -0 "$pid" 2>/dev/null || { say "the daemon (pid $pid) died during the real-daemon phase"; status=1; }

# No daemon: stopped as 45-faults stops it.
if [[ -n $(daemon_pid) ]]; then
	kill -TERM "$(daemon_pid)"
	for _ in $(seq 50); do [[ -z $(daemon_pid) ]] && break; sleep 0.1; done
	[[ -z $(daemon_pid) ]] || fail "the daemon did not exit on SIGTERM"
fi
phase no-daemon none
phase stand-in standin

start_daemon || fail "the daemon did not start again"
say "daemon started again (pid $(daemon_pid))"

# A clean decode afterwards: md5 of FFmpeg's software decode.
clip=${DAEDALUS_CLIPS:-/clips}/vp9-320x240-long.webm
if [[ ! -f $clip ]]; then
	clip=$WORK/fuzz-vp9.webm
	ffmpeg -v error -y -f lavfi -i testsrc=size=176x144:rate=30 -frames:v 30 -c:v libvpx-vp9 \
		-b:v 200k "$clip" || fail "no clip, and ffmpeg could not make one"
fi
frames=30
reference=$(ffmpeg -v error -i "$clip" -map 0:v -frames:v $frames -pix_fmt yuv420p -f md5 - |
	sed 's/^MD5=//')
client_decode "after the fuzzer" chromium "$clip" "$reference" $frames --frames $frames || status=1

# The module's counters: every job ended one way (a job is in flight only while a client runs;
# none does now), and no context is left open by the fuzzer's processes.
if [[ -r $STATUS ]]; then
	line=$(grep -m1 '^device ' "$STATUS")
	if [[ $line =~ jobs=([0-9]+)\ done=([0-9]+)\ failed=([0-9]+)\ timed_out=([0-9]+)\ no_daemon=([0-9]+) ]]; then
		# no_daemon counts requests refused at queue (never jobs): not among the ended.
		jobs=${BASH_REMATCH[1]}
		ended=$((BASH_REMATCH[2] + BASH_REMATCH[3] + BASH_REMATCH[4]))
		say "debugfs: ${line#device }; $((jobs - ended)) jobs in flight"
		((ended == jobs)) ||
			{ say "FAILED: debugfs: $ended jobs ended (done, failed, timed out) of $jobs, none in flight now"; status=1; }
	else
		say "FAILED: no device line in $STATUS"
		status=1
	fi
	contexts=$(grep -c '^context ' "$STATUS")
	((contexts == 0)) || { say "FAILED: $contexts contexts still open after the fuzzer:"; grep '^context ' "$STATUS" | sed 's/^/      /'; status=1; }
	grep -q '^daemon attached=1' "$STATUS" || { say "FAILED: debugfs says no daemon is attached"; status=1; }
else
	say "no $STATUS (debugfs): counters not checked"
fi
exit $status
