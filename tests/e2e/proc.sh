#!/bin/bash
# What a stage process inherits, and what happens to it when cairn dies:
# a stage sees only descriptors 0, 1 and 2 (never the store's), so junk
# written to every other descriptor harms nothing; after kill -9 of cairn
# the stage's first process dies with it, and the next run stops what is
# left of the stage's process group before it touches any output.
# usage: proc.sh CAIRN
CAIRN=$1
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

# wait_for FILE: until it exists, at most 10 s.
wait_for() {
	local n=0
	while [ ! -e "$1" ] && [ $n -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
}
# alive PID: the process exists and is not a zombie (whoever adopts an
# orphan may be slow to reap it).
alive() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "${st%% *}" != Z ]
}
# gone_within TENTHS PID: 0 once PID has ended, 1 if it still runs then.
gone_within() {
	local n=0
	while alive "$2"; do
		[ $n -ge "$1" ] && return 1
		sleep 0.1
		n=$((n + 1))
	done
	return 0
}
# The groups recorded as running (a line each: 1 PGID START BOOT).
records() { awk '{ print $2 }' .cairn/running 2>/dev/null | tr '\n' ' '; }
# Each case in a workspace of its own.
workspace() { mkdir "$T/$1" && cd "$T/$1" || exit 1; }

# The open descriptors of the stage's shell, looked at without opening
# any (a glob or ls would show its own directory descriptor).
workspace fds
cat >fds.toml <<'TOML'
[stage.fds]
cmd = 'n=0; open=; while [ $$n -lt 1024 ]; do [ -L /proc/self/fd/$$n ] && open="$$open $$n"; n=$$((n + 1)); done; echo $$open > ${outs.o}'
outs = { o = "fds.txt" }
TOML
run run fds.toml
expect_rc fds 0
expect_eq fds "$(cat fds.txt)" "0 1 2"
# Again, with a store that was there before the run began.
run run --force fds fds.toml
expect_eq fds-again "$(cat fds.txt)" "0 1 2"

# 16 KiB of junk (both LMDB meta pages) written to every descriptor a
# stage might have been given (by bash: dash cannot name one above 9):
# the store stays whole and the next run finds everything up to date.
# The store is made first: LMDB's descriptor of a store it has just made
# points past its meta pages, that of one it opened at them.
workspace junk
printf '[stage.x]\ncmd = "echo x > ${outs.o}"\nouts = { o = "x.txt" }\n' >x.toml
run run x.toml
expect_rc junk-store 0
cat >junk.toml <<'TOML'
[stage.junk]
cmd = '''bash -c 'for fd in $$(seq 3 255); do printf "%16384s" junk 2>/dev/null >&$$fd; done'; echo wrote > ${outs.o}'''
outs = { o = "junk.txt" }
[stage.after]
cmd = 'cat ${stage.junk.outs.o} > ${outs.o}'
outs = { o = "after.txt" }
TOML
run run junk.toml
expect_rc junk 0
expect_eq junk "$(cat after.txt)" "wrote"
run --store .cairn/store fsck
expect_rc junk-fsck 0
expect_match junk-fsck "$out" ' 0 damaged'
run run junk.toml
expect_rc junk-rerun 0
expect_match junk-rerun "$out" '^done: 0 ran, 0 restored, 2 up to date, 0 failed$'
expect_eq junk-records "$(records)" ""

# kill -9 of cairn: the stage's first process dies with it at once
# (PR_SET_PDEATHSIG), though nothing else runs after.
workspace pdeathsig
cat >orphan.toml <<'TOML'
[stage.nap]
cmd = 'echo $$$$ > leader.pid; exec sleep 30'
outs = { o = "nap.txt" }
TOML
"$CAIRN" run orphan.toml >/dev/null 2>&1 &
pid=$!
wait_for leader.pid
sleep 0.2
leader=$(cat leader.pid)
checks=$((checks + 1))
alive "$leader" || fail pdeathsig-start "the stage did not start"
expect_eq pdeathsig-recorded "$(records)" "$leader "
kill -9 $pid
wait $pid 2>/dev/null
checks=$((checks + 1))
gone_within 10 "$leader" ||
	fail pdeathsig "the stage $leader still runs a second after cairn died"
kill -9 "$leader" 2>/dev/null
# Its record is left; the next run finds the group gone and drops it
# without a word.
expect_eq pdeathsig-left "$(records)" "$leader "
printf '[stage.x]\ncmd = "echo x > ${outs.o}"\nouts = { o = "x.txt" }\n' >x.toml
run run x.toml
expect_rc stale-record 0
expect_eq stale-record "$err" ""
expect_eq stale-record-gone "$(records)" ""

