#!/bin/bash
# Fault injection (docs/guarantees.md): kill -9 at random instants during
# `run` (stages still running), restores, `store add` and `gc`; after each,
# fsck must find the store clean and a rerun must end with outputs equal
# byte for byte to a reference run.  Then the faults that need no luck: a
# gc --max-size 1 while a run is in progress, a stage that writes to every
# descriptor it inherited, symlinks and special files as outputs, and an
# input edited while its stage runs.  Prints one line: tried, survived, lost.
# usage: faults.sh CAIRN [KILLS]   (kill -9 rounds: KILLS, else
# $CAIRN_FAULT_KILLS, else 52)
CAIRN=$1
KILLS=${2:-${CAIRN_FAULT_KILLS:-52}}
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
export CAIRN_STORE="$T/store"
RANDOM=20261204	# the same instants every time for one seed

tried=0
survived=0
lost=0

# The graph: a fan-out of a few megabytes, a chain, a fan-in; each stage
# deterministic and slow enough to be killed while it runs.
mkgraph() {
	cat >"$1/cairn.toml" <<'TOML'
[stage.gen]
cmd = "sleep 0.05; seq 1 ${matrix.n}000 | awk '{ print $1 * 7919 % 1000003 }' > ${outs.o}"
outs = { o = "gen/${matrix.n}.txt" }
matrix = { n = [200, 300, 400] }

[stage.sort]
cmd = "sleep 0.1; sort -n ${deps.i} > ${outs.o}"
deps = { i = "gen/${matrix.n}.txt" }
outs = { o = "sorted/${matrix.n}.txt" }
matrix = { n = [200, 300, 400] }

[stage.tree]
cmd = "mkdir -p ${outs.d} && for f in ${deps.s}; do cp $f ${outs.d}/; done && sleep 0.1"
deps = { s = "${stage.sort.outs.o}" }
outs = { d = "tree" }

[stage.sum]
cmd = "cat ${deps.d}/*.txt | cksum > ${outs.o}"
deps = { d = "tree" }
outs = { o = "sum.txt" }
TOML
}

# digest DIR: every output's bytes.
digest() {
	(cd "$1" && find gen sorted tree sum.txt -type f 2>/dev/null |
		LC_ALL=C sort | xargs -r sha256sum)
}

# The reference, in a store of its own.
mkdir ref
mkgraph ref
(cd ref && CAIRN_STORE="$T/refstore" "$CAIRN" -q run >/dev/null 2>&1)
refsum=$(digest ref)
[ -n "$refsum" ] || { echo "reference run failed" >&2; exit 1; }

# check NAME WS: fsck clean, rerun ok, outputs equal to the reference.
check() {
	local name=$1 ws=$2 why=""
	"$CAIRN" fsck >"$T/fsck" 2>&1 || why="fsck: $(tail -3 "$T/fsck")"
	if [ -z "$why" ]; then
		(cd "$ws" && "$CAIRN" -q run) >"$T/rerun" 2>&1 ||
			why="rerun: $(tail -3 "$T/rerun")"
	fi
	if [ -z "$why" ] && [ "$(digest "$ws")" != "$refsum" ]; then
		why="outputs differ from the reference"
	fi
	tried=$((tried + 1))
	checks=$((checks + 1))
	if [ -z "$why" ]; then
		survived=$((survived + 1))
	else
		lost=$((lost + 1))
		fail "$name" "$why"
	fi
}

# killat SECONDS CMD...: start CMD, kill -9 it after SECONDS (if alive).
killat() {
	local at=$1
	shift
	"$@" >/dev/null 2>&1 &
	local pid=$!
	sleep "$at"
	kill -9 "$pid" 2>/dev/null && echo "$pid" >>"$T/hits"
	wait "$pid" 2>/dev/null
}

# a random instant in [0, MAX) milliseconds, as seconds.
instant() {
	local ms=$((RANDOM % $1))
	printf '%d.%03d' $((ms / 1000)) $((ms % 1000))
}

# How long each operation takes here, so the kills land inside it.
msof() {
	local t0
	t0=$(date +%s%N)
	"$@" >/dev/null 2>&1
	echo $((($(date +%s%N) - t0) / 1000000 + 1))
}
mkdir ws
mkgraph ws
big=$(seq 1 1000000)
printf '%s\n' "$big" >add0
ms_run=$(cd ws && msof "$CAIRN" run -j 2)
rm -rf ws/gen ws/sorted ws/tree ws/sum.txt
ms_restore=$(cd ws && msof "$CAIRN" run)
ms_add=$(msof "$CAIRN" store add add0)
ms_gc=$(msof "$CAIRN" gc --max-size 1)
rm -f add0
for round in $(seq 1 "$KILLS"); do
	case $((round % 4)) in
	0)	# run (every stage forced to run again), stages still running
		[ $((round % 8)) = 0 ] && rm -rf ws/gen ws/sorted ws/tree ws/sum.txt
		(cd ws && killat "$(instant "$ms_run")" "$CAIRN" run -j 2 --force '*')
		check "kill-run-$round" ws ;;
	1)	# restore: outputs gone, the store has them
		(cd ws && "$CAIRN" -q run >/dev/null 2>&1)
		rm -rf ws/gen ws/sorted ws/tree ws/sum.txt
		(cd ws && killat "$(instant "$ms_restore")" "$CAIRN" run)
		check "kill-restore-$round" ws ;;
	2)	# store add of a few megabytes
		printf '%s\n%d\n' "$big" "$round" >"add$round"
		killat "$(instant "$ms_add")" "$CAIRN" store add "add$round"
		rm -f "add$round"
		check "kill-add-$round" ws ;;
	3)	# gc, evicting
		killat "$(instant "$ms_gc")" "$CAIRN" gc --max-size 1
		check "kill-gc-$round" ws ;;
	esac
