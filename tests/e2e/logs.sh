#!/bin/bash
# cairn logs: a stage's log from the store, which the workspace's copy is
# not after a restore; the latest attempt when it failed; --run; a matrix
# stage's instances under headers; names that match nothing.
# usage: logs.sh CAIRN
CAIRN=$1
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
cat >cairn.toml <<'TOML'
[params]
p = 1

[stage.a]
cmd = "echo made with p=${params.p}; echo ${params.p} > ${outs.a}; test ${params.p} != 3"
outs = { a = "a.txt" }
params = ["p"]

[stage.t]
cmd = "echo train k=${matrix.k} >&2; echo ${matrix.k} > ${outs.o}"
outs = { o = "t-${matrix.k}.txt" }
matrix = { k = [2, 1] }

[stage.never]
cmd = "true"
TOML
run -q run a t
expect_rc first 0
run -q run a -p p=2
run -q run a
expect_rc restored 0
# The workspace's log is p=2's; the outputs are p=1's, restored.
expect_eq workspace-stale "$(cat .cairn/logs/a.log)" "made with p=2"
run logs a
expect_rc logs-restored 0
expect_eq logs-restored "$out" "made with p=1"
# A later failure is what one reads.
run -q run a -p p=3
expect_rc fails 1
run logs a
expect_rc logs-failed 0
expect_eq logs-failed "$out" "made with p=3"

# --run: that run's log, of the stage given (if one is).
run runs --json --where params.p=2
id=$(printf '%s' "$out" | grep -o '"run": "[0-9a-f]*' | cut -c9-20)
run logs --run "$id"
expect_rc logs-run 0
expect_eq logs-run "$out" "made with p=2"
run logs --run "$id" t
expect_rc logs-run-other 2
expect_eq logs-run-other "$err" "cairn: error: run $id is of 'a', not of 't'"
blob=$(sha256sum t-1.txt | cut -c1-12)
run logs --run "$blob"
expect_rc logs-run-blob 2
expect_eq logs-run-blob "$err" "cairn: error: '$blob' is no run"

# A stage of several instances: each one's, in the graph's order.
run logs t
expect_rc logs-matrix 0
expect_match logs-matrix "$out" '^==> t\[k=2\]: run [0-9a-f]{12}, [0-9-]{10} [0-9:]{8} UTC, ok <==
train k=2

==> t\[k=1\]: run [0-9a-f]{12}, [0-9-]{10} [0-9:]{8} UTC, ok <==
train k=1$'
run logs 't[k=1]'
expect_eq logs-instance "$out" "train k=1"

run logs tt
expect_rc typo 2
expect_eq typo "$err" "cairn: error: no stage or instance matches 'tt'; did you mean 't'?"
run logs never
expect_rc never 1
expect_eq never "$err" "cairn: error: 'never' has no recorded run
hint: 'cairn run never' runs it"
run logs
expect_rc no-operand 2
expect_eq no-operand "$err" "cairn: error: give a stage or an instance (or --run ID)
hint: usage: cairn logs [--run ID] [--json] [GRAPH] [STAGE|INSTANCE|GLOB] (see 'cairn help logs')"
finish