# A stage whose writer is not its first process (a background job in its
# process group): PDEATHSIG does not reach it, so after kill -9 of cairn
# it goes on appending.  The rerun must stop it before its own stage
# starts (which says so in overlap.txt if the old writer still lives),
# and its output must be its own steps only.
workspace orphan
cat >writer.sh <<'SH'
echo $$ > writer.pid
i=1
while [ $i -le 8 ]; do
	echo step$i >> "$1"
	i=$((i + 1))
	sleep 0.3
done
SH
cat >overlap.sh <<'SH'
[ -e old.pid ] || exit 0
st=$(sed 's/.*) //' /proc/$(cat old.pid)/stat 2>/dev/null) || exit 0
[ -n "$st" ] && [ "${st%% *}" != Z ] && echo alive >> overlap.txt
exit 0
SH
cat >steps.toml <<'TOML'
[stage.steps]
cmd = 'sh overlap.sh; sh writer.sh ${outs.o} & wait'
outs = { o = "steps.txt" }
TOML
steps="step1
step2
step3
step4
step5
step6
step7
step8"
"$CAIRN" run steps.toml >/dev/null 2>&1 &
pid=$!
n=0
until grep -q step2 steps.txt 2>/dev/null || [ $n -ge 100 ]; do
	sleep 0.05
	n=$((n + 1))
done
kill -9 $pid
wait $pid 2>/dev/null
cp writer.pid old.pid
old=$(cat old.pid)
checks=$((checks + 1))
alive "$old" || fail orphan-setup "the background writer died with cairn"
run run steps.toml
expect_rc orphan-rerun 0
expect_eq orphan-warning "$err" "cairn: warning: stopped 1 stage process group an earlier run left running"
checks=$((checks + 1))
[ -e overlap.txt ] && fail orphan-overlap "the old writer still ran when the new stage started"
checks=$((checks + 1))
alive "$old" && fail orphan-alive "the old writer $old still runs"
sleep 0.5	# the old writer would have written in this time
expect_eq orphan-output "$(cat steps.txt)" "$steps"
expect_eq orphan-records "$(records)" ""
run status steps.toml
expect_rc orphan-status 0

# A record whose process group number a process of someone else's now
# has (another start time): that process is left alone, the record
# dropped.  A line that is not a record is named, the file left as it is,
# and nothing runs.
workspace records
printf '[stage.x]\ncmd = "echo x > ${outs.o}"\nouts = { o = "x.txt" }\n' >x.toml
run run x.toml
expect_rc records-first 0
setsid sleep 30 &
other=$!
sleep 0.2
printf '1 %s 1 %s\n' "$other" "$(cat /proc/sys/kernel/random/boot_id)" \
	>.cairn/running
run run x.toml
expect_rc reused-pid 0
expect_eq reused-pid "$err" ""
checks=$((checks + 1))
alive "$other" || fail reused-pid "a process that was not a stage was killed"
expect_eq reused-record "$(records)" ""
kill "$other"
printf '1 77 5 another-boot\ngarbage\n' >.cairn/running
cp .cairn/running bad.copy
run run --force x x.toml
expect_rc bad-record 3
expect_eq bad-record "$err" "cairn: error: $T/records/.cairn/running:2: not a record of a running stage
hint: remove it if no stage of an earlier run still runs"
expect_eq bad-record-kept "$(cat .cairn/running)" "$(cat bad.copy)"
expect_eq bad-record-x "$(cat x.txt)" "x"
rm .cairn/running
run run --force x x.toml
expect_rc bad-record-removed 0

# The environment of named inputs: one variable a name; a name given
# several paths also gets _COUNT and _1.._COUNT in the order written (it
# had one CAIRN_IN_NAME entry per path, duplicate names in the
# environment), its first path as CAIRN_IN_NAME.
mkdir envs
echo a >envs/a.txt
echo b >envs/b.txt
cat >env.toml <<'TOML'
[stage.e]
cmd = "env | grep '^CAIRN_IN_' | sort > ${outs.o}"
deps = { many = ["envs/b.txt", "envs/a.txt"], one = "envs/a.txt" }
outs = { o = "envs/e.txt" }
TOML
run -q run env.toml
expect_rc env-run 0
expect_eq env-vars "$(cat envs/e.txt)" "CAIRN_IN_MANY=envs/b.txt
CAIRN_IN_MANY_1=envs/b.txt
CAIRN_IN_MANY_2=envs/a.txt
CAIRN_IN_MANY_COUNT=2
CAIRN_IN_ONE=envs/a.txt"

finish
