#!/bin/bash
# The store from the command line: add, cat, export, show, prefixes,
# roots, gc, fsck, settings; exact messages and exit codes.
# usage: store.sh CAIRN
CAIRN=$1
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
S=$T/.cairn/store

head -c 3000000 /dev/urandom >big
printf 'hello\n' >small
mkdir -p tree/sub tree/empty
printf 'a\n' >tree/a
printf '#!/bin/sh\necho hi\n' >tree/sub/run.sh
chmod +x tree/sub/run.sh
ln -s ../a tree/sub/link
big_id=$(sha256sum big | cut -c1-64)
small_id=$(sha256sum small | cut -c1-64)

run store stat
expect_rc no-store 2
expect_eq no-store "$err" "cairn: error: no store at '.cairn/store'
hint: 'cairn store add' creates one; --store or CAIRN_STORE chooses another"

run store add big small tree
expect_rc add 0
tree_id=$(printf '%s\n' "$out" | sed -n 3p | cut -c1-64)
expect_eq add "$out" "$big_id  big
$small_id  small
$tree_id  tree/"

# The same content again: same ids, nothing new stored.
before=$(stat -c %s "$S/data.mdb")
run store add big
expect_eq add-again "$out" "$big_id  big"
run store stat --json
expect_match stat-json "$out" '"blobs": 4, "inline_blobs": 3, "trees": 1'

run cat "${small_id:0:8}"
expect_rc cat 0
expect_eq cat "$out" "hello"
"$CAIRN" cat "$big_id" >big.out
checks=$((checks + 1))
cmp -s big big.out || fail cat-big "bytes differ"

run show "${big_id:0:12}"
expect_rc show 0
expect_match show "$out" "^blob $big_id"
expect_match show-size "$out" '^size: 3000000 bytes \(2\.9 MiB\)'
expect_match show-chunks "$out" '^stored: [0-9]+ chunks'
run show --json "$small_id"
expect_eq show-json "$out" "{\"id\": \"$small_id\", \"kind\": \"blob\", \"size\": 6, \"stored\": 16, \"chunks\": 0, \"inline\": true, \"runs\": []}"
run show "$tree_id"
expect_match show-tree "$out" '^entries: 5'
expect_match show-tree-link "$out" 'sub/link -> \.\./a'

run export "$tree_id" tree2
expect_rc export-tree 0
checks=$((checks + 1))
diff -r --no-dereference tree tree2 >/dev/null || fail export-tree "trees differ"
checks=$((checks + 1))
[ -x tree2/sub/run.sh ] && [ -L tree2/sub/link ] && [ -d tree2/empty ] ||
	fail export-tree-modes "modes, links or empty dirs lost"
run export --exec "$small_id" tool
expect_rc export-exec 0
checks=$((checks + 1))
[ -x tool ] || fail export-exec "not executable"
# Modes: the executable and owner-only bits come back, and a umask of 0
# widens only what was not owner-only.
mkdir -p modes/secret
printf 'k\n' >modes/key
printf '#!/bin/sh\n' >modes/run
printf 'p\n' >modes/pub
printf 's\n' >modes/secret/s
chmod 600 modes/key modes/secret/s
chmod 700 modes/run modes/secret
chmod 644 modes/pub
run --store "$T/modes.store" store add modes
modes_id=$(printf '%s' "$out" | cut -c1-64)
(umask 0 && "$CAIRN" --store "$T/modes.store" export "$modes_id" modes2)
expect_eq export-modes "$(cd modes2 && stat -c '%a %n' key run pub secret secret/s)" "600 key
700 run
666 pub
700 secret
600 secret/s"
run export "$small_id" /nonexistent/dir/x
expect_rc export-bad-path 2
expect_match export-bad-path "$err" "^cairn: error: cannot create '/nonexistent/dir/x\.cairn-tmp-"

