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
