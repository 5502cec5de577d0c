# shellcheck shell=bash
# Helpers for the guest tests (sourced). A test prints what it checks and what it measured,
# and exits 0 (pass), 77 (skip, with the reason) or anything else (fail).

DAEDALUS_CARD=daedalus-v4l2
DAEMON=/src/build/guest/daemon/daedalus-v4l2d
DAEMON_LOG=${DAEDALUS_VM_LOGS:-/src/build/vm}/daemon.log
DECODE=/src/build/guest/tools/daedalus-decode
# The module tests/vm/guest loaded (set by it; kernel/'s for Debian's x86-64 kernel).
MODULE_KO=${DAEDALUS_MODULE_KO:-/src/kernel/daedalus_v4l2.ko}
WORK=${DAEDALUS_WORK:-/tmp/daedalus-test}
mkdir -p "$WORK"

say() { echo "  $*"; }

# has_any NAME TEXT...: NAME contains one of the TEXTs.
has_any() {
	local name=$1 text
	shift
	for text; do [[ $name == *"$text"* ]] && return 0; done
	return 1
}
fail() { echo "  FAIL: $*"; exit 1; }
skip() { echo "  SKIP: $*"; exit 77; }

# The decoder's video node, found by its card name as clients find it.
video_node() {
	local d
	for d in /sys/class/video4linux/video*; do
		[[ -e $d/name && $(cat "$d/name") == "$DAEDALUS_CARD" ]] && { echo "/dev/${d##*/}"; return 0; }
	done
	return 1
}

media_node() {
	local d
	for d in /sys/bus/media/devices/media*; do
		[[ -e $d/model && $(cat "$d/model") == "$DAEDALUS_CARD" ]] && { echo "/dev/${d##*/}"; return 0; }
	done
	# Fallback: the media device of the platform device.
	for d in /sys/devices/platform/$DAEDALUS_CARD/media*; do
		[[ -e $d ]] && { echo "/dev/${d##*/}"; return 0; }
	done
	return 1
}

daemon_pid() { pgrep -x daedalus-v4l2d | head -n1; }

# Starts the daemon in the background (as tests/vm/guest does), with ARGS if given, and waits
# until it attached: a new "attached" line in the log (the log already holds the first
# daemon's).
start_daemon() { # [ARGS...]
	local seen
	seen=$(grep -c "Daemon: attached to" "$DAEMON_LOG" 2>/dev/null)
	setsid "$DAEMON" "$@" >>"$DAEMON_LOG" 2>&1 </dev/null &
	local i
	for i in $(seq 100); do
		(($(grep -c "Daemon: attached to" "$DAEMON_LOG" 2>/dev/null) > ${seen:-0})) && return 0
		sleep 0.1
	done
	return 1
}

# Stops the running daemon with SIGTERM and waits until it is gone (fails the test if it does
# not exit within 10 s).
stop_daemon() {
	local p
	p=$(daemon_pid)
	[[ -n $p ]] || return 0
	kill "$p"
	for _ in $(seq 100); do
		kill -0 "$p" 2>/dev/null || return 0
		sleep 0.1
	done
	fail "the daemon (pid $p) did not exit on SIGTERM"
}

# How much slower than Debian's kernel this guest's kernel is, as tests/vm/run says on the
# kernel command line (the debug kernel: KASAN, lockdep and kmemleak under emulation); 1
# otherwise. Only waits for a test's own helpers and the few wall-clock limits scale with it,
# and a test that scales a limit prints the limit it applied.
TIME_SCALE=$(sed -n 's/.*daedalus_test\.time_scale=\([0-9]*\).*/\1/p' /proc/cmdline)
TIME_SCALE=${TIME_SCALE:-1}
scaled() { awk -v s="$1" -v k="$TIME_SCALE" 'BEGIN { print s * k }'; }

# wait_for_line FILE PATTERN SECONDS: waits until FILE has a line matching PATTERN (a helper
# process's "ready" line), at most SECONDS times TIME_SCALE; returns 1 if it never came.
wait_for_line() {
	local file=$1 pattern=$2 end
	end=$(awk -v n="$(now)" -v s="$(scaled "$3")" 'BEGIN { print n + s }')
	until grep -q -- "$pattern" "$file" 2>/dev/null; do
		awk -v n="$(now)" -v e="$end" 'BEGIN { exit !(n > e) }' && return 1
		sleep 0.1
	done
}

