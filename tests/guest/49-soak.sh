#!/bin/bash
# Soak: many frames through one daemon. Tiny streams (64x64, 60 frames of VP9, H.264 and AV1)
# are made here with FFmpeg and decoded again and again by daedalus-decode in Chromium's way
# (--passes: an OUTPUT STREAMOFF between the passes; a new process, so a new context, every
# DAEDALUS_SOAK_PASSES passes), round robin over the codecs, until DAEDALUS_SOAK_FRAMES requests
# have run (default 5000: about 3-5 min of guest time; `DAEDALUS_SOAK_FRAMES=100000` for the
# issue's full soak: 26 min of guest time on a loaded host, docs/testing.md). The daemon's RSS
# and fd count, the kernel's unreclaimable slab and the number of dma-bufs are sampled after a
# warm-up, during the run and at the end: the fds and dma-bufs must be back to the warm-up's
# count, RSS and SUnreclaim within 8 MiB of it, the peaks of RSS and SUnreclaim after the
# clients of the second half within 2 MiB of the first half's (flat, not growing with the
# frames; checked with 6 clients or more per half), and every run's md5 the first run's.
. /src/tests/guest/lib.sh

DECODE=/src/build/guest/tools/daedalus-decode
[[ -x $DECODE ]] || fail "no $DECODE (tests/vm/build builds it)"
pid=$(daemon_pid)
[[ -n $pid ]] || fail "no daemon running at the start"
TARGET=${DAEDALUS_SOAK_FRAMES:-5000}
PASSES=${DAEDALUS_SOAK_PASSES:-25}
RSS_SLACK_KB=${DAEDALUS_SOAK_RSS_SLACK_KB:-8192}
SLAB_SLACK_KB=${DAEDALUS_SOAK_SLAB_SLACK_KB:-8192}
# A leak grows with the frames, a warm-up (allocator arenas, libraries' pools) does not: the
# peak of the daemon's RSS, and of SUnreclaim, after the clients of the second half of the soak
# may exceed the first half's peak by at most this much. Peaks, not single samples: the RSS
# after a client depends on its codec (measured: 24.6 to 27.7 MiB in one soak). Checked when
# each half has at least 6 clients (two rounds of the three codecs).
TREND_KB=${DAEDALUS_SOAK_TREND_KB:-2048}
watchdog=$(cat /sys/module/daedalus_v4l2/parameters/job_timeout_ms)
TIMEOUT=$((watchdog + 2000))

mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug 2>/dev/null
dmabufs() {
	if [[ -r /sys/kernel/debug/dma_buf/bufinfo ]]; then
		sed -n 's/^Total \([0-9]*\) objects.*/\1/p' /sys/kernel/debug/dma_buf/bufinfo
	elif [[ -d /sys/kernel/dmabuf/buffers ]]; then
		find /sys/kernel/dmabuf/buffers -mindepth 1 -maxdepth 1 | wc -l
	else
		echo "?"
	fi
}
rss_kb() { sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\).*/\1/p' "/proc/$pid/status"; }
fds() { find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l; }
sunreclaim_kb() { sed -n 's/^SUnreclaim:[[:space:]]*\([0-9]*\).*/\1/p' /proc/meminfo; }
slab_kb() { sed -n 's/^Slab:[[:space:]]*\([0-9]*\).*/\1/p' /proc/meminfo; }
sample() { echo "$(rss_kb) $(fds) $(slab_kb) $(sunreclaim_kb) $(dmabufs)"; }
show() { # LABEL "RSS FDS SLAB SUNRECLAIM DMABUFS"
	local r f s u d
	read -r r f s u d <<<"$2"
	say "$(printf '%-22s daemon RSS %6s KiB, fds %3s; kernel Slab %6s KiB, SUnreclaim %6s KiB; dma-bufs %s' "$1" "$r" "$f" "$s" "$u" "$d")"
}

# The streams, made now (tiny: the soak measures the path, not the decoders).
src=(-f lavfi -i testsrc2=size=64x64:rate=30 -frames:v 60 -pix_fmt yuv420p)
t0=$(now)
ffmpeg -v error -y "${src[@]}" -c:v libvpx-vp9 -deadline realtime -cpu-used 8 -g 30 \
	"$WORK/soak-vp9.webm" || fail "cannot make the VP9 stream"
ffmpeg -v error -y "${src[@]}" -c:v libx264 -preset ultrafast -bf 2 -g 30 -f h264 \
	"$WORK/soak-h264.264" || fail "cannot make the H.264 stream"
ffmpeg -v error -y "${src[@]}" -c:v libaom-av1 -cpu-used 8 -usage realtime -g 30 -f ivf \
	"$WORK/soak-av1.ivf" || fail "cannot make the AV1 stream"
say "streams: 64x64, 60 frames of VP9 (libvpx), H.264 (x264, B-frames), AV1 (libaom), made in $(elapsed "$t0" "$(now)") s"
streams=("$WORK/soak-vp9.webm" "$WORK/soak-h264.264" "$WORK/soak-av1.ivf")

