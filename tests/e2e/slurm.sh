#!/bin/bash
# The Slurm executor against a real one-node cluster (tests/slurm/up.sh,
# the ctest fixture 'slurm'): a chain and a matrix (one array job) give
# the same outputs and lock file as the local executor; a stage may stay
# local; a failing stage's dependents never run while -k finishes the
# rest; a job sbatch refuses fails; a job cancelled from outside fails its
# stage with the scheduler's word in the log; Ctrl-C cancels the run's
# jobs and records nothing, even when it lands during squeue; a
# coordinator killed with SIGKILL leaves its jobs to the next run, which
# takes them over (or cancels them with --no-adopt) and ends as the local
# executor does.  Skipped (77) where no cluster is up.
# usage: slurm.sh CAIRN
CAIRN=$1
. "$(dirname "$0")/lib.sh"
command -v sinfo >/dev/null && sinfo -h >/dev/null 2>&1 ||
	{ echo "skipped: no Slurm cluster (tests/slurm/up.sh needs root)"; exit 77; }
# matrix_jobs: the Slurm job ids of stage m's runs, sorted, one per line
matrix_jobs() {
	"$CAIRN" runs | awk '$6 ~ /^m\[/ { print $4 }' | while read -r id; do
		"$CAIRN" show "$id" | sed -n 's/^scheduler: {"name":"slurm","job":"\([^"]*\)".*/\1/p'
	done | sort
}
# await NAME STATE: until Slurm's first job named NAME is in STATE
# (RUNNING, or "" for none left); 20 s at most
await() {
	for _ in $(seq 200); do
		[ "$(squeue -h -n "$1" -o %T 2>/dev/null | head -1)" = "$2" ] && return 0
		sleep 0.1
	done
	return 1
}
cd "$T" || exit 1
mkdir local cluster
cat >local/cairn.toml <<'TOML'
[graph]
name = "e2e-slurm"   # one name in both folders: equal lock files

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
# The matrix's three instances, ready together, went as one array job.
arrays=$(matrix_jobs | sed -n 's/_[0-2]$//p' | uniq -c | awk '{ print $1 }')
expect_eq matrix-array "$arrays" "3"

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
mkdir fail-local
cp fail.toml fail-local/
(cd fail-local && "$CAIRN" -q run -k --executor local fail.toml 2>/dev/null)
expect_eq fail-lock "$(cat fail.lock)" "$(cat fail-local/fail.lock)"

# A job sbatch refuses fails its stage with sbatch's word.
cat >refused.toml <<'TOML'
[graph]
executor = "slurm"
[executor.slurm]
partition = "nosuch"
[stage.x]
cmd = "echo x > ${outs.o}"
outs = { o = "x.txt" }
TOML
run run refused.toml
expect_rc refused 1
expect_match refused-msg "$err" "'x' failed with exit status 1"
expect_match refused-why "$err" 'cairn: sbatch refused the job: sbatch: error: .*[Pp]artition'

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
await cancel:long RUNNING
kill -INT $pid
wait $pid
rc=$?
err=$(cat "$T/i.err")
expect_rc interrupted 130
await cancel:long ""
expect_eq interrupted-queue "$(squeue -h -n cancel:long -o %i 2>/dev/null)" ""
checks=$((checks + 1))
grep -q '"long"' cancel.lock 2>/dev/null &&
	fail interrupted-lock "the interrupted stage was recorded: $(cat "$T/i.out" "$T/i.err" cancel.lock)"

# Ctrl-C mid-chain, then the run again: it ends as the local executor's.
cd "$T" || exit 1
mkdir cm-local cm
cat >cm-local/cairn.toml <<'TOML'
[graph]
name = "cm"

[stage.a]
cmd = "echo a > ${outs.o}"
outs = { o = "a.txt" }

[stage.b]
cmd = "sleep 3; cat ${deps.i} > ${outs.o}; echo b >> ${outs.o}"
deps = { i = "${stage.a.outs.o}" }
outs = { o = "b.txt" }

[stage.c]
cmd = "cat ${deps.i} > ${outs.o}; echo c >> ${outs.o}"
deps = { i = "${stage.b.outs.o}" }
outs = { o = "c.txt" }
TOML
cp cm-local/cairn.toml cm/
(cd cm-local && "$CAIRN" -q run)
cd cm || exit 1
"$CAIRN" run --executor slurm >"$T/cm.out" 2>"$T/cm.err" &
pid=$!
await cm:b RUNNING
kill -INT $pid
wait $pid
rc=$?
err=$(cat "$T/cm.err")
expect_rc cm-interrupted 130
checks=$((checks + 1))
grep -q '"b"' cairn.lock 2>/dev/null && fail cm-lock "the interrupted stage was recorded"
run run --executor slurm
expect_rc cm-again 0
expect_match cm-again "$out" '^done: 2 ran, 0 restored, 1 up to date, 0 failed$'
expect_eq cm-same-lock "$(cat cairn.lock)" "$(cat ../cm-local/cairn.lock)"
for f in a.txt b.txt c.txt; do
	expect_eq "cm-same-$f" "$(cat $f)" "$(cat ../cm-local/$f)"
