#!/bin/bash
# The store at its limits: a full disk (a 2 MiB tmpfs, when root), eight
# processes growing one map at once, stores whose creation was cut short
# (by hand, and by kill -9 at random moments).
# usage: store_limits.sh CAIRN [KILLS]
CAIRN=$1
KILLS=${2:-20}
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
unset CAIRN_STORE

printf 'hello\n' >small
small_id=$(sha256sum small | cut -c1-64)
head -c 3000000 /dev/urandom >big
big_id=$(sha256sum big | cut -c1-64)

# ---- a full disk: named, exit 3, the store as its last commit left it
mkdir full
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=2m tmpfs full 2>/dev/null
then
	trap 'umount "$T/full"; rm -rf "$T"' EXIT
	run --store full/st store add small
	expect_rc full-first 0
	run --store full/st store add big
	expect_rc full-add 3
	expect_eq full-add "$err" "cairn: error: cannot commit to store 'full/st': no space left on device"
	run --store full/st fsck
	expect_rc full-fsck 0
	expect_eq full-fsck "$out" "checked 1 records: 0 damaged; 0 unreferenced chunks"
	run --store full/st cat "$small_id"
	expect_eq full-cat "$out" "hello"
	# Restoring onto the full disk: no partial file, no temporary.
	run --store other store add big
	run --store other export "$big_id" full/big
	expect_rc full-export 3
	expect_eq full-export "$err" "cairn: error: cannot write 'full/big': no space left on device"
	expect_eq full-export-left "$(ls full)" "st"
else
	echo "skipped: a full disk (needs root to mount a tmpfs)"
fi

# ---- eight adds at once from a 1 MiB map: each grows it under the
# others' commits, and every one must succeed
for i in 1 2 3 4 5 6 7 8; do
	head -c $((40 << 20)) /dev/urandom >"c$i"
done
printf 'seed\n' >seed
CAIRN_STORE_MAPSIZE=1048576 "$CAIRN" --store grow store add seed >/dev/null
pids=
for i in 1 2 3 4 5 6 7 8; do
	CAIRN_STORE_MAPSIZE=1048576 "$CAIRN" --store grow store add "c$i" \
		>"c$i.out" 2>&1 &
	pids="$pids $!"
done
n=0
for p in $pids; do
	wait "$p" && n=$((n + 1))
done
expect_eq grow-all "$n" 8
for i in 1 2 3 4 5 6 7 8; do
	expect_eq "grow-$i" "$(cat "c$i.out")" "$(sha256sum "c$i")"
done
run --store grow fsck
expect_rc grow-fsck 0
"$CAIRN" --store grow cat "$(sha256sum c5 | cut -c1-64)" | cmp -s - c5
expect_eq grow-cat "$?" 0
rm -f c[1-8]
rm -rf grow

# ---- a store whose creation was cut short
mkdir empty
run --store empty fsck
expect_rc empty-dir 2
expect_eq empty-dir "$err" "cairn: error: no store at 'empty'
hint: 'cairn store add' creates one; --store or CAIRN_STORE chooses another"
run --store empty cat "$small_id"
expect_rc empty-dir-cat 2
expect_eq empty-dir-left "$(ls -A empty)" ""
# Killed after LMDB made its files, before it wrote a page.
mkdir half
: >half/data.mdb
: >half/lock.mdb
for cmd in fsck "store stat" "cat $small_id" gc; do
	run --store half $cmd
	expect_rc "half-$cmd" 2
	expect_eq "half-$cmd" "$err" "cairn: error: store 'half' is unfinished: its creation was interrupted
hint: 'cairn store add' creates one; --store or CAIRN_STORE chooses another"
done
expect_eq half-left "$(stat -c %s half/data.mdb)" 0
run --store half store add small
expect_rc half-finish 0
run --store half fsck
expect_rc half-finished 0
expect_eq half-finished "$out" "checked 1 records: 0 damaged; 0 unreferenced chunks"

# kill -9 at random moments of a first add: whatever is left, every
# command either works or says there is no (finished) store, and the
# next add finishes it.
for i in $(seq 1 "$KILLS"); do
	rm -rf k
	"$CAIRN" --store k store add small >/dev/null 2>&1 &
	pid=$!
	sleep "0.0$(printf '%02d' $((RANDOM % 60)))"
	kill -9 "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	run --store k fsck
	case "$rc:$err" in
	0:) ;;
	"2:cairn: error: no store at 'k'"*) ;;
	"2:cairn: error: store 'k' is unfinished"*) ;;
	*) fail "kill-$i" "fsck exit $rc: $err" ;;
	esac
	run --store k store add small
	expect_rc "kill-$i-add" 0
	run --store k fsck
	expect_rc "kill-$i-fsck" 0
done

finish
