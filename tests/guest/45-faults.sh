#!/bin/bash
# Faults around the daemon: a second daemon is refused; a stalled daemon (SIGSTOP) has its
# jobs failed by the watchdog and the client goes on; an answer after the watchdog is
# refused and changes nothing; rmmod is refused while the daemon holds the device; service goes
# on afterwards.
. /src/tests/guest/lib.sh

clips=${DAEDALUS_CLIPS:-/clips}
clip=$clips/vp9-320x240-long.webm
[[ -f $clip ]] || skip "no $clip (tests/clips/make)"
pid=$(daemon_pid)
[[ -n $pid ]] || fail "no daemon running at the start"
param=/sys/module/daedalus_v4l2/parameters/job_timeout_ms
saved=$(cat "$param")

# A second daemon: refused at attach, the first one keeps serving.
out=$(timeout 10 "$DAEMON" 2>&1)
rc=$?
((rc != 0 && rc != 124)) || fail "a second daemon was not refused (exit $rc)"
grep -qiE "already attached|busy" <<<"$out" || fail "the second daemon did not say why: $out"
say "second daemon refused: $(grep -iE -m1 "already attached|busy" <<<"$out" | sed 's/^\[[^]]*\] //')"

# rmmod while the daemon holds the device: refused, nothing breaks.
rmmod daedalus_v4l2 2>"$WORK/rmmod.txt" && fail "rmmod succeeded with the daemon attached"
[[ -d /sys/module/daedalus_v4l2 ]] || fail "the module is gone"
say "rmmod with the daemon attached refused: $(cat "$WORK/rmmod.txt")"

# A stalled daemon: each job fails when the watchdog fires (300 ms here).
echo 300 >"$param"
before=$(dmesg | grep -c "no answer from the daemon")
kill -STOP "$pid"
t0=$(now)
timeout "$(scaled 60)" gst-launch-1.0 -q filesrc location="$clip" ! matroskademux ! vp9parse ! \
	v4l2slvp9dec ! fakesink num-buffers=5 >"$WORK/stall-gst.log" 2>&1
rc=$?
t1=$(now)
after=$(dmesg | grep -c "no answer from the daemon")
kill -CONT "$pid"
echo "$saved" >"$param"
((rc != 124)) || fail "the client hung with a stalled daemon"
timed_out=$((after - before))
((timed_out > 0)) || fail "no job was failed by the watchdog"
say "daemon stopped: $timed_out job(s) failed by the watchdog, the client ended (exit $rc) after $(elapsed "$t0" "$t1") s"

# Late answers: a stand-in daemon (bridge_probe.py) holds each job past the watchdog, then
# answers; the module refuses the answer (ENOENT) and the client already has its buffers back.
kill -0 "$pid" || fail "the daemon died after SIGCONT"
kill -TERM "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "the daemon did not exit on SIGTERM"
echo 300 >"$param"
# The stand-in answers 1200 ms after the fetch (more with the debug kernel's time scale): the
# module gives each fetched job of a context its 300 ms from when the job before it ended, so
# the second of two jobs fetched together has until about 600 ms; the client starts once the
# stand-in has attached.
late_ms=$(scaled 1200)
start_standin "$WORK/probe.log" --late-ms "$late_ms" --jobs 2
probe=$STANDIN
timeout "$(scaled 60)" gst-launch-1.0 -q filesrc location="$clip" ! matroskademux ! vp9parse ! \
	v4l2slvp9dec ! fakesink num-buffers=4 >"$WORK/late-gst.log" 2>&1
rc=$?
wait $probe
probe_rc=$?
echo "$saved" >"$param"
sed 's/^/  /' "$WORK/probe.log"
((rc != 124)) || fail "the client hung while its jobs were held"
((probe_rc == 0)) || fail "the stand-in daemon found a fault"

start_daemon || fail "the daemon did not start again"
gst-launch-1.0 -q filesrc location="$clip" ! matroskademux ! vp9parse ! v4l2slvp9dec ! \
	fakesink num-buffers=30 || fail "decoding after the faults failed"
say "a daemon started again decodes a new stream afterwards"
