#!/bin/bash
# cairn gc --dry-run names what it would remove: a run by its instance and
# start, a blob or tree by the instance whose run produced it.
# usage: gc_names.sh CAIRN
CAIRN=$1
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
cat >cairn.toml <<'TOML'
[stage.a]
cmd = "echo one > ${outs.a}"
outs = { a = "a.txt" }

[stage.t]
cmd = "mkdir -p ${outs.d} && cat ${deps.a} > ${outs.d}/x"
deps = { a = "${stage.a.outs.a}" }
outs = { d = "t-dir" }
TOML
run -q run
old_a=$(sha256sum a.txt | cut -c1-64)
old_t=$(sed -n 's/^"t-dir" = "\([0-9a-f]*\)"$/\1/p' cairn.lock)
sed -i 's/echo one/echo two/' cairn.toml
run -q run
run -q store config keep-runs 1
iso='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\+00:00'
before=$("$CAIRN" store stat)
run gc --dry-run
expect_rc dry 0
expect_match dry-run-a "$out" "^would remove run [0-9a-f]{64} \\([0-9]+ bytes\\)  a  $iso$"
expect_match dry-run-t "$out" "^would remove run [0-9a-f]{64} \\([0-9]+ bytes\\)  t  $iso$"
expect_match dry-blob "$out" "^would remove blob $old_a \\([0-9]+ bytes\\)  from a  $iso$"
expect_match dry-tree "$out" "^would remove tree $old_t \\([0-9]+ bytes\\)  from t  $iso$"
expect_match dry-sum "$out" '^would remove 2 runs, [0-9]+ blobs, 1 trees, 0 chunks'
run gc --dry-run --json
expect_match dry-json "$out" "\\{\"db\": \"blobs\", \"key\": \"$old_a\", \"bytes\": [0-9]+, \"instance\": \"a\", \"start_ns\": [0-9]+\\}"
expect_eq dry-nothing-removed "$("$CAIRN" store stat)" "$before"
# A real gc lists with -v what it removed: gone, so unnamed.
run -v gc
expect_rc gc 0
expect_match gc-v "$out" "^removed blob $old_a \\([0-9]+ bytes\\)$"
run show "$old_a"
expect_rc gone 2
finish
