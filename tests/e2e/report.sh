#!/bin/bash
# cairn report: one self-contained HTML file.  Its text is checked here
# (report_browser.sh renders it in Chromium): the states in the graph, the
# experiment table, the curves, the timeline, the stages' outputs and
# lineage; identical bytes for identical data; bad -o refused with the
# workspace and the store untouched.
# usage: report.sh CAIRN
CAIRN=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
mkdir "$T/w" && cd "$T/w" || exit 1
. "$here/report_graph.sh"

# has NAME REGEX [FILE]: the page (report.html) holds a line matching.
has() {
	checks=$((checks + 1))
	grep -Eq -- "$2" "${3:-report.html}" || fail "$1" "no line matches /$2/"
}

# count NAME REGEX N [FILE]: lines of the page matching REGEX.
count() {
	expect_eq "$1" "$(grep -Ec -- "$2" "${4:-report.html}")" "$3"
}

# Before anything ran (no store): every stage never ran, nothing recorded.
run report
expect_rc fresh 0
expect_eq fresh-out "$out" "wrote 'report.html': 4 stages, 6 instances, 0 runs"
count fresh-never 'class="node" data-stage="[a-z]+" data-state="never run"' 4
has fresh-lock '<span id="lock">absent \(nothing has run\)</span>'
has fresh-timeline '<p>No run recorded.</p>'
has fresh-table '<tr data-inst="train\[k=3\]"><td><a href="#inst-2">train\[k=3\]</a></td><td><span class="state s4">never run</span></td><td>3</td><td>-</td></tr>'
[ ! -e .cairn ] || fail fresh-store "report made .cairn"

run -q run -k
expect_rc run 1
run report
expect_rc report 0
expect_eq report-out "$out" "wrote 'report.html': 4 stages, 6 instances, 5 runs"

# The graph: a node per stage, a matrix collapsed with its count, states.
has dag-prep '<a href="#stage-prep"><g class="node" data-stage="prep" data-state="up to date">'
has dag-train 'data-stage="train" data-state="up to date"><title>train: 3 instances</title>.*>train ×3</text>'
has dag-flaky 'data-stage="flaky" data-state="failed"'
has dag-after 'data-stage="after" data-state="never run"'
count dag-edges '<path class="edge"' 2
has lock '<span id="lock">out of date: a run would change it, 4 entries</span>'

# The experiment table: a row per instance of train, in the graph's
# order; integers as integers, full values for sorting, the best marked
# (acc: larger; fp and loss.val: smaller; n, the same in every row,
# nowhere).
has table-head '<th>instance</th><th>state</th><th class="matrix">k</th><th class="param">lr</th><th class="metric" data-best="max" title="larger is better">acc</th><th class="metric" data-best="min" title="smaller is better">fp</th><th class="metric" data-best="max" title="larger is better">n</th><th class="metric" data-best="min" title="smaller is better">loss.val</th></tr>'
expect_eq table-rows "$(grep -o '<tr data-inst="[^"]*"' report.html)" '<tr data-inst="train[k=1]"
<tr data-inst="train[k=3]"
<tr data-inst="train[k=2]"'
has row-k1 '<td>1</td><td class="num" data-v="0.1">0.1</td><td class="num" data-v="1.0">1</td><td class="num best" data-v="1.0">1</td><td class="num" data-v="100.0">100</td><td class="num best" data-v="0.1">0.1</td></tr>'
has row-k3 '<td>3</td><td class="num" data-v="0.1">0.1</td><td class="num best" data-v="3.0">3</td><td class="num" data-v="3.0">3</td><td class="num" data-v="100.0">100</td><td class="num" data-v="0.3">0.3</td></tr>'

# Curves: train and val of each member on one chart, val dashed.
count curves '<polyline class="curve"' 6
has curve-k2 '<polyline class="curve" data-label="k=2 val" points="58,[0-9.]+ 268,[0-9.]+ 478,[0-9.]+" fill="none" stroke="#e15759" stroke-width="2" stroke-dasharray="6,3">'
has curve-title 'text-anchor="middle">loss</text>'

# The timeline: 4 ran, 1 failed, no restore.
count bars-ran 'class="bar" data-inst="[^"]*" data-how="ran"' 4
count bars-failed 'class="bar" data-inst="flaky" data-how="failed"' 1
has timeline 's: 4 ran, 0 restored, 1 failed, in [12] slots?\.</p>'

# Stages: outputs with id and size, lineage to the producer, the failure.
prep=$(sha256sum data.txt | cut -c1-64)
has out-row "<tr><td>d</td><td><code>data.txt</code></td><td><span class=\"id\" title=\"$prep\">${prep:0:12}</span></td><td class=\"num\">5 B</td></tr>"
has lineage "<tr><td><code>data.txt</code></td><td><span class=\"id\">${prep:0:12}</span></td><td><a href=\"#inst-0\">prep</a></td></tr>"
has failed '<p>Last run <span class="id">[0-9a-f]{12}</span> failed at [0-9: -]+ UTC: failed with exit status 4</p>'
has anchors '<section class="stage" id="stage-after">'

# Self-contained: nothing fetched (the SVG namespace is a name, not a
# fetch).
expect_eq offline "$(grep -oE '(src|href)="[a-z]+:[^"]*"|url\([^#][^)]*\)|@import' report.html)" ""

# Identical data, identical bytes; --now says when it was made.
cp report.html first.html
run report -o second.html
expect_rc again 0
cmp -s first.html second.html || fail same-bytes "two reports differ"
run report --now -o now.html
has now ' &middot; made [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} UTC</p>' now.html

# Refused: over an output, the graph file or the lock; a missing folder;
# nothing written, nothing changed.
# (LMDB's lock.mdb holds the readers' table: a reader writes it.)
sum() { find . -name lock.mdb -prune -o -type f -print | sort | xargs sha256sum; }
before=$(sum)
run report -o data.txt
expect_rc over-output 2
expect_match over-output "$err" "^cairn: error: .*data.txt"
run report -o cairn.toml
expect_rc over-graph 2
expect_eq over-graph "$err" "cairn: error: the report may not replace 'cairn.toml'"
run report -o cairn.lock
expect_rc over-lock 2
run report -o .
expect_rc folder 2
expect_eq folder "$err" "cairn: error: '.' is a folder: give the report a file name"
run report -o nodir/r.html
expect_rc no-dir 1
expect_eq no-dir "$err" "cairn: error: cannot write 'nodir/r.html': No such file or directory"
run report --bogus
expect_rc bad-option 2
run report a.toml b.toml
expect_rc too-many 2
expect_eq unchanged "$(sum)" "$before"
finish
