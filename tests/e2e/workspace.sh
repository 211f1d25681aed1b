#!/bin/bash
# What a new user meets first in a workspace: the .cairn folder kept out of
# git, the graph named after its folder, status on a fresh project, the
# reasons status and explain give in words, and the lock file's params and
# code by name.
# usage: workspace.sh CAIRN
CAIRN=$1
. "$(dirname "$0")/lib.sh"

# ---- .cairn/.gitignore: written when cairn makes .cairn, never after ----
mkdir -p "$T/proj/src" "$T/proj/data" && cd "$T/proj" || exit 1
cat >cairn.toml <<'TOML'
[params]
lr = 0.01

[stage.fit]
cmd = "cat ${deps.x} > ${outs.m}; echo ${params.lr} >> ${outs.m}; sh src/fit.sh"
deps = { x = "data/x.csv" }
code = ["src/fit.sh"]
outs = { m = "out/model.txt" }

[stage.report]
cmd = "cat ${deps.m} > ${outs.r}"
deps = { m = "${stage.fit.outs.m}" }
outs = { r = "out/report.txt" }
TOML
echo 1,2 >data/x.csv
echo 'exit 0' >src/fit.sh
run run
expect_rc first-run 0
expect_eq gitignore "$(cat .cairn/.gitignore)" "*"
# The user's own .gitignore is theirs: never rewritten.
echo 'store' >.cairn/.gitignore
run run
expect_rc second-run 0
expect_eq gitignore-kept "$(cat .cairn/.gitignore)" "store"
# A store made elsewhere in a folder named .cairn gets one too.
mkdir -p "$T/shared" && cd "$T/proj" || exit 1
CAIRN_STORE=$T/shared/.cairn/store run status
expect_rc status-no-shared-store 0
expect_eq status-no-shared-store-made "$(ls -A "$T/shared")" ""
CAIRN_STORE=$T/shared/.cairn/store run run
expect_rc shared-run 0
expect_eq gitignore-store "$(cat "$T/shared/.cairn/.gitignore")" "*"
# In a git checkout, git add -A takes nothing of .cairn.
if command -v git >/dev/null; then
	cd "$T/proj" || exit 1
	rm .cairn/.gitignore && rm -rf "$T/proj2" && mkdir "$T/proj2" &&
		cp -r cairn.toml data src "$T/proj2/" && cd "$T/proj2" &&
		git init -q . && "$CAIRN" run >/dev/null 2>&1 &&
		git add -A && run_git=$(git status --porcelain | grep -c '\.cairn')
	expect_eq git-add "$run_git" "0"
fi

# ---- the graph is named after its folder (cairn.toml) ----
cd "$T/proj" || exit 1
expect_match name-dir "$(head -5 cairn.lock)" '^graph = "proj"$'
run graph
expect_match name-graph "$out" '^graph proj: 2 stages, 2 instances'
# An explicit name wins; another file name is the graph's name.
sed '1i [graph]\nname = "mine"\n' cairn.toml >named.toml
run graph named.toml
expect_match name-explicit "$out" '^graph mine: '
cp cairn.toml sweep.toml
run graph sweep.toml
expect_match name-file "$out" '^graph sweep: '
rm named.toml sweep.toml
# A folder name with characters a graph name may not use.
mkdir -p "$T/my proj.v2" && cd "$T/my proj.v2" || exit 1
printf '[stage.a]\ncmd = "true"\n' >cairn.toml
run graph
expect_match name-sanitised "$out" '^graph my-proj-v2: '

# ---- status on a fresh project: everything would run, no store made ----
mkdir -p "$T/fresh/src" "$T/fresh/data" && cd "$T/fresh" || exit 1
cp "$T/proj/cairn.toml" . && echo 1,2 >data/x.csv && echo 'exit 0' >src/fit.sh
run status
expect_rc fresh-status 1
expect_eq fresh-status "$out" "to run      fit  (never run)
pending     report  (waits for an upstream stage)"
expect_eq fresh-status-err "$err" ""
expect_eq fresh-nothing-made "$(ls -A)" "cairn.toml
data
src"
run status --json
expect_rc fresh-json 1
expect_match fresh-json "$out" '^  \{"instance": "fit", "state": "to run", "why": "never run", "key": "[0-9a-f]{64}", "edited": \[\]\},$'

