#!/bin/bash
# v4l2-compliance on the decoder node: no failures, no warnings.
. /src/tests/guest/lib.sh

video=$(video_node) || fail "no video node"
v4l2-compliance -d "$video" >"$WORK/compliance.txt" 2>&1
rc=$?
grep -E "fail:|warn:" "$WORK/compliance.txt" | sed 's/^/    /'
total=$(grep -E "^Total for" "$WORK/compliance.txt")
say "${total:-no total line}"
[[ $total =~ Failed:\ 0,\ Warnings:\ 0 ]] || { tail -n 40 "$WORK/compliance.txt"; fail "v4l2-compliance (exit $rc)"; }
