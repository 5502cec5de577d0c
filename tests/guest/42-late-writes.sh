#!/bin/bash
# Once a CAPTURE buffer is back with the client, nothing writes into it (issue 14, finding 4).
# With tests/guest/late_writer.py standing in for the daemon and the module's watchdog at 1 s:
#  - a daemon that asks to write after the watchdog failed the job is refused (BEGIN_WRITE and
#    its answer get ENOENT), and the client's requests end with an error;
#  - a daemon that answers success without having asked to write is refused (EINVAL) and the
#    request fails;
#  - a daemon that began writing and then hangs is killed by the module (SIGKILL, as a hung
#    hardware block is reset), its job fails only then, and the client ends;
# then the real daemon again decodes md5-correctly.
. /src/tests/guest/lib.sh

clips=${DAEDALUS_CLIPS:-/clips}
clip=$clips/vp9-320x240-long.webm
WRITER="python3 -u /src/tests/guest/late_writer.py"
PARAM=/sys/module/daedalus_v4l2/parameters/job_timeout_ms
[[ -x $DECODE ]] || fail "no $DECODE (tests/vm/build builds it)"
[[ -f $clip ]] || skip "no $clip (tests/clips/make)"

saved=$(cat $PARAM)
timeout_ms=$((1000 * TIME_SCALE))
status=0
restore() {
	echo "$saved" >$PARAM
	[[ -n $(daemon_pid) ]] || start_daemon ${DAEDALUS_DAEMON_ARGS:-} || say "the daemon did not start again"
}
trap restore EXIT

stop_daemon
echo $timeout_ms >$PARAM
say "job_timeout_ms=$timeout_ms for this test (the run's is $saved)"

# run_writer MODE CLIENT_FRAMES: starts the stand-in, then a client; prints both.
run_writer() {
	local mode=$1 frames=$2 log=$WORK/42-$1.log
	$WRITER "$mode" --jobs "$frames" >"$log" 2>&1 &
	writer=$!
	wait_for_line "$log" "attached" 10 || { cat "$log"; fail "$mode: the stand-in did not attach"; }
	t0=$(now)
	"$DECODE" --mode chromium --timeout $((timeout_ms * 4)) --md5 --frames "$frames" "$clip" \
		>"$WORK/42-$mode.out" 2>"$WORK/42-$mode.err"
	client_rc=$?
	t1=$(now)
	failed=$(sed -n 's/^daedalus-decode: [0-9]* frames, [0-9]* requests, \([0-9]*\) failed.*/\1/p' "$WORK/42-$mode.err" | tail -n1)
}

# Late: every job fails by the watchdog; the stand-in's late BEGIN_WRITE is refused.
run_writer late 2
wait $writer
wrc=$?
sed 's/^/  /' "$WORK/42-late.log"
say "late: the client ended in $(elapsed "$t0" "$t1") s, exit $client_rc, ${failed:-?} request(s) failed"
((wrc == 0)) || { say "FAIL: the late stand-in's checks"; status=1; }
((${failed:-0} >= 1)) || { say "FAIL: no request failed although no picture was written"; status=1; }

# Unasked: success without BEGIN_WRITE is no success.
run_writer unasked 2
wait $writer
wrc=$?
sed 's/^/  /' "$WORK/42-unasked.log"
say "unasked: the client ended in $(elapsed "$t0" "$t1") s, exit $client_rc, ${failed:-?} request(s) failed"
((wrc == 0)) || { say "FAIL: the unasked stand-in's checks"; status=1; }
((${failed:-0} >= 1)) || { say "FAIL: a request unwritten was reported decoded"; status=1; }

# Hang: the module kills a daemon that hangs while it writes.
mark="daedalus-test: 42 hang $(now)"
echo "$mark" >/dev/kmsg
run_writer hang 1
for _ in $(seq $((100 * TIME_SCALE))); do kill -0 $writer 2>/dev/null || break; sleep 0.1; done
if kill -0 $writer 2>/dev/null; then
	kill -KILL $writer
	say "FAIL: the hung stand-in is still alive after the client ended"
	status=1
fi
wait $writer
wrc=$?
sed 's/^/  /' "$WORK/42-hang.log"
klog=$(dmesg | sed -n "/$mark/,\$p")
say "hang: stand-in exit status $wrc (137: SIGKILL), client ended in $(elapsed "$t0" "$t1") s, exit $client_rc, ${failed:-?} failed"
grep -m1 "killing it" <<<"$klog" | sed 's/^/    kernel: /'
grep -m1 "daemon detached" <<<"$klog" | sed 's/^/    kernel: /'
((wrc == 137)) || { say "FAIL: the hung stand-in was not killed by SIGKILL"; status=1; }
grep -q "killing it" <<<"$klog" || { say "FAIL: the module did not say it killed the daemon"; status=1; }
((${failed:-0} >= 1)) || { say "FAIL: the hung job did not fail"; status=1; }

# The real daemon again.
echo "$saved" >$PARAM
start_daemon ${DAEDALUS_DAEMON_ARGS:-} || fail "the daemon did not start again"
reference=$(ffmpeg -v error -i "$clip" -map 0:v -frames:v 10 -pix_fmt yuv420p -f md5 - | sed 's/^MD5=//')
client_decode "after the stand-ins" chromium "$clip" "$reference" 10 --frames 10 || status=1
exit $status
