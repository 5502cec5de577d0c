#!/bin/bash
# The long streams of tests/clips/make (600 frames of 1080p per codec: x264, libvpx, SVT-AV1)
# through the node with daedalus-decode in Chromium's way (DAEDALUS_LONG_CLIENTS adds
# "ffmpeg" or "gstreamer"): the md5 of the I420 output and the frame count must be those of the
# software decode that tests/run-all makes natively in the Debian 13 root before the guest run
# (tests/clips/reference into build/streams/reference.txt: the same FFmpeg and dav1d; without
# it, the guest decodes in software itself, which costs minutes). Prints the time and the
# frame rate of each decode. 76-uhd runs it on the 4K streams (DAEDALUS_STREAMS=uhd-).
. /src/tests/guest/lib.sh

clips=${DAEDALUS_CLIPS:-/clips}
clients=${DAEDALUS_LONG_CLIENTS:-chromium}
prefix=${DAEDALUS_STREAMS:-long-}
[[ -f $clips/streams.tsv ]] || skip "no streams in $clips (tests/clips/make)"
mapfile -t names < <(awk -F'\t' -v p="$prefix" 'index($1, p) == 1 { print $1 }' "$clips/streams.tsv")
((${#names[@]})) || skip "no $prefix* streams in $clips/streams.tsv"
[[ -x $DECODE ]] || fail "no $DECODE (tests/vm/build builds it)"
TIMEOUT=$(client_timeout)

status=0
say "decoder: $(video_node), clients: $clients, request limit $TIMEOUT ms"
for name in "${names[@]}"; do
	file=$clips/$name
	read -r frames _ md5 <<<"$(stream_reference "$file")"
	[[ -n $md5 ]] || { say "$name: software decode failed"; status=1; continue; }
	say "$name ($(awk -F'\t' -v n="$name" '$1 == n { print $2 }' "$clips/streams.tsv")):" \
		"software $frames frames, md5 $md5"
	for client in $clients; do
		if [[ $client == gstreamer ]]; then
			t0=$(now)
			got=$(gst_retry "$WORK/gst.err" gst_v4l2_decode "$file")
			t1=$(now)
			result=match
			[[ $got == "$md5" ]] || { result=MISMATCH; status=1; }
			say "$(printf '%-28s %-9s %-36s md5 %s (expected %s) %s (%s s)' "$name" gstreamer \
				"" "${got:-none}" "$md5" "$result" "$(elapsed "$t0" "$t1")")"
			continue
		fi
		t0=$(now)
		client_decode "$name" "$client" "$file" "$md5" "$frames" || status=1
		t1=$(now)
		say "    $(awk -v f="$frames" -v t="$(elapsed "$t0" "$t1")" \
			'BEGIN { printf "%.3f s per frame, %.2f frames/s", t / f, f / t }')"
	done
done
exit $status