# start_standin LOG ARGS...: starts the stand-in daemon (bridge_probe.py ARGS, unbuffered
# output in LOG) in the background, its pid in STANDIN, and waits until it has attached: a
# client that comes first finds no daemon (ENODEV). Fails the test if it does not attach.
start_standin() {
	local log=$1
	shift
	python3 -u /src/tests/guest/bridge_probe.py "$@" >"$log" 2>&1 &
	STANDIN=$!
	wait_for_line "$log" attached 30 ||
		{ cat "$log"; kill "$STANDIN"; fail "the stand-in daemon did not attach"; }
}

now() { local up; read -r up _ </proc/uptime; echo "$up"; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# gst_decode ELEMENT FILE OUT: decodes a WebM VP9 file with ELEMENT to raw NV12 in GStreamer's
# default layout. The V4L2 decoder outputs NV12 itself: no converter competes with the daemon
# for the guest's two CPUs (under emulation GStreamer gives a request only 1 s).
gst_decode() {
	local element=$1 file=$2 out=$3
	if [[ $element == v4l2sl* ]]; then
		gst-launch-1.0 -q filesrc location="$file" ! matroskademux ! vp9parse ! "$element" ! \
			video/x-raw,format=NV12 ! filesink location="$out"
	else
		gst-launch-1.0 -q filesrc location="$file" ! matroskademux ! "$element" ! \
			videoconvert ! video/x-raw,format=NV12 ! filesink location="$out"
	fi
}

# gst_retry ERRFILE COMMAND...: runs a GStreamer COMMAND (stderr to ERRFILE). GStreamer gives a
# request 1 s; under emulation on a loaded host a 1080p frame can take that long. Only that
# error, and only once, earns a second try (said so). The v4l2codecs helper's warnings are on:
# when the wait that gst_v4l2_request_queue() makes for the oldest request runs out, GStreamer
# ignores it ("Request N took too long." is only a warning), the request keeps its OUTPUT
# buffer, and the next picture fails with "Not enough memory to decode H264 stream" (the
# bitstream allocator has 2 buffers and never waits). Without that warning the error is not
# retried. A pipeline that ends normally is never retried: its pictures are compared.
# Returns the status of the last try.
gst_retry() {
	local err=$1 rc
	shift
	GST_DEBUG_NO_COLOR=1 GST_DEBUG="${GST_DEBUG:+$GST_DEBUG,}v4l2codecs-decoder:2" "$@" 2>"$err"
	rc=$?
	((rc == 0)) && return 0
	grep -q "took too long" "$err" || return $rc
	if grep -q "Not enough memory" "$err"; then
		say "GStreamer's 1 s per request ran out (emulation) and left it no OUTPUT buffer (\"$(grep -m1 -o 'Request [0-9]* took too long' "$err")\", then \"Not enough memory\"); trying once more"
	else
		say "GStreamer's 1 s per request ran out (emulation); trying once more"
	fi
	GST_DEBUG_NO_COLOR=1 GST_DEBUG="${GST_DEBUG:+$GST_DEBUG,}v4l2codecs-decoder:2" "$@" 2>"$err"
}

# The codec of a stream file as FFmpeg names it (h264, vp9, av1).
stream_codec() { /src/tests/clips/reference --codec "$1"; }

# stream_reference FILE: "FRAMES BYTES MD5" of the software decode of FILE
# (tests/clips/reference): from $STREAM_REFERENCES, which tests/run-all makes natively on the
# host before the guest run, if it has FILE (by name and size); else decoded here, and said.
STREAM_REFERENCES=/src/build/streams/reference.txt
stream_reference() {
	local name size line
	name=$(basename "$1") size=$(stat -c %s "$1")
	line=$(awk -v n="$name" -v s="$size" '$1 == n && $5 == s { print $2, $3, $4 }' \
		"$STREAM_REFERENCES" 2>/dev/null)
	if [[ -z $line ]]; then
		say "$name: not in $STREAM_REFERENCES (tests/run-all makes it): software decode in the guest" >&2
		line=$(/src/tests/clips/reference "$1" | cut -d' ' -f2-4)
	fi
	echo "$line"
}

# gst_v4l2_decode FILE [OUT]: decodes FILE (H.264 Annex B, IVF or WebM holding VP9 or AV1)
# with GStreamer's V4L2 stateless decoder through the node. The decoder's NV12 pictures go
# through videoconvert to I420 (a repacking: same md5 as NV12 into the sink, measured) and
# videocodectestsink writes them to OUT without padding, as FFmpeg's yuv420p rawvideo
# (tests/clips/reference); without OUT it prints their md5 instead. Not NV12 into the sink:
# videocodectestsink 1.26 deinterleaves NV12 chroma with one write() and one checksum update
# per byte, which takes about 1 s per 320x240 frame in the emulated guest (3 to 5 times the
# whole decode, and CPU taken from the daemon while GStreamer's 1 s per request runs).
gst_v4l2_decode() {
	local file=$1 out=${2:-} codec chain=()
	codec=$(stream_codec "$file")
	case $file in
	*.ivf) chain=(ivfparse !) ;;
	*.webm | *.mkv) chain=(matroskademux !) ;;
	esac
	chain+=("${codec}parse" ! "v4l2sl${codec}dec" ! "video/x-raw,format=NV12" ! videoconvert !
		"video/x-raw,format=I420" ! videocodectestsink)
	# A pipeline that waits for ever is a failure, not a stuck run. --no-fault: on a crash
	# gst-launch's fault handler prints a stack trace and then waits for a debugger for ever
	# ("Spinning"); without it the crash ends the pipeline at once (status 128 + signal).
	if [[ -n $out ]]; then
		timeout "${GST_TIMEOUT:-600}" gst-launch-1.0 -q --no-fault filesrc location="$file" ! "${chain[@]}" location="$out"
	else
		timeout "${GST_TIMEOUT:-1800}" gst-launch-1.0 -m --no-fault filesrc location="$file" ! "${chain[@]}" |
			sed -n 's/.*conformance\/checksum, checksum-type=(string)MD5, checksum=(string)\([0-9a-f]*\).*/\1/p'
		return "${PIPESTATUS[0]}"
	fi
}

