#!/bin/bash
# A run with nothing to do writes nothing: not the store, not the lock
# file, not the workspace lock (strace counts the system calls that
# write; where strace is missing, the files' bytes and times are
# compared).  Who holds the workspace lock is named from the kernel's
# table, not from what an earlier run left in the file.  run and status
# --profile: every phase, with numbers, on stderr; nothing else changes.
# usage: noop.sh CAIRN
CAIRN=$1
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

# 300 sources (past the threaded pre-pass's threshold) and a chain of 3.
mkdir in
{
	for i in $(seq 1 300); do
		echo "$i" >"in/$i.txt"
		printf '[stage.c%d]\ncmd = "cp ${deps.i} ${outs.o}"\ndeps = { i = "in/%d.txt" }\nouts = { o = "o/%d.txt" }\n' "$i" "$i" "$i"
	done
	printf '[stage.a]\ncmd = "cat ${deps.i} > ${outs.o}"\ndeps = { i = "${stage.c300.outs.o}" }\nouts = { o = "a.txt" }\n'
	printf '[stage.b]\ncmd = "cat ${deps.i} > ${outs.o}"\ndeps = { i = "${stage.a.outs.o}" }\nouts = { o = "b.txt" }\n'
} >cairn.toml

run -q run
expect_rc first 0
# Files written less than a second before the stat cache recorded them are
# read again by the next run (racy entries), which records them anew: that
# next run may write the stat cache.  The one after writes nothing.
sleep 1.1
run -q run
expect_rc settle 0

# snap: what a no-op must leave as it was.
snap() {
	stat -c '%n %s %Y %y' .cairn/store/data.mdb cairn.lock .cairn/lock
	sha256sum .cairn/store/data.mdb cairn.lock .cairn/lock
	ls -A .cairn
}
before=$(snap)
if command -v strace >/dev/null && strace -f -o /dev/null true 2>/dev/null; then
	# (LeakSanitizer cannot run under a tracer)
	ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0 \
		strace -f -qq -o "$T/trace" -e trace=write,pwrite64,pwritev,pwritev2,fsync,fdatasync,ftruncate,truncate,rename,renameat,renameat2,unlink,unlinkat,mkdir,mkdirat \
		"$CAIRN" -q run >"$T/out" 2>"$T/err"
	rc=$?
	expect_rc noop-strace 0
	# What failed (mkdir of a folder that is there) wrote nothing.
	grep -vE '^[0-9]+ +\+\+\+|= -1 ' "$T/trace" >"$T/writes"
	expect_eq noop-writes "$(head -5 "$T/writes")" ""
else
	echo "strace cannot run here: comparing the files only"
	run -q run
	expect_rc noop 0
fi
expect_eq noop-files "$(snap)" "$before"
# Not quiet: the summary is all it says.
run run
expect_rc noop-said 0
expect_eq noop-summary "$(printf '%s\n' "$out" | tail -n 1)" \
	"done: 0 ran, 0 restored, 302 up to date, 0 failed"
expect_eq noop-files-2 "$(snap)" "$before"

# A run that works still marks itself live for gc while it runs, and says
# who holds the workspace lock: a stage reads both.
cat >>cairn.toml <<'TOML'
[stage.look]
cmd = "cat .cairn/lock > ${outs.o}; echo >> ${outs.o}"
outs = { o = "look.txt" }
TOML
run -q run
expect_rc work 0
expect_match work-holder "$(cat look.txt)" "^pid [0-9]+, graph "

# Another process holds the workspace lock: it is named by its pid, not by
# what the last run wrote in the file (that run is gone).
if command -v flock >/dev/null; then
	# -o: the lock is flock's own, not its child's
	flock -o .cairn/lock sleep 30 >/dev/null 2>&1 &
	holder=$!
	n=0
	while ! grep -q " $holder " /proc/locks 2>/dev/null && [ $n -lt 50 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	run run
	expect_rc busy 3
	expect_match busy "$err" "^cairn: error: another cairn run \(pid $holder\) is using workspace '"
	kill $(ps -o pid= --ppid "$holder") "$holder"
	wait "$holder" 2>/dev/null
fi

# --profile: every phase on stderr with its time and count; the output and
# the outcome as without it.
sleep 1.1	# look.txt's entry settles (racy, above)
run run
want=$out
# The graph touched: the last no-op's proof (e2e.noop_proof) no longer
# holds, and the run decides in full, saying the same.
touch cairn.toml
run run --profile
expect_rc profile 0
expect_eq profile-out "$out" "$want"
expect_match profile-head "$err" '^profile +ms +count$'
for phase in proof parse expand check store scan key lookup schedule commands restore record lock; do
	expect_match "profile-$phase" "$err" "^$phase +[0-9]+\.[0-9] +[0-9]+ [a-z]+"
done
expect_match profile-other "$err" '^other +[0-9]+\.[0-9]$'
expect_match profile-total "$err" '^total +[0-9]+\.[0-9]$'
expect_match profile-peak "$err" '^peak +[0-9]+\.[0-9] MiB$'
expect_eq profile-lines "$(printf '%s\n' "$err" | wc -l)" 17
expect_match profile-parse "$err" "^parse +[0-9.]+ +$(stat -c %s cairn.toml) bytes\$"
expect_match profile-expand "$err" '^expand +[0-9.]+ +303 instances$'
expect_match profile-check "$err" '^check +[0-9.]+ +303 instances$'
expect_match profile-keys "$err" '^key +[0-9.]+ +303 keys$'
expect_match profile-lookups "$err" '^lookup +[0-9.]+ +303 instances$'
expect_match profile-nothing-read "$err" '^scan +[0-9.]+ +[0-9]+ paths, 0 read$'
run status
want=$out
run status --profile
expect_rc status-profile 0
expect_eq status-profile-out "$out" "$want"
expect_match status-profile "$err" '^lookup +[0-9.]+ +303 instances$'
# A profile that stops at a usage error prints nothing.
run run --profile nosuch
expect_rc profile-usage 2
expect_eq profile-usage-err "$(printf '%s\n' "$err" | grep -c '^profile')" 0
finish
