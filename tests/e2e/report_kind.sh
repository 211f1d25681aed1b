#!/bin/bash
# The `report` kind: one HTML page of many input files (a matrix stage's
# outputs through one reference, and an array of paths), cached and
# verified like any output: the same inputs give the same bytes (verify,
# a restore), a changed input a new page; a hostile input draws nothing
# and breaks nothing; a kind input of one path given several, or an
# empty array, refused at load; kind-run without its paths refused.
# usage: report_kind.sh CAIRN
CAIRN=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
mkdir "$T/w" && cd "$T/w" || exit 1

cat >cairn.toml <<'TOML'
[stage.train]
cmd = "echo '{\"acc\": 0.${matrix.k}, \"loss\": {\"val\": 0.${matrix.k}}, \"n\": 5}' > ${outs.s}; echo '{\"epochs\": [{\"epoch\": 1, \"train_loss\": 0.9}, {\"epoch\": 2, \"train_loss\": 0.${matrix.k}}]}' > ${outs.c}"
outs = { s = "scores-${matrix.k}.json", c = "curve-${matrix.k}.json" }
matrix = { k = [1, 2] }

[stage.page]
kind = "report"
with = { title = "sweep <k> & 'co'" }
deps = { inputs = ["${stage.train.outs.s}", "${stage.train.outs.c}", "odd name's.json", "notes.txt"] }
outs = { report = "page.html" }
TOML
echo '{"acc": 0.5}' >"odd name's.json"
echo 'not a picture' >notes.txt

# has NAME REGEX: the page holds a line matching.
has() {
	checks=$((checks + 1))
	grep -Eq -- "$2" page.html || fail "$1" "no line matches /$2/"
}

run -q run
expect_rc run 0
has title "<title>sweep &lt;k&gt; &amp; &#39;co&#39;</title>"
has heading "<h1>sweep &lt;k&gt; &amp; &#39;co&#39;</h1>"
has count '<p class="meta">6 input files, drawn by the <code>report</code> kind</p>'
# Metrics: a row per metrics file in the graph's order, the best marked
# (acc larger, loss smaller; n, the same where given, marked nowhere).
has metrics-head '<thead><tr><th>input</th><th class="metric" data-best="max" title="larger is better">acc</th><th class="metric" data-best="min" title="smaller is better">loss.val</th><th class="metric" data-best="max" title="larger is better">n</th></tr></thead>'
has metrics-k1 '^<tr><td><code>scores-1.json</code></td><td class="num" data-v="0.1">0.1</td><td class="num best" data-v="0.1">0.1</td><td class="num" data-v="5.0">5</td></tr>$'
has metrics-k2 '^<tr><td><code>scores-2.json</code></td><td class="num" data-v="0.2">0.2</td><td class="num" data-v="0.2">0.2</td><td class="num" data-v="5.0">5</td></tr>$'
has metrics-odd "^<tr><td><code>odd name&#39;s.json</code></td><td class=\"num best\" data-v=\"0.5\">0.5</td><td class=\"num\">-</td><td class=\"num\">-</td></tr>$"
# Pictures: both curves on one chart, a colour per input file.
expect_eq curves "$(grep -o '<polyline class="curve" data-label="[^"]*" points="[^"]*" fill="none" stroke="#[0-9a-f]*"' page.html)" \
	'<polyline class="curve" data-label="curve-1.json train" points="58,38.9 478,257.1" fill="none" stroke="#e15759"
<polyline class="curve" data-label="curve-2.json train" points="58,38.9 478,229.8" fill="none" stroke="#76b7b2"'
has inputs-notes '<tr><td><code>notes.txt</code></td><td class="num">14 B</td><td>nothing cairn can draw</td></tr>'
has inputs-curve '<tr><td><code>curve-1.json</code></td><td class="num">[0-9]+ B</td><td>pictures</td></tr>'
has inputs-scores '<tr><td><code>scores-2.json</code></td><td class="num">[0-9]+ B</td><td>metrics</td></tr>'
checks=$((checks + 1))
! grep -Eq '(src|href)="(https?:|//)|url\(' page.html ||
	fail offline "the page reaches outside itself"
