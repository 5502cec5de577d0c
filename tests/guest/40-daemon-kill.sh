#!/bin/bash
# The daemon is killed (SIGKILL) while GStreamer decodes: the pipeline fails with an error
# within 1 s instead of hanging; a restarted daemon serves the next pipeline.
. /src/tests/guest/lib.sh

clips=${DAEDALUS_CLIPS:-/clips}
clip=$clips/vp9-320x240-long.webm
[[ -f $clip ]] || skip "no $clip (tests/clips/make)"
[[ -n $(daemon_pid) ]] || fail "no daemon running at the start"

# Real-time playback (sync=true) keeps the pipeline busy for 30 s, like a player. Each line the
# pipeline prints is stamped with the time it appeared.
stamp() { while IFS= read -r line; do printf '%s %s\n' "$(now)" "$line"; done; }
gst-launch-1.0 filesrc location="$clip" ! matroskademux ! vp9parse ! v4l2slvp9dec ! \
	fakesink sync=true 2>&1 | stamp >"$WORK/kill-gst.log" &
gst=$!
# Start-up is slow under emulation: wait until frames flow, then a little more.
for _ in $(seq 300); do
	grep -q "Setting pipeline to PLAYING" "$WORK/kill-gst.log" && break
	sleep 0.1
done
sleep 2
kill -0 $gst 2>/dev/null || { cat "$WORK/kill-gst.log"; fail "pipeline ended before the kill"; }
grep -q "Setting pipeline to PLAYING" "$WORK/kill-gst.log" || fail "the pipeline never started playing"
grep -q ERROR "$WORK/kill-gst.log" && { cat "$WORK/kill-gst.log"; fail "the pipeline failed before the kill"; }

victim=$(daemon_pid)
t0=$(now)
kill -KILL "$victim"
# Wait for the pipeline to end, at most 10 s (a hang fails the test, not the run).
for _ in $(seq 100); do
	kill -0 $gst 2>/dev/null || break
	sleep 0.05
done
t1=$(now)
if kill -0 $gst 2>/dev/null; then
	pkill -KILL -x gst-launch-1.0
	fail "the pipeline still runs $(elapsed "$t0" "$t1") s after the daemon was killed"
fi
wait $gst
err_at=$(awk '/ERROR/ { print $1; exit }' "$WORK/kill-gst.log")
[[ -n $err_at ]] || { cat "$WORK/kill-gst.log"; fail "the pipeline ended without an error after losing its decoder"; }
to_error=$(elapsed "$t0" "$err_at")
say "daemon killed: the pipeline reported an error after $to_error s and exited after $(elapsed "$t0" "$t1") s"
grep -m1 ERROR "$WORK/kill-gst.log" | cut -d' ' -f2- | sed 's/^/    gst: /'
awk -v t="$to_error" 'BEGIN { exit !(t < 1.0) }' || fail "the error came after $to_error s (limit 1 s)"

start_daemon || fail "the daemon did not restart"
gst-launch-1.0 -q filesrc location="$clip" ! matroskademux ! vp9parse ! v4l2slvp9dec ! \
	fakesink num-buffers=60 || fail "pipeline after the restart failed"
say "restarted daemon (pid $(daemon_pid)) decoded 60 frames"
