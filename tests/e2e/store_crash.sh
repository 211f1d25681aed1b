#!/bin/bash
# Robustness of the store: SIGKILL during ingest (50 times), a corrupted
# value, a truncated data file, two processes ingesting at once.
# usage: store_crash.sh CAIRN [KILLS]
CAIRN=$1
KILLS=${2:-50}
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
export CAIRN_STORE=$T/store

# ---- kill -9 at random moments while ingesting, then fsck must be clean
head -c $((48 << 20)) /dev/urandom >big
# The store exists before the first kill, however early that comes.
printf 'seed\n' >seed
"$CAIRN" store add seed >/dev/null || fail setup "cannot create the store"
for i in $(seq 1 "$KILLS"); do
	# Change a few bytes somewhere so every round has new chunks to write.
	printf 'round %d' "$i" |
		dd of=big bs=1 seek=$(( (RANDOM * 32768 + RANDOM) % (48 << 20) )) \
			conv=notrunc status=none
	"$CAIRN" store add big >/dev/null 2>&1 &
	pid=$!
	sleep "0.$(printf '%03d' $((RANDOM % 400)))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	"$CAIRN" fsck >"$T/fsck.out" 2>&1
	rc=$?
	if [ "$rc" -ne 0 ]; then
		fail "kill-$i" "fsck exit $rc: $(cat "$T/fsck.out")"
		break
	fi
done
checks=$((checks + 1))
run store add big
expect_rc after-kills 0
expect_eq after-kills-id "$out" "$(sha256sum big | cut -c1-64)  big"
run gc
expect_rc after-kills-gc 0
run fsck
expect_match after-kills-fsck "$out" '0 damaged; 0 unreferenced chunks'

# ---- a damaged chunk value and a damaged inline blob
{
	head -c 600000 /dev/urandom
	printf 'CAIRN-MARKER-CHUNK-7f3a'
	head -c 600000 /dev/urandom
} >marked
printf 'CAIRN-MARKER-INLINE-91c2\n' >small
run store add marked small
big_id=$(sha256sum marked | cut -c1-64)
small_id=$(sha256sum small | cut -c1-64)
for m in CAIRN-MARKER-CHUNK-7f3a CAIRN-MARKER-INLINE-91c2; do
	off=$(grep -obUa "$m" "$CAIRN_STORE/data.mdb" | head -1 | cut -d: -f1)
	printf 'X' | dd of="$CAIRN_STORE/data.mdb" bs=1 seek="$off" conv=notrunc status=none
done
run fsck
expect_rc fsck-damaged 1
expect_match fsck-chunk "$out" '^damaged: chunks [0-9a-f]{64}: bytes do not hash to the id$'
expect_match fsck-blob "$out" "^damaged: blobs $big_id: a chunk it lists is damaged$"
expect_match fsck-inline "$out" "^damaged: blobs $small_id: bytes do not hash to the id$"
expect_match fsck-damaged-err "$err" "^cairn: error: store '.*' is damaged"
run cat "$big_id"
expect_rc cat-damaged 3
expect_eq cat-damaged "$err" "cairn: error: blob $big_id is damaged: a chunk's bytes do not hash to its id (run 'cairn fsck')
hint: run 'cairn fsck' to see what is damaged"
# What cat wrote before it stopped: whole chunks before the damaged one,
# never the damage itself.
"$CAIRN" cat "$big_id" >cat.out 2>/dev/null
n=$(stat -c %s cat.out)
checks=$((checks + 1))
[ "$n" -lt 600000 ] && cmp -s -n "$n" cat.out marked ||
	fail cat-damaged-bytes "$n bytes written, not a prefix before the damage"
run cat "$small_id"
expect_rc cat-damaged-inline 3
expect_eq cat-damaged-inline "$out" ""
run export "$small_id" restored
expect_rc export-damaged 3
checks=$((checks + 1))
[ ! -e restored ] || fail export-damaged "a damaged blob was written"
ls -a | grep -q cairn-tmp && fail export-damaged "temporary file left"
# Over what is there: left as it was, file or folder.
printf 'old\n' >restored
run export "$big_id" restored
expect_rc export-damaged-over 3
expect_eq export-damaged-over "$(cat restored)" "old"
mkdir -p withbig
cp marked withbig/marked
"$CAIRN" store add withbig >tree.out 2>&1
tree_id=$(cut -c1-64 tree.out)
mkdir -p restored.d
printf 'old\n' >restored.d/old
run export "$tree_id" restored.d
expect_rc export-damaged-tree 3
expect_match export-damaged-tree "$err" "blob $big_id is damaged"
expect_eq export-damaged-tree-left "$(ls -A restored.d)" "old"
ls -a | grep -q cairn-tmp && fail export-damaged-tree "temporary left"
run fsck --repair
expect_rc fsck-repair 0
expect_match fsck-repair "$out" "^removed: blobs $small_id: bytes do not hash to the id$"
run fsck
expect_rc fsck-after-repair 0
run store add marked small
expect_rc re-add 0
run cat "$small_id"
expect_eq re-add "$out" "CAIRN-MARKER-INLINE-91c2"

# ---- a truncated data file is reported, never crashes
cp -r "$CAIRN_STORE" trunc
truncate -s $(( $(stat -c %s trunc/data.mdb) / 2 )) trunc/data.mdb
run --store trunc fsck
expect_rc truncated-fsck 3
expect_match truncated-fsck "$err" "^cairn: error: store data file 'trunc/data\.mdb' is truncated"
run --store trunc store stat
expect_rc truncated-stat 3
truncate -s 100 trunc/data.mdb
run --store trunc fsck
checks=$((checks + 1))
[ "$rc" -eq 3 ] || fail truncated-tiny "exit $rc: $err"

# ---- two processes ingesting overlapping content at once
head -c $((20 << 20)) /dev/urandom >x
head -c $((20 << 20)) /dev/urandom >y
cat x y >xy
cat y x >yx
"$CAIRN" store add xy >p1.out 2>&1 &
p1=$!
"$CAIRN" store add yx >p2.out 2>&1 &
p2=$!
wait $p1
r1=$?
wait $p2
r2=$?
expect_eq concurrent-rc "$r1 $r2" "0 0"
"$CAIRN" cat "$(sha256sum yx | cut -c1-64)" | cmp -s - yx
expect_eq concurrent-yx "$?" 0
"$CAIRN" cat "$(sha256sum xy | cut -c1-64)" | cmp -s - xy
expect_eq concurrent-xy "$?" 0
run fsck
expect_rc concurrent-fsck 0

finish
