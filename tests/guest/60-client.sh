#!/bin/bash
# daedalus-decode, the project's own stateless client, through the node in both its modes:
# Chromium's requests (whole AV1 temporal units, H.264 DECODE_MODE and START_CODE in every
# request, timestamps index * 1000 with 0 a valid reference, garbage for empty AV1 slots) and
# FFmpeg's (every control every time, timestamps index + 1, second fields re-queued, AV1 OBU
# payloads). A sample of the conformance vectors (JVT-AVC_V1 with PAFF and MBAFF,
# AV1-TEST-VECTORS 8-bit) must give the suite's md5 of the I420 output; the VP9 clips the md5
# of FFmpeg's software decode in the same run. One line per stream and mode. AV1 vectors that
# libdav1d cannot decode in software in this guest either (QEMU's emulated AVX2, with a
# DAEDALUS_QEMU_CPU that has it) are not compared, and the test says so.
. /src/tests/guest/lib.sh

vectors=/vectors
clips=${DAEDALUS_CLIPS:-/clips}
[[ -x $DECODE ]] || fail "no $DECODE (tests/vm/build builds it)"
have_vectors=0 have_clips=0
[[ -f $vectors/MANIFEST.tsv ]] && have_vectors=1
[[ -d $clips ]] && have_clips=1
((have_vectors || have_clips)) ||
	skip "no conformance vectors at $vectors (DAEDALUS_VECTORS on the host) and no clips at $clips"

# H.264: progressive Baseline and CABAC, several reference frames, PAFF, MBAFF.
H264_VECTORS=(BA1_Sony_D CABA2_SVA_B MR1_MW_A CVFI1_SVA_C CAMANL3_Sand_E)
# AV1 (suite/vector): a tiny size, intra only, motion vectors, CDF updates, two spatial
# layers, new sequence headers with growing sizes (the stream configured again).
AV1_VECTORS=(AV1-TEST-VECTORS/av1-1-b8-01-size-16x16 AV1-TEST-VECTORS/av1-1-b8-02-allintra
	AV1-TEST-VECTORS/av1-1-b8-05-mv AV1-TEST-VECTORS/av1-1-b8-04-cdfupdate
	AV1-TEST-VECTORS/av1-1-b8-22-svc-L2T1 CHROMIUM-8bit-AV1-TEST-VECTORS/av1-1-b8-03-sizeup.ivf)
# VP9 clips: name and frames (--frames limits the long one).
VP9_CLIPS=(vp9-1080p-altref:60 vp9-853x479-odd:60 vp9-320x240-long:120)

TIMEOUT=$(client_timeout)

status=0
uncomparable=0

# The vector's input file and expected md5 from the fluster suite: "FILE MD5".
suite_vector() { # CODEC SUITE NAME
	python3 - "$vectors/test_suites/$1/$2.json" "$3" <<-'EOF'
		import json, sys
		suite = json.load(open(sys.argv[1]))
		for v in suite["test_vectors"]:
		    if v["name"] == sys.argv[2]:
		        print(v["input_file"], v["result"])
	EOF
}

say "decoder: $(video_node) ($(media_node)), client: $DECODE, request limit $TIMEOUT ms"

if ((have_vectors)); then
	for name in "${H264_VECTORS[@]}"; do
		read -r input md5 <<<"$(suite_vector h264 JVT-AVC_V1 "$name")"
		file=$vectors/resources/JVT-AVC_V1/$name/$input
		[[ -f $file ]] || { say "$name: missing ($file)"; status=1; continue; }
		decode_both "$name" "$file" "$md5" "" || status=1
	done
	for entry in "${AV1_VECTORS[@]}"; do
		suite=${entry%%/*} vector=${entry#*/}
		name=${vector%.ivf}
		read -r input md5 <<<"$(suite_vector av1 "$suite" "$vector")"
		file=$vectors/resources/$suite/$vector/$input
		[[ -f $file ]] || { say "$name: missing ($file)"; status=1; continue; }
		# The daemon decodes AV1 with libdav1d. With QEMU 7.2's emulated AVX2 (tests/vm/run
		# leaves it out by default), libdav1d's AVX2 code decodes wrongly, and not even the
		# same way twice: nothing to compare with when software fails as well.
		if grep -qw avx2 /proc/cpuinfo &&
			[[ $(ffmpeg -v error -c:v libdav1d -i "$file" -pix_fmt yuv420p -f md5 - |
				sed 's/^MD5=//') != "$md5" ]]; then
			say "$(printf '%-24s not compared: libdav1d in software does not decode it' "$name")" \
				"in this guest either (QEMU's emulated AVX2; tests/vm/run's default CPU has none)"
			uncomparable=$((uncomparable + 1))
			continue
		fi
		decode_both "$name" "$file" "$md5" "" || status=1
	done
else
	say "no conformance vectors at $vectors: H.264 and AV1 not checked"
fi

if ((have_clips)); then
	for spec in "${VP9_CLIPS[@]}"; do
		IFS=: read -r name frames <<<"$spec"
		clip=$clips/$name.webm
		[[ -f $clip ]] || { say "$name: missing ($clip)"; status=1; continue; }
		t0=$(now)
		# The md5 muxer hashes what -f rawvideo would write (I420 frames, no padding).
		reference=$(ffmpeg -v error -i "$clip" -map 0:v -frames:v "$frames" -pix_fmt yuv420p \
			-f md5 - | sed 's/^MD5=//')
		say "$name: software decode (FFmpeg) $(elapsed "$t0" "$(now)") s"
		decode_both "$name" "$clip" "$reference" "$frames" --frames "$frames" || status=1
	done
else
	say "no clips at $clips: VP9 not checked"
fi

if ((uncomparable)); then
	say "$decodes decodes; $uncomparable AV1 vectors not compared: this guest's CPU breaks libdav1d"
else
	say "$decodes decodes"
fi
exit $status