# Ids: bad, unknown, prefixes.
run cat xyz
expect_rc bad-id 2
expect_eq bad-id "$err" "cairn: error: 'xyz' is not an id: give 6 to 64 hex digits"
run cat 00000000
expect_rc unknown-id 2
expect_eq unknown-id "$err" "cairn: error: no object with id '00000000' in store '.cairn/store'"
run cat "${big_id:0:5}"
expect_rc short-id 2

# Subcommands and options.
run store ad x
expect_rc store-typo 2
expect_eq store-typo "$err" "cairn: error: unknown subcommand 'store ad'
hint: did you mean 'store add'?"
run store add --json small
expect_eq add-json "$out" "[
  {\"id\": \"$small_id\", \"kind\": \"blob\", \"path\": \"small\"}
]"
run store add missing-file
expect_rc add-missing 2
expect_eq add-missing "$err" "cairn: error: cannot add 'missing-file': No such file or directory"
mkdir -p esc/d
ln -s ../../outside esc/d/l
run store add esc
expect_rc add-escape 2
expect_eq add-escape "$err" "cairn: error: symlink 'esc/d/l' points outside the tree ('../../outside')"

# Settings.
run store config
expect_eq config "$out" "compression = none
zstd-level = 3
chunk-min = 262144
chunk-avg = 1048576
chunk-max = 4194304
keep-runs = 3"
run store config compresion zstd
expect_rc config-typo 2
expect_eq config-typo "$err" "cairn: error: unknown store setting 'compresion'
hint: did you mean 'compression'?"
run store config chunk-avg 1000
expect_rc config-bad 2
run store config compression zstd
expect_rc config-set 0
run store config compression
expect_eq config-get "$out" "zstd"

# Roots and gc.
run gc --dry-run
expect_rc gc-dry 0
expect_match gc-dry "$out" "^would remove blob $big_id \([0-9]+ bytes\)"
expect_match gc-dry-sum "$out" '^would remove 0 runs, 4 blobs, 1 trees, [0-9]+ chunks'
run store add --root keep small tree
run store roots
expect_eq roots "$out" "keep $small_id $tree_id"
run gc
expect_rc gc 0
expect_match gc "$out" '^removed 0 runs, 1 blobs, 0 trees, [0-9]+ chunks \(2\.9 MiB\)'
run cat "$big_id"
expect_rc gc-removed 2
run cat "$small_id"
expect_eq gc-kept "$out" "hello"
run gc --max-size 100
expect_match gc-max "$err" "^cairn: warning: the store still holds .*above --max-size 100 B: everything left is kept by a root"
run gc --max-size lots
expect_rc gc-max-bad 2
expect_eq gc-max-bad "$err" "cairn: error: invalid size 'lots' for '--max-size'
hint: use bytes or a suffix: 500M, 10G, 1.5T"
run store unroot keep nope
expect_rc unroot-missing 2
expect_eq unroot-missing "$err" "cairn: error: no root named 'nope'"
run store unroot keep
expect_rc unroot 0
run fsck
expect_rc fsck-clean 0
expect_match fsck-clean "$out" '^checked [0-9]+ records: 0 damaged; 0 unreferenced chunks$'

# A directory holding the store: the store is left out of the tree.
mkdir -p proj
printf 'x\n' >proj/file
run --store proj/.cairn/store store add proj
expect_rc store-inside 0
run --store proj/.cairn/store show "$(printf '%s' "$out" | cut -c1-64)"
expect_match store-inside-entries "$out" '^entries: 2$'
expect_match store-inside-dir "$out" ' \.cairn/$'

# Store location: --store and CAIRN_STORE.
run --store "$T/other" store add small
expect_rc store-opt 0
checks=$((checks + 1))
[ -f "$T/other/data.mdb" ] || fail store-opt "no store created at --store"
CAIRN_STORE=$T/other "$CAIRN" cat "$small_id" >"$T/o" 2>&1
expect_eq store-env "$(cat "$T/o")" "hello"

finish
