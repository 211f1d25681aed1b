#!/bin/bash
# Install what cairn needs to build and test on Debian 12, and nothing when
# it is all there already (so it is fast and safe to run every time).
set -euo pipefail

pkgs=(
	cmake ninja-build pkg-config gcc g++ libc6-dev make git
	clang libclang-rt-14-dev	# sanitizer build and libFuzzer
	liblmdb-dev libhdf5-dev libssl-dev libzstd-dev
	bsdutils			# script(1), for the terminal tests
	libcurl4-openssl-dev		# the remote cache's HTTP transport
	nginx curl			# the remote-cache tests' WebDAV server
	chromium libpng-dev		# the report's browser test and its PNG check
	zsh groff-base man-db		# the completion and man page tests
	strace				# e2e.noop: a no-op run writes nothing
)

missing=()
for p in "${pkgs[@]}"; do
	case $p in \#*) continue ;; esac
	status=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$status" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "cairn: missing packages: ${missing[*]}" >&2
	echo "hint: run as root, or: sudo apt-get install ${missing[*]}" >&2
	exit 1
fi
echo "cairn: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Keep the packages' scripts from starting daemons (the system's nginx on
# port 80): the tests start their own, on free ports.
made_policy=
if [ ! -e /usr/sbin/policy-rc.d ]; then
	printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
	chmod +x /usr/sbin/policy-rc.d
	made_policy=1
fi
rc=0
apt-get update -qq || rc=$?
[ $rc -ne 0 ] ||
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
	rc=$?
[ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d
exit $rc
