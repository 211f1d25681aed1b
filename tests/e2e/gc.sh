#!/bin/bash
# gc and the runs it must not harm: a gc --max-size while a run is in
# progress keeps everything the run stored (its records, outputs and logs),
# a dead run's mark is stale and removed, and plain gc keeps the log of
# every run it keeps (the only diagnostics of a failed run); --max-size
# evicts the least recently used runs first, a restore counting as a use.
# usage: gc.sh CAIRN
CAIRN=$1
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
export CAIRN_STORE="$T/store"

# wait_for FILE: until it exists, at most 20 s.
wait_for() {
	local n=0
	while [ ! -e "$1" ] && [ $n -lt 200 ]; do
		sleep 0.1
		n=$((n + 1))
	done
}

# wait_recorded DIR INSTANCE: until the store holds a run of INSTANCE (the
# batch that records it is committed), at most 20 s.
wait_recorded() {
	local n=0
	while [ $n -lt 200 ]; do
		(cd "$1" && "$CAIRN" log --json "$2" 2>/dev/null) |
			grep -q "\"instance\": \"$2\"" && return
		sleep 0.1
		n=$((n + 1))
	done
}

# ---- gc --max-size 1 while a run is in progress
mkdir live
cat >live/cairn.toml <<'TOML'
[stage.a]
cmd = "echo making a; seq 1 20000 > ${outs.o}"
outs = { o = "a.txt" }

[stage.b]
cmd = "echo making b; sort -r ${deps.x} > ${outs.o}; touch started; while [ ! -e go ]; do sleep 0.05; done"
deps = { x = "${stage.a.outs.o}" }
outs = { o = "b.txt" }
TOML
# A blob nothing keeps: gc removes it, but not while a run is in progress
# (it might be one the run found stored and is about to name).
printf 'loose\n' >loose
run store add loose
(cd live && exec "$CAIRN" run -j 1 >"$T/live.out" 2>&1) &
livepid=$!
wait_for live/started
wait_recorded live a
run gc --max-size 1
expect_rc gc-live 0
expect_match gc-live-out "$out" '^removed 0 runs, 0 blobs, 0 trees, 0 chunks \(0 B\); [0-9.]+ KiB kept$'
expect_eq gc-live-warn "$(printf '%s' "$err" | sed 's/since [0-9-]* [0-9:]*)/since TIME)/')" \
	"cairn: warning: kept 1 object no root or kept run needs (48 B): 1 run in progress on this store may still need them
  run $T/live (pid $livepid, since TIME)
hint: 'cairn gc' after it ends removes them"
run gc --json
expect_match gc-live-json "$out" '"runs": 0, "blobs": 0, "trees": 0, "chunks": 0, "bytes": 0, "kept_bytes": [0-9]+, "live": 1, "stale_live": 0, "held": 1, "held_bytes": 48\}$'
touch live/go
wait "$livepid"
rc=$?
expect_rc live-run 0
expect_match live-run-out "$(cat "$T/live.out")" '^done: 2 ran, 0 restored, 0 up to date, 0 failed$'
run fsck
expect_rc live-fsck 0
run store roots
expect_match live-root "$out" "^lock:$T/live/cairn.lock [0-9a-f]{64} [0-9a-f]{64}  \\(made by [ab] [0-9-]{10} [0-9:]{8}, [ab] [0-9-]{10} [0-9:]{8}\\)$"
# Every output of that run comes back from the store, byte for byte.
cp live/a.txt a.ref
cp live/b.txt b.ref
rm -f live/a.txt live/b.txt live/go live/started
(cd live && "$CAIRN" run >"$T/again.out" 2>&1)
expect_match live-restored "$(cat "$T/again.out")" '^done: 0 ran, 2 restored, 0 up to date, 0 failed$'
checks=$((checks + 1))
cmp -s a.ref live/a.txt && cmp -s b.ref live/b.txt ||
	fail live-bytes "restored outputs differ"
# With the run over, gc removes what it held, and says nothing of runs
# in progress.
run gc
expect_match gc-after-loose "$out" '^removed 0 runs, 1 blobs, 0 trees, 0 chunks \(48 B\)'
expect_eq gc-after-loose-err "$err" ""
run gc --max-size 1
expect_rc gc-after 0
expect_match gc-after-err "$err" '^cairn: warning: the store still holds [^,]*, above --max-size 1 B: everything left is kept by a root$'

