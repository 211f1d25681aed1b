#!/bin/bash
# Configure (once) and build one configuration: build.sh DIR [CMAKE ARGS...]
# The arguments apply when DIR is first configured; later runs only
# rebuild what changed.  Quiet unless the build fails.
set -euo pipefail
build=$1
shift
if [ ! -f "$build/CMakeCache.txt" ]; then
	cmake -S . -B "$build" -G Ninja "$@" >/dev/null
fi
echo "cairn: building $build"
log=$build/build.log
if ! cmake --build "$build" >"$log" 2>&1; then
	cat "$log" >&2
	echo "cairn: build failed in $build (log: $log)" >&2
	exit 1
fi
