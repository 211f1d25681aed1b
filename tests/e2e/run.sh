#!/bin/bash
# cairn run and status on real graphs: what reruns after a change, early
# cutoff, restores, failures, -k, kill -9 mid-stage, inputs edited
# mid-stage.  Each stage appends its name to ran.txt, so the tests can see
# exactly what executed.
# usage: run.sh CAIRN
CAIRN=$1
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

printf 'hello\n' >in.txt
cat >cairn.toml <<'TOML'
[params]
scale = 2
tag = "v1"

[stage.prep]
cmd = "echo prep >> ran.txt; tr a-z A-Z < ${deps.src} > ${outs.o}"
deps = { src = "in.txt" }
outs = { o = "prep/out.txt" }

[stage.train]
cmd = "echo train-${matrix.k} >> ran.txt; echo ${params.tag} >> ran.txt; cat ${stage.prep.outs.o} > ${outs.m}; echo k=${matrix.k} scale=${params.scale} >> ${outs.m}"
outs = { m = "models/${matrix.k}.txt" }
matrix = { k = ["a", "b"] }

[stage.report]
cmd = "echo report >> ran.txt; cat ${deps.models} > ${outs.r}"
deps = { models = "${stage.train.outs.m}" }
outs = { r = "report.txt" }
TOML
# wait_for FILE: until it exists (a stage has started), at most 10 s.
wait_for() {
	local n=0
	while [ ! -e "$1" ] && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
}
ran() { sort ran.txt 2>/dev/null | grep -v '^v' | tr '\n' ' '; rm -f ran.txt; }

run run
expect_rc first 0
expect_eq first-ran "$(ran)" "prep report train-a train-b "
expect_eq first-report "$(cat report.txt)" "HELLO
k=a scale=2
HELLO
k=b scale=2"
expect_match first-summary "$out" '^done: 4 ran, 0 restored, 0 up to date, 0 failed$'
checks=$((checks + 1))
grep -q '^\[stage."train\[k=a\]".outputs\]$' cairn.lock || fail lock "no entry for train[k=a]"

run run
expect_eq noop-ran "$(ran)" ""
expect_match noop "$out" '^done: 0 ran, 0 restored, 4 up to date, 0 failed$'
run status --locked
expect_rc locked-clean 0
run status --json prep
expect_match status-json "$out" '^  \{"instance": "prep", "state": "up to date", "why": "up to date", "key": "[0-9a-f]{64}", "edited": \[\]\}$'
cp models/a.txt a.bak
printf 'tampered\n' >models/a.txt
run status --locked
expect_rc locked-dirty 1
expect_match locked-dirty "$out" "^lock: 'train\\[k=a\\]' outputs in the workspace differ from the lock file$"
cp a.bak models/a.txt
run status
expect_rc status-clean 0
# A key other than the lock's (a param changed on the command line).
run status --locked -p scale=3
expect_rc locked-key 1
expect_match locked-key "$out" "^lock: 'train\\[k=a\\]' has a different key than the lock file records: param 'scale' 2 -> 3$"

# A param only the command's log sees: train reruns, its outputs are the
# same bytes, so report does not (early cutoff).
run run -p tag=v2
expect_eq cutoff-ran "$(ran)" "train-a train-b "
# A param in the outputs: train and report rerun; prep does not.
run run -p scale=3
expect_eq param-ran "$(ran)" "report train-a train-b "
run status
expect_rc status-dirty 1
expect_match status-dirty "$out" '^restorable  train\[k=a\]'
# Back to the old value: everything comes from the store.
run run
expect_eq flip-back-ran "$(ran)" ""
expect_match flip-back "$out" '^done: 0 ran, 3 restored, 1 up to date, 0 failed$'
expect_eq flip-back-report "$(cat report.txt)" "HELLO
k=a scale=2
HELLO
k=b scale=2"

