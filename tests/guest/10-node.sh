#!/bin/bash
# The decoder node as clients discover it: video node by card name, a media device whose graph
# has a PROC_VIDEO_DECODER entity, the three OUTPUT formats, NV12 CAPTURE, and the format
# arithmetic (CAPTURE size follows OUTPUT, aligned; OUTPUT sizeimage is what the client asked).
. /src/tests/guest/lib.sh

video=$(video_node) || fail "no video node named $DAEDALUS_CARD"
media=$(media_node) || fail "no media device for $DAEDALUS_CARD"
say "video node $video, media device $media"

# The video node's driver name is the media device's, as clients pair them by it (Chromium).
vdriver=$(v4l2-ctl -d "$video" --info | sed -n 's/^\tDriver name *: //p' | head -n1)
mdriver=$(media-ctl -d "$media" -p | sed -n 's/^driver *//p' | head -n1)
say "driver name: video node $vdriver, media device $mdriver"
[[ $vdriver == "$DAEDALUS_CARD" && $mdriver == "$DAEDALUS_CARD" ]] || fail "driver names differ"
media-ctl -d "$media" -p >"$WORK/topology.txt" || fail "media-ctl -p"
grep -q "PROC_VIDEO_DECODER\|proc-video-decoder\|V4L2 decoder" "$WORK/topology.txt" ||
	media-ctl -d "$media" --print-dot | grep -q "$DAEDALUS_CARD" || fail "no decoder entity"

fmts=$(v4l2-ctl -d "$video" --list-formats-out)
for f in S264 VP9F AV1F; do
	grep -q "'$f'" <<<"$fmts" || fail "OUTPUT format $f missing"
done
v4l2-ctl -d "$video" --list-formats | grep -q "'NV12'" || fail "CAPTURE NV12 missing"
v4l2-ctl -d "$video" --list-framesizes VP9F | grep -q "4096x2304" || fail "frame sizes"

# Format arithmetic, in one open file (the format is per context).
out=$(v4l2-ctl -d "$video" \
	--set-fmt-video-out=width=853,height=479,pixelformat=VP9F,sizeimage=3000000 \
	--get-fmt-video-out --get-fmt-video 2>&1)
echo "$out" >"$WORK/fmt.txt"
grep -q "Width/Height *: 864/480" <<<"$out" || fail "CAPTURE size is not 864x480: $out"
grep -q "Bytes per Line *: 864" <<<"$out" || fail "CAPTURE stride is not 864"
grep -q "Size Image *: 622080" <<<"$out" || fail "CAPTURE sizeimage is not 864*480*3/2"
grep -q "Size Image *: 3000000" <<<"$out" || fail "OUTPUT sizeimage not what the client asked"
say "853x479 VP9 -> CAPTURE NV12 864x480, stride 864, 622080 bytes; OUTPUT 3000000 bytes kept"

# Colorimetry set on OUTPUT is what TRY/G_FMT report back, and CAPTURE follows it.
out=$(v4l2-ctl -d "$video" \
	--set-fmt-video-out=width=1920,height=1080,pixelformat=S264,colorspace=bt2020,xfer=smpte2084,ycbcr=bt2020,quantization=lim-range \
	--get-fmt-video-out --get-fmt-video 2>&1)
echo "$out" >"$WORK/colorimetry.txt"
for want in "Colorspace *: BT.2020" "Transfer Function *: SMPTE 2084" \
	"YCbCr/HSV Encoding: BT.2020" "Quantization *: Limited Range"; do
	[[ $(grep -cE "$want" <<<"$out") == 2 ]] || fail "'$want' not on both queues: $out"
done
grep -q "Width/Height *: 1920/1088" <<<"$out" || fail "H.264 1920x1080 CAPTURE is not 1920x1088"
say "colorimetry BT.2020 / SMPTE 2084 / BT.2020 / limited set on OUTPUT, reported on OUTPUT and CAPTURE"
