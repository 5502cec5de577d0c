#!/bin/bash
# Privilege drop of a daemon started by hand as root: `daedalus-v4l2d --user nobody` attaches as
# root, then runs as nobody: /proc/PID/status shows uid and gid nobody's (real, effective,
# saved, filesystem), the supplementary groups nobody has (its own), no capability, NoNewPrivs 1; it
# still decodes md5-identically to FFmpeg. A --user that does not exist, or root, makes the
# daemon exit with status 1 instead of running on as root. Afterwards the daemon runs again as
# tests/vm/guest started it (root, no options), for the tests that follow.
. /src/tests/guest/lib.sh

clips=${DAEDALUS_CLIPS:-/clips}
clip=$clips/vp9-320x240-long.webm
FRAMES=20
[[ -x $DECODE ]] || fail "no $DECODE (tests/vm/build builds it)"
[[ -f $clip ]] || skip "no $clip (tests/clips/make)"
((EUID == 0)) || skip "not root: nothing to drop"
user=nobody
uid=$(id -u $user) gid=$(id -g $user) || skip "no user $user in the guest"

status=0
check() { # NAME ACTUAL EXPECTED
	if [[ $2 == "$3" ]]; then
		say "$(printf '%-12s %-28s ok' "$1" "$2")"
	else
		say "$(printf '%-12s %-28s FAILED (expected %s)' "$1" "$2" "$3")"
		status=1
	fi
}
field() { sed -n "s/^$1:[[:space:]]*//p" "/proc/$2/status" | tr -s '\t ' ' ' | sed 's/ $//'; }

reference=$(ffmpeg -v error -i "$clip" -map 0:v -frames:v $FRAMES -pix_fmt yuv420p -f md5 - |
	sed 's/^MD5=//')
[[ -n $reference ]] || fail "no software decode of $clip"

stop_daemon
seen=$(grep -c "Privileges: running as" "$DAEMON_LOG")
start_daemon --user $user || fail "the daemon did not attach with --user $user"
for _ in $(seq 100); do
	(($(grep -c "Privileges: running as" "$DAEMON_LOG") > seen)) && break
	sleep 0.1
done
pid=$(daemon_pid)
[[ -n $pid ]] || { tail -n 5 "$DAEMON_LOG"; fail "no daemon running after --user $user"; }
say "daemon pid $pid started as root with --user $user: $(grep "Privileges: running as" "$DAEMON_LOG" | tail -n1)"
check Uid "$(field Uid "$pid")" "$uid $uid $uid $uid"
check Gid "$(field Gid "$pid")" "$gid $gid $gid $gid"
groups=$(field Groups "$pid")
check Groups "$groups" "$(id -G $user | tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ $//')"
check CapPrm "$(field CapPrm "$pid")" 0000000000000000
check CapEff "$(field CapEff "$pid")" 0000000000000000
check NoNewPrivs "$(field NoNewPrivs "$pid")" 1

client_decode "vp9 as $user" chromium "$clip" "$reference" $FRAMES --frames $FRAMES || status=1
client_decode "vp9 as $user" ffmpeg "$clip" "$reference" $FRAMES --frames $FRAMES || status=1
[[ $(daemon_pid) == "$pid" ]] || { say "FAILED: the daemon's pid changed"; status=1; }
stop_daemon

# refused USER REASON: the daemon must exit 1 (not run on as root), saying why.
refused() {
	local rc out
	out=$(timeout 30 "$DAEMON" --user "$1" 2>&1 </dev/null)
	rc=$?
	if ((rc == 1)) && grep -q "cannot drop privileges" <<<"$out"; then
		say "$(printf '%-22s exit %d: %s' "--user $1" "$rc" "$(grep -m1 "Privileges:" <<<"$out" | cut -c1-90)")"
	else
		say "--user $1 ($2): exit $rc, FAILED (expected 1 and \"cannot drop privileges\"):"
		sed 's/^/      /' <<<"$out" | tail -n 3
		status=1
	fi
}
refused no-such-user-daedalus "no such user"
refused root "root is no drop"

start_daemon || fail "the daemon did not start again (root, no options)"
say "daemon running again as root (pid $(daemon_pid)) for the next tests"
exit $status