# explain says which component changed, against the last run.
run explain -p scale=5 'train[k=a]'
expect_rc explain 0
expect_match explain "$out" "^train\\[k=a\\]: to run \\(param 'scale' 3 -> 5\\)$"
expect_match explain-last "$out" '^  against its last run \([0-9-]+ [0-9:]+ UTC, run [0-9a-f]{12}\):$'
expect_match explain-param "$out" '^    param scale: 3 -> 5$'
run explain 'train[k=a]'
expect_eq explain-clean "$out" "train[k=a]: up to date"
run log train
expect_rc log 0
expect_match log "$out" '^[0-9-]+ [0-9:]+ +[0-9.]+s  run [0-9a-f]{12}  train\[k=b\]$'
checks=$((checks + 1))
[ "$(printf '%s\n' "$out" | grep -c 'train\[k=a\]')" -ge 2 ] || fail log-count "fewer than two runs of train[k=a]"

# A deleted output is restored, not rebuilt.
rm -r models
run run
expect_eq deleted-ran "$(ran)" ""
expect_match deleted "$out" '^restored   train\[k=b\]  \([0-9.]+s\)$'
checks=$((checks + 1))
[ -f models/a.txt ] || fail deleted "models/a.txt not restored"

# An input change reruns everything downstream of it.
printf 'world\n' >in.txt
run run
expect_eq input-ran "$(ran)" "prep report train-a train-b "
run run train
expect_eq target-noop "$(ran)" ""

# Targets: only what they need.
# lock_entry NAME FILE: the lock file's lines of instance NAME.
lock_entry() {
	awk -v n="[stage.\"$1\"" 'index($0, "[stage.") == 1 { on = index($0, n) == 1 } on' "$2"
}
cp cairn.lock before.lock
printf 'again\n' >in.txt
run run 'train[k=a]'
expect_eq target-ran "$(ran)" "prep train-a "
# The others' entries are kept byte for byte (their outputs stay rooted,
# status --locked still knows them).
for other in 'train[k=b]' report; do
	checks=$((checks + 1))
	[ -n "$(lock_entry "$other" cairn.lock)" ] &&
		[ "$(lock_entry "$other" cairn.lock)" = "$(lock_entry "$other" before.lock)" ] ||
		fail target-lock "the entry of $other changed or went"
done
checks=$((checks + 1))
[ "$(lock_entry 'train[k=a]' cairn.lock)" != "$(lock_entry 'train[k=a]' before.lock)" ] ||
	fail target-lock "the entry of train[k=a] was not rewritten"
run run nosuch
expect_rc bad-target 2
expect_eq bad-target "$err" "cairn: error: no stage or instance matches 'nosuch'"
run run trian
expect_rc bad-target-typo 2
expect_eq bad-target-typo "$err" "cairn: error: no stage or instance matches 'trian'; did you mean 'train'?"

# -p is one option wherever it is taken: a malformed one and an unknown
# param are exit 2, said the same way by every command.
for c in run status graph explain verify; do
	t=train
	[ "$c" = graph ] && t=
	run $c -p scale $t
	expect_rc "p-malformed-$c" 2
	expect_eq "p-malformed-$c" "$err" "cairn: error: invalid '-p scale': write -p name=value"
	run $c -p scal=3 $t
	expect_rc "p-unknown-$c" 2
	expect_eq "p-unknown-$c" "$err" "cairn: error: unknown param 'scal' in '-p scal=3'; did you mean 'scale'?"
done
run graph -p scale=7 --json
expect_match p-graph "$out" '"name": "train\[k=a\]", .*echo k=a scale=7 >> models/a.txt'

