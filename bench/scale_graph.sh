#!/bin/bash
# scale_graph.sh SHAPE N DIR: write DIR/cairn.toml, a graph of N trivial
# stage instances, for bench/run scale (and by hand).
#   matrix  one stage whose matrix of two keys (N = A x B, A the largest
#           divisor of N not above its square root) expands to N instances,
#           each writing its own file; a 100-byte file.
#   stages  N explicit [stage.sI] tables, each writing its own file, in
#           chains of 10 (stage sI reads s(I-1)'s output unless I is a
#           multiple of 10); about 120 bytes a stage (10^6: ~125 MB).
# Outputs go 1,000 to a folder (out/K/...), as a user would lay them out.
set -euo pipefail
shape=$1 n=$2 dir=$3
mkdir -p "$dir"
case $shape in
matrix)
	a=1
	i=1
	while [ $((i * i)) -le "$n" ]; do
		[ $((n % i)) -eq 0 ] && a=$i
		i=$((i + 1))
	done
	b=$((n / a))
	{
		printf '[stage.m]\n'
		printf 'cmd = "echo ${matrix.i} ${matrix.j} > ${outs.o}"\n'
		printf 'outs = { o = "out/${matrix.i}/${matrix.j}.txt" }\n'
		printf 'matrix = { i = [%s], j = [%s] }\n' "$(seq -s ', ' 0 $((a - 1)))" \
			"$(seq -s ', ' 0 $((b - 1)))"
	} >"$dir/cairn.toml"
	;;
stages)
	awk -v n="$n" 'BEGIN {
		for (i = 0; i < n; i++) {
			printf "[stage.s%d]\ncmd = \"echo %d > ${outs.o}\"\n", i, i
			if (i % 10)
				printf "deps = { up = \"${stage.s%d.outs.o}\" }\n", i - 1
			printf "outs = { o = \"out/%d/%d.txt\" }\n", int(i / 1000), i
		}
	}' >"$dir/cairn.toml"
	;;
*)
	echo "usage: scale_graph.sh matrix|stages N DIR" >&2
	exit 2
	;;
esac
