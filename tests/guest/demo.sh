#!/bin/bash
# Guest side of ./demo: shows the decoder as clients see it, then decodes the sample clips
# through it (tests/guest/30-vp9-gst.sh prints one line per clip).
. /src/tests/guest/lib.sh

video=$(video_node) || fail "no video node named $DAEDALUS_CARD: is the module loaded?"
media=$(media_node) || fail "no media device"
echo "Decoder: $video + $media, daemon pid $(daemon_pid)"
v4l2-ctl -d "$video" --info | sed -n 's/^\t\(Driver name\|Card type\) *: /  \1: /p'
echo "  OUTPUT formats: $(v4l2-ctl -d "$video" --list-formats-out | grep -o "'[A-Z0-9]*'" | tr '\n' ' ')"
echo "  CAPTURE formats: $(v4l2-ctl -d "$video" --list-formats | grep -o "'[A-Z0-9]*'" | tr '\n' ' ')"
echo "  GStreamer elements: $(gst-inspect-1.0 v4l2codecs 2>/dev/null | grep -o 'v4l2sl[a-z0-9]*dec' | sort -u | tr '\n' ' ')"
echo
echo "Decoding the sample clips with v4l2slvp9dec (through $video) and with avdec_vp9 (software):"
exec /src/tests/guest/30-vp9-gst.sh
