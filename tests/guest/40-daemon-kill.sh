#!/bin/bash
# The daemon is killed (SIGKILL) while 4 GStreamer pipelines decode at once: every pipeline
# fails with an error within 1 s instead of hanging; a restarted daemon serves the next
# pipeline, without reloading the module.
. /src/tests/guest/lib.sh

clips=${DAEDALUS_CLIPS:-/clips}
clip=$clips/vp9-320x240-long.webm
clients=${DAEDALUS_KILL_CLIENTS:-4}
[[ -f $clip ]] || skip "no $clip (tests/clips/make)"
[[ -n $(daemon_pid) ]] || fail "no daemon running at the start"

# Real-time playback (sync=true) keeps each pipeline busy for 30 s, like a player. Each line a
# pipeline prints is stamped with the time it appeared.
stamp() { while IFS= read -r line; do printf '%s %s\n' "$(now)" "$line"; done; }
pids=()
for i in $(seq "$clients"); do
	gst-launch-1.0 filesrc location="$clip" ! matroskademux ! vp9parse ! v4l2slvp9dec ! \
		fakesink sync=true 2>&1 | stamp >"$WORK/kill-gst-$i.log" &
	pids+=($!)
done
# Start-up is slow under emulation: wait until every pipeline plays, then a little more.
for _ in $(seq "$(scaled 600)"); do
	n=$(grep -l "Setting pipeline to PLAYING" "$WORK"/kill-gst-*.log 2>/dev/null | wc -l)
	((n == clients)) && break
	sleep 0.1
done
sleep 2
for i in $(seq "$clients"); do
	log=$WORK/kill-gst-$i.log
	kill -0 "${pids[i - 1]}" 2>/dev/null || { cat "$log"; fail "pipeline $i ended before the kill"; }
	grep -q "Setting pipeline to PLAYING" "$log" || fail "pipeline $i never started playing"
	grep -q ERROR "$log" && { cat "$log"; fail "pipeline $i failed before the kill"; }
done
say "$clients pipelines playing"

victim=$(daemon_pid)
# The kill is marked in the kernel log, so that the module's own line about failing the
# daemon's pending jobs can be timed against it with the same clock.
marker="daedalus-test: SIGKILL to the daemon, pid $victim"
echo "$marker" >/dev/kmsg
t0=$(now)
kill -KILL "$victim"
# Wait for the pipelines to end, at most 10 s (a hang fails the test, not the run).
for _ in $(seq "$(scaled 200)"); do
	alive=0
	for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=$((alive + 1)); done
	((alive == 0)) && break
	sleep 0.05
done
t1=$(now)
if ((alive)); then
	pkill -KILL -x gst-launch-1.0
	fail "$alive pipelines still run $(elapsed "$t0" "$t1") s after the daemon was killed"
fi
worst=0
for i in $(seq "$clients"); do
	wait "${pids[i - 1]}"
	log=$WORK/kill-gst-$i.log
	err_at=$(awk '/ERROR/ { print $1; exit }' "$log")
	[[ -n $err_at ]] || { cat "$log"; fail "pipeline $i ended without an error after losing its decoder"; }
	to_error=$(elapsed "$t0" "$err_at")
	say "pipeline $i: error after $to_error s: $(grep -m1 ERROR "$log" | cut -d' ' -f2- | cut -c1-100)"
	awk -v t="$to_error" -v w="$worst" 'BEGIN { exit !(t > w) }' && worst=$to_error
done
say "daemon killed with $clients clients: the last error came after $worst s, all exited after $(elapsed "$t0" "$t1") s"
kernel_log=$(dmesg | sed -n "/$marker/,\$p")
stamp_of() { sed -n "/$1/{s/^\[ *\([0-9.]*\)\].*/\1/p;q}" <<<"$kernel_log"; }
k0=$(stamp_of "$marker") k1=$(stamp_of "daemon detached")
[[ -n $k0 && -n $k1 ]] || fail "the module did not log the daemon's detach after the kill"
say "the module: \"$(grep -m1 "daemon detached" <<<"$kernel_log" | sed 's/^\[[^]]*\] //')\" $(elapsed "$k0" "$k1") s after the kill (kernel log times)"
# 1 s on Debian's kernel; the debug kernel's time scale (lib.sh) stretches it, and says so.
limit=$(scaled 1)
((TIME_SCALE == 1)) || say "limit $limit s: 1 s times this kernel's time scale $TIME_SCALE (tests/vm/run)"
awk -v t="$worst" -v l="$limit" 'BEGIN { exit !(t < l) }' || fail "an error came after $worst s (limit $limit s)"

start_daemon || fail "the daemon did not restart"
timeout "$(scaled 120)" gst-launch-1.0 -q --no-fault filesrc location="$clip" ! matroskademux ! \
	vp9parse ! v4l2slvp9dec ! fakesink num-buffers=60 || fail "pipeline after the restart failed (exit $?)"
say "restarted daemon (pid $(daemon_pid)) decoded 60 frames"
