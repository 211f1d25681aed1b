#!/bin/bash
# The main job: the demo graph runs end to end, then is up to date, and a
# changed param followed by the old one restores from the store; its
# metrics make a table; verify rebuilds every instance identically.
# usage: demo.sh CAIRN GRAPHS_DIR
CAIRN=$1
. "$(dirname "$0")/lib.sh"
mkdir -p "$T/g"
cp -r "$2/demo.toml" "$2/demo" "$T/g/"
cd "$T/g" || exit 1

run run demo.toml
expect_rc first 0
expect_match first "$out" '^done: 14 ran, 0 restored, 0 up to date, 0 failed$'
expect_eq report-lines "$(wc -l <demo-out/report.txt | tr -d ' ')" 6
expect_match report "$(cat demo-out/report.txt)" '^\{"feature": "pt", "bins": 16, "accuracy": 0\.[0-9]{4}, "test_events": 4000\}$'
run run demo.toml
expect_match noop "$out" '^done: 0 ran, 0 restored, 14 up to date, 0 failed$'
run -q run demo.toml -p events=3000
expect_rc changed 0
run run demo.toml
expect_match restored "$out" '^done: 0 ran, 14 restored, 0 up to date, 0 failed$'
run status --locked demo.toml
expect_rc locked 0
# The sweep's metrics, one row per instance; the whole graph reproduces.
run metrics demo.toml --sort -accuracy --csv
expect_rc metrics 0
expect_eq metrics-rows "$(printf '%s\n' "$out" | grep -c '^"train\[')" 6
# The runs behind the current outputs (events=20000, restored), not the
# newer events=3000 runs.
expect_eq metrics-current "$(printf '%s\n' "$out" | grep -c ',4000\.0$')" 6
expect_match metrics-head "$out" '^instance,bins,accuracy,test_events$'
run verify demo.toml
expect_rc verify 0
expect_match verify "$out" '^verify: 14 instances: 14 reproducible, 0 differ, 0 failed in isolation$'
finish
