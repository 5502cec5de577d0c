#!/bin/bash
# Client faults while a job is with the daemon (daedalus-probe inflight: one request with the
# 853x479 VP9 clip's key frame, then an action after HOLD ms):
#  - the daemon decoding it (such a key frame takes several hundred ms under emulation):
#    STREAMOFF OUTPUT, STREAMOFF + REQBUFS(0) on CAPTURE, REQBUFS(0) while streaming (EBUSY),
#    DECODER_CMD FLUSH (and STOP, refused: stateless), the video fd closed with the request fd
#    kept, the client SIGKILLed; each request completes (done or error) and the context decodes
#    again after a restart;
#  - the job queued for a stopped daemon (SIGSTOP, not fetched yet): the same, then SIGCONT;
#  - the job fetched and held by a stand-in daemon (bridge_probe.py): STREAMOFF, close, SIGKILL;
#    the stand-in's late answers are refused (ENOENT);
#  - rmmod while a client holds the video node, and while a client holds only a request fd
#    (that used to oops in media_request_release once the module was gone): refused.
# Afterwards the daemon has its pid (or, after the stand-in, a new daemon serves), a clean
# decode is md5-identical to FFmpeg's, and tests/vm/run checks dmesg and that the module unloads.
. /src/tests/guest/lib.sh

PROBE=/src/build/guest/tools/daedalus-probe
DECODE=/src/build/guest/tools/daedalus-decode
clips=${DAEDALUS_CLIPS:-/clips}
big=$clips/vp9-853x479-odd.webm
small=$clips/vp9-320x240-long.webm
[[ -x $PROBE ]] || fail "no $PROBE (tests/vm/build builds it)"
[[ -f $big && -f $small ]] || skip "no clips in $clips (tests/clips/make)"
pid=$(daemon_pid)
[[ -n $pid ]] || fail "no daemon running at the start"
# A key frame takes up to a second or two in this guest, and the daemon finishes a job that was
# taken from it before it starts the next: a watchdog of 8 s for this test (restored after).
param=/sys/module/daedalus_v4l2/parameters/job_timeout_ms
saved=$(cat "$param")
trap 'echo "$saved" >"$param"' EXIT
echo 8000 >"$param"
TIMEOUT=11000
status=0 faults=0

# probe LABEL ACTION HOLD_MS: one in-flight fault, its lines indented.
probe() {
	local label=$1 action=$2 hold=$3 out rc
	out=$(timeout "$(scaled 60)" "$PROBE" inflight "$action" "$big" 853x479 "$hold" "$TIMEOUT" 2>&1)
	rc=$?
	faults=$((faults + 1))
	say "$label: $(head -n1 <<<"$out" | sed 's/^ *//')"
	tail -n +2 <<<"$out" | sed 's/^ */    /'
	((rc == 0)) || { say "  FAILED (exit $rc)"; status=1; }
}

# killed LABEL HOLD_MS: the client SIGKILLed while its job is with the daemon.
killed() {
	local label=$1 hold=$2 client t0
	"$PROBE" inflight hang "$big" 853x479 0 >"$WORK/hang.log" 2>&1 &
	client=$!
	# Its request is queued once it says so.
	for _ in $(seq 200); do grep -q "waiting to be killed" "$WORK/hang.log" && break; sleep 0.05; done
	sleep "$(awk -v ms="$hold" 'BEGIN { print ms / 1000 }')"
	t0=$(now)
	kill -KILL $client
	wait $client 2>/dev/null
	faults=$((faults + 1))
	say "$label: $(sed 's/^ *//' "$WORK/hang.log" | head -n1); SIGKILL, gone in $(elapsed "$t0" "$(now)") s"
}

check_daemon() {
	kill -0 "$pid" 2>/dev/null || { say "FAILED: the daemon (pid $pid) died $1"; exit 1; }
}

say "real daemon (pid $pid) decoding the job"
for action in streamoff streamoff-capture reqbufs0 flush close; do
	probe "$action" "$action" 100
	check_daemon "after $action"
done
killed "client killed" 100
check_daemon "after the client was killed"

say "daemon stopped (SIGSTOP): the job waits in the queue"
for action in streamoff close; do
	kill -STOP "$pid"
	# Woken up again 1 s later: the restarted context's request is decoded then.
	(sleep 1; kill -CONT "$pid") &
	probe "$action" "$action" 200
	wait $!
	check_daemon "after $action"
done
kill -STOP "$pid"
killed "client killed" 200
kill -CONT "$pid"
check_daemon "after SIGCONT"

# The stand-in daemon: every job fetched and held 1.5 s, then answered (late: ENOENT). Times
# the kernel's time scale: under the debug kernel a SIGKILLed client takes 2-3 s to be gone
# (its job lives until then, so an answer before that is rightly taken).
kill -TERM "$pid"
for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "the daemon did not exit on SIGTERM"
start_standin "$WORK/standin.log" --late-ms "$(scaled 1500)" --jobs 3
standin=$STANDIN
say "stand-in daemon (bridge_probe.py) holding each job it fetched"
probe "streamoff" streamoff:norestart 300
probe "close" close 300
killed "client killed" 300
wait $standin
standin_rc=$?
grep -E "late answers|refused$" "$WORK/standin.log" | grep -v "never was\|before attaching\|another version\|second attach" |
	sed 's/^ */    stand-in: /'
((standin_rc == 0)) || { say "FAILED: the stand-in daemon found a fault"; sed 's/^/    /' "$WORK/standin.log"; status=1; }

# rmmod while clients hold the device (no daemon attached now): refused.
exec 9<>"$(video_node)"
if rmmod daedalus_v4l2 2>"$WORK/rmmod.txt"; then
	say "FAILED: rmmod succeeded while a client held the video node"; exit 1
fi
exec 9>&-
say "rmmod while a client holds the video node: refused ($(cat "$WORK/rmmod.txt"))"
python3 - "$(media_node)" <<'EOF' >"$WORK/reqfd.txt" 2>&1
import fcntl, os, struct, subprocess, sys
fd = os.open(sys.argv[1], os.O_RDWR)
buf = bytearray(4)
fcntl.ioctl(fd, (2 << 30) | (4 << 16) | (0x7c << 8) | 5, buf)  # MEDIA_IOC_REQUEST_ALLOC
req = struct.unpack("<i", buf)[0]
os.close(fd)
r = subprocess.run(["rmmod", "daedalus_v4l2"], capture_output=True, text=True)
os.close(req)
print("refused" if r.returncode else "SUCCEEDED", r.stderr.strip())
sys.exit(0 if r.returncode else 1)
EOF
rc=$?
((rc == 0)) || { say "FAILED: rmmod with only a request fd open: $(cat "$WORK/reqfd.txt")"; exit 1; }
say "rmmod while a client holds only a request fd: $(cat "$WORK/reqfd.txt")"

start_daemon || fail "the daemon did not start again"
pid=$(daemon_pid)
reference=$(ffmpeg -v error -i "$small" -map 0:v -frames:v 30 -pix_fmt yuv420p -f md5 - | sed 's/^MD5=//')
md5=$("$DECODE" --mode chromium --timeout "$TIMEOUT" --md5 --frames 30 "$small" 2>"$WORK/after.log" | cut -d' ' -f1)
if [[ $md5 == "$reference" ]]; then
	say "afterwards a new daemon (pid $pid) decodes a new stream: md5 $md5 (FFmpeg's)"
else
	say "FAILED: after the faults the md5 is ${md5:-none}, FFmpeg's $reference"
	sed 's/^/    /' "$WORK/after.log" | tail -n 5
	status=1
fi
say "$faults client faults survived"
exit $status
