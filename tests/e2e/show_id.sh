#!/bin/bash
# cairn show RUN: times in ISO 8601 (UTC, with the offset), a duration,
# inputs and outputs with their paths; cairn show BLOB: the instances whose
# runs made and used it; cairn id PATH: the id the store gives a file
# (HDF5 by content) or a folder, with the store untouched; and a path
# where lineage, used-by and pin take an id.
# usage: show_id.sh CAIRN H5WRITE
CAIRN=$1
H5W=$2
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
cat >cairn.toml <<TOML
[stage.a]
cmd = "echo hi > \${outs.a}"
outs = { a = "a.txt" }
code = ["cairn.toml"]

[stage.t]
cmd = "cat \${deps.a} > \${outs.o}; echo \${matrix.k} >> \${outs.o}"
deps = { a = "\${stage.a.outs.a}" }
outs = { o = "t-\${matrix.k}.txt" }
matrix = { k = [2, 1] }

[stage.d]
cmd = "mkdir -p \${outs.d}/sub && echo x > \${outs.d}/sub/x && $H5W \${outs.h} plain 3"
outs = { d = "dir", h = "data.h5" }
TOML
run -q run
expect_rc run 0
iso='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\+00:00'
a=$(sha256sum a.txt | cut -c1-64)
t1=$(sha256sum t-1.txt | cut -c1-64)
toml=$(sha256sum cairn.toml | cut -c1-64)

run show "$("$CAIRN" runs --stage 't[k=1]' | awk '{print $4}')"
expect_rc show-run 0
expect_match show-recorded "$out" "^recorded: $iso$"
expect_match show-used "$out" "^last used: $iso$"
expect_match show-start "$out" "^start: $iso$"
expect_match show-duration "$out" '^duration: [0-9]+\.[0-9]{3} s$'
expect_match show-inputs "$out" "^inputs:
  $a  a\\.txt  \\(from a\\)
outputs:
  $t1  o  t-1\\.txt$"
run show "$("$CAIRN" runs --stage a | awk '{print $4}')"
expect_match show-code "$out" "^  $toml  cairn\\.toml  \\(code\\)$"

# A blob: the runs, with their instances and times.
run show "${a:0:12}"
expect_rc show-blob 0
expect_match show-blob-made "$out" "^produced by run [0-9a-f]{64}  a  $iso$"
# (producers first, then in the order the runs started: t's two instances
# may start in either order)
expect_eq show-blob-order "$(printf '%s\n' "$out" | sed -n 's/^\(produced\|used\) by run.*/\1/p')" "produced
used
used"
expect_match show-blob-used1 "$out" "^used by run [0-9a-f]{64}  t\\[k=1\\]  $iso$"
expect_match show-blob-used2 "$out" "^used by run [0-9a-f]{64}  t\\[k=2\\]  $iso$"
run show --json "$a"
expect_match show-blob-json "$out" '"runs": \[\{"role": "produced", "run": "[0-9a-f]{64}", "instance": "a", "start_ns": [0-9]+\}, \{"role": "used", "run": "[0-9a-f]{64}", "instance": "t\[k=[12]\]", "start_ns": [0-9]+\}'

# cairn id: the ids the lock file holds.
lock_id() {
	sed -n "s/^\"$1\" = \"\\([0-9a-f]*\\)\"\$/\\1/p" cairn.lock
}
dir=$(lock_id dir)
h5=$(lock_id data.h5)
expect_match lock-ids "$dir $h5" '^[0-9a-f]{64} [0-9a-f]{64}$'
before=$("$CAIRN" store stat)
run id a.txt dir data.h5
expect_rc id 0
expect_eq id "$out" "$a  a.txt
$dir  dir
$h5  data.h5"
run id --bytes data.h5
expect_eq id-bytes "$out" "$(sha256sum data.h5)"
run id --json dir/sub/x
expect_eq id-json "$out" "[
  {\"path\": \"dir/sub/x\", \"id\": \"$(sha256sum dir/sub/x | cut -c1-64)\", \"kind\": \"blob\"}
]"
expect_eq id-store-untouched "$("$CAIRN" store stat)" "$before"
run id nowhere.txt
expect_rc id-missing 2
expect_eq id-missing "$err" "cairn: error: cannot read 'nowhere.txt': No such file or directory"
run id
expect_rc id-none 2
expect_eq id-none "$err" "cairn: error: give a file or a folder
hint: usage: cairn id [--bytes] [--json] PATH... (see 'cairn help id')"

# A path where an id goes: lineage, used-by and pin take a file or folder
# of the workspace (its id as 'cairn id' gives it; an HDF5 file's by
# content), the same as its id.
run lineage "$a"
by_id=$out
run lineage a.txt
expect_rc lineage-path 0
expect_eq lineage-path "$out" "$by_id"
run used-by "$h5"
by_id=$out
run used-by data.h5
expect_eq used-by-path "$out" "$by_id"
run pin keep-dir dir
expect_rc pin-path 0
run store roots
# store roots names who made what a root keeps, and when.
expect_match pin-path-root "$out" "^pin:keep-dir $dir  \\(made by d [0-9-]{10} [0-9:]{8}\\)$"
run store roots --json
expect_match pin-path-root-json "$out" "\"name\": \"pin:keep-dir\", \"ids\": \\[\"$dir\"\\], \"made_by\": \\[\\{\"instance\": \"d\", \"start_ns\": [0-9]+\\}\\]"
run lineage nowhere.txt
expect_rc lineage-no-path 2
finish
