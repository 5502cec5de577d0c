#!/bin/bash
# The 4K streams of tests/clips/make (12 frames of 3840x2160 per codec: x264 with B-frames,
# libvpx with 8 tile columns, SVT-AV1) through the node in Chromium's and FFmpeg's ways
# (DAEDALUS_UHD_CLIENTS changes them), each md5- and frame-count-checked against the software
# decode, as 75-long does for the long streams. Not GStreamer: it gives a request 1 s, which a
# 4K picture outlasts under emulation.
DAEDALUS_STREAMS=uhd- DAEDALUS_LONG_CLIENTS=${DAEDALUS_UHD_CLIENTS:-chromium ffmpeg} \
	exec /src/tests/guest/75-long.sh
