#!/bin/bash
# The no-op proof (docs/lock-file.md): a plain run that found everything
# up to date writes .cairn/noop-GRAPH; the next plain run checks it before
# it loads the graph ("proof" in --profile, nothing parsed) and says the
# same thing a full run would.  Anything the decision rests on that
# changes (an input, an output, a folder, the graph, the lock file, a
# param, an env variable in a key, the program) sends the run back to a
# full decision; a racy, damaged or foreign proof is never trusted; what
# cannot be proven (a folder, a link, a code pattern, always_run) never
# gets one; a run that starts to work drops them all.
# usage: noop_proof.sh CAIRN
CAIRN=$1
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
unset K

mkdir -p in sub/deep
echo 1 >in/a.txt
echo 2 >in/b.txt
cat >cairn.toml <<'TOML'
[params]
n = 1

[stage.a]
cmd = "cp ${deps.i} ${outs.o}"
deps = { i = "in/a.txt" }
outs = { o = "o/a.txt" }

[stage.b]
cmd = "cat ${deps.i} ${deps.j} > ${outs.o}; echo ${params.n} >> ${outs.o}"
deps = { i = "in/b.txt", j = "${stage.a.outs.o}" }
outs = { o = "sub/deep/b.txt" }
env = ["K"]

[stage.c]
cmd = "wc -c < ${deps.i} > ${outs.o}"
deps = { i = "${stage.b.outs.o}" }
outs = { o = "c.txt" }
TOML
P=.cairn/noop-cairn.toml

# used NAME: the last run took the proof; full NAME: it loaded the graph.
used() {
	expect_match "$1-proof" "$err" '^proof +[0-9.]+ +[1-9][0-9]* paths$'
	expect_match "$1-unparsed" "$err" '^parse +[0-9.]+ +0 bytes$'
}
full() {
	expect_match "$1-parsed" "$err" '^parse +[0-9.]+ +[1-9][0-9]* bytes$'
}
# settle: past the racy second, a full no-op that writes the proof.
settle() {
	sleep 1.1
	run -q run --profile
	expect_rc "$1-settle" 0
	full "$1-settle"
	expect_eq "$1-written" "$(test -f $P && echo yes)" yes
}

run -q run
expect_rc first 0
# Written within the racy second: no proof yet, however often it runs.
run -q run --profile
expect_rc racy 0
full racy
expect_eq racy-none "$(test -e $P && echo yes)" ""
settle first

# The proof holds: the same words as a full run, in the same order.
run run --profile
expect_rc proven 0
used proven
expect_eq proven-out "$out" "ok         a
ok         b
ok         c
done: 0 ran, 0 restored, 3 up to date, 0 failed"
expect_match proven-no-expand "$err" '^expand +[0-9.]+ +0 instances$'
run -q run
expect_eq quiet-out "$out" ""

# An input's bytes changed, size and mtime put back: ctime says so.
stamp=$(stat -c %y in/a.txt)
echo 9 >in/a.txt
touch -d "$stamp" in/a.txt
run -q run --profile
expect_rc input 0
full input
expect_eq input-ran "$(head -1 o/a.txt)" 9
settle input

# An output edited by hand: refused by the full run, as without a proof.
echo hand >c.txt
run run
expect_rc edited 1
expect_match edited-said "$err" "c.txt"
rm c.txt
run -q run
expect_rc edited-gone 0
settle edited

# An env variable in b's key.
K=x run -q run --profile
expect_rc env 0
full env
run -q run --profile
expect_rc env-unset 0
full env-unset
settle env

# A param given on the command line.
run -q run -p n=2 --profile
expect_rc param 0
full param
expect_eq param-ran "$(tail -1 sub/deep/b.txt)" 2
run -q run --profile
expect_rc param-back 0
full param-back
# A proof made under -p n=2 is no proof for -p n=3.
run -q run -p n=2
sleep 1.1
run -q run -p n=2
run -q run -p n=2 --profile
used param-own
run -q run -p n=3 --profile
expect_rc param-other 0
full param-other
expect_eq param-other-ran "$(tail -1 sub/deep/b.txt)" 3
run -q run
settle param

# The graph file touched; the lock file touched.
touch cairn.toml
run -q run --profile
expect_rc graph 0
full graph
settle graph
touch cairn.lock
run -q run --profile
expect_rc lock 0
full lock
settle lock

# A folder holding an output swapped for a link to a copy: the full run's
# escape check sees it.
mv sub/deep sub/real
ln -s real sub/deep
run -q run --profile
full link
rm sub/deep
mv sub/real sub/deep
run -q run
expect_rc link-back 0
settle link

# Another program (a copy of this one): its kinds may differ.  Each
# full no-op writes the proof for itself.
cp "$CAIRN" "$T/other-cairn"
CAIRN=$T/other-cairn run -q run --profile
expect_rc program 0
full program
CAIRN=$T/other-cairn run -q run --profile
used program-own
run -q run --profile
full program-back
run -q run --profile
used program-back-own

# A damaged proof is no proof: every byte flipped in turn at a few
# places, and cut short; the run decides in full and says the same.
cp $P "$T/good"
size=$(stat -c %s $P)
for at in 0 9 20 45 $((size / 2)) $((size - 1)); do
	cp "$T/good" $P
	printf '\377' | dd of=$P bs=1 seek=$at conv=notrunc status=none
	run run --profile
	expect_rc "flip-$at" 0
	full "flip-$at"
	expect_eq "flip-$at-out" "$(printf '%s\n' "$out" | tail -1)" \
		"done: 0 ran, 0 restored, 3 up to date, 0 failed"
done
cp "$T/good" $P
truncate -s $((size - 7)) $P
run -q run --profile
expect_rc cut 0
full cut
cp "$T/good" $P
run -q run --profile
used good-again

# The workspace lock held by another: no proof is read without it, and
# the full run says who holds it.
if command -v flock >/dev/null; then
	flock -o .cairn/lock sleep 30 >/dev/null 2>&1 &
	holder=$!
	for i in $(seq 50); do
		grep -q FLOCK /proc/locks 2>/dev/null && ! flock -n .cairn/lock true && break
		sleep 0.1
	done
	run -q run --profile
	expect_rc busy 3
	expect_match busy-said "$err" "another cairn run"
	kill "$holder"
	wait "$holder" 2>/dev/null
fi

# Targets and --force decide in full; a run that works drops the proof.
run -q run c --profile
expect_rc target 0
full target
run -q run --force a --profile
expect_rc force 0
full force
expect_eq force-dropped "$(test -e $P && echo yes)" ""
settle force

# What cannot be proven never is: an always_run stage, a folder output,
# a code pattern.
cp cairn.toml "$T/graph.toml"
for extra in 'always_run = true' 'code = ["in/*.txt"]'; do
	cp "$T/graph.toml" cairn.toml
	printf '\n[stage.d]\ncmd = "echo d > ${outs.o}"\nouts = { o = "d.txt" }\n%s\n' "$extra" >>cairn.toml
	run -q run
	sleep 1.1
	run -q run
	run -q run
	expect_eq "never-$extra" "$(test -e $P && echo yes)" ""
done
cp "$T/graph.toml" cairn.toml
printf '\n[stage.d]\ncmd = "mkdir -p ${outs.o} && echo d > ${outs.o}/x"\nouts = { o = "dir" }\n' >>cairn.toml
run -q run
expect_rc folder 0
sleep 1.1
run -q run
run -q run --profile
full folder
expect_eq never-folder "$(test -e $P && echo yes)" ""
finish
