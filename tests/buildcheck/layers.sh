#!/bin/bash
# The layers' arrows (docs/design.md): each layer's code may include the
# headers of the layers below it that it links, and no other.  For every
# pair of layers, a probe including one header of the other is compiled
# with the include path CMake gives the first: an allowed arrow compiles,
# a forbidden one fails with the header not found.  So a change to
# CMakeLists.txt that opens a forbidden arrow (or closes an allowed one)
# fails here, not in review.
# usage: layers.sh CC FLAGS_FILE   (FLAGS_FILE: "layer -Idir -Idir..." lines)
CC=$1
FLAGS=$2
T=$(mktemp -d /tmp/cairn-layers-XXXXXX) || exit 1
trap 'rm -rf "$T"' EXIT

# One header of each layer.
declare -A header=(
	[base]=util.h [formats]=toml.h [store]=store.h [kernels]=gamma.h
	[stages]=kinds.h [remote]=http.h [core]=run.h [exec]=exec_local.h
	[cli]=cli.h)
# What each layer may include besides itself (the arrows, transitively).
declare -A allowed=(
	[base]=""
	[formats]="base"
	[store]="base"
	[kernels]="base"
	[stages]="kernels formats base"
	[remote]="store formats base"
	[core]="remote stages kernels store formats base"
	[exec]="core remote stages kernels store formats base"
	[cli]="exec core remote stages kernels store formats base")
layers="base formats store kernels stages remote core exec cli"

fail=0 checks=0
while read -r layer incs; do
	[ -n "$layer" ] || continue
	[ -n "${allowed[$layer]+x}" ] || { echo "unknown layer '$layer'"; fail=1; continue; }
	for other in $layers; do
		h=${header[$other]}
		printf '#include "%s"\n' "$h" >"$T/probe.c"
		# shellcheck disable=SC2086
		out=$("$CC" -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE \
			$incs -fsyntax-only "$T/probe.c" 2>&1)
		rc=$?
		checks=$((checks + 1))
		if [ "$other" = "$layer" ] || [[ " ${allowed[$layer]} " == *" $other "* ]]; then
			if [ $rc -ne 0 ]; then
				echo "FAIL: $layer may include $h ($other), but:"
				echo "$out" | head -3
				fail=1
			fi
		elif [ $rc -eq 0 ]; then
			echo "FAIL: $layer includes $h ($other): the arrow $layer -> $other is not allowed"
			fail=1
		elif ! echo "$out" | grep -qE "'?$h'?:? (file not found|No such file)"; then
			echo "FAIL: $layer including $h failed, but not as not found:"
			echo "$out" | head -3
			fail=1
		fi
	done
done <"$FLAGS"
[ "$checks" -eq 81 ] || { echo "FAIL: $checks probes, expected 81 (9 layers)"; fail=1; }
[ $fail -eq 0 ] && echo "layers: $checks probes, every arrow as drawn"
exit $fail