cp page.html first.html

# Cached and verified like any output.
run verify page
expect_rc verify 0
expect_match verify-out "$out" 'verify: 1 instance: 1 reproducible'
run status
expect_match status "$out" 'up to date +page'
rm page.html
run run
expect_rc restore 0
expect_match restore-out "$out" 'restored +page'
expect_eq restored "$(cmp page.html first.html && echo same)" same

# A changed input: a new page; train is not run again.
echo '{"epochs": [{"epoch": 1, "train_loss":' >notes.txt
run run
expect_rc rerun 0
expect_match rerun-page "$out" 'page'
checks=$((checks + 1))
! cmp -s page.html first.html || fail rerun-bytes "the page did not change"
has hostile-listed '<tr><td><code>notes.txt</code></td><td class="num">[0-9]+ B</td><td>nothing cairn can draw</td></tr>'

# kind-run itself: the paths come as CAIRN_IN_INPUTS_COUNT and _1.._N.
echo '{"title": "x"}' >s.json
CAIRN_IN_INPUTS_COUNT=2 CAIRN_IN_INPUTS_1=notes.txt CAIRN_OUT_REPORT=k.html \
	run kind-run report s.json
expect_rc kind-run-missing 2
expect_eq kind-run-missing-err "$err" "cairn: error: kind 'report': input 'inputs' is not given (CAIRN_IN_INPUTS_2)"
CAIRN_IN_INPUTS_COUNT=x CAIRN_IN_INPUTS_1=notes.txt CAIRN_OUT_REPORT=k.html \
	run kind-run report s.json
expect_rc kind-run-count 2
expect_eq kind-run-count-err "$err" "cairn: error: kind 'report': input 'inputs' is not given (CAIRN_IN_INPUTS_COUNT)"
CAIRN_IN_INPUTS_COUNT=1 CAIRN_IN_INPUTS_1=nowhere.json CAIRN_OUT_REPORT=k.html \
	run kind-run report s.json
expect_rc kind-run-nowhere 1
expect_eq kind-run-nowhere-err "$err" "cairn: error: report: cannot read input 'nowhere.json': No such file or directory"
[ ! -e k.html ] || fail kind-run-nowhere-out "a page was written"
CAIRN_IN_INPUTS_COUNT=1 CAIRN_IN_INPUTS_1="odd name's.json" CAIRN_OUT_REPORT=k.html \
	run kind-run report s.json
expect_rc kind-run-one 0
expect_match kind-run-one-page "$(cat k.html)" '<p class="meta">1 input file, drawn'

# The loader: a kind input of one path given several, an empty array.
cat >bad.toml <<'TOML'
[stage.train]
cmd = "touch ${outs.v}"
outs = { v = "v-${matrix.k}.h5" }
matrix = { k = [1, 2] }

[stage.z]
kind = "zbins"
with = { z_range = [0, 3] }
deps = { volumes = "${stage.train.outs.v}" }
outs = { cache = "c.h5", report = "z.json" }
TOML
run status bad.toml
expect_rc one-path 2
expect_eq one-path-err "$(printf '%s\n' "$err" | head -1)" "cairn: error: bad.toml:9:20: kind 'zbins' reads one path as input 'volumes', but 'z' gives it 2"
cat >empty.toml <<'TOML'
[stage.page]
kind = "report"
deps = { inputs = [] }
outs = { report = "p.html" }
TOML
run status empty.toml
expect_rc empty 2
expect_eq empty-err "$(printf '%s\n' "$err" | head -1)" "cairn: error: empty.toml:3:19: 'deps.inputs' names no path: give it one or more"

# help: the command, then the kind of the same name.
run help report
expect_match help-cmd "$out" '^usage: cairn report'
expect_match help-kind "$out" "'report' is also a built-in stage kind:"
expect_match help-inputs "$out" 'inputs +any number of paths: the files to show'
finish
