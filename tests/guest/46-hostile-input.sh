#!/bin/bash
# Hostile bitstreams and controls through the node, sent by a real V4L2 client (daedalus-decode
# with --corrupt / --tamper-controls / --small-format / --skip-requests, in Chromium's and
# FFmpeg's ways): truncated frames, random bytes, flipped bits, references to timestamps that do
# not exist, references to timestamps this context never decoded (the concurrent clean context
# decodes the same clip with the same timestamps), parameter sets and frames that contradict each
# other or the format, AV1 tiles outside the OUTPUT buffer, random control payloads. Each
# spoiled request must fail with an error or decode without harm; no client may hang (a request
# unanswered within the client's timeout fails the test); the daemon keeps its pid; a clean
# decode in another context, running all along, stays md5-identical to FFmpeg's software decode.
# VP8 (daedalus-decode has no VP8 mode) goes through GStreamer's v4l2slvp8dec instead, once the
# rest is done: spoiled copies of VP8 conformance vectors (tests/guest/ivf_spoil.py: flipped
# bits, truncated frames, random payloads behind valid frame headers, broken IVF framing), each
# pipeline must end (a timeout fails it), the daemon keeps its pid, and the clean vector decoded
# right after is md5-identical to FFmpeg's software decode.
. /src/tests/guest/lib.sh

DECODE=/src/build/guest/tools/daedalus-decode
vectors=/vectors
clips=${DAEDALUS_CLIPS:-/clips}
clip=$clips/vp9-320x240-long.webm
[[ -x $DECODE ]] || fail "no $DECODE (tests/vm/build builds it)"
[[ -f $clip ]] || skip "no $clip (tests/clips/make)"
pid=$(daemon_pid)
[[ -n $pid ]] || fail "no daemon running at the start"
watchdog=$(cat /sys/module/daedalus_v4l2/parameters/job_timeout_ms 2>/dev/null || echo 1000)
TIMEOUT=$((watchdog + 2000))

# The clean context: the clip decoded again and again until the hostile clients are done.
CLEAN_FRAMES=40
reference=$(ffmpeg -v error -i "$clip" -map 0:v -frames:v $CLEAN_FRAMES -pix_fmt yuv420p -f md5 - |
	sed 's/^MD5=//')
[[ -n $reference ]] || fail "no software decode of $clip"
stop=$WORK/hostile.stop
rm -f "$stop" "$WORK/clean.md5"
(
	while [[ ! -e $stop ]]; do
		"$DECODE" --mode chromium --timeout "$TIMEOUT" --md5 --frames $CLEAN_FRAMES "$clip" \
			2>>"$WORK/clean.log" | cut -d' ' -f1 >>"$WORK/clean.md5"
	done
) &
clean=$!

sent=0 spoiled=0 failed=0 runs=0 status=0

