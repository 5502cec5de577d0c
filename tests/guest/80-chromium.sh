#!/bin/bash
# Debian's Chromium (arm64, built with V4L2) decodes H.264 and VP9 in a page through the node:
# a <video> element plays each clip to its end, and WebCodecs decodes it with
# hardwareAcceleration "prefer-hardware" and "prefer-software" (tests/guest/chromium/player.js).
# Checked: the media-internals properties of the players (kVideoDecoderName V4L2VideoDecoder,
# kIsPlatformVideoDecoder true, through the DevTools protocol's Media domain: the data
# chrome://media-internals shows), the module's per-context job counts while the page runs
# (debugfs: the contexts Chromium opened and how many jobs the daemon answered for each), and
# every frame the node decoded for WebCodecs: the SHA-256 of its bytes (VideoFrame.copyTo)
# equal to that of the same frame decoded by the guest's FFmpeg. The software WebCodecs decode
# is checked against FFmpeg the same way, so that a mismatch is the node's and not the page's.
#
# Only on the root with Chromium (DAEDALUS_ARCH=arm64 tests/vm/setup --chromium, then
# DAEDALUS_ARCH=arm64 DAEDALUS_ARM64_ROOT=chromium tests/vm/run ... 80-chromium): Debian's
# x86-64 Chromium is built without V4L2. Chromium draws into Xvfb (headless Chromium has no
# accelerated video decode) with Mesa's software GL.
. /src/tests/guest/lib.sh

command -v chromium >/dev/null ||
	skip "no Chromium in this root (DAEDALUS_ARCH=arm64 tests/vm/setup --chromium; DAEDALUS_ARM64_ROOT=chromium tests/vm/run)"
[[ $(uname -m) == aarch64 ]] || skip "Debian's Chromium has V4L2 decoding on arm64 only"
[[ -n $(daemon_pid) ]] || fail "no daemon runs"
status_file=/sys/kernel/debug/daedalus-v4l2/status
mountpoint -q /sys/kernel/debug || mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
[[ -r $status_file ]] || fail "no $status_file"

say "$(chromium --version 2>/dev/null)"
page=$WORK/page
mkdir -p "$page"
cp /src/tests/guest/chromium/player.html /src/tests/guest/chromium/player.js "$page/"

# The clips: 640x360, 60 frames of a moving test pattern; H.264 High with B-frames (display
# order differs from decode order) in MP4 for <video> and as Annex B with access unit
# delimiters for WebCodecs; VP9 profile 0 in WebM and IVF.
w=640 h=360 frames=60
src=(-f lavfi -i "testsrc2=size=${w}x$h:rate=30" -frames:v "$frames" -pix_fmt yuv420p)
ffmpeg -v error -y "${src[@]}" -c:v libx264 -profile:v high -level 3.0 -bf 2 -g 30 \
	"$page/h264.mp4" || fail "cannot make the H.264 clip"
ffmpeg -v error -y -i "$page/h264.mp4" -c copy -bsf:v h264_mp4toannexb,h264_metadata=aud=insert \
	-f h264 "$page/h264.h264" || fail "cannot make the H.264 stream"
ffmpeg -v error -y "${src[@]}" -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -b:v 1M -g 30 \
	"$page/vp9.webm" || fail "cannot make the VP9 clip"
ffmpeg -v error -y -i "$page/vp9.webm" -c copy -f ivf "$page/vp9.ivf" || fail "cannot make the VP9 stream"
cat >"$page/config.js" <<EOF
window.CLIPS = [
	{ name: 'h264', codec: 'h264', codecString: 'avc1.64001e', container: 'h264.mp4',
	  stream: 'h264.h264', width: $w, height: $h },
	{ name: 'vp9', codec: 'vp9', codecString: 'vp09.00.10.08', container: 'vp9.webm',
	  stream: 'vp9.ivf', width: $w, height: $h },
];
EOF

# The references: FFmpeg's decode, one SHA-256 per frame, in the two layouts WebCodecs gives
# (NV12 from the node, I420 from Chromium's software decoders).
frame_hashes() { # STREAM PIX_FMT
	ffmpeg -v error -i "$1" -f rawvideo -pix_fmt "$2" - | python3 -c '
import hashlib, sys
size = int(sys.argv[1])
data = sys.stdin.buffer.read()
for at in range(0, len(data) - size + 1, size):
    print(hashlib.sha256(data[at:at + size]).hexdigest())' $((w * h * 3 / 2))
}
for clip in h264 vp9; do
	stream=$page/$clip.h264
	[[ $clip == vp9 ]] && stream=$page/vp9.ivf
	frame_hashes "$stream" nv12 >"$WORK/$clip.NV12"
	frame_hashes "$stream" yuv420p >"$WORK/$clip.I420"
done

# Chromium allocates its video frames through GBM on a DRM render node: the guest's virtio
# GPU's (DAEDALUS_QEMU_ARGS='-device virtio-gpu-pci'), or vgem's.
if [[ ! -e /dev/dri/renderD128 ]]; then
	modprobe virtio_gpu 2>/dev/null
	for _ in $(seq 20); do [[ -e /dev/dri/renderD128 ]] && break; sleep 0.2; done
	[[ -e /dev/dri/renderD128 ]] || modprobe vgem 2>/dev/null
fi
say "DRM: $(cd /dev/dri 2>/dev/null && echo *)"

