#!/bin/bash
# The programs built carry no run path entry that is empty or relative:
# the loader reads an empty one as the current directory, so cairn run in
# a workspace holding a library of the right name would load it.  (The
# build tree's run path once ended in ':'.)
# usage: runpath.sh READELF BINARY...
READELF=$1
shift
bad=0
for f in "$@"; do
	paths=$("$READELF" -d "$f" | sed -n 's/.*(R[UN]*PATH).*\[\(.*\)\]$/\1/p')
	[ -z "$paths" ] && continue
	while IFS= read -r p; do
		case "$p" in
		/*) ;;
		*)
			echo "FAIL: $f: run path '$paths' has the entry '$p' (empty or relative: the loader searches the current directory)"
			bad=1
			;;
		esac
	done < <(printf '%s\n' "$paths" | awk -F: '{ for (i = 1; i <= NF; i++) print $i }')
done
[ "$bad" = 0 ] && echo "no empty or relative run path in $# programs"
exit "$bad"