# A failing stage: exit 1, its log's tail, dependents blocked; -k goes on.
cat >fail.toml <<'TOML'
[stage.bad]
cmd = "echo about to fail; echo details >&2; exit 3"
outs = { o = "bad.txt" }
[stage.after]
cmd = "cat ${stage.bad.outs.o} > ${outs.o}"
outs = { o = "after.txt" }
[stage.other]
cmd = "echo other > ${outs.o}"
outs = { o = "other.txt" }
TOML
run run fail.toml -j 1
expect_rc fail 1
expect_match fail-msg "$err" "^cairn: error: 'bad' failed with exit status 3 \(log: .*/\.cairn/logs/bad\.log\)"
expect_match fail-tail "$err" '^  \| details$'
checks=$((checks + 1))
[ ! -e after.txt ] || fail fail-blocked "a stage after the failure ran"
run run -k fail.toml
expect_rc keep-going 1
checks=$((checks + 1))
[ -f other.txt ] || fail keep-going "an independent stage did not run"
# Failures are history: recorded with their exit status, never reused.
run log fail.toml bad
expect_rc fail-log 0
expect_match fail-log "$out" '^[0-9-]+ [0-9:]+ +[0-9.]+s  run [0-9a-f]{12}  bad  failed \(exit 3\)$'
run log --json fail.toml bad
expect_match fail-log-json "$out" '"exit": 3, "ok": false\}'
# The params file is plain JSON; metrics files' numbers are recorded.
cat >values.toml <<'TOML'
[params]
lr = 0.5
name = "x"
[stage.v]
cmd = "cat $CAIRN_PARAMS_FILE > ${outs.p}; echo '{\"acc\": 0.75, \"loss\": {\"val\": 2}}' > ${outs.m}; echo ${params.name}"
outs = { p = "values.json", m = "scores.json" }
params = ["lr"]
matrix = { k = [1] }
metrics = ["${outs.m}"]
[stage.bad]
cmd = "echo '{\"acc\": }' > ${outs.m}"
outs = { m = "bad-scores.json" }
metrics = ["${outs.m}"]
TOML
run run -k values.toml
expect_rc metrics-bad 1
expect_match metrics-bad "$err" "^cairn: error: 'bad' has a bad metrics file: bad-scores.json:1:9: invalid number$"
expect_eq params-file "$(cat values.json)" '{"params": {"lr": 0.5, "name": "x"}, "matrix": {"k": 1}}'
run log --json values.toml 'v[k=1]'
vrun=$(printf '%s\n' "$out" | grep -o '"run": "[0-9a-f]*' | head -1 | cut -c9-)
run show "$vrun"
expect_match metrics-recorded "$out" '^metrics: \{"acc":0.75,"loss.val":2\}$'
expect_match params-recorded "$out" '^params: \{"lr":0.5,"name":"x"\}$'
run log values.toml bad
expect_match metrics-bad-log "$out" 'bad  failed \(has a bad metrics file: bad-scores.json:1:9: invalid number\)$'
# A plain command runs without a shell; one that is not found still says
# so through the shell, in the log.
cat >plain.toml <<'TOML'
[stage.cp]
cmd = "cp values.json plain-copy.json"
outs = { o = "plain-copy.json" }
[stage.nf]
cmd = "no-such-command-for-cairn x"
TOML
run run -k plain.toml
expect_rc plain 1
expect_eq plain-copy "$(cat plain-copy.json)" "$(cat values.json)"
expect_match not-found "$err" "^cairn: error: 'nf' failed with exit status 127"
expect_match not-found-log "$err" 'not found'
cat >noout.toml <<'TOML'
[stage.check]
cmd = "exit 1"
TOML
run run noout.toml
expect_rc noout-fail 1
run run noout.toml
expect_rc noout-again 1
expect_match noout-again "$err" "^cairn: error: 'check' failed with exit status 1"

# Resources: a stage that needs more than the machine has fails up front;
# parallel stages never hold more cores than there are.
cat >big.toml <<'TOML'
[stage.huge]
cmd = "echo never > ${outs.o}"
outs = { o = "huge.txt" }
resources = { cpus = 4096 }
TOML
run run big.toml
expect_rc too-big 1
expect_match too-big "$err" "^cairn: error: 'huge' needs more than this machine has \(4096 cpus, 0 MiB, 0 gpus; the machine has [0-9]+ cpus"
ncpu=$(nproc)
cat >cores.toml <<TOML
[stage.w]
cmd = "echo start >> cores.log; sleep 0.3; echo end >> cores.log; echo \${matrix.i} > \${outs.o}"
outs = { o = "w-\${matrix.i}.txt" }
matrix = { i = [1, 2, 3] }
resources = { cpus = $ncpu }
TOML
run run -j 8 cores.toml
expect_rc cores 0
expect_eq cores-serial "$(tr '\n' ' ' <cores.log)" "start end start end start end "

