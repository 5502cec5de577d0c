#!/bin/bash
# 10-bit streams made at test time, in the guest: VP9 profile 2 (libvpx, with hidden alt-ref
# frames) and H.264 High 10 (x264, B-frames). GStreamer's V4L2 decoders through the node, with
# the CAPTURE format P010 the driver picks from the sequence controls, must give the same raw
# pictures as GStreamer's software decoders of the same library (FFmpeg's through avdec_*),
# converted to P010 (exact: P010 holds the 10-bit values unchanged).
. /src/tests/guest/lib.sh

gst-inspect-1.0 v4l2slvp9dec >/dev/null 2>&1 || fail "GStreamer has no v4l2slvp9dec: decoder not discovered"
gst-inspect-1.0 v4l2slh264dec >/dev/null 2>&1 || fail "GStreamer has no v4l2slh264dec: decoder not discovered"

w=352 h=288 frames=40
src="testsrc2=size=${w}x$h:rate=30,noise=alls=6:allf=t,format=yuv420p10le"
# P010 in GStreamer's default layout: 2 bytes per sample, chroma lines interleaved.
frame_bytes=$(( (w * 2) * h * 3 / 2 ))

encode() { # NAME FILE ARGS...
	local name=$1 file=$2
	shift 2
	local t0
	t0=$(now)
	ffmpeg -nostdin -hide_banner -loglevel error -f lavfi -i "$src" -frames:v "$frames" "$@" \
		-an -y "$file" || { say "$name: encoding failed"; return 1; }
	say "$name: encoded $frames frames ${w}x$h in $(elapsed "$t0" "$(now)") s:" \
		"$(ffprobe -v error -select_streams v -show_entries stream=profile,pix_fmt -of csv=p=0 "$file")"
}

# decode NAME FILE PARSER SOFTWARE V4L2
decode() {
	local name=$1 file=$2 parser=$3 software=$4 v4l2=$5
	local t0 t1 t2 ok=1
	t0=$(now)
	gst-launch-1.0 -q filesrc location="$file" ! $parser ! "$software" ! \
		videoconvert dither=none ! video/x-raw,format=P010_10LE ! \
		filesink location="$WORK/$name.sw.yuv" || { say "$name: software decode failed"; return 1; }
	t1=$(now)
	gst-launch-1.0 -q filesrc location="$file" ! $parser ! "$v4l2" ! \
		video/x-raw,format=P010_10LE ! filesink location="$WORK/$name.v4l2.yuv" \
		2>"$WORK/$name.err" || ok=0
	t2=$(now)
	if ((!ok)); then
		sed 's/^/    /' "$WORK/$name.err" | head -n 5
		say "$name: V4L2 decode failed"
		return 1
	fi
	local sw hw n verdict=match status=0
	sw=$(md5sum <"$WORK/$name.sw.yuv" | cut -d' ' -f1)
	hw=$(md5sum <"$WORK/$name.v4l2.yuv" | cut -d' ' -f1)
	n=$(( $(stat -c %s "$WORK/$name.v4l2.yuv") / frame_bytes ))
	[[ $sw == "$hw" && $n == "$frames" ]] || { verdict=MISMATCH; status=1; }
	say "$name ${w}x$h P010: $n/$frames frames, v4l2 $hw vs software $sw: $verdict" \
		"(software $(elapsed "$t0" "$t1") s, v4l2 $(elapsed "$t1" "$t2") s)"
	rm -f "$WORK/$name".*.yuv
	return $status
}

status=0
# Hidden alt-ref frames as in tests/clips (realtime mode, look-ahead).
if encode vp9-profile2 "$WORK/vp9p2.webm" -c:v libvpx-vp9 -profile:v 2 -b:v 1M \
	-auto-alt-ref 1 -lag-in-frames 16 -g 40 -deadline realtime -cpu-used 8 -threads 2; then
	coded=$(ffmpeg -v error -i "$WORK/vp9p2.webm" -map 0:v -c copy -bsf:v vp9_superframe_split \
		-f framecrc - | grep -vc '^#')
	say "vp9-profile2: $coded coded frames, $((coded - frames)) hidden"
	decode vp9-profile2 "$WORK/vp9p2.webm" "matroskademux ! vp9parse" avdec_vp9 v4l2slvp9dec || status=1
else
	status=1
fi
if encode h264-high10 "$WORK/high10.264" -c:v libx264 -profile:v high10 -preset fast -bf 3 \
	-g 40 -f h264; then
	decode h264-high10 "$WORK/high10.264" h264parse avdec_h264 v4l2slh264dec || status=1
else
	status=1
fi
rm -f "$WORK/vp9p2.webm" "$WORK/high10.264"
exit $status
