#!/bin/bash
# cairn metrics as an experiment table: matrix values and params as
# columns (by default for matrix stages), numbers right-aligned, integers as
# integers, others to 6 significant digits; --sort by any column, a typo
# named with the columns; CSV and JSON exact; cairn runs --metrics.
# usage: metrics_table.sh CAIRN
CAIRN=$1
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
cat >cairn.toml <<'TOML'
[params]
lr = 0.01

[stage.fit]
cmd = '''case ${matrix.pool} in mean) a=0.91234567;; max) a=0.5;; *) a=12.25;; esac; echo "{\"acc\": $a, \"n\": 3.0, \"loss\": 1234567.5}" > ${outs.m}'''
outs = { m = "m-${matrix.pool}.json" }
matrix = { pool = ["mean", "max", "attention"] }
metrics = ["${outs.m}"]
params = ["lr"]

[stage.one]
cmd = '''echo '{"auc": 0.123456789, "tiny": 0.00001234, "neg": -2.50}' > ${outs.m}'''
outs = { m = "one.json" }
metrics = ["${outs.m}"]
TOML
run -q run
expect_rc run 0

# A matrix stage: its values and params first.
run metrics fit
expect_rc default 0
expect_eq default "$out" "instance                  pool    lr       acc  n     loss
fit[pool=mean]            mean  0.01  0.912346  3  1234568
fit[pool=max]              max  0.01       0.5  3  1234568
fit[pool=attention]  attention  0.01     12.25  3  1234568"
run metrics --no-params fit
expect_eq no-params "$out" "instance                  acc  n     loss
fit[pool=mean]       0.912346  3  1234568
fit[pool=max]             0.5  3  1234568
fit[pool=attention]     12.25  3  1234568"
# Not a matrix stage: metrics alone, unless asked.
run metrics one
expect_eq one "$out" "instance       auc       tiny   neg
one       0.123457  1.234e-05  -2.5"
# --sort by a metric, largest first; by a matrix value (text).
run metrics --sort -acc fit
expect_eq sort-acc "$(printf '%s\n' "$out" | cut -d' ' -f1)" "instance
fit[pool=attention]
fit[pool=mean]
fit[pool=max]"
run metrics --sort pool fit
expect_eq sort-pool "$(printf '%s\n' "$out" | cut -d' ' -f1)" "instance
fit[pool=attention]
fit[pool=max]
fit[pool=mean]"
run metrics --sort acx fit
expect_rc sort-typo 2
expect_eq sort-typo "$err" "cairn: error: no column 'acx' in these runs; did you mean 'acc'?
hint: --sort takes one of: acc, n, loss, pool, lr"
# CSV: exact numbers, the values only with --params; JSON: all of it.
run metrics --csv fit
expect_eq csv "$out" "instance,acc,n,loss
fit[pool=mean],0.91234567,3.0,1234567.5
fit[pool=max],0.5,3.0,1234567.5
fit[pool=attention],12.25,3.0,1234567.5"
run metrics --csv --params --sort pool fit
expect_eq csv-params "$out" "instance,pool,lr,acc,n,loss
fit[pool=attention],attention,0.01,12.25,3.0,1234567.5
fit[pool=max],max,0.01,0.5,3.0,1234567.5
fit[pool=mean],mean,0.01,0.91234567,3.0,1234567.5"
run metrics --json 'fit[pool=max]'
expect_match json "$out" '"instance": "fit\[pool=max\]", "run": "[0-9a-f]{64}", "start_ns": [0-9]+, "metrics": \{"acc":0\.5,"n":3,"loss":1234567\.5\}, "matrix": \{"pool":"max"\}, "params": \{"lr":0\.01\}\}'
# runs --metrics: each run's line ends with them.
run runs --metrics --stage one
expect_match runs-metrics "$out" '  ok      one  auc=0\.123457 tiny=1\.234e-05 neg=-2\.5$'
run runs --stage one
expect_match runs-plain "$out" '  ok      one$'
finish