# Chromium: X11 on Xvfb, GL through ANGLE on Mesa; V4L2 before VA-API (Debian builds both),
# the GPU process unsandboxed (desktop Linux's GPU sandbox does not let it open /dev/video*);
# as root, so no sandbox at all.
Xvfb :99 -screen 0 1280x720x24 -nolisten tcp >"$WORK/xvfb.log" 2>&1 &
xvfb=$!
trap 'kill $xvfb $poller 2>/dev/null' EXIT
for _ in $(seq 50); do [[ -e /tmp/.X11-unix/X99 ]] && break; sleep 0.2; done
export DISPLAY=:99
# DAEDALUS_CHROMIUM_GL, _FEATURES and _ARGS change the flags for experiments (split at spaces).
# shellcheck disable=SC2206
flags=(--no-sandbox --disable-gpu-sandbox --user-data-dir="$WORK/profile" --no-first-run
	--no-default-browser-check --disable-background-networking --disable-component-update
	--ozone-platform=x11 --ignore-gpu-blocklist ${DAEDALUS_CHROMIUM_GL:---use-gl=angle --use-angle=gl-egl}
	--enable-features="${DAEDALUS_CHROMIUM_FEATURES:-AcceleratedVideoDecoder,PreferV4L2VideoAcceleration,AcceleratedVideoDecodeLinuxGL,AcceleratedVideoDecodeLinuxZeroCopyGL}"
	--autoplay-policy=no-user-gesture-required --allow-file-access-from-files
	--enable-logging=stderr --v=0 --vmodule='*/media/gpu/*=2'
	${DAEDALUS_CHROMIUM_ARGS:-})

# The module's contexts while the page runs: the last line seen of each.
(while :; do grep '^context' "$status_file"; sleep 0.5; done) >"$WORK/contexts" 2>/dev/null &
poller=$!
timeout=$(scaled 900)
t0=$(now)
python3 /src/tests/guest/chromium_cdp.py "file://$page/player.html" "$WORK/result.json" \
	"$timeout" -- chromium "${flags[@]}" 2>"$WORK/chromium.log"
rc=$?
t1=$(now)
kill $poller 2>/dev/null
say "Chromium ran $(elapsed "$t0" "$t1") s (limit $timeout s)"
# Kept with the run's logs: Chromium's own log, the page's result and media-internals.
logs=${DAEDALUS_VM_LOGS:-/src/build/vm}/chromium
mkdir -p "$logs" && cp "$WORK/chromium.log" "$WORK/result.json" "$WORK/contexts" "$logs/" 2>/dev/null
((rc == 0)) || {
	grep -iE 'v4l2|error|fail' "$WORK/chromium.log" | tail -n 20 | sed 's/^/    /'
	fail "the page gave no result"
}

python3 - "$WORK" <<'EOF'
import json, re, sys
work = sys.argv[1]
out = json.load(open(f"{work}/result.json"))
result, players = out["result"], out["players"]
status = 0
def bad(msg):
    global status
    status = 1
    print(f"  {msg}")
decoders = {}
for pid, p in players.items():
    props = p["properties"]
    name = props.get("kVideoDecoderName")
    if name:
        decoders[pid] = (name, props.get("kIsPlatformVideoDecoder"))
    for e in p["errors"]:
        print(f"    player {pid} error: {e}")
    if not name or "V4L2" not in name:
        for m in p["messages"][-8:]:
            print(f"    player {pid}: {m[:300]}")
print("  media-internals: " + ", ".join(f"{n} (platform {pl})" for n, pl in decoders.values()))
if "error" in result:
    bad(f"the page failed: {result['error']}")
    sys.exit(1)
for clip in result["clips"]:
    name, video, hw, sw = clip["name"], clip["video"], clip["hardware"], clip["software"]
    print(f"  {name} <video>: ended {video['ended']}, {video['presented']} frames presented, "
          f"{video.get('dropped')} dropped, {video.get('width')}x{video.get('height')}, "
          f"{video['seconds']:.1f} s, error {video['error']}")
    if not video["ended"] or video["error"] or video["presented"] < 1:
        bad(f"{name}: <video> did not play to its end")
    for run, fmt_want in ((hw, "NV12"), (sw, "I420")):
        label = f"{name} WebCodecs {run['acceleration']}"
        if not run["supported"]:
            bad(f"{label}: not supported")
            continue
        ref = open(f"{work}/{name}.{run['formats'][0].split()[0] if run['formats'] else fmt_want}").read().split() \
            if run["formats"] else []
        frames = run["frames"]
        same = sum(1 for a, b in zip(frames, ref) if a == b)
        print(f"  {label}: {len(frames)} frames of {run['units']} units, {run['formats']}, "
              f"{same}/{len(ref)} frames = FFmpeg, {run.get('seconds', 0):.1f} s, error {run['error']}")
        if run["error"] or len(frames) != len(ref) or same != len(ref) or not ref:
            bad(f"{label}: frames differ from FFmpeg's")
platform = [n for n, pl in decoders.values() if pl is True or pl == "true"]
if not any("V4L2" in n for n in platform):
    bad("no player used a V4L2 platform decoder")
sys.exit(status)
EOF
verdict=$?

# The contexts Chromium opened on the node and the jobs the daemon answered in each.
# The file is in time order: the last line of each context has its final counts.
awk '{ last[$2] = $0 } END { for (id in last) print last[id] }' "$WORK/contexts" |
	sort >"$WORK/contexts.last"
sed 's/ lat_.*//; s/^/  node: /' "$WORK/contexts.last" | head -n 20
ctx_jobs=$(sed -n 's/.* done=\([0-9]*\).*/\1/p' "$WORK/contexts.last" | awk '{ s += $1 } END { print s + 0 }')
say "node: $ctx_jobs jobs answered by the daemon in Chromium's contexts"
((ctx_jobs > 0)) || { say "the node decoded nothing for Chromium"; verdict=1; }
exit $verdict
