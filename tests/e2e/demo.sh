#!/bin/bash
# The main job: the demo graph (events, binning, three trainings, their
# evaluation, a report) runs end to end, then is up to date; a changed
# param reruns exactly what depends on it, and the old value restores
# from the store; its metrics make a table; verify rebuilds every
# instance identically.  Small sizes (-p) keep it quick.
# usage: demo.sh CAIRN GRAPHS_DIR
CAIRN=$1
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/g"
cp "$2/demo.toml" "$T/g/"
cd "$T/g" || exit 1
P="-p events=6000 -p epochs=2"

run run demo.toml $P
expect_rc first 0
expect_match first "$out" '^done: 10 ran, 0 restored, 0 up to date, 0 failed$'
expect_eq report-lines "$(wc -l <demo-out/report.txt | tr -d ' ')" 3
expect_match report "$(cat demo-out/report.txt)" '^demo-out/eval-cls\.json \{"accuracy": 0\.[0-9]{6}, "auc": 0\.[0-9]{6}, .*"events": 1200\}$'
# The page of pictures (kind "report"): the three evaluations' rows, the
# curves, the ROC curves overlaid, the bins; no link out of the file.
page=$(cat demo-out/report.html)
expect_eq page-rows "$(printf '%s\n' "$page" | grep -c '^<tr><td><code>demo-out/eval-[a-z]*\.json</code></td><td class="num[^"]*" data-v')" 3
expect_eq page-roc "$(printf '%s\n' "$page" | grep -c '<figure class="roc">')" 1
expect_match page-bins "$page" '<figure class="bins">'
expect_match page-curves "$page" '<polyline class="curve" data-label="demo-out/curve-cls\.json val"'
expect_eq page-links "$(printf '%s\n' "$page" | grep -Ec '(src|href)="(https?:|//)')" 0
run run demo.toml $P
expect_match noop "$out" '^done: 0 ran, 0 restored, 10 up to date, 0 failed$'
# Another bin count: binning and everything after it rerun, not the
# events.
run run demo.toml $P -p bins=8
expect_match changed "$out" '^done: 9 ran, 0 restored, 1 up to date, 0 failed$'
checks=$((checks + 1))
printf '%s\n' "$out" | grep -q '^running +events' && fail changed-events "the events reran"
run run demo.toml $P
expect_match restored "$out" '^done: 0 ran, 9 restored, 1 up to date, 0 failed$'
run status --locked demo.toml $P
expect_rc locked 0
# The three evaluations, one row each; AUC well above chance.
run metrics demo.toml --sort -auc --csv
expect_rc metrics 0
expect_eq metrics-rows "$(printf '%s\n' "$out" | grep -c '^eval\[pooling=')" 3
expect_match metrics-head "$out" '^instance,accuracy,auc,log_loss,tp,fp,tn,fn,events$'
expect_match metrics-auc "$out" '^eval\[pooling=[a-z]+\],0\.[0-9]+,0\.[6789][0-9]*,'
run verify demo.toml $P
expect_rc verify 0
expect_match verify "$out" '^verify: 10 instances: 10 reproducible, 0 differ, 0 failed in isolation$'
finish
