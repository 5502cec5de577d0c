#!/bin/bash
# The daemon is killed (SIGKILL) while GStreamer decodes: the pipeline fails with an error
# within 1 s instead of hanging; a restarted daemon serves the next pipeline.
. /src/tests/guest/lib.sh

clips=${DAEDALUS_CLIPS:-/clips}
clip=$clips/vp9-320x240-long.webm
[[ -f $clip ]] || skip "no $clip (tests/clips/make)"
[[ -n $(daemon_pid) ]] || fail "no daemon running at the start"

# Real-time playback (sync=true) keeps the pipeline busy for 30 s.
gst-launch-1.0 -q filesrc location="$clip" ! matroskademux ! vp9parse ! v4l2slvp9dec ! \
	fakesink sync=true >"$WORK/kill-gst.log" 2>&1 &
gst=$!
sleep 4
kill -0 $gst 2>/dev/null || { cat "$WORK/kill-gst.log"; fail "pipeline ended before the kill"; }

t0=$(now)
pkill -KILL -x daedalus-v4l2d
# Wait for the pipeline to end, at most 10 s (a hang fails the test, not the run).
for _ in $(seq 100); do
	kill -0 $gst 2>/dev/null || break
	sleep 0.05
done
t1=$(now)
if kill -0 $gst 2>/dev/null; then
	kill -KILL $gst
	fail "the pipeline still runs $(elapsed "$t0" "$t1") s after the daemon was killed"
fi
wait $gst
rc=$?
took=$(elapsed "$t0" "$t1")
say "daemon killed: pipeline ended with exit $rc after $took s"
sed 's/^/    gst: /' "$WORK/kill-gst.log" | head -n 5
[[ $rc != 0 ]] || fail "the pipeline reported success after losing its decoder"
awk -v t="$took" 'BEGIN { exit !(t < 1.0) }' || fail "error took $took s (limit 1 s)"

start_daemon || fail "the daemon did not restart"
gst-launch-1.0 -q filesrc location="$clip" ! matroskademux ! vp9parse ! v4l2slvp9dec ! \
	fakesink num-buffers=60 || fail "pipeline after the restart failed"
say "restarted daemon (pid $(daemon_pid)) decoded 60 frames"
