#!/bin/bash
# The queries over recorded runs: cairn runs (filters), cairn diff, cairn
# metrics, on a real graph run twice with different params.
# usage: query.sh CAIRN
CAIRN=$1
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

cat >cairn.toml <<'TOML'
[params]
lr = 0.1

[stage.prep]
cmd = "echo data > ${outs.d}"
outs = { d = "data.txt" }

[stage.train]
cmd = "cat ${deps.d} > ${outs.m}; echo '{\"acc\": ${matrix.k}, \"loss\": {\"val\": ${params.lr}}}' > ${outs.s}"
deps = { d = "${stage.prep.outs.d}" }
outs = { m = "model-${matrix.k}.txt", s = "scores-${matrix.k}.json" }
matrix = { k = [1, 3, 2] }
metrics = ["${outs.s}"]
params = ["lr"]

[stage.flaky]
cmd = "exit 4"
TOML
run -q run -k
expect_rc first 1
run -q run -k -p lr=0.2
expect_rc second 1

# runs: everything, newest first; then filtered.
run runs
expect_rc runs 0
expect_eq runs-count "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 9
expect_match runs-line "$out" '^[0-9-]+ [0-9:]+ +[0-9.]+s  [0-9a-f]{12}  ok      train\[k=1\]  k=1 lr=0\.2$'
run runs --where params.lr=0.2 --stage train
expect_eq where-lr "$(printf '%s\n' "$out" | sed 's/.*  ok      //')" "train[k=2]  k=2 lr=0.2
train[k=3]  k=3 lr=0.2
train[k=1]  k=1 lr=0.2"
run runs --where 'metrics.acc>=2' --where matrix.k!=3
expect_eq where-metrics "$(printf '%s\n' "$out" | sed 's/.*  ok      //')" "train[k=2]  k=2 lr=0.2
train[k=2]  k=2 lr=0.1"
run runs --status failed
expect_eq failed-only "$(printf '%s\n' "$out" | sed 's/.*  failed  //')" "flaky
flaky"
run runs --since 2099-01-01
expect_eq since-future "$out" ""
run runs --since 1h --stage 'train[k=3]'
expect_eq since-age "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 2
run runs --json --stage prep
expect_match runs-json "$out" '"instance": "prep", "stage": "prep", "start_ns": [0-9]+, "duration_s": [0-9.]+, "exit": 0, "ok": true, "params": \{\}'
run runs --where lr=1
expect_rc bad-where 2
expect_match bad-where "$err" "^cairn: error: invalid --where 'lr=1'"
run runs --since yesterday
expect_rc bad-since 2
run runs --status maybe
expect_rc bad-status 2

# metrics: the latest run of each instance, in the graph's order.
run metrics
expect_rc metrics 0
expect_eq metrics "$out" "instance           acc    loss.val
train[k=1]         1.0         0.2
train[k=3]         3.0         0.2
train[k=2]         2.0         0.2"
run metrics --sort -acc --csv train
expect_eq metrics-csv "$out" "instance,acc,loss.val
train[k=3],3.0,0.2
train[k=2],2.0,0.2
train[k=1],1.0,0.2"
run metrics --history --csv 'train[k=1]'
expect_match metrics-history "$out" '^train\[k=1\],[0-9-]+ [0-9:]+,1\.0,0\.2$'
expect_eq metrics-history-n "$(printf '%s\n' "$out" | wc -l | tr -d ' ')" 3
run metrics --json
expect_match metrics-json "$out" '"instance": "train\[k=1\]", "run": "[0-9a-f]{64}", "start_ns": [0-9]+, "metrics": \{"acc":1,"loss.val":0.2\}'
run metrics --sort nosuch
expect_rc metrics-bad-sort 2
expect_eq metrics-bad-sort "$err" "cairn: error: no metric 'nosuch' in these runs"

# diff: an instance's last two runs; two instances.
run diff 'train[k=1]'
expect_rc diff 0
expect_match diff-param "$out" '^\* params\.lr +0\.1 +0\.2$'
expect_match diff-same "$out" '^  matrix\.k +1 +1$'
expect_match diff-input "$out" '^  input data\.txt +[0-9a-f]{12} +[0-9a-f]{12}$'
expect_match diff-metric "$out" '^\* metrics\.loss\.val +0\.1 +0\.2$'
run diff 'train[k=1]' 'train[k=3]'
expect_match diff-matrix "$out" '^\* matrix\.k +1 +3$'
expect_match diff-out-same "$out" '^  output m +[0-9a-f]{12} +[0-9a-f]{12}$'
run diff --json 'train[k=1]' 'train[k=3]'
expect_match diff-json "$out" '\{"name": "matrix.k", "a": "1", "b": "3", "differs": true\}'
id=$("$CAIRN" runs --stage prep | awk '{print $4}')
run diff "$id" 'train[k=2]'
expect_match diff-by-id "$out" '^\* instance +prep +train\[k=2\]$'
run diff nosuch 'train[k=2]'
expect_rc diff-unknown 2
expect_eq diff-unknown "$err" "cairn: error: 'nosuch' is neither a run id nor an instance with recorded runs"

finish
