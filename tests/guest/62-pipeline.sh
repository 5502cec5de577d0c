#!/bin/bash
# The module's own job scheduling: a client's queued requests go to the daemon together (up to
# the max_inflight parameter), and contexts decode at the same time. GStreamer's decodes of an
# H.264 B-pyramid clip, a VP9 clip with hidden alt-refs and an AV1 clip with switch frames give
# the software decode's md5 (tests/clips/reference) with max_inflight=1 and with the default;
# GStreamer keeps more than one request with the daemon (each context's depth, which the
# module prints at close with debug=1); then two and four GStreamer decodes at once each give
# their md5, and the device held jobs of several contexts at once (its status' max_inflight,
# over all contexts, above what one context ever had).
. /src/tests/guest/lib.sh

clips=${DAEDALUS_CLIPS:-/clips}
[[ -d $clips ]] || skip "no clips folder at $clips (tests/clips/make)"
[[ -n $(daemon_pid) ]] || fail "no daemon running at the start"
params=/sys/module/daedalus_v4l2/parameters
[[ -f $params/max_inflight ]] || fail "the module has no max_inflight parameter"
saved_inflight=$(cat "$params/max_inflight")
saved_debug=$(cat "$params/debug")
STATUS=/sys/kernel/debug/daedalus-v4l2/status
restore() {
	echo "$saved_inflight" >"$params/max_inflight"
	echo "$saved_debug" >"$params/debug"
}
trap restore EXIT

CLIPS=(h264-main-bpyramid-weighted.264 vp9-320x240-long.webm av1-svt-switch-frames.ivf)
status=0

# The depth of the context that closed last, from the module's debug line.
last_depth() {
	dmesg | sed -n 's/.*context [0-9]* closing: [0-9]* jobs, at most \([0-9]*\) with the daemon at once.*/\1/p' |
		tail -n1
}

echo 1 >"$params/debug"
one_ctx_max=0
for depth in 1 "$saved_inflight"; do
	echo "$depth" >"$params/max_inflight"
	for name in "${CLIPS[@]}"; do
		clip=$clips/$name
		[[ -f $clip ]] || { say "$name: missing"; status=1; continue; }
		read -r frames _ want <<<"$(stream_reference "$clip")"
		t0=$(now)
		got=$(gst_retry "$WORK/gst.err" gst_v4l2_decode "$clip")
		rc=$?
		t1=$(now)
		# A retry says so first (gst_retry): the md5 is the last line.
		got=$(tail -n1 <<<"$got")
		seen=$(last_depth)
		[[ -n $seen ]] && ((seen > one_ctx_max)) && one_ctx_max=$seen
		verdict=match
		[[ $rc == 0 && $got == "$want" ]] || { verdict=MISMATCH; status=1; }
		say "$(printf 'max_inflight=%-2s %-34s %s md5 %s (software %s, %s frames) %s, at most %s in flight (%s s)' \
			"$depth" "$name" "GStreamer" "${got:-none}" "$want" "$frames" "$verdict" "${seen:-?}" \
			"$(elapsed "$t0" "$t1")")"
		((rc == 0)) || sed 's/^/    /' "$WORK/gst.err" | head -n 5
		if ((depth == 1)) && [[ -n $seen && $seen -gt 1 ]]; then
			say "    FAIL: $seen jobs in flight with max_inflight=1"
			status=1
		fi
		if ((depth > 1)) && [[ $name == vp9-* ]] && [[ -z $seen || $seen -lt 2 ]]; then
			say "    FAIL: GStreamer queues ahead, but the daemon never had 2 of its jobs at once"
			status=1
		fi
	done
done
restore

# Several contexts at once: N GStreamer pipelines started together, each checked.
for streams in 2 4; do
	pids=()
	t0=$(now)
	for i in $(seq "$streams"); do
		name=${CLIPS[$(((i - 1) % ${#CLIPS[@]}))]}
		(gst_retry "$WORK/par$i.err" gst_v4l2_decode "$clips/$name" >"$WORK/par$i.md5") &
		pids+=($!)
	done
	ok=0
	for i in $(seq "$streams"); do
		name=${CLIPS[$(((i - 1) % ${#CLIPS[@]}))]}
		wait "${pids[$((i - 1))]}"
		rc=$?
		read -r _ _ want <<<"$(stream_reference "$clips/$name")"
		got=$(tail -n1 "$WORK/par$i.md5")
		if [[ $rc == 0 && $got == "$want" ]]; then
			ok=$((ok + 1))
		else
			say "  stream $i ($name): md5 ${got:-none}, software $want: MISMATCH (exit $rc)"
			sed 's/^/      /' "$WORK/par$i.err" | head -n 5
			status=1
		fi
	done
	t1=$(now)
	say "$streams streams at once: $ok/$streams md5 match ($(elapsed "$t0" "$t1") s)"
done
device_max=$(sed -n 's/^device .*max_inflight=\([0-9]*\).*/\1/p' "$STATUS")
say "device: at most ${device_max:-?} jobs with the daemon at once (all contexts), one context at most $one_ctx_max"
# More than one context ever had: jobs of several contexts were with the daemon together.
[[ -n $device_max && $device_max -gt $one_ctx_max ]] ||
	{ say "FAIL: the device never held jobs of several contexts at once"; status=1; }
exit $status
