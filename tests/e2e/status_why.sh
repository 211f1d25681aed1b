#!/bin/bash
# What status and explain say, in words: explain where nothing has run
# yet (no store needed, none made, nothing left in TMPDIR); and outputs
# edited by hand, which a run refuses to replace, named in status, status
# --json, explain and explain --json, alone or after what else makes the
# instance run.  Nothing is changed by either.
# usage: status_why.sh CAIRN
CAIRN=$1
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
mkdir ws tmp
cd ws || exit 1
export TMPDIR=$T/tmp

cat >cairn.toml <<'TOML'
[params]
p = 1

[stage.a]
cmd = "mkdir -p out; echo a > ${outs.o}"
outs = { o = "out/a.txt" }

[stage.b]
cmd = "cat ${deps.a} > ${outs.o}"
deps = { a = "${stage.a.outs.o}" }
outs = { o = "b.txt" }

[stage.m]
cmd = "echo ${matrix.k} > ${outs.o}; echo ${params.p} >> ${outs.o}"
params = ["p"]
outs = { o = "m-${matrix.k}.txt" }
matrix = { k = ["x", "y"] }
TOML

# ---- explain before anything ran: no store, none made ----
run explain a
expect_rc fresh 0
expect_eq fresh "$out" "a: to run (never run)
  it has never run"
expect_eq fresh-err "$err" ""
run explain b
expect_rc fresh-pending 0
expect_eq fresh-pending "$out" "b: pending (waits for an upstream stage)"
run explain --json m
expect_rc fresh-json 0
expect_eq fresh-json "$out" '[
  {"instance": "m[k=x]", "state": "to run", "why": "never run", "edited": [], "last_run": null, "nearest_run": null},
  {"instance": "m[k=y]", "state": "to run", "why": "never run", "edited": [], "last_run": null, "nearest_run": null}
]'
run explain nope
expect_rc fresh-typo 2
expect_eq fresh-typo "$err" "cairn: error: no stage or instance matches 'nope'"
run explain -p q=1 a
expect_rc fresh-bad-param 2
expect_eq fresh-nothing-made "$(ls -A)" "cairn.toml"
expect_eq fresh-no-tmp "$(ls -A "$T/tmp")" ""

# ---- outputs edited by hand ----
run -q run
expect_rc run 0
objects() { "$CAIRN" store stat | grep '^objects:'; "$CAIRN" runs | wc -l; }
before=$(objects)
lock=$(cat cairn.lock)
echo mine >out/a.txt
echo mine >m-x.txt
A="output 'out/a.txt' edited by hand: 'cairn run' refuses to replace it; --force 'a' keeps it in the store and replaces it"
M1="output 'm-x.txt' edited by hand: 'cairn run' refuses to replace it; --force 'm[k=x]' keeps it in the store and replaces it"
run status
expect_rc status 1
expect_eq status "$out" "restorable  a  ($A)
up to date  b
restorable  m[k=x]  ($M1)
up to date  m[k=y]"
expect_eq status-err "$err" ""
run status --json
expect_rc status-json 1
expect_eq status-json "$(printf '%s\n' "$out" | sed -E 's/"key": "[0-9a-f]{64}"/"key": K/')" "[
  {\"instance\": \"a\", \"state\": \"restorable\", \"why\": \"$A\", \"key\": K, \"edited\": [\"out/a.txt\"]},
  {\"instance\": \"b\", \"state\": \"up to date\", \"why\": \"up to date\", \"key\": K, \"edited\": []},
  {\"instance\": \"m[k=x]\", \"state\": \"restorable\", \"why\": \"$M1\", \"key\": K, \"edited\": [\"m-x.txt\"]},
  {\"instance\": \"m[k=y]\", \"state\": \"up to date\", \"why\": \"up to date\", \"key\": K, \"edited\": []}
]"
run explain a
expect_rc explain 0
expect_eq explain "$out" "a: restorable ($A)"
run explain --json 'm[k=x]'
expect_eq explain-json "$out" "[
  {\"instance\": \"m[k=x]\", \"state\": \"restorable\", \"why\": \"$M1\", \"edited\": [\"m-x.txt\"], \"last_run\": null, \"nearest_run\": null}
]"
# Another reason to run first, then the edit.
run status -p p=2 m
expect_rc status-param 1
expect_eq status-param "$out" "to run      m[k=x]  (param 'p' 1 -> 2; $M1)
to run      m[k=y]  (param 'p' 1 -> 2)"
run explain -p p=2 'm[k=x]'
expect_eq explain-param "$(printf '%s\n' "$out" | head -1)" \
	"m[k=x]: to run (param 'p' 1 -> 2; $M1)"
# What they said is what run does; neither changed anything.
expect_eq untouched "$(cat out/a.txt m-x.txt)" "mine
mine"
expect_eq store-untouched "$(objects)" "$before"
expect_eq lock-untouched "$(cat cairn.lock)" "$lock"
run run -n --json
expect_rc dry-json 0
expect_eq dry-json "$(printf '%s\n' "$out" | sed -n '/"edited"/,/^  \]/p' | sed -E 's/[0-9a-f]{64}/H/g')" '  "edited": [
    {"instance": "a", "path": "out/a.txt", "id": "H", "locked": "H", "kept": false, "root": null},
    {"instance": "m[k=x]", "path": "m-x.txt", "id": "H", "locked": "H", "kept": false, "root": null}
  ],'
run run
expect_rc run-refuses 1
# Put back, nothing is said of it.
rm out/a.txt m-x.txt
run status
expect_eq status-restorable "$out" "restorable  a  (restorable from the store)
up to date  b
restorable  m[k=x]  (restorable from the store)
up to date  m[k=y]"

# ---- a param's change, where a matrix value reads like the param ----
# k = 1 or 2 and p 1 -> 2: each command is the old one with p's value put
# in, so the param says it all for both instances ("command changed" once
# showed for k=2 alone: its "2" read as p's new value).
mkdir ../ws2 && cd ../ws2 || exit 1
cat >cairn.toml <<'TOML'
[params]
p = 1

[stage.m]
cmd = "echo ${matrix.k} ${params.p} > ${outs.o}"
params = ["p"]
outs = { o = "m-${matrix.k}.txt" }
matrix = { k = [1, 2] }
TOML
run -q run
expect_rc same-text-run 0
run status -p p=2
expect_eq same-text "$out" "to run      m[k=1]  (param 'p' 1 -> 2)
to run      m[k=2]  (param 'p' 1 -> 2)"
# A command that changed beyond the param is still named.
sed -i 's/echo /echo -n /' cairn.toml
run status -p p=2
expect_eq other-text "$out" "to run      m[k=1]  (param 'p' 1 -> 2, command changed)
to run      m[k=2]  (param 'p' 1 -> 2, command changed)"
finish