# ---- a run killed mid-stage leaves a stale mark: gc ignores and drops it
rm -f live/go live/started live/b.txt
(cd live && exec "$CAIRN" run -j 1 --force b >/dev/null 2>&1) &
deadpid=$!
wait_for live/started
exec 3>&2 2>/dev/null	# not bash's word on the kill
kill -9 "$deadpid"
wait "$deadpid"
exec 2>&3 3>&-
touch live/go	# the orphaned stage ends by itself
run gc --dry-run --json
expect_match stale-dry "$out" '"live": 0, "stale_live": 1, "held": 0'
run gc --json
expect_match stale "$out" '"live": 0, "stale_live": 1, "held": 0'
expect_eq stale-quiet "$err" ""
run gc --json
expect_match stale-gone "$out" '"live": 0, "stale_live": 0, "held": 0'
run fsck
expect_rc stale-fsck 0

# ---- plain gc keeps the logs of the runs it keeps
mkdir logs
cat >logs/cairn.toml <<'TOML'
[stage.ok]
cmd = "echo ok-says-hello; echo ok > ${outs.o}"
outs = { o = "ok.txt" }

[stage.bad]
cmd = "echo bad-says-why >&2; exit 3"
outs = { o = "bad.txt" }
TOML
(cd logs && "$CAIRN" run -k >/dev/null 2>&1)
# log_of INSTANCE: the log blob id of INSTANCE's newest run.
log_of() {
	local r
	r=$(cd logs && "$CAIRN" log --json "$1" | grep -o '"run": "[0-9a-f]*' |
		head -1 | cut -c9-)
	"$CAIRN" show "$r" | sed -n 's/^log: //p'
}
ok_log=$(log_of ok)
bad_log=$(log_of bad)
run gc
expect_rc gc-logs 0
run cat "$ok_log"
expect_rc ok-log 0
expect_eq ok-log "$out" "ok-says-hello"
run cat "$bad_log"
expect_rc bad-log 0
expect_eq bad-log "$out" "bad-says-why"
(cd logs && "$CAIRN" log >"$T/log.out")
expect_match log-kept "$(cat "$T/log.out")" '  bad  failed \(exit 3\)$'
run fsck
expect_rc logs-fsck 0
# A run gc evicts (beyond keep-runs) takes its log with it; the kept
# run's log stays.
run store config keep-runs 1
sed -i 's/bad-says-why/bad-says-more/' logs/cairn.toml
(cd logs && "$CAIRN" run -k >/dev/null 2>&1)
new_bad=$(log_of bad)
run gc
expect_match gc-evict "$out" '^removed 1 runs, 1 blobs, 0 trees, 0 chunks'
run cat "$bad_log"
expect_rc evicted-log 2
run cat "$new_bad"
expect_eq kept-log "$out" "bad-says-more"
run fsck
expect_rc evict-fsck 0

# ---- gc --max-size evicts the least recently used run first: a restore
# is a use.  Runs for x = 1, 2, 3; x = 1 restored, then x = 3 (the lock
# file's root): of the two unrooted runs, x = 2's was used last longest
# ago, so room for one fewer run evicts it, not x = 1's.
mkdir "$T/lru" && cd "$T/lru" || exit 1
export CAIRN_STORE="$T/lru/store"
cat >cairn.toml <<'TOML'
[params]
x = 1

[stage.s]
cmd = "head -c 100000 /dev/urandom > ${outs.o}; echo ${params.x}"
outs = { o = "o.bin" }
TOML
for x in 1 2 3; do
	run -q run -p x=$x
	expect_rc "lru-run-$x" 0
	eval "id$x=\$(sha256sum o.bin | cut -c1-64)"
done
run -q run -p x=1
expect_eq lru-restored "$(sha256sum o.bin | cut -c1-64)" "$id1"
run -q run -p x=3
run gc --max-size 250000
expect_rc lru-gc 0
expect_match lru-gc "$out" "^removed 1 runs, 2 blobs, "
run cat "$id1"
expect_rc lru-restored-kept 0
run cat "$id2"
expect_rc lru-oldest-evicted 2
run cat "$id3"
expect_rc lru-root-kept 0

finish