declare -A first_md5
frames=0 runs=0 status=0
# run FILE PASSES: one client; adds its requests to $frames.
run() {
	local out line n md5 name=${1##*/}
	out=$("$DECODE" --mode chromium --timeout "$TIMEOUT" --md5 --passes "$2" "$1" 2>"$WORK/soak.log")
	local rc=$?
	md5=${out%% *}
	line=$(grep -E '^daedalus-decode: [0-9]+ frames' "$WORK/soak.log")
	n=$(sed -E 's/^daedalus-decode: [0-9]+ frames, ([0-9]+) requests.*/\1/' <<<"$line")
	frames=$((frames + ${n:-0}))
	runs=$((runs + 1))
	if ((rc != 0)); then
		say "run $runs ($name): exit $rc"
		tail -n 3 "$WORK/soak.log" | sed 's/^/      /'
		status=1
	fi
	[[ -n ${first_md5[$name]:-} ]] || first_md5[$name]=$md5
	if [[ $md5 != "${first_md5[$name]}" ]]; then
		say "run $runs ($name): md5 $md5, the first run's ${first_md5[$name]}"
		status=1
	fi
}

# Warm-up: every codec once (the daemon's libraries load their tables and pools).
t0=$(now)
for s in "${streams[@]}"; do run "$s" 2; done
warm=$(elapsed "$t0" "$(now)")
rate=$(awk -v f="$frames" -v t="$warm" 'BEGIN { printf "%.0f", f / t }')
say "warm-up: $frames frames in $warm s ($rate frames/s in this guest); soak of $TARGET frames, $PASSES passes per client: about $(awk -v n="$TARGET" -v r="$rate" 'BEGIN { printf "%.0f", n / r }') s"
((status == 0)) || fail "the warm-up failed"
frames=0
base=$(sample)
show "after warm-up" "$base"

t0=$(now)
next_sample=$((TARGET / 4))
half_rss=(0 0 0) half_slab=(0 0 0) half_runs=(0 0 0) # [1]: first half, [2]: second
peak_rss=0
i=0
while ((frames < TARGET)); do
	run "${streams[i % 3]}" "$PASSES"
	i=$((i + 1))
	r=$(rss_kb)
	((r > peak_rss)) && peak_rss=$r
	u=$(sunreclaim_kb)
	h=$((frames <= TARGET / 2 ? 1 : 2))
	((r > half_rss[h])) && half_rss[h]=$r
	((u > half_slab[h])) && half_slab[h]=$u
	half_runs[h]=$((half_runs[h] + 1))
	if ((frames >= next_sample && frames < TARGET)); then
		show "after $frames frames" "$(sample)"
		next_sample=$((next_sample + TARGET / 4))
	fi
	kill -0 "$pid" 2>/dev/null || fail "the daemon (pid $pid) died after $frames frames"
	((status == 0)) || break
done
took=$(elapsed "$t0" "$(now)")
sleep 1 # the last context's close reaches the daemon
end=$(sample)
show "after $frames frames" "$end"

read -r r0 f0 s0 u0 d0 <<<"$base"
read -r r1 f1 s1 u1 d1 <<<"$end"
say "$frames frames in $runs clients through daemon pid $pid in $took s ($(awk -v f="$frames" -v t="$took" 'BEGIN { printf "%.0f", f / t }') frames/s); RSS peak $peak_rss KiB"
say "change: RSS $((r1 - r0)) KiB, fds $((f1 - f0)), Slab $((s1 - s0)) KiB, SUnreclaim $((u1 - u0)) KiB, dma-bufs $([[ $d0 == "?" ]] && echo "? (no dma-buf statistics)" || echo $((d1 - d0)))"
((f1 == f0)) || { say "FAILED: the daemon's fd count changed"; status=1; }
[[ $d0 == "?" || $d1 == "$d0" ]] || { say "FAILED: dma-bufs leaked"; status=1; }
((r1 - r0 <= RSS_SLACK_KB)) || { say "FAILED: the daemon's RSS grew by more than $RSS_SLACK_KB KiB"; status=1; }
((u1 - u0 <= SLAB_SLACK_KB)) || { say "FAILED: unreclaimable slab grew by more than $SLAB_SLACK_KB KiB"; status=1; }
trend="halves of ${half_runs[1]} and ${half_runs[2]} clients: peak RSS ${half_rss[1]} then ${half_rss[2]} KiB ($((half_rss[2] - half_rss[1]))), peak SUnreclaim ${half_slab[1]} then ${half_slab[2]} KiB ($((half_slab[2] - half_slab[1])))"
if ((half_runs[1] >= 6 && half_runs[2] >= 6)); then
	say "$trend; limit +$TREND_KB KiB each"
	((half_rss[2] - half_rss[1] <= TREND_KB)) || { say "FAILED: the daemon's RSS grows with the frames"; status=1; }
	((half_slab[2] - half_slab[1] <= TREND_KB)) || { say "FAILED: unreclaimable slab grows with the frames"; status=1; }
else
	say "$trend; too few clients per half (6) to judge a trend: not checked"
fi
[[ $(daemon_pid) == "$pid" ]] || { say "FAILED: the daemon's pid changed"; status=1; }
exit $status
