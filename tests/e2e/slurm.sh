#!/bin/bash
# The Slurm executor against a real one-node cluster (tests/slurm/up.sh,
# the ctest fixture 'slurm'): a chain and a matrix give the same outputs
# and lock file as the local executor; a failing stage's dependents never
# run while -k finishes the rest; a job cancelled from outside fails its
# stage with the scheduler's word in the log; Ctrl-C cancels the run's
# jobs and records nothing.  Skipped (77) where no cluster is up.
# usage: slurm.sh CAIRN
CAIRN=$1
. "$(dirname "$0")/lib.sh"
command -v sinfo >/dev/null && sinfo -h >/dev/null 2>&1 ||
	{ echo "skipped: no Slurm cluster (tests/slurm/up.sh needs root)"; exit 77; }
cd "$T" || exit 1
mkdir local cluster
cat >local/cairn.toml <<'TOML'
[stage.a]
cmd = "echo a > ${outs.o}"
outs = { o = "a.txt" }

[stage.b]
cmd = "cat ${deps.i} > ${outs.o}; echo b >> ${outs.o}"
deps = { i = "${stage.a.outs.o}" }
outs = { o = "b.txt" }

[stage.m]
cmd = "echo ${matrix.x} $(cat ${deps.i}) > ${outs.o}"
deps = { i = "${stage.b.outs.o}" }
outs = { o = "m-${matrix.x}.txt" }
matrix = { x = [1, 2, 3] }
TOML
cp local/cairn.toml cluster/
(cd local && "$CAIRN" -q run)
cd cluster || exit 1
run run --executor slurm
expect_rc chain 0
expect_match chain "$out" '^done: 5 ran, 0 restored, 0 up to date, 0 failed$'
expect_eq same-lock "$(cat cairn.lock)" "$(cat ../local/cairn.lock)"
for f in a.txt b.txt m-1.txt m-2.txt m-3.txt; do
	expect_eq "same-$f" "$(cat $f)" "$(cat ../local/$f)"
done
run run --executor slurm
expect_match noop "$out" '^done: 0 ran, 0 restored, 5 up to date, 0 failed$'
run log
expect_rc log 0
# The run record says where it ran.
run show "$("$CAIRN" runs | awk '$6 == "b" { print $4 }' | head -1)"
expect_match record-scheduler "$out" '^scheduler: \{"name":"slurm","job":"[0-9]+","node":"[^"]+","state":"COMPLETED"\}$'

# A stage may stay off the queue: executor = "local".
cat >mixed.toml <<'TOML'
[graph]
executor = "slurm"
[stage.tiny]
executor = "local"
cmd = "echo tiny > ${outs.o}"
outs = { o = "tiny.txt" }
[stage.big]
cmd = "cat ${deps.i} > ${outs.o}"
deps = { i = "${stage.tiny.outs.o}" }
outs = { o = "big.txt" }
TOML
run run mixed.toml
expect_rc mixed 0
expect_eq mixed-out "$(cat big.txt)" "tiny"
run show "$("$CAIRN" runs mixed.toml | awk '$6 == "tiny" { print $4 }' | head -1)"
checks=$((checks + 1))
printf '%s\n' "$out" | grep -q '^scheduler:' && fail mixed-local "the local stage went to Slurm"
run show "$("$CAIRN" runs mixed.toml | awk '$6 == "big" { print $4 }' | head -1)"
expect_match mixed-slurm "$out" '^scheduler: \{"name":"slurm",'

# A failure: its dependent never runs, the independent stage finishes.
cat >fail.toml <<'TOML'
[graph]
executor = "slurm"
[stage.bad]
cmd = "echo going wrong; exit 3"
outs = { o = "bad.txt" }
[stage.after]
cmd = "cat ${deps.i} > ${outs.o}"
deps = { i = "${stage.bad.outs.o}" }
outs = { o = "after.txt" }
[stage.other]
cmd = "sleep 1; echo fine > ${outs.o}"
outs = { o = "other.txt" }
TOML
run run -k fail.toml
expect_rc fail 1
expect_match fail-msg "$err" "'bad' failed with exit status 3"
expect_match fail-tail "$err" 'going wrong'
expect_eq fail-other "$(cat other.txt)" "fine"
checks=$((checks + 1))
[ ! -e after.txt ] || fail fail-after "a dependent of the failure ran"

# Cancelled from outside: the scheduler's state explains the failure.
cat >cancel.toml <<'TOML'
[graph]
executor = "slurm"
[stage.long]
cmd = "sleep 60; echo done > ${outs.o}"
outs = { o = "long.txt" }
TOML
"$CAIRN" run cancel.toml >"$T/c.out" 2>"$T/c.err" &
pid=$!
for _ in $(seq 100); do
	id=$(squeue -h -n cancel:long -o %i 2>/dev/null | head -1)
	[ -n "$id" ] && break
	sleep 0.1
done
scancel "$id" 2>/dev/null
wait $pid
rc=$?
err=$(cat "$T/c.err")
expect_rc cancelled-outside 1
expect_match cancelled-why "$(cat "$T/c.err")" "slurm job $id ended CANCELLED"

# Ctrl-C: the run's jobs are cancelled, nothing is recorded, exit 130.
"$CAIRN" run cancel.toml >"$T/i.out" 2>"$T/i.err" &
pid=$!
for _ in $(seq 100); do
	st=$(squeue -h -n cancel:long -o %T 2>/dev/null | head -1)
	[ "$st" = RUNNING ] && break
	sleep 0.1
done
kill -INT $pid
wait $pid
rc=$?
err=$(cat "$T/i.err")
expect_rc interrupted 130
for _ in $(seq 50); do
	[ -z "$(squeue -h -n cancel:long -o %i 2>/dev/null)" ] && break
	sleep 0.1
done
expect_eq interrupted-queue "$(squeue -h -n cancel:long -o %i 2>/dev/null)" ""
checks=$((checks + 1))
grep -q '"long"' cancel.lock 2>/dev/null &&
	fail interrupted-lock "the interrupted stage was recorded: $(cat "$T/i.out" "$T/i.err" cancel.lock)"

# A signal that lands while cairn waits on squeue is not lost: a squeue
# that interrupts its caller once told to (the marker file).
mkdir "$T/bin"
for t in sbatch scancel scontrol; do
	ln -s "$(command -v $t)" "$T/bin/$t"
done
cat >"$T/bin/squeue" <<SH
#!/bin/sh
[ -e "$T/interrupt-now" ] && rm -f "$T/interrupt-now" && kill -INT \$PPID
exec $(command -v squeue) "\$@"
SH
chmod +x "$T/bin/squeue"
start=$(date +%s)
CAIRN_SLURM_BIN=$T/bin "$CAIRN" run cancel.toml >"$T/s.out" 2>"$T/s.err" &
pid=$!
for _ in $(seq 100); do
	st=$(squeue -h -n cancel:long -o %T 2>/dev/null | head -1)
	[ "$st" = RUNNING ] && break
	sleep 0.1
done
touch "$T/interrupt-now"
wait $pid
rc=$?
err=$(cat "$T/s.err")
expect_rc interrupted-in-squeue 130
checks=$((checks + 1))
[ ! -e "$T/interrupt-now" ] || fail interrupted-in-squeue "cairn never polled the queue"
checks=$((checks + 1))
[ $(($(date +%s) - start)) -lt 30 ] ||
	fail interrupted-in-squeue "the signal was lost: the run waited for its job"
finish