# hostile NAME FILE [daedalus-decode options...]: one hostile client; its summary line.
hostile() {
	local name=$1 file=$2
	shift 2
	local mode=chromium t0 rc line
	[[ $name == *ffmpeg* ]] && mode=ffmpeg
	t0=$(now)
	timeout $((TIMEOUT * 40 / 1000 + 60)) "$DECODE" --mode "$mode" --timeout "$TIMEOUT" -q "$@" \
		"$file" >/dev/null 2>"$WORK/hostile.log"
	rc=$?
	line=$(grep '^hostile:' "$WORK/hostile.log")
	runs=$((runs + 1))
	local s p f
	read -r s p f <<<"$(sed -E 's/^hostile: ([0-9]+) requests sent, ([0-9]+) spoiled, ([0-9]+) of them failed.*/\1 \2 \3/' <<<"$line")"
	sent=$((sent + ${s:-0})) spoiled=$((spoiled + ${p:-0})) failed=$((failed + ${f:-0}))
	local verdict=ok
	if ((rc != 0 && rc != 1)) || [[ -z $line ]]; then
		verdict="FAILED: exit $rc"
		status=1
	elif grep -q "no answer within" "$WORK/hostile.log"; then
		verdict="FAILED: a request was not answered (hang)"
		status=1
	fi
	if ! kill -0 "$pid" 2>/dev/null; then
		verdict="FAILED: the daemon (pid $pid) is gone"
		status=1
	fi
	say "$(printf '%-30s %-58s %s (%s s)' "$name" "${line#hostile: }" "$verdict" "$(elapsed "$t0" "$(now)")")"
	[[ $verdict == ok ]] || sed 's/^/      /' "$WORK/hostile.log" | tail -n 5
	[[ $verdict != *daemon* ]] || { touch "$stop"; wait $clean; exit 1; }
}

say "decoder $(video_node), daemon pid $pid, request limit $TIMEOUT ms; clean context: $clip ($CLEAN_FRAMES frames, chromium mode) in a loop"

# VP9 (libvpx clip).
N=(--frames 10)
hostile "vp9 truncate" "$clip" "${N[@]}" --corrupt truncate:1
hostile "vp9 random" "$clip" "${N[@]}" --corrupt random:2
hostile "vp9 bitflip ffmpeg" "$clip" "${N[@]}" --corrupt bitflip:3
hostile "vp9 refs (no such ts)" "$clip" "${N[@]}" --tamper-controls refs
hostile "vp9 other context's refs" "$clip" "${N[@]}" --skip-requests 5
hostile "vp9 frame 2x the format" "$clip" "${N[@]}" --tamper-controls contradict
hostile "vp9 format half the size" "$clip" "${N[@]}" --small-format
hostile "vp9 random controls" "$clip" "${N[@]}" --tamper-controls random

if [[ -f $vectors/MANIFEST.tsv ]]; then
	h264=$vectors/resources/JVT-AVC_V1/CABA2_SVA_B/CABA2_SVA_B.264
	[[ -f $h264 ]] || h264=$(find "$vectors/resources/JVT-AVC_V1/CABA2_SVA_B" -type f | head -n1)
	av1=$(find "$vectors/resources/AV1-TEST-VECTORS/av1-1-b8-05-mv" -type f -name '*.ivf' | head -n1)
	if [[ -f $h264 ]]; then
		N=(--frames 10)
		hostile "h264 truncate" "$h264" "${N[@]}" --corrupt truncate:5
		hostile "h264 random" "$h264" "${N[@]}" --corrupt random:6
		hostile "h264 bitflip ffmpeg" "$h264" "${N[@]}" --corrupt bitflip:7
		hostile "h264 refs (no such ts)" "$h264" "${N[@]}" --tamper-controls refs
		hostile "h264 other context's refs" "$h264" "${N[@]}" --skip-requests 3
		hostile "h264 PPS names another SPS" "$h264" "${N[@]}" --tamper-controls contradict
		hostile "h264 SPS 2x the format" "$h264" "${N[@]}" --small-format
		hostile "h264 random controls" "$h264" "${N[@]}" --tamper-controls random
	else
		say "no CABA2_SVA_B in $vectors: H.264 not tried"
	fi
	if [[ -f $av1 ]]; then
		N=(--frames 20)
		hostile "av1 truncate" "$av1" "${N[@]}" --corrupt truncate:9
		hostile "av1 random" "$av1" "${N[@]}" --corrupt random:10
		hostile "av1 bitflip ffmpeg" "$av1" "${N[@]}" --corrupt bitflip:11
		hostile "av1 refs (no such ts)" "$av1" "${N[@]}" --tamper-controls refs
		hostile "av1 other context's refs" "$av1" "${N[@]}" --skip-requests 4
		hostile "av1 tiles outside the buffer" "$av1" "${N[@]}" --tamper-controls tiles
		hostile "av1 tiles outside ffmpeg" "$av1" "${N[@]}" --tamper-controls tiles
		hostile "av1 frame 2x the format" "$av1" "${N[@]}" --tamper-controls contradict
		hostile "av1 format half the size" "$av1" "${N[@]}" --small-format
		hostile "av1 random controls" "$av1" "${N[@]}" --tamper-controls random
	else
		say "no av1-1-b8-05-mv in $vectors: AV1 not tried"
	fi
else
	say "no conformance vectors at $vectors: H.264 and AV1 not tried"
fi

touch "$stop"
wait $clean
cleans=$(grep -c . "$WORK/clean.md5")
bad=$(grep -vc "^$reference\$" "$WORK/clean.md5")
if ((cleans == 0 || bad != 0)); then
	say "clean context: $cleans decodes, $bad with another md5 than FFmpeg's ($reference):"
	sort "$WORK/clean.md5" | uniq -c | sed 's/^/      /'
	tail -n 5 "$WORK/clean.log" | sed 's/^/      /'
	status=1
else
	say "clean context: $cleans decodes of $CLEAN_FRAMES frames alongside, all md5 $reference (FFmpeg's)"
fi
# VP8 through GStreamer, after the clean context is done: the module's counters are then VP8's.
mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug 2>/dev/null
STATUS=/sys/kernel/debug/$DAEDALUS_CARD/status
counters() { # "JOBS FAILED" (failed and timed out) of the whole device, or "? ?"
	local line
	line=$(grep -m1 '^device ' "$STATUS" 2>/dev/null)
	if [[ $line =~ jobs=([0-9]+).*failed=([0-9]+).*timed_out=([0-9]+) ]]; then
		echo "${BASH_REMATCH[1]} $((BASH_REMATCH[2] + BASH_REMATCH[3]))"
	else
		echo "? ?"
	fi
}
vp8_inputs=0 vp8_jobs=0 vp8_failed=0
vp8_dir=$vectors/resources/VP8-TEST-VECTORS
if [[ ! -d $vp8_dir ]]; then
	say "no VP8-TEST-VECTORS in $vectors: VP8 not tried"
elif ! gst-inspect-1.0 v4l2slvp8dec >/dev/null 2>&1; then
	say "GStreamer has no v4l2slvp8dec element: VP8 not tried"
	status=1
else
	for name in vp80-00-comprehensive-002 vp80-04-partitions-1405 vp80-00-comprehensive-014; do
		ivf=$vp8_dir/$name/$name.ivf
		[[ -f $ivf ]] || { say "no $ivf: skipped"; continue; }
		kinds=(bitflip:21 truncate:22 random:23 anyflip:24)
		[[ $name == vp80-00-comprehensive-002 ]] && kinds+=(oversize zerosize cut header)
		for kind in "${kinds[@]}"; do
			spoilt=$WORK/vp8-${kind%%:*}.ivf
			python3 /src/tests/guest/ivf_spoil.py "$kind" "$ivf" "$spoilt" ||
				fail "ivf_spoil.py $kind $ivf failed"
			read -r j0 f0 <<<"$(counters)"
			t0=$(now)
			timeout 120 gst-launch-1.0 -q --no-fault filesrc location="$spoilt" ! ivfparse ! \
				v4l2slvp8dec ! video/x-raw,format=NV12 ! fakesink >/dev/null 2>"$WORK/vp8.log"
			rc=$?
			read -r j1 f1 <<<"$(counters)"
			vp8_inputs=$((vp8_inputs + 1))
			verdict=ok
			if ((rc == 124)); then
				verdict="FAILED: no end within 120 s (hang)"
				status=1
			elif ! kill -0 "$pid" 2>/dev/null; then
				verdict="FAILED: the daemon (pid $pid) is gone"
				status=1
			fi
			jobs="?" failedj="?"
			if [[ $j0 != "?" && $j1 != "?" ]]; then
				jobs=$((j1 - j0)) failedj=$((f1 - f0))
				vp8_jobs=$((vp8_jobs + jobs)) vp8_failed=$((vp8_failed + failedj))
			fi
			say "$(printf '%-30s %-18s %4s requests, %3s failed, gst-launch exit %-3s %s (%s s)' \
				"vp8 ${kind%%:*}" "${name#vp80-}" "$jobs" "$failedj" "$rc" "$verdict" "$(elapsed "$t0" "$(now)")")"
			[[ $verdict == ok ]] || tail -n 3 "$WORK/vp8.log" | sed 's/^/      /'
			[[ $verdict != *daemon* ]] || exit 1
		done
		# The clean vector right after: FFmpeg's md5 (I420 through videoconvert, as 70-streams).
		want=$(ffmpeg -v error -i "$ivf" -pix_fmt yuv420p -f md5 - | sed 's/^MD5=//')
		got=$(gst_retry "$WORK/vp8-clean.log" timeout 300 gst-launch-1.0 -m --no-fault \
			filesrc location="$ivf" ! ivfparse ! v4l2slvp8dec ! video/x-raw,format=NV12 ! \
			videoconvert ! video/x-raw,format=I420 ! videocodectestsink |
			sed -n 's/.*conformance\/checksum, checksum-type=(string)MD5, checksum=(string)\([0-9a-f]*\).*/\1/p')
		if [[ -n $want && $got == "$want" ]]; then
			say "$(printf '%-30s %-18s md5 %s (FFmpeg %s) match' "vp8 clean, right after" "${name#vp80-}" "$got" "$want")"
		else
			say "$(printf '%-30s %-18s md5 %s (FFmpeg %s) MISMATCH' "vp8 clean, right after" "${name#vp80-}" "${got:-none}" "${want:-none}")"
			tail -n 5 "$WORK/vp8-clean.log" | sed 's/^/      /'
			status=1
		fi
	done
	say "vp8 (GStreamer v4l2slvp8dec): $vp8_inputs spoiled inputs, $vp8_jobs requests, $vp8_failed failed with an error"
fi

now_pid=$(daemon_pid)
[[ $now_pid == "$pid" ]] || { say "the daemon's pid changed: $pid -> ${now_pid:-none}"; status=1; }
say "hostile: $runs clients, $sent requests sent, $spoiled spoiled, $failed of those failed with an error, $((spoiled - failed)) decoded without harm; daemon pid $pid survived: $([[ $now_pid == "$pid" ]] && echo yes || echo NO)"
exit $status