done

# The coordinator killed (SIGKILL) while its array runs: the next run
# takes the jobs over (no second submission), and everything equals the
# local executor's.
cd "$T" || exit 1
mkdir adopt-local adopt
cat >adopt-local/cairn.toml <<'TOML'
[graph]
name = "adopt"

[stage.a]
cmd = "echo a > ${outs.o}"
outs = { o = "a.txt" }

[stage.m]
cmd = "sleep 2; echo ${matrix.x} $(cat ${deps.i}) > ${outs.o}"
deps = { i = "${stage.a.outs.o}" }
outs = { o = "m-${matrix.x}.txt" }
matrix = { x = [1, 2, 3] }

[stage.r]
cmd = "cat ${deps.a} ${deps.b} ${deps.c} > ${outs.o}"
deps = { a = "m-1.txt", b = "m-2.txt", c = "m-3.txt" }
outs = { o = "r.txt" }
TOML
cp adopt-local/cairn.toml adopt/
(cd adopt-local && "$CAIRN" -q run)
cd adopt || exit 1
# kill_when_queued: start a run, SIGKILL it once the matrix is queued;
# prints the queued job ids
kill_when_queued() {
	"$CAIRN" run --executor slurm >"$T/k.out" 2>&1 &
	local pid=$! ids=
	for _ in $(seq 150); do
		ids=$(squeue -h -r -n adopt:m -o %i 2>/dev/null | sort)
		[ -n "$ids" ] && break
		sleep 0.1
	done
	kill -KILL $pid
	wait $pid 2>/dev/null
	printf '%s\n' "$ids"
}
queued=$(kill_when_queued)
checks=$((checks + 1))
[ -n "$queued" ] || fail adopt-queued "the matrix never reached the queue"
run run --executor slurm
expect_rc adopt 0
expect_match adopt-says "$out" '^adopted    m\[x=1\]$'
expect_match adopt-done "$out" '^done: 4 ran, 0 restored, 1 up to date, 0 failed$'
expect_eq adopt-same-jobs "$(matrix_jobs)" "$queued"
expect_eq adopt-lock "$(cat cairn.lock)" "$(cat ../adopt-local/cairn.lock)"
for f in a.txt m-1.txt m-2.txt m-3.txt r.txt; do
	expect_eq "adopt-$f" "$(cat $f)" "$(cat ../adopt-local/$f)"
done
expect_eq adopt-clean "$(ls .cairn/slurm)" ""

# Killed again, and the jobs finish while no coordinator runs: the next
# run takes their outputs as they are, submitting nothing for them.
rm -rf .cairn/store cairn.lock
queued=$(kill_when_queued)
await adopt:m ""
run run --executor slurm
expect_rc adopt-finished 0
expect_match adopt-finished "$out" '^done: 4 ran, 0 restored, 1 up to date, 0 failed$'
expect_eq adopt-finished-jobs "$(matrix_jobs | tail -3)" "$queued"
expect_eq adopt-finished-lock "$(cat cairn.lock)" "$(cat ../adopt-local/cairn.lock)"

# --no-adopt: the jobs left in the queue are cancelled and run anew.
rm -rf .cairn/store cairn.lock
queued=$(kill_when_queued)
run run --executor slurm --no-adopt
expect_rc no-adopt 0
checks=$((checks + 1))
printf '%s\n' "$out" | grep -q '^adopted' && fail no-adopt "a job was taken over"
checks=$((checks + 1))
[ -z "$(comm -12 <(matrix_jobs) <(printf '%s\n' "$queued"))" ] ||
	fail no-adopt-jobs "a cancelled job was recorded"
expect_eq no-adopt-lock "$(cat cairn.lock)" "$(cat ../adopt-local/cairn.lock)"

# A local run sees what a dead coordinator left, and says so.
rm -rf .cairn/store cairn.lock
queued=$(kill_when_queued)
run run --executor local
expect_match adopt-local-warns "$err" '^cairn: warning: 3 cluster jobs of an earlier run are kept for this workspace; run with --executor slurm to take them over$'
scancel -n adopt:m 2>/dev/null
cd "$T/cluster" || exit 1

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
await cancel:long RUNNING
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
