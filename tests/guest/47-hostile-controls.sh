#!/bin/bash
# Hostile control values and resource limits, through daedalus-probe (tools/daedalus-probe):
# out-of-range and contradictory values of the stateless controls of the four codecs, each tried
# with VIDIOC_TRY_EXT_CTRLS and set in a request; each must be refused with the errno the case
# names (EINVAL from the control framework's checks or the driver's try_ctrl, ERANGE for pinned
# menus, ENOSPC for an array too long), valid values accepted. Then the limits: S_FMT beyond the
# largest and below the smallest frame size, OUTPUT sizeimage beyond 64 MiB, REQBUFS and
# CREATE_BUFS with huge counts: each clamped. Values that only contradict the bitstream or each
# other across controls are the daemon's to refuse: 46-hostile-input sends those.
. /src/tests/guest/lib.sh

PROBE=/src/build/guest/tools/daedalus-probe
[[ -x $PROBE ]] || fail "no $PROBE (tests/vm/build builds it)"
pid=$(daemon_pid)
status=0
"$PROBE" controls || status=1
"$PROBE" limits || status=1
[[ -z $pid || $(daemon_pid) == "$pid" ]] || { say "the daemon's pid changed"; status=1; }
exit $status
