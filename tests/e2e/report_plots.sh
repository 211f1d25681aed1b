#!/bin/bash
# cairn report's pictures of binning (bins per feature, tokens by rank)
# and zbins (slices per bin), from the real kinds' outputs; a shell
# stage's declared plots (a CSV series over a matrix, an SVG and a PNG as
# images), which change no key: declaring them reruns nothing.
# usage: report_plots.sh CAIRN
CAIRN=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
mkdir "$T/w" && cd "$T/w" || exit 1
. "$here/report_plots_graph.sh"

# count NAME REGEX N: lines of report.html matching REGEX.
count() {
	expect_eq "$1" "$(grep -Ec -- "$2" report.html)" "$3"
}

run -q run
expect_rc run 0
run report
expect_rc report 0
expect_eq report-out "$out" "wrote 'report.html': 5 stages, 6 instances, 6 runs"

# binning: a chart per feature of the train split's counts per bin.
count bins '<figure class="bins">' 6
# (bars of 7 + 5 x 4 bins, and zbins' 12 below)
count bins-bars '<rect class="bar" x="[0-9.]+" y="[0-9.]+" width="[0-9.]+" height="[0-9.]+" fill="#4e79a7"><title>[0-9]+: [0-9]+</title></rect>' 39
count bins-pt '<figcaption>bin: pt, quantile, 4 bins: every bin used in train</figcaption>' 1
count bins-met 'text-anchor="middle">met_value: train events per bin</text>' 1
# Its tokens: how many of the 456 are used (as its report counts), and
# the counts by rank.
used=$(grep -o '"tokens_used": [0-9]*' binning.json | cut -d' ' -f2)
count tokens "<figcaption>bin: $used of 456 tokens used \\([0-9.]+%\\), counted over [0-9]+ tokens</figcaption>" 1
count tokens-line '<polyline class="curve" data-label="bin" points="58,[0-9.]+ ' 1
# zbins, global mode over [4, 27] of 32 slices: 10 of 12 bins used; the
# bars of all 12.
count zbins '<figcaption>global mode: 10 of 12 bins used, 24 slices; per bin min 0, mean 2, max 3</figcaption>' 1
count zbins-bars '<rect class="bar" [^>]*><title>(0|1|2|3|4|5|6|7|8|9|10|11): [0-3]</title></rect>' 12
expect_match zbins-report "$(cat zbins.json)" '"slices_per_bin": \{"min": 0, "mean": 2\.0000, "max": 3\}, "counts": \[0, 2, 2, 3, 3, 2, 3, 3, 2, 3, 1, 0\]\}$'
# Nothing of the shell stage's outputs is drawn: none is declared.
count undeclared '<figure class="(series|image)">' 0

# Declaring plots changes no key: nothing runs, the lock is the same.
run status
expect_rc status 0
before=$out
cp cairn.lock lock.before
cp plots.toml cairn.toml
run status
expect_eq status-same "$out" "$before"
run run
expect_rc run-again 0
expect_eq run-nothing "$(printf '%s\n' "$out" | tail -1)" "done: 0 ran, 0 restored, 6 up to date, 0 failed"
cmp -s cairn.lock lock.before || fail lock-same "the lock file changed"
checks=$((checks + 1))

run report
expect_rc report-plots 0
expect_eq report-plots-out "$out" "wrote 'report.html': 5 stages, 6 instances, 6 runs"
# The history: a chart per declared y (loss, acc), both members on each.
count series '<figure class="series">' 2
count series-loss 'text-anchor="middle">loss</text>' 1
count series-acc 'text-anchor="middle">acc</text>' 1
count series-lines '<polyline class="curve" data-label="k=[12]" points="58,[0-9.]+ 268,[0-9.]+ 478,[0-9.]+" fill="none" stroke="#(4e79a7|f28e2b)"' 4
count series-caption '<figcaption>history: history-1.csv, history-2.csv</figcaption>' 2
# The images: the SVG and the PNG of each member, inline, the SVG's
# script never in the page's text.
count images '<figure class="image">' 4
count png '<img alt="k=[12]: a sample \(sample-[12]\.png\)" width="2" height="1" style="max-width:100%;height:auto" src="data:image/png;base64,iVBORw0KGgo[A-Za-z0-9+/=]+">' 2
count svg '<img alt="k=[12]: sketch-[12]\.svg" style="max-width:100%;height:auto" src="data:image/svg\+xml;base64,[A-Za-z0-9+/=]+">' 2
count no-script 'alert' 0
# Self-contained and the same bytes twice.
expect_eq offline "$(grep -oE '(src|href)="(https?|file):[^"]*"' report.html)" ""
run report -o again.html
cmp -s report.html again.html || fail same-bytes "two reports differ"
checks=$((checks + 1))
finish