done

# ---- gc --max-size 1 while a run is in progress: nothing of it goes
mkdir live
cat >live/cairn.toml <<'TOML'
[stage.a]
cmd = "seq 1 1000 > ${outs.o}"
outs = { o = "a.txt" }
matrix = { i = [1, 2, 3, 4, 5, 6] }

[stage.wait]
cmd = "while [ ! -e go ]; do sleep 0.05; done; cat ${deps.a} > ${outs.o}"
deps = { a = "${stage.a.outs.o}" }
outs = { o = "w.txt" }
TOML
sed -i 's|a.txt|a${matrix.i}.txt|' live/cairn.toml
(cd live && "$CAIRN" -q run >"$T/live.out" 2>&1) &
livepid=$!
for _ in $(seq 1 200); do
	[ "$(ls live/a*.txt 2>/dev/null | wc -l)" = 6 ] && break
	sleep 0.05
done
sleep 0.5	# the batch that records the six is committed
"$CAIRN" gc --max-size 1 >"$T/gc.out" 2>&1
touch live/go
wait "$livepid"
rc=$?
tried=$((tried + 1))
checks=$((checks + 1))
rm -f live/a*.txt live/w.txt live/go
if [ "$rc" = 0 ] && (cd live && "$CAIRN" run >"$T/live2" 2>&1) &&
	[ "$(grep -c '^restored' "$T/live2")" = 7 ]; then
	survived=$((survived + 1))
else
	lost=$((lost + 1))
	fail gc-during-run "run: $rc; rerun: $(cat "$T/live2" 2>/dev/null)"
fi

# ---- a stage that writes to every descriptor it was given
mkdir fds
cat >fds/cairn.toml <<'TOML'
[stage.w]
cmd = "for f in /proc/$$$$/fd/*; do n=$${f##*/}; [ $$n -gt 2 ] && [ -f $$f ] && dd if=/dev/urandom of=$$f bs=4096 count=4 conv=notrunc 2>/dev/null; done; echo ok > ${outs.o}"
outs = { o = "w.txt" }
TOML
(cd fds && "$CAIRN" -q run >/dev/null 2>&1)
rc=$?
tried=$((tried + 1))
checks=$((checks + 1))
if [ "$rc" = 0 ] && "$CAIRN" fsck >/dev/null 2>&1 &&
	(cd fds && rm w.txt && "$CAIRN" -q run >/dev/null 2>&1) &&
	[ "$(cat fds/w.txt)" = ok ]; then
	survived=$((survived + 1))
else
	lost=$((lost + 1))
	fail fds "a stage writing to inherited descriptors hurt the store"
fi

# ---- symlinks and special files as outputs: refused, nothing outside
mkdir -p special outside
echo precious >outside/keep
cat >special/cairn.toml <<TOML
[stage.ln]
cmd = "ln -s $T/outside \${outs.o}"
outs = { o = "out" }

[stage.fifo]
cmd = "mkfifo \${outs.o}"
outs = { o = "fifo" }

[stage.through]
cmd = "ln -s $T/outside dir; touch \${outs.o}"
outs = { o = "made" }

[stage.after]
cmd = "echo no > dir/keep"
deps = { m = "made" }
outs = { o = "dir/keep" }
TOML
(cd special && timeout 60 "$CAIRN" run -k >/dev/null 2>"$T/special.err")
rc=$?
tried=$((tried + 1))
checks=$((checks + 1))
if [ "$rc" = 1 ] && [ "$(cat outside/keep)" = precious ] &&
	[ "$(grep -c 'error' "$T/special.err")" = 3 ]; then
	survived=$((survived + 1))
else
	lost=$((lost + 1))
	fail special "exit $rc: $(cat "$T/special.err")"
fi

# ---- an input edited while its stage runs: nothing recorded
mkdir edit
echo v1 >edit/in.txt
cat >edit/cairn.toml <<'TOML'
[stage.slow]
cmd = "sleep 1; cat ${deps.i} > ${outs.o}"
deps = { i = "in.txt" }
outs = { o = "out.txt" }
TOML
(cd edit && "$CAIRN" -q run >/dev/null 2>"$T/edit.err") &
editpid=$!
sleep 0.5
echo v2 >edit/in.txt
wait "$editpid"
rc=$?
tried=$((tried + 1))
checks=$((checks + 1))
if [ "$rc" = 1 ] && grep -q "input 'in.txt' of 'slow' changed while it ran" "$T/edit.err" &&
	(cd edit && "$CAIRN" -q run >/dev/null 2>&1) && [ "$(cat edit/out.txt)" = v2 ]; then
	survived=$((survived + 1))
else
	lost=$((lost + 1))
	fail edit "exit $rc: $(cat "$T/edit.err")"
fi

hits=$(cat "$T/hits" 2>/dev/null | wc -l)
echo "faults: tried $tried, survived $survived, lost $lost ($hits of the kill -9s landed mid-way)"
finish