# ---- the reasons, in words ----
run run
expect_rc fresh-run 0
run status -p lr=0.1
expect_rc param-status 1
expect_eq param-status "$out" "to run      fit  (param 'lr' 0.01 -> 0.1)
pending     report  (waits for an upstream stage)"
echo 3,4 >data/x.csv
echo 'echo fitting' >src/fit.sh
run status -p lr=0.1
expect_eq three-status "$out" "to run      fit  (param 'lr' 0.01 -> 0.1, code 'src/fit.sh' changed, input 'data/x.csv' changed)
pending     report  (waits for an upstream stage)"
run explain --json -p lr=0.1 fit
expect_rc explain-json 0
expect_match explain-json-why "$out" '^  \{"instance": "fit", "state": "to run", "why": "param '\''lr'\'' 0.01 -> 0.1, code '\''src/fit.sh'\'' changed, input '\''data/x.csv'\'' changed", "edited": \[\], "last_run": \{"run": "[0-9a-f]{64}", "start_ns": [0-9]+, "exit": 0, "ok": true, "changes": \['
expect_match explain-json-param "$out" '\{"component": "param lr", "old": "0.01", "new": "0.1"\}'
expect_match explain-json-near "$out" '"nearest_run": null\}$'
run explain -p lr=0.1 fit
expect_match explain-first "$out" "^fit: to run \(param 'lr' 0.01 -> 0.1, code 'src/fit.sh' changed, input 'data/x.csv' changed\)$"
expect_match explain-detail "$out" '^    param lr: 0.01 -> 0.1$'
# status --locked names what differs from the lock file.
run status --locked -p lr=0.1
expect_rc locked 1
expect_eq locked "$out" "to run      fit  (param 'lr' 0.01 -> 0.1, code 'src/fit.sh' changed, input 'data/x.csv' changed)
pending     report  (waits for an upstream stage)
lock: 'fit' has a different key than the lock file records: param 'lr' 0.01 -> 0.1, code 'src/fit.sh' changed, input 'data/x.csv' changed
lock: 'report' waits for an upstream stage that would run"
# A failed run: the reason says so, with its exit status.
echo 'exit 4' >src/fit.sh
run run
expect_rc failed-run 1
# The failed command wrote out/model.txt before it failed: that is no
# edit by hand (cairn removed the output before the command started), so
# the lock file forgets fit, status names no edit, and the next run runs
# it again (it fails again: exit 1, the stage's failure, not a refusal).
run status
expect_eq failed-status "$out" "to run      fit  (last run failed with exit 4)
pending     report  (waits for an upstream stage)"
expect_eq failed-lock "$(grep -c '^\[stage\.fit\]' cairn.lock)" 0
run explain fit
expect_match failed-explain "$out" "^fit: to run \(last run failed with exit 4\)$"
expect_match failed-explain-detail "$out" '^    no difference in the key: that run failed$'
run run
expect_rc failed-again 1
expect_eq failed-again-edited "$(printf '%s' "$err" | grep -c 'edited by hand')" 0
expect_match failed-again-err "$err" "fit.*exit.* 4"
echo 'exit 0' >src/fit.sh && echo 1,2 >data/x.csv && rm -rf out

# ---- the lock file: params and code by name ----
cat >cairn.toml <<'TOML'
[params]
lr = 0.01
rate = 1.0
tags = ["a b", "c\"d"]
opts = { depth = 3, "odd key" = true }

[stage.fit]
cmd = "cat ${deps.x} > ${outs.m}; echo ${params.lr} >> ${outs.m}; sh src/fit.sh"
deps = { x = "data/x.csv" }
code = ["src/fit.sh"]
params = ["rate", "tags", "opts"]
outs = { m = "out/model.txt" }
TOML
run run
expect_rc lock-run 0
x=$(sha256sum data/x.csv | cut -c1-64)
c=$(sha256sum src/fit.sh | cut -c1-64)
m=$(sha256sum out/model.txt | cut -c1-64)
k=$(sed -n 's/^key = "\(.*\)"$/\1/p' cairn.lock | head -1)
expect_eq lock-file "$(cat cairn.lock)" "# cairn lock file, written by 'cairn run': what each stage instance was
# made from (params, code, inputs) and made (outputs), by content digest.
# Do not edit.
version = 2
graph = \"fresh\"

[stage.\"fit\"]
key = \"$k\"

[stage.\"fit\".params]
lr = 0.01
opts = { depth = 3, \"odd key\" = true }
rate = 1.0
tags = [\"a b\", \"c\\\"d\"]

[stage.\"fit\".code]
\"src/fit.sh\" = \"$c\"

[stage.\"fit\".inputs]
\"data/x.csv\" = \"$x\"

[stage.\"fit\".outputs]
\"out/model.txt\" = \"$m\""
# The lock reads back (as TOML, and as the run's scanner: up to date).
run toml-json cairn.lock
expect_rc lock-toml 0
run status
expect_eq lock-status "$out" "up to date  fit"
# A lock of version 1 (no params, no code) still reads: up to date by it.
grep -v -e '^\[stage."fit".params\]' -e '^\[stage."fit".code\]' \
	-e '^lr = ' -e '^opts = ' -e '^rate = ' -e '^tags = ' -e '^"src/' \
	cairn.lock | sed 's/^version = 2$/version = 1/' >old.lock
cp old.lock cairn.lock
run status --locked
expect_rc v1-locked 0
expect_eq v1-locked "$out" "up to date  fit"
run status --locked -p lr=0.2
expect_eq v1-locked-differs "$(printf '%s\n' "$out" | tail -1)" "lock: 'fit' has a different key than the lock file records"
# A run rewrites it in the new form: params and code come back.
run run --force fit
expect_rc v1-rewritten 0
expect_match v1-rewritten "$(cat cairn.lock)" '^version = 2$'
expect_match v1-rewritten-params "$(cat cairn.lock)" '^rate = 1.0$'

finish
