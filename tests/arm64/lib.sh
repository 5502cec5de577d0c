# shellcheck shell=bash
# What tests/arm64/build and tests/vm/setup-arm64 share (sourced): the recipe-hash cache and
# a private apt of trixie (+ security) for amd64 and arm64, so that both resolve the same arm64
# kernel (the module's headers and the guest's image). The caller sets CACHE, MIRROR,
# SECURITY, log and die.

digest() { printf '%s\n' "$@" | sha256sum | cut -c1-16; }

# cached NAME INPUT... -- sets $artifact to $CACHE/NAME-<hash> (the hash of build_NAME's text
# and the inputs); succeeds if it exists.
cached() {
	local fn=build_$1 name=${1//_/-}; shift
	artifact=$CACHE/$name-$(digest "$(declare -f "$fn")" "$@")
	[[ -d $artifact ]]
}

# ensure NAME INPUT... -- as in tests/vm/setup: $CACHE/NAME-<hash> built by build_NAME.
ensure() {
	local name=${1//_/-} fn=build_$1
	cached "$@" && return
	shift
	log "$name: building $artifact"
	local t0=$SECONDS tmp=$artifact.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	"$fn" "$tmp" "$@"
	mv "$tmp" "$artifact"
	log "$name: built in $((SECONDS - t0)) s"
}

# apt with its own lists of trixie for amd64 and arm64.
aptdir=$CACHE/apt-arm64
capt() {
	local cmd=$1; shift
	"$cmd" -q -o Dir::State="$aptdir/state" -o Dir::Cache="$aptdir/cache" \
		-o Dir::Etc::SourceList="$aptdir/sources.list" -o Dir::Etc::SourceParts=/dev/null \
		-o Dir::State::status="$aptdir/status" -o APT::Architecture=amd64 \
		-o APT::Architectures::=amd64 -o APT::Architectures::=arm64 \
		-o APT::Sandbox::User=root "$@"
}
apt_update() {
	mkdir -p "$aptdir"/{state/lists/partial,cache/archives/partial}
	touch "$aptdir/status"
	printf '%s\n' "deb $MIRROR trixie main" "deb $SECURITY trixie-security main" \
		>"$aptdir/sources.list"
	# Once a day is enough to see a kernel security update.
	if [[ -z $(find "$aptdir/state/lists" -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null) ]]; then
		capt apt-get update >/dev/null
	fi
}

# Sets KABI (e.g. 6.12.57+deb13) and KVERSION (its Debian version) from the arm64 headers
# metapackage.
resolve_kernel() {
	local dep
	dep=$(capt apt-cache depends linux-headers-arm64:arm64 |
		sed -n 's/^ *Depends: linux-headers-\(6\.[0-9.]*+deb13\)-arm64.*/\1/p' | head -n1)
	[[ -n $dep ]] || return 1
	KABI=$dep
	KVERSION=$(capt apt-cache show "linux-headers-$KABI-arm64:arm64" |
		sed -n 's/^Version: //p' | sort -Vr | head -n1)
	[[ -n $KVERSION ]]
}

