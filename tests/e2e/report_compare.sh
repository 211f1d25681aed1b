#!/bin/bash
# cairn report --compare A B: two matrix members (instances), a run id
# against a lock file, two revisions' lock files; the exact markup of the
# rows that differ (the delta and the better side of a metric, an input
# of another id), the pictures overlaid; A or B naming nothing, a file
# that is no lock file, -o over an input: exit 2, nothing written.
# usage: report_compare.sh CAIRN
CAIRN=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
mkdir "$T/w" && cd "$T/w" || exit 1

cat >cairn.toml <<'TOML'
[params]
lr = 0.1

[stage.train]
cmd = "cat ${deps.d} >/dev/null; echo '{\"acc\": 0.${matrix.k}, \"loss\": 0.5}' > ${outs.s}; echo '{\"epochs\": [{\"epoch\": 1, \"train_loss\": 0.9}, {\"epoch\": 2, \"train_loss\": 0.${matrix.k}}]}' > ${outs.c}"
deps = { d = "data.txt" }
outs = { s = "scores-${matrix.k}.json", c = "curve-${matrix.k}.json" }
matrix = { k = [1, 2] }
metrics = ["${outs.s}"]
params = ["lr"]
TOML
echo one >data.txt

# has NAME REGEX [FILE]: the page holds a line matching.
has() {
	checks=$((checks + 1))
	grep -Eq -- "$2" "${3:-compare.html}" || fail "$1" "no line matches /$2/"
}

# Before any run: no store, nothing to compare.
run report --compare 'train[k=1]' 'train[k=2]'
expect_rc no-store 2
[ ! -e compare.html ] || fail no-store-file "a page was written"

run -q run
expect_rc run 0
cp cairn.lock old.lock
echo two >data.txt
run -q run -p lr=0.2
expect_rc run2 0

# Two matrix members: instances, each the run behind its outputs.
run report --compare 'train[k=1]' 'train[k=2]'
expect_rc members 0
expect_eq members-out "$out" "wrote 'compare.html': 1 pair, 1 differs"
has members-title '<title>cairn report: train\[k=1\] against train\[k=2\]</title>'
has members-a '<li><span class="side-a">A</span>: instance &#39;train\[k=1\]&#39;, run [0-9a-f]{12}</li>'
has members-h2 '<section class="pair" id="pair-1"><h2>train\[k=1\] &harr; train\[k=2\]</h2>'
has members-n '<p>5 rows differ.</p>'
has members-instance '^<tr class="differs"><th>instance</th><td>train\[k=1\]</td><td>train\[k=2\]</td><td></td><td></td></tr>$'
has members-param '^<tr><th>params.lr</th><td>0.2</td><td>0.2</td><td></td><td></td></tr>$'
has members-matrix '^<tr class="differs"><th>matrix.k</th><td>1</td><td>2</td><td></td><td></td></tr>$'
has members-acc '^<tr class="differs" data-best="max"><th>metrics.acc</th><td class="num" data-v="0.1">0.1</td><td class="num better" data-v="0.2">0.2</td><td class="num">\+0.1</td><td>B</td></tr>$'
has members-loss '^<tr data-best="min"><th>metrics.loss</th><td class="num" data-v="0.5">0.5</td><td class="num" data-v="0.5">0.5</td><td class="num">0</td><td>same</td></tr>$'
has members-input '^<tr><th>input data.txt</th><td><span class="id" title="[0-9a-f]{64}">[0-9a-f]{12}</span></td>'
has members-output '^<tr class="differs"><th>output s</th>'
expect_eq members-curves "$(grep -o '<polyline class="curve" data-label="[^"]*"[^>]*stroke="#[0-9a-f]*"' compare.html)" \
	'<polyline class="curve" data-label="A: train[k=1] train" points="58,38.9 478,257.1" fill="none" stroke="#4e79a7"
<polyline class="curve" data-label="B: train[k=2] train" points="58,38.9 478,229.8" fill="none" stroke="#f28e2b"'
checks=$((checks + 1))
! grep -Eq '(src|href)="(https?:|//)|url\(' compare.html ||
	fail offline "the page reaches outside itself"
cp compare.html first.html
run report --compare 'train[k=1]' 'train[k=2]'
expect_eq same-bytes "$(cmp compare.html first.html && echo same)" same

# Two revisions' lock files: paired by instance; lr and the input differ.
run report --compare old.lock cairn.lock -o locks.html
expect_rc locks 0
expect_eq locks-out "$out" "wrote 'locks.html': 2 pairs, 2 differ"
has locks-a '<li><span class="side-a">A</span>: lock file &#39;old.lock&#39;, 2 runs</li>' locks.html
has locks-summary '^<tr class="differs"><td><a href="#pair-2">train\[k=2\]</a></td><td>train\[k=2\] <span class="id" title="[0-9a-f]{64}">[0-9a-f]{12}</span></td><td>train\[k=2\] <span class="id" title="[0-9a-f]{64}">[0-9a-f]{12}</span></td><td class="num">2</td></tr>$' locks.html
has locks-param '^<tr class="differs"><th>params.lr</th><td>0.1</td><td>0.2</td><td></td><td></td></tr>$' locks.html
has locks-input '^<tr class="differs"><th>input data.txt</th><td><span class="id" title="[0-9a-f]{64}">[0-9a-f]{12}</span></td><td><span class="id" title="[0-9a-f]{64}">[0-9a-f]{12}</span></td><td></td><td></td></tr>$' locks.html
has locks-output '^<tr><th>output s</th>' locks.html

# A run id (a prefix) against a lock file: the run pairs with its
# instance, the other instance stands alone.
id=$(grep -o 'run [0-9a-f]\{12\}' first.html | head -1 | cut -c5-)
run report --compare "${id:0:8}" cairn.lock -o id.html
expect_rc id 0
expect_eq id-out "$out" "wrote 'id.html': 2 pairs, 1 differs"
has id-a "<li><span class=\"side-a\">A</span>: instance &#39;train\\[k=1\\]&#39;, run $id</li>|run $id of &#39;train\\[k=1\\]&#39;</li>" id.html
has id-alone '^<tr class="differs"><th>instance</th><td>-</td><td>train\[k=2\]</td><td></td><td></td></tr>$' id.html

# Errors: exit 2, the message naming it, nothing written.
rm -f compare.html
ls >before
run report --compare 'train[k=9]' cairn.lock
expect_rc nothing 2
expect_eq nothing-err "$err" "cairn: error: 'train[k=9]' is neither a run id nor an instance with recorded runs"
echo junk >junk.lock
run report --compare junk.lock cairn.lock
expect_rc junk 2
expect_eq junk-err "$err" "cairn: error: 'junk.lock' is not a lock file (or names no instance)"
run report --compare old.lock cairn.lock -o old.lock
expect_rc over-input 2
expect_eq over-input-err "$err" "cairn: error: the report may not replace 'old.lock'"
run report --compare old.lock cairn.lock -o scores-1.json
expect_rc over-output 2
run report --compare old.lock
expect_rc one-side 2
expect_match one-side-err "$err" 'cairn: error: --compare takes two runs, instances or lock files'
rm junk.lock
expect_eq untouched "$(ls)" "$(cat before)"
[ ! -e compare.html ] || fail errors-file "a page was written"
finish