# The client's limit per request (ms): FFmpeg waits 2 s; under emulation a 1080p key frame
# can take longer, so the client waits a second more than the module's watchdog: a stall is
# the module's to report.
client_timeout() {
	local watchdog
	watchdog=$(cat /sys/module/daedalus_v4l2/parameters/job_timeout_ms 2>/dev/null || echo 1000)
	echo $((watchdog + 1000))
}

# The number of jobs the daemon finished after the module's watchdog had failed them.
watchdog_expiries() {
	local n
	n=$(grep -c "the module gives up" "$DAEMON_LOG" 2>/dev/null)
	echo "${n:-0}"
}

# client_decode NAME MODE FILE EXPECTED_MD5 EXPECTED_FRAMES [daedalus-decode options...]:
# decodes FILE through the node with daedalus-decode in MODE (chromium, ffmpeg, gstreamer)
# and prints one line: frames, requests, failed requests, md5 against the expected one, the
# verdict, the time. EXPECTED_FRAMES may be empty. Returns 1 unless it matches. Counts the
# decodes in $decodes.
decodes=0
client_decode() {
	local name=$1 mode=$2 file=$3 expected=$4 want_frames=$5
	shift 5
	local out rc md5 frames summary t0 t1 verdict=match
	t0=$(now)
	out=$("$DECODE" --mode "$mode" --timeout "${TIMEOUT:-$(client_timeout)}" --md5 "$@" "$file" \
		2>"$WORK/decode.log")
	rc=$?
	t1=$(now)
	md5=${out%% *}
	summary=$(grep -E '^daedalus-decode: [0-9]+ frames' "$WORK/decode.log" | tail -n1)
	frames=$(sed -E 's/^daedalus-decode: ([0-9]+) frames, ([0-9]+) requests, ([0-9]+) failed.*/\1 frames, \2 requests, \3 failed/' <<<"$summary")
	if ((rc != 0)) || [[ $md5 != "$expected" ]] ||
		[[ -n $want_frames && ${frames%% *} != "$want_frames" ]]; then
		verdict=MISMATCH
	fi
	decodes=$((decodes + 1))
	say "$(printf '%-28s %-9s %-36s md5 %s (expected %s) %s (%s s)' "$name" "$mode" \
		"${frames:-no summary}" "${md5:-none}" "$expected" "$verdict" "$(elapsed "$t0" "$t1")")"
	[[ $verdict == match ]] && return 0
	say "    exit $rc${want_frames:+, expected $want_frames frames}"
	grep -v -E '^daedalus-decode: [0-9]+ frames' "$WORK/decode.log" | head -n 5 | sed 's/^/      /'
	return 1
}

# decode_both NAME FILE EXPECTED_MD5 EXPECTED_FRAMES [options...]: client_decode in Chromium's
# and in FFmpeg's way. Returns 1 unless both match.
decode_both() {
	local rc=0 mode
	for mode in chromium ffmpeg; do
		client_decode "$1" "$mode" "${@:2}" || rc=1
	done
	return $rc
}
