#!/bin/bash
# Graphs far larger than a person writes: a chain of 200,000 stages written
# from its end (the order check once followed it on the C stack and
# overflowed it), a cycle closed at the end of a chain of 100, and a matrix
# of 100,000 instances, listed whole, in order, with their values and
# params (a param named only in outputs was once given to the graph's
# first instance alone: every stage's such params, and to no other).
# usage: graph_scale.sh CAIRN
CAIRN=$1
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

# s0 reads s1, ..., s199998 reads s199999: s199999 runs first.
n=200000
awk -v n=$n 'BEGIN {
	for (i = 0; i < n; i++) {
		printf "[stage.s%d]\ncmd = \"true\"\n", i
		if (i < n - 1)
			printf "deps = { up = \"${stage.s%d.outs.o}\" }\n", i + 1
		printf "outs = { o = \"o/%d\" }\n", i
	}
}' >chain.toml
run graph chain.toml
expect_rc chain 0
expect_eq chain:count "$(grep -c '^s' "$T/out")" $n
expect_eq chain:head "$(head -n 5 "$T/out")" "graph chain: $n stages, $n instances (workspace $T)
s199999
  cmd true
  out o = o/199999
s199998"
expect_eq chain:tail "$(tail -n 4 "$T/out")" "s0
  cmd true
  in up = o/1  (from s1)
  out o = o/0"

# The same chain closed into a cycle at its far end: named whole, from
# the instance where the search met it again.
mkdir cyc
{
	printf '[stage.a]\ncmd = "true"\ndeps = { up = "${stage.s0.outs.o}" }\nouts = { o = "a" }\n'
	awk 'BEGIN {
		for (i = 0; i < 100; i++)
			printf "[stage.s%d]\ncmd = \"true\"\ndeps = { up = \"${stage.s%d.outs.o}\" }\nouts = { o = \"o/%d\" }\n", i, i + 1, i
		printf "[stage.s100]\ncmd = \"true\"\ndeps = { up = \"${stage.s0.outs.o}\" }\nouts = { o = \"o/100\" }\n"
	}'
} >cyc/cairn.toml
run graph cyc/cairn.toml
expect_rc cycle 2
expect_eq cycle:stdout "$out" ""
path="s0"
for i in $(seq 1 100); do path="$path -> s$i"; done
expect_eq cycle:stderr "$(head -n 1 "$T/err")" \
	"cairn: error: cyc/cairn.toml:5:8: dependency cycle: $path -> s0"

# A matrix of 200 x 500: every instance, values bound, paths interpolated.
mkdir mx
{
	printf '[params]\nsuffix = "txt"\n[stage.m]\n'
	printf 'cmd = "echo ${matrix.i} ${matrix.j} > ${outs.o}"\n'
	printf 'outs = { o = "out/${matrix.i}/${matrix.j}.${params.suffix}" }\n'
	printf 'matrix = { i = [%s], j = [%s] }\n' "$(seq -s ', ' 0 199)" \
		"$(seq -s ', ' 0 499)"
	printf '[stage.all]\ncmd = "cat ${stage.m.outs.o} > ${outs.o}"\nouts = { o = "all" }\n'
} >mx/cairn.toml
run graph mx/cairn.toml
expect_rc matrix 0
expect_eq matrix:count "$(grep -c '^m\[' "$T/out")" 100000
expect_eq matrix:head "$(sed -n 2,5p "$T/out")" "m[i=0,j=0]
  cmd echo 0 0 > out/0/0.txt
  out o = out/0/0.txt
  param suffix"
expect_eq matrix:one "$(grep -A 3 -x 'm\[i=137,j=421\]' "$T/out")" \
	"m[i=137,j=421]
  cmd echo 137 421 > out/137/421.txt
  out o = out/137/421.txt
  param suffix"
expect_eq matrix:fan-in "$(grep -c '^  in out/.*(from m\[' "$T/out")" 100000
# Params named only in outputs: each stage's own, in every instance.
mkdir po
cat >po/cairn.toml <<'EOF'
[params]
a = 1
b = 2
[stage.x]
cmd = "true"
outs = { o = "x-${params.a}-${matrix.k}" }
matrix = { k = [1, 2] }
[stage.y]
cmd = "true"
outs = { o = "y-${params.b}" }
EOF
run graph po/cairn.toml
expect_rc params 0
expect_eq params:list "$out" "graph po: 2 stages, 3 instances (workspace $T/po)
x[k=1]
  cmd true
  out o = x-1-1
  param a
x[k=2]
  cmd true
  out o = x-1-2
  param a
y
  cmd true
  out o = y-2
  param b"

run graph --json mx/cairn.toml
expect_rc matrix:json 0
expect_eq matrix:json-count "$(grep -c '"stage": "m"' "$T/out")" 100000
finish
