#!/bin/bash
# fluster with GStreamer's V4L2 stateless decoders through the node, on the conformance suites
# of tests/fluster/suites (4:2:0, 8-bit and 10-bit). The bar is the software decoder with the same
# library, run by tests/run-all before the guest starts (build/fluster/software): every vector
# it reproduces must be reproduced through V4L2. Prints the score per suite and each failure.
. /src/tests/guest/lib.sh

[[ ${DAEDALUS_FLUSTER:-1} == 1 ]] || skip "DAEDALUS_FLUSTER=0: the conformance suites through V4L2 are not run"
vectors=/vectors
[[ -f $vectors/MANIFEST.tsv ]] || skip "no conformance vectors at $vectors (set DAEDALUS_VECTORS on the host)"
baseline=/src/build/fluster/software
compgen -G "$baseline/*.csv" >/dev/null || skip "no software baseline in $baseline (tests/run-all makes it)"
out=/src/build/fluster/v4l2
rm -rf "$out"

t0=$(now)
/src/tests/fluster/run v4l2 "$vectors" "$out" 2>&1 | sed 's/^/  /'
say "fluster through $(video_node) took $(elapsed "$t0" "$(now)") s"
/src/tests/fluster/compare "$baseline" "$out" | sed 's/^/  /'
exit "${PIPESTATUS[0]}"
