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
expect_eq metrics "$out" "instance    k   lr  acc  loss.val
train[k=1]  1  0.2    1       0.2
train[k=3]  3  0.2    3       0.2
train[k=2]  2  0.2    2       0.2"
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
expect_eq metrics-bad-sort "$err" "cairn: error: no column 'nosuch' in these runs
hint: --sort takes one of: acc, loss.val, k, lr"

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

# show: a run's record; a stage key (its runs).
prep=$("$CAIRN" runs --stage prep | head -1 | awk '{print $4}')
run show "$prep"
expect_match show-run "$out" '^instance: prep$'
expect_match show-run-cmd "$out" '^cmd: echo data > data\.txt$'
key=$(printf '%s\n' "$out" | sed -n 's/^key: //p')
run show "$key"
expect_rc show-key 0
expect_match show-key "$out" "^key $key$"
expect_match show-key-run "$out" "^  $prep[0-9a-f]{52}$"
run show --json "$key"
expect_match show-key-json "$out" '"kind": "key", "runs": \["[0-9a-f]{64}"'

# lineage: from the final artifact through every stage to the source.
mkdir chain && cd chain || exit 1
printf 'raw\n' >src.txt
cat >cairn.toml <<'TOML'
[stage.clean]
cmd = "tr a-z A-Z < ${deps.s} > ${outs.o}"
deps = { s = "src.txt" }
outs = { o = "clean.txt" }
[stage.feat]
cmd = "rev ${deps.c} > ${outs.o}"
deps = { c = "${stage.clean.outs.o}" }
outs = { o = "feat.txt" }
[stage.report]
cmd = "cat ${deps.f} ${deps.c} > ${outs.o}"
deps = { f = "${stage.feat.outs.o}", c = "${stage.clean.outs.o}" }
outs = { o = "report.txt" }
TOML
run -q run
expect_rc chain-run 0
rid=$(sha256sum report.txt | cut -c1-64)
run lineage "$rid"
expect_rc lineage 0
expect_eq lineage "$(printf '%s\n' "$out" | sed -E 's/ [0-9a-f]{12}//g; s/, [0-9-]+ [0-9:]+\)/)/')" "report.txt  made by report (run)
|-- feat.txt  made by feat (run)
|   \`-- clean.txt  made by clean (run)
|       \`-- src.txt  source
\`-- clean.txt  made by clean (run): shown above"
run lineage --dot "${rid:0:10}"
expect_match lineage-dot "$out" '^  "[0-9a-f]{64}" \[shape=box, label="feat"\];$'
expect_match lineage-dot-edge "$out" "^  \"$(sha256sum src.txt | cut -c1-64)\" -> \"[0-9a-f]{64}\";$"
run lineage --json "$rid"
expect_match lineage-json "$out" '"path": "src.txt", "made_by": null'
expect_eq lineage-json-runs "$(printf '%s\n' "$out" | grep -c '"run": ')" 3
run used-by "$(sha256sum clean.txt | cut -c1-64)"
expect_rc used-by 0
expect_eq used-by "$(printf '%s\n' "$out" | sed -E 's/ [0-9a-f]{12}//g; s/  [0-9-]+ [0-9:]+ / /' | sort)" "  made feat.txt
  made report.txt
run  ok  feat  read it as clean.txt
run  ok  report  read it as clean.txt"
run used-by --json "$(sha256sum src.txt | cut -c1-64)"
expect_match used-by-json "$out" '"instance": "clean", "start_ns": [0-9]+, "ok": true, "as": "src.txt", "outputs": \[\{"name":"o","path":"clean.txt","id":"[0-9a-f]{64}"\}\]'
run lineage 123456
expect_rc lineage-unknown 2
cd ..

# gc keeps the last keep-runs runs of each instance, every run a lock
# file or a pin keeps, and never what the lock names.
run -q run -p lr=0.3 -k
run -q run -p lr=0.4 -k
run -q run -k
expect_eq runs-before-gc "$("$CAIRN" runs --stage 'train[k=1]' | wc -l | tr -d ' ')" 4
run store config keep-runs 1
expect_rc keep-runs 0
pinned=$("$CAIRN" runs --stage 'train[k=2]' --where params.lr=0.3 | awk '{print $4}')
run pin good "$pinned"
expect_rc pin 0
run gc
expect_rc gc 0
expect_match gc "$out" '^removed [1-9][0-9]* runs, '
# train[k=1]: the newest run (lr=0.4) and the lock's (lr=0.1, restored
# by the last run, not run again).
expect_eq kept-k1 "$("$CAIRN" runs --stage 'train[k=1]' | sed 's/.*k=1 //')" "lr=0.4
lr=0.1"
# train[k=2]: the same, and the pinned lr=0.3 run.
expect_eq kept-k2 "$("$CAIRN" runs --stage 'train[k=2]' | sed 's/.*k=2 //')" "lr=0.4
lr=0.3
lr=0.1"
run status train
expect_rc after-gc-status 0
run -q run -p lr=0.3 train
expect_rc pinned-restores 0
expect_eq pinned-restored "$(cat scores-2.json)" '{"acc": 2, "loss": {"val": 0.3}}'
run fsck
expect_rc after-gc-fsck 0
run unpin good
expect_rc unpin 0
run store roots
expect_eq unpinned "$(printf '%s\n' "$out" | grep -c '^pin:')" 0
run pin bad 123456
expect_rc pin-unknown 2
# pin and unpin read the graph only for its store: given by --store or
# CAIRN_STORE, they work where the graph file is broken; with neither,
# the graph's error stands (its store cannot be known).  With no graph
# here, the store is .cairn/store.
store=$PWD/.cairn/store
mkdir broken nograph
printf '[stage.x\n' >broken/cairn.toml
run -C broken --store "$store" pin kept "$pinned"
expect_rc pin-broken-graph 0
run store roots
expect_match pin-broken-graph-root "$out" "^pin:kept "
CAIRN_STORE=$store run -C broken unpin kept
expect_rc unpin-broken-graph 0
run store roots
expect_eq unpin-broken-graph-root "$(printf '%s\n' "$out" | grep -c '^pin:kept')" 0
run -C broken pin kept "$pinned"
expect_rc pin-broken-graph-no-store 2
expect_match pin-broken-graph-no-store "$err" "^cairn: error: cairn\.toml:1:"
run -C nograph pin kept "$pinned"
expect_rc pin-no-graph 2
expect_eq pin-no-graph "$err" "cairn: error: no store at '.cairn/store'
hint: nothing has run yet: 'cairn run' creates the store"
run store config keep-runs 0
expect_rc keep-runs-bad 2

# dag: stages collapsed with counts and states; DOT colours; Mermaid.
run dag
expect_rc dag 0
expect_eq dag "$out" "prep: 1 up to date
train x3: 3 restorable
flaky: 1 to run
prep -> train"
run dag --dot
expect_match dag-dot "$out" '^  n1 \[label="train x3\\nrestorable", fillcolor=lightblue\];$'
expect_match dag-dot-edge "$out" '^  n0 -> n1;$'
run dag --mermaid --expand
expect_match dag-mermaid "$out" '^  n2\["train\[k=3\]<br/>restorable"\]$'
expect_eq dag-mermaid-edges "$(printf '%s\n' "$out" | grep -c -- '-->')" 3
mkdir fresh && cd fresh && cp ../chain/cairn.toml . && cp ../chain/src.txt .
run dag
expect_eq dag-never-run "$out" "clean
feat
report
clean -> feat
clean -> report
feat -> report"
cd ..

finish
