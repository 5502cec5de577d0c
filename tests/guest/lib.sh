# shellcheck shell=bash
# Helpers for the guest tests (sourced). A test prints what it checks and what it measured,
# and exits 0 (pass), 77 (skip, with the reason) or anything else (fail).

DAEDALUS_CARD=daedalus-v4l2
DAEMON=/src/build/guest/daemon/daedalus-v4l2d
DAEMON_LOG=/src/build/vm/daemon.log
WORK=${DAEDALUS_WORK:-/tmp/daedalus-test}
mkdir -p "$WORK"

say() { echo "  $*"; }
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

# Starts the daemon in the background (as tests/vm/guest does) and waits until it attached:
# a new "attached" line in the log (the log already holds the first daemon's).
start_daemon() {
	local seen
	seen=$(grep -c "Daemon: attached to" "$DAEMON_LOG" 2>/dev/null)
	setsid "$DAEMON" >>"$DAEMON_LOG" 2>&1 </dev/null &
	local i
	for i in $(seq 100); do
		(($(grep -c "Daemon: attached to" "$DAEMON_LOG" 2>/dev/null) > ${seen:-0})) && return 0
		sleep 0.1
	done
	return 1
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
