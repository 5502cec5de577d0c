#!/bin/bash
# Buffers past a small CMA pool, as on a Raspberry Pi whose cma= is too small for 4K: where the
# module's buffers come from CMA (dma-contig), running out must be a clear ENOMEM (or fewer
# buffers) at REQBUFS and CREATE_BUFS, never a later failure, and the node must serve again
# once they are freed (daedalus-probe cma), then decode a clip md5-identical to software.
# Needs a guest booted with a small pool: DAEDALUS_CMA=48M on the host (tests/vm/run); skips,
# saying so, otherwise and where the kernel has no CMA (Debian amd64).
. /src/tests/guest/lib.sh

PROBE=/src/build/guest/tools/daedalus-probe
clips=${DAEDALUS_CLIPS:-/clips}
clip=$clips/vp9-320x240-long.webm
cma_kb=$(awk '/^CmaTotal:/ { print $2 }' /proc/meminfo)
((${cma_kb:-0} > 0)) || skip "no CMA in this kernel: the module's buffers come from dma-sg"
((cma_kb <= 128 * 1024)) ||
	skip "the CMA pool is $((cma_kb / 1024)) MiB; this test needs a small one (DAEDALUS_CMA=48M on the host)"
[[ $(cat /sys/module/daedalus_v4l2/parameters/dma_contig) != 0 ]] ||
	skip "dma_contig=0: the module's buffers do not come from CMA"
[[ -f $clip ]] || skip "no $clip (tests/clips/make)"

say "CMA pool $((cma_kb / 1024)) MiB, $(awk '/^CmaFree:/ { print int($2 / 1024) }' /proc/meminfo) MiB free"
"$PROBE" cma || fail "buffers past the CMA pool did not fail as they should (above)"
sw=$(ffmpeg -v error -i "$clip" -map 0:v -frames:v 20 -pix_fmt yuv420p -f md5 - | sed 's/^MD5=//')
md5=$("$DECODE" --mode chromium --timeout "$(client_timeout)" --md5 --frames 20 "$clip" \
	2>"$WORK/77.err" | cut -d' ' -f1)
[[ $md5 == "$sw" ]] || { sed 's/^/    /' "$WORK/77.err" | tail -n 5; fail "decode after the pool ran out: md5 $md5, software $sw"; }
say "then a decode: md5 $md5 = software"
