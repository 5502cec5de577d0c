#!/bin/bash
# The CAPTURE memory as the daemon and a client see it, with each of the module's buffer
# allocators (dma_contig=1: vb2-dma-contig, from CMA where the kernel has it, as on a Pi;
# dma_contig=0: vb2-dma-sg pages): a 1080p buffer exported and mapped as the daemon maps it,
# the daemon's picture writer into it inside the DMA_BUF_IOCTL_SYNC brackets, and the client's
# own mapping of the buffer (QUERYBUF + mmap) must hold exactly what was written. Prints the
# writer's speed into that mapping against ordinary memory and a memcpy, and the client's read
# speed (figures only: under emulation, QEMU does not model the mappings' cacheability).
. /src/tests/guest/lib.sh

PROBE=/src/build/guest/tools/daedalus-probe
param=/sys/module/daedalus_v4l2/parameters/dma_contig
[[ -w $param ]] || skip "no writable $param"
saved=$(cat "$param")
trap 'echo "$saved" >"$param"' EXIT

status=0
for contig in 1 0; do
	echo "$contig" >"$param"
	name=dma-sg
	((contig)) && name=dma-contig
	say "dma_contig=$contig ($name$( ((contig)) && grep -q '^CmaTotal: *[1-9]' /proc/meminfo && echo ', CMA'))"
	if ! "$PROBE" mapping 5 >"$WORK/36-$contig.log" 2>&1; then
		status=1
	fi
	sed 's/^/    /' "$WORK/36-$contig.log"
done
((status == 0)) || fail "the client's mapping did not show what the daemon's wrote (above)"
