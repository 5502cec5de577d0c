#!/bin/bash
# The feature streams of tests/clips/make (x264, libvpx, libaom, SVT-AV1; each feature proven
# present in the stream's headers when it was made) through the node with GStreamer's V4L2
# stateless decoder and with daedalus-decode in Chromium's and FFmpeg's ways. Every output
# (I420 without padding, in display order) must have the md5 and frame count of the software
# decode of the same libraries in the same run (FFmpeg's h264 and vp9, libdav1d: see
# tests/clips/reference; tests/run-all makes it natively on the host before the guest run,
# where an FFmpeg process alone takes seconds to start). A decode that a client cannot do for a reason outside the project is
# listed with its measured reason in tests/clips/known-limitations; it is said, not failed.
# One line per stream and client. DAEDALUS_STREAMS="TEXT..." runs the streams whose name has
# one of the TEXTs.
. /src/tests/guest/lib.sh

clips=${DAEDALUS_CLIPS:-/clips}
LIMITATIONS=/src/tests/clips/known-limitations
[[ -f $clips/streams.tsv ]] || skip "no streams in $clips (tests/clips/make)"
[[ -x $DECODE ]] || fail "no $DECODE (tests/vm/build builds it)"
TIMEOUT=$(client_timeout)
# A stream here takes GStreamer well under a minute in the guest: a pipeline that has not ended
# after 5 minutes hangs.
export GST_TIMEOUT=${GST_TIMEOUT:-300}

# limitation STREAM CLIENT: the reason listed for STREAM and CLIENT, if any.
limitation() {
	awk -v s="$1" -v c="$2" '$1 == s && $2 == c { $1 = $2 = ""; sub(/^ +/, ""); print }' \
		"$LIMITATIONS" 2>/dev/null
}

# verdict STREAM CLIENT MATCHED: fails the test on a mismatch that is not a listed limitation,
# and on a listed limitation that does not show any more (the list must stay true).
verdict() {
	local reason
	reason=$(limitation "$1" "$2")
	if (($3)) && [[ -n $reason ]]; then
		say "    $2 decodes $1 now: remove it from tests/clips/known-limitations"
		status=1
	elif ((!$3)) && [[ -n $reason ]]; then
		say "    known limitation of $2 (tests/clips/known-limitations): $reason"
		limited=$((limited + 1))
	elif ((!$3)); then
		status=1
	fi
}

status=0 streams=0 limited=0
say "decoder: $(video_node), client: $DECODE, request limit $TIMEOUT ms"
while IFS=$'\t' read -r name features; do
	# The long and the 4K streams have their own tests (75, 76): GStreamer gives a request 1 s.
	[[ $name == long-* || $name == uhd-* ]] && continue
	# shellcheck disable=SC2086 # the names are words
	[[ -z ${DAEDALUS_STREAMS:-} ]] || has_any "$name" $DAEDALUS_STREAMS || continue
	file=$clips/$name
	streams=$((streams + 1))
	t0=$(now)
	read -r frames bytes md5 <<<"$(stream_reference "$file")"
	[[ -n $md5 ]] || { say "$name: software decode failed"; status=1; continue; }
	say "$name ($features): software $frames frames, md5 $md5 ($(elapsed "$t0" "$(now)") s)"

	t0=$(now)
	rm -f "$WORK/gst.yuv"
	gst_retry "$WORK/gst.err" gst_v4l2_decode "$file" "$WORK/gst.yuv"
	rc=$?
	if ((rc == 0)); then
		got=$(md5sum <"$WORK/gst.yuv" | cut -d' ' -f1)
		got_bytes=$(stat -c %s "$WORK/gst.yuv")
		if [[ $got == "$md5" ]]; then
			count="$frames frames"
		else
			count="$got_bytes of $bytes bytes"
		fi
	elif ((rc == 124)); then
		got=failed count="no end after $GST_TIMEOUT s"
	elif ((rc > 128)); then
		got=failed count="crashed: $(kill -l $((rc - 128)))"
	else
		got=failed count="error: $({ grep -m1 '^ERROR' "$WORK/gst.err" || grep -m1 -i error "$WORK/gst.err"; } | cut -c1-60)"
	fi
	ok=0 result=MISMATCH
	[[ $got == "$md5" ]] && ok=1 result=match
	say "$(printf '%-28s %-9s %-36s md5 %s (expected %s) %s (%s s)' "$name" gstreamer \
		"$count" "$got" "$md5" "$result" "$(elapsed "$t0" "$(now)")")"
	((ok)) || grep -E '^ERROR|^Additional|took too long' "$WORK/gst.err" | head -n 4 | sed 's/^/      /'
	verdict "$name" gstreamer $ok

	for mode in chromium ffmpeg; do
		ok=1
		expiries=$(watchdog_expiries)
		if ! client_decode "$name" "$mode" "$file" "$md5" "$frames"; then
			ok=0
			# A job that the loaded, emulated guest could not finish before the module's
			# watchdog (the daemon logs it) fails its request, whatever the picture: once
			# more, said. A wrong picture without it is never retried.
			if (($(watchdog_expiries) > expiries)); then
				say "    $(grep "the module gives up" "$DAEMON_LOG" | tail -n1 | sed 's/^\[[^]]*\] *WARN *//'): trying once more"
				ok=1
				client_decode "$name" "$mode" "$file" "$md5" "$frames" || ok=0
			fi
		fi
		verdict "$name" "$mode" $ok
	done
	rm -f "$WORK/gst.yuv"
done <"$clips/streams.tsv"

((streams)) || fail "no stream matches '${DAEDALUS_STREAMS:-}'"
say "$streams streams, $((decodes + streams)) decodes through the node, $limited known client limitations"
exit $status
