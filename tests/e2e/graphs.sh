#!/bin/bash
# The pipelines in graphs/ run end to end at small sizes (-p), on their
# synthetic data, and say what they should: tokens-sweep's 24-row table,
# dose-eval's gamma pass rates and DVH metrics, zbins' bins used locally
# and globally, groups' caches.
# usage: graphs.sh CAIRN GRAPHS_DIR
CAIRN=$1
. "$(dirname "$0")/lib.sh"
cp "$2"/tokens-sweep.toml "$2"/dose-eval.toml "$2"/zbins.toml "$2"/groups.toml "$T/"
cd "$T" || exit 1

run run tokens-sweep.toml -p events=3000 -p epochs=1
expect_rc sweep 0
expect_match sweep "$out" '^done: 51 ran, 0 restored, 0 up to date, 0 failed$'
run metrics tokens-sweep.toml --csv --sort -auc
expect_eq sweep-rows "$(printf '%s\n' "$out" | grep -c '^"eval_\(binned\|direct\)\[pooling=[a-z]*,met=\(true\|false\),vector=[45]\]",')" 24
expect_match sweep-head "$out" '^instance,accuracy,auc,log_loss,tp,fp,tn,fn,events$'

run run dose-eval.toml -p cases=1 -p nx=48 -p ny=48 -p nz=32
expect_rc dose 0
run metrics dose-eval.toml --csv
expect_match dose-head "$out" '^instance,cases,mae_body_gy,mae_gy\.PTV56,'
expect_match dose-gamma "$out" 'gamma\.3pct_3mm\.pass_rate,gamma\.3pct_3mm\.mean,'
checks=$((checks + 1))
pass3=$(printf '%s\n' "$out" | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "gamma.3pct_3mm.pass_rate") c = i } NR == 2 { print $c }')
pass2=$(printf '%s\n' "$out" | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "gamma.2pct_2mm.pass_rate") c = i } NR == 2 { print $c }')
awk -v a="$pass3" -v b="$pass2" 'BEGIN { exit !(a > 50 && a < 100 && b < a) }' ||
	fail dose-pass "3%/3mm $pass3, 2%/2mm $pass2: expected 50 < 2%/2mm < 3%/3mm < 100"
# A perfect model: everything passes.
run run dose-eval.toml -p cases=1 -p nx=48 -p ny=48 -p nz=32 -p shift_mm=0 -p blur_mm=0 -p noise_gy=0
expect_rc dose-perfect 0
expect_match dose-perfect-json "$(cat dose-out/metrics.json)" '"3pct_3mm": \{"pass_rate": 100\.0000, "mean": 0\.0000'

run run zbins.toml -p cases=1 -p nx=32 -p ny=32
expect_rc zbins 0
run metrics zbins.toml --csv
expect_match zbins-local "$out" '^cache\[mode=local\],50\.0,50\.0,70\.0,'
expect_match zbins-global "$out" '^cache\[mode=global\],50\.0,37\.0,70\.0,'

run run groups.toml -p positions=3000
expect_rc groups 0
run metrics groups.toml --csv
expect_match groups-1 "$out" '^groups\[gridsize=1\],3000\.0,6\.0,1\.0,1\.0,3000\.0,3000\.0,0\.0,1000\.0,'
expect_match groups-2 "$out" '^groups\[gridsize=2\],3000\.0,6\.0,2\.0,4\.0,60000\.0,[0-9]+\.0,[0-9]+\.0,1000\.0,'
finish