# A stage that does not create its output fails.
cat >noout.toml <<'TOML'
[stage.lazy]
cmd = "true"
outs = { o = "never.txt" }
TOML
run run noout.toml
expect_rc no-output 1
expect_eq no-output "$err" "cairn: error: 'lazy' succeeded but did not create its output 'never.txt'"

# An input edited while the stage runs: nothing is recorded.
printf 'a\n' >slow-in.txt
cat >slow.toml <<'TOML'
[stage.slow]
cmd = "sleep 1; cp ${deps.i} ${outs.o}"
deps = { i = "slow-in.txt" }
outs = { o = "slow-out.txt" }
TOML
"$CAIRN" run slow.toml >/dev/null 2>"$T/slow.err" &
pid=$!
wait_for .cairn/logs/slow.log
printf 'b\n' >slow-in.txt
wait $pid
expect_eq edited-mid-run "$?" 1
expect_match edited-mid-run "$(cat "$T/slow.err")" "input 'slow-in.txt' of 'slow' changed while it ran; nothing was recorded"

# kill -9 of cairn mid-stage, then a rerun completes; the store is whole.
cat >killed.toml <<'TOML'
[stage.long]
cmd = "sleep 2; echo done > ${outs.o}"
outs = { o = "long.txt" }
TOML
"$CAIRN" run killed.toml >/dev/null 2>&1 &
pid=$!
wait_for .cairn/logs/long.log
kill -9 $pid
wait $pid 2>/dev/null
sleep 2
run run killed.toml
expect_rc after-kill 0
expect_eq after-kill "$(cat long.txt)" "done"
run --store .cairn/store fsck
expect_rc fsck 0
expect_match fsck "$out" ' 0 damaged'

# A second run on the same workspace: refused with who holds it, or waits.
cat >sleepy.toml <<'TOML'
[stage.nap]
cmd = "sleep 1.5; echo rested > ${outs.o}"
outs = { o = "nap.txt" }
TOML
"$CAIRN" run sleepy.toml >/dev/null 2>&1 &
pid=$!
wait_for .cairn/logs/nap.log
run run sleepy.toml
expect_rc busy 3
expect_match busy "$err" "^cairn: error: another cairn run \(pid $pid, graph sleepy\) is using workspace '"
run run --wait sleepy.toml
expect_rc waited 0
expect_match waited "$out" '^done: 0 ran, 0 restored, 1 up to date, 0 failed$'
wait $pid

# Ctrl-C: running stages are stopped, nothing is recorded, exit 130.
cat >interrupt.toml <<'TOML'
[stage.forever]
cmd = "sleep 30.417; echo late > ${outs.o}"
outs = { o = "late.txt" }
TOML
"$CAIRN" run interrupt.toml >/dev/null 2>"$T/int.err" &
pid=$!
wait_for .cairn/logs/forever.log
sleep 0.2
kill -INT $pid
wait $pid
expect_eq interrupted-rc "$?" 130
expect_match interrupted "$(cat "$T/int.err")" '^cairn: error: interrupted: stopping 1 running stage$'
checks=$((checks + 1))
pgrep -f "sleep 30.417" >/dev/null && fail interrupted "the stage still runs"
run status interrupt.toml
expect_match interrupted-status "$out" '^to run      forever  \(never run\)$'

# Up to date only when every output is what the run made: the second of
# two outputs changed (and no lock file to say so) is restored.
cat >two.toml <<'TOML'
[stage.pair]
cmd = "echo first > ${outs.a}; echo second > ${outs.b}"
outs = { a = "pair-a.txt", b = "pair-b.txt" }
TOML
run run two.toml
rm two.lock
echo changed >pair-b.txt
run run two.toml
expect_eq second-output "$(nosecs "$out")" "restored   pair  (Ns)
done: 0 ran, 1 restored, 0 up to date, 0 failed"
expect_eq second-output-bytes "$(cat pair-b.txt)" "second"

