#!/bin/bash
# GStreamer's v4l2slvp9dec through the decoder decodes VP9 clips made with libvpx (hidden
# alt-ref frames, 1080p, an odd size) to the same raw picture bytes as GStreamer's software
# decoder (FFmpeg's vp9 through avdec_vp9) in the same run.
. /src/tests/guest/lib.sh

clips=${DAEDALUS_CLIPS:-/clips}
[[ -d $clips ]] || skip "no clips folder at $clips (tests/clips/make)"
gst-inspect-1.0 v4l2slvp9dec >/dev/null 2>&1 || fail "GStreamer has no v4l2slvp9dec: decoder not discovered"

# NV12 frame size in GStreamer's default layout (stride rounded up to 4, an even number of
# luma lines, chroma lines interleaved).
frame_bytes() {
	local w=$1 h=$2
	echo $(( ((w + 3) / 4 * 4) * ((h + 1) / 2 * 2) * 3 / 2 ))
}

status=0
for spec in vp9-1080p-altref:1920:1080:60 vp9-853x479-odd:853:479:60; do
	IFS=: read -r name w h frames <<<"$spec"
	clip=$clips/$name.webm
	[[ -f $clip ]] || { say "$name: missing"; status=1; continue; }

	size=$(ffprobe -v error -select_streams v -show_entries stream=width,height -of csv=p=0:s=x "$clip")
	[[ $size == "${w}x$h" ]] || { say "$name: the clip is $size, not ${w}x$h"; status=1; continue; }

	coded=$(ffmpeg -v error -i "$clip" -map 0:v -c copy -bsf:v vp9_superframe_split \
		-f framecrc - | grep -vc '^#')
	hidden=$((coded - frames))

	t0=$(now)
	gst_decode avdec_vp9 "$clip" "$WORK/$name.sw.yuv" || { say "$name: software decode failed"; status=1; continue; }
	t1=$(now)
	ok=1 tv=$(now)
	gst_retry "$WORK/$name.err" gst_decode v4l2slvp9dec "$clip" "$WORK/$name.v4l2.yuv" || ok=0
	if ((!ok)); then
		sed 's/^/    /' "$WORK/$name.err" | head -n 5
		say "$name: V4L2 decode failed"
		status=1
		continue
	fi
	t2=$(now)

	sw_md5=$(md5sum <"$WORK/$name.sw.yuv" | cut -d' ' -f1)
	hw_md5=$(md5sum <"$WORK/$name.v4l2.yuv" | cut -d' ' -f1)
	hw_frames=$(( $(stat -c %s "$WORK/$name.v4l2.yuv") / $(frame_bytes "$w" "$h") ))
	verdict=match
	[[ $sw_md5 == "$hw_md5" && $hw_frames == "$frames" ]] || { verdict=MISMATCH; status=1; }
	say "$name ${w}x$h: $hw_frames/$frames frames ($coded coded, $hidden hidden)," \
		"v4l2 $hw_md5 vs software $sw_md5: $verdict" \
		"(software $(elapsed "$t0" "$t1") s, v4l2 $(elapsed "$tv" "$t2") s)"
	if [[ $name == *altref && $hidden -lt 1 ]]; then
		say "$name: the clip has no hidden frames: the test does not test them"
		status=1
	fi
	rm -f "$WORK/$name".*.yuv
done
exit $status
