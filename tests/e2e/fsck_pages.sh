#!/bin/bash
# fsck on a store whose LMDB B-tree is damaged: a page overwritten in the
# data file.  fsck must never crash (LMDB trusts its pages: it aborts or
# faults on a bad one), print keys as text or hex, never raw bytes, and
# --repair must copy what is readable into a fresh data file, say what
# was lost, keep the damaged file, and refuse while the store is in use.
# usage: fsck_pages.sh CAIRN
CAIRN=$1
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
export CAIRN_STORE="$T/store"

# page_at FILE N: "PGNO FLAGS LOWER" of page N's header (4096-byte pages).
page_at() {
	printf '%s %s %s\n' \
		"$(od -An -t u8 -j $(($2 * 4096)) -N 8 "$1" | tr -d ' ')" \
		"$(od -An -t u2 -j $(($2 * 4096 + 10)) -N 2 "$1" | tr -d ' ')" \
		"$(od -An -t u2 -j $(($2 * 4096 + 12)) -N 2 "$1" | tr -d ' ')"
}

# poke FILE OFFSET BYTES(printf escapes)
poke() {
	printf "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# A store laid out the same every time (no run records, no times): 300
# small files, stored inline in the blobs database over several leaves.
mkdir f
for i in $(seq 1 300); do echo "file $i" >"f/$i"; done
run store add f/*
expect_rc add 0
# The last leaf page with more than 50 entries: one of the blobs' (not
# the first, which LMDB itself would find bad: it checks a page it
# descends to from the root, not one it moves to from a sibling).
n=$(($(stat -c %s store/data.mdb) / 4096))
leaf=
for p in $(seq 2 $((n - 1))); do
	read -r pg flags lower <<<"$(page_at store/data.mdb "$p")"
	if [ "$pg" = "$p" ] && [ "$flags" = 2 ] && [ "$lower" -gt 116 ]; then
		leaf=$p
	fi
done
checks=$((checks + 1))
[ -n "$leaf" ] || fail leaf "no leaf page with 50 entries in the store"
cp -r store good

# ---- a leaf page's flags overwritten (the old fsck printed raw key
# bytes; --repair crashed in mdb_cursor_del)
poke store/data.mdb $((leaf * 4096 + 8)) '\xff\xff\xff\xff'
sum=$(md5sum store/data.mdb)
run fsck
expect_rc fsck-damaged 1
expect_eq fsck-damaged "$out" "damaged: blobs page $leaf: neither a branch nor a leaf page
checked the B-tree: 1 damaged page; the records were not checked"
expect_eq fsck-damaged-err "$err" "cairn: error: store '$T/store' is damaged
hint: 'cairn fsck --repair' copies what is readable into a fresh data file"
expect_eq fsck-unchanged "$(md5sum store/data.mdb)" "$sum"
run fsck --json
expect_rc fsck-json 1
expect_eq fsck-json "$out" "{\"problems\": [
    {\"db\": \"blobs\", \"key\": \"page $leaf\", \"problem\": \"neither a branch nor a leaf page\", \"repaired\": false}
  ], \"pages\": 1, \"checked\": 0, \"damaged\": 1, \"repaired\": 0, \"unreferenced_chunks\": 0}"

# --repair refuses while another process has the store open, changing
# nothing.  The holder: a run waiting in a stage.
mkdir ws
cat >ws/cairn.toml <<'TOML'
[stage.wait]
cmd = "touch started; while [ ! -e go ]; do sleep 0.05; done; echo > ${outs.o}"
outs = { o = "w.txt" }
TOML
(cd ws && exec "$CAIRN" run >/dev/null 2>&1) &
holder=$!
n=0
while [ ! -e ws/started ] && [ $n -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
sum=$(md5sum store/data.mdb)
run fsck --repair
expect_rc repair-busy 3
expect_match repair-busy "$err" "^cairn: error: cannot repair store '$T/store' while other processes have it open \(cairn run, gc, \.\.\.\): stop them and run 'cairn fsck --repair' again: "
expect_eq repair-busy-unchanged "$(md5sum store/data.mdb)" "$sum"
checks=$((checks + 1))
[ ! -e store/salvage.tmp ] && [ -z "$(ls store | grep damaged)" ] ||
	fail repair-busy-leftovers "$(ls store)"
exec 3>&2 2>/dev/null	# not bash's word on the kill
kill -9 "$holder"
wait "$holder"
exec 2>&3 3>&-
touch ws/go

cp store/data.mdb damaged.mdb
run fsck --repair
expect_rc repair 0
lost=$(printf '%s\n' "$out" | sed -n 's/^damaged: blobs \([0-9]*\) of 300 records: on damaged pages, not recovered$/\1/p')
checks=$((checks + 1))
[ -n "$lost" ] && [ "$lost" -gt 50 ] || fail repair-lost "$out"
expect_match repair-page "$out" "^damaged: blobs page $leaf: neither a branch nor a leaf page$"
kept=$(printf '%s\n' "$out" | sed -n "s/^the damaged data file is kept as '\(.*\)'$/\1/p")
expect_match repair-summary "$out" "^copied [0-9]+ records from sound pages into a fresh data file; 1 damaged page, $lost records lost on them; removed 0 records that needed lost or damaged ones$"
# Nothing thrown away: the damaged file is kept as it was.
checks=$((checks + 1))
cmp -s "$kept" damaged.mdb || fail repair-kept "'$kept' is not the damaged file"
run fsck
expect_rc repair-clean 0
# Every file not on the lost page reads back; the others are gone.
ok=0
for i in $(seq 1 300); do
	if "$CAIRN" cat "$(sha256sum "f/$i" | cut -c1-64)" >got 2>/dev/null; then
		cmp -s got "f/$i" && ok=$((ok + 1))
	fi
done
expect_eq repair-readable "$ok" "$((300 - lost))"
# And the store takes new work.
run store add f/*
expect_rc repair-add 0
run fsck
expect_match repair-add-clean "$out" '^checked [0-9]+ records: 0 damaged; 0 unreferenced chunks$'

# ---- a meta page's page size overwritten: LMDB cannot open the file
# (it read the other meta page at that size); the other meta page holds
# everything
rm -rf store
cp -r good store
poke store/data.mdb 40 '\x00\x20\x00\x00'
run fsck
expect_rc meta-damaged 1
expect_eq meta-damaged "$out" "damaged: file header page 0: its page size is damaged
checked the B-tree: 1 damaged page; the records were not checked"
run fsck --repair
expect_rc meta-repair 0
expect_match meta-repair "$out" "^copied [0-9]+ records from sound pages into a fresh data file; 1 damaged page, 0 records lost on them; removed 0 records"
run fsck
expect_rc meta-clean 0
run cat "$(sha256sum f/300 | cut -c1-64)"
expect_eq meta-cat "$out" "file 300"

# ---- every page of the store overwritten in turn, three ways: fsck and
# fsck --repair never crash, and after the repair the store is clean
n=$(($(stat -c %s good/data.mdb) / 4096))
bad=0
tried=0
for p in $(seq 0 $((n - 1))); do
	for how in "10 \\xff\\xff" "16 \\x07\\x03\\x09\\x11" "$((p * 7 % 4000 + 40)) \\x55\\xaa\\x55\\xaa"; do
		set -- $how
		rm -rf store
		cp -r good store
		poke store/data.mdb $((p * 4096 + $1)) "$2"
		tried=$((tried + 1))
		"$CAIRN" fsck >/dev/null 2>&1
		a=$?
		"$CAIRN" fsck --repair >/dev/null 2>"$T/sweep.err"
		b=$?
		"$CAIRN" fsck >/dev/null 2>&1
		c=$?
		if [ $a -gt 1 ] || [ $b != 0 ] || [ $c != 0 ]; then
			bad=$((bad + 1))
			echo "page $p at $1: fsck $a, --repair $b, then fsck $c: $(head -c 300 "$T/sweep.err")" >&2
		fi
	done
done
expect_eq sweep "$bad of $tried" "0 of $tried"

finish