# A failed run is history, never a cache hit: the same key runs again.
cat >flaky.toml <<'TOML'
[stage.check]
cmd = "test -f ready"
TOML
run run flaky.toml
expect_rc flaky-fails 1
touch ready
run run flaky.toml
expect_rc flaky-reruns 0
expect_eq flaky-reruns "$(nosecs "$out")" "running    check
done       check  (Ns)
done: 1 ran, 0 restored, 0 up to date, 0 failed"

# A store that cannot be opened is exit 3 (not a usage error), for every
# command that opens the graph's store; a missing one is exit 2 with a
# hint (status, explain and log said 2 for both, verify 3); status needs
# none.
mkdir -p badstore && head -c 8192 /dev/urandom >badstore/data.mdb
CAIRN_STORE=badstore run run two.toml
expect_rc store-unopenable 3
for args in "status two.toml" "explain two.toml pair" "log two.toml" \
	"runs two.toml" "verify two.toml"; do
	c=${args%% *}
	CAIRN_STORE=badstore run $args
	expect_rc "store-unopenable-$c" 3
	expect_match "store-unopenable-$c" "$err" "^cairn: error: .*badstore"
	expect_eq "store-unopenable-$c-hint" "$(printf '%s\n' "$err" | grep -c '^hint:')" 0
	CAIRN_STORE=nostore run $args
	if [ "$c" = status ] || [ "$c" = explain ]; then
		# status and explain need none (the lock file says all is
		# up to date here), and none is made.
		expect_rc "store-missing-$c" 0
		expect_eq "store-missing-$c-made" "$(ls -d nostore 2>&1)" "ls: cannot access 'nostore': No such file or directory"
		continue
	fi
	expect_rc "store-missing-$c" 2
	expect_eq "store-missing-$c" "$err" "cairn: error: no store at 'nostore'
hint: nothing has run yet: 'cairn run' creates the store"
done

# On a terminal: one updating progress line; in a pipe: one line a step.
if command -v script >/dev/null; then
	cat >tty.toml <<'TOML'
[stage.one]
cmd = "echo 1 > ${outs.o}"
outs = { o = "one.txt" }
[stage.two]
cmd = "cat ${stage.one.outs.o} > ${outs.o}"
outs = { o = "two.txt" }
TOML
	o=$(TERM=xterm script -qec "'$CAIRN' run tty.toml" /dev/null </dev/null | tr '\r' '\n')
	expect_match tty-progress "$o" '\[2/2 restored 0\] done two'
	expect_match tty-summary "$o" 'done: 2 ran, 0 restored, 0 up to date, 0 failed'
fi
# In a pipe (a CI log): each finished instance's line with its time, as
# the terminal's scrollback has it; what starts or is up to date without.
cat >pipe.toml <<'TOML'
[stage.slow]
cmd = "sleep 0.3; echo 1 > ${outs.o}"
outs = { o = "slow.txt" }
[stage.after]
cmd = "cat ${stage.slow.outs.o} > ${outs.o}"
outs = { o = "after.txt" }
TOML
run run -j1 pipe.toml
expect_rc pipe-run 0
expect_eq pipe-run "$(nosecs "$out")" "running    slow
done       slow  (Ns)
running    after
done       after  (Ns)
done: 2 ran, 0 restored, 0 up to date, 0 failed"
expect_match pipe-run-secs "$out" '^done       slow  \(([0-9]+\.[0-9]s|[0-9]+m[0-9]{2}s)\)$'
expect_eq pipe-run-at-least "$(printf '%s\n' "$out" | sed -nE 's/^done       slow  \(0\.([0-2])s\)$/too short/p')" ""
rm slow.txt after.txt
run run pipe.toml
expect_eq pipe-restored "$(nosecs "$out")" "restored   slow  (Ns)
restored   after  (Ns)
done: 0 ran, 2 restored, 0 up to date, 0 failed"
run run pipe.toml
expect_eq pipe-up-to-date "$out" "ok         slow
ok         after
done: 0 ran, 0 restored, 2 up to date, 0 failed"

finish
