#!/bin/bash
# --json on cairn dag, kinds, pin, unpin and store unroot: exact text,
# before and after a run, and the errors unchanged.
# usage: json_queries.sh CAIRN
CAIRN=$1
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

cat >cairn.toml <<'TOML'
[graph]
name = "exp"

[stage.prep]
cmd = "echo data > ${outs.d}"
outs = { d = "data.txt" }

[stage.train]
cmd = "cat ${deps.d} > ${outs.m}"
deps = { d = "${stage.prep.outs.d}" }
outs = { m = "model-${matrix.k}.txt" }
matrix = { k = [1, 2] }
TOML

# dag: nothing known before the first run.
run dag --json
expect_rc dag-fresh 0
expect_eq dag-fresh "$out" '{"graph": "exp", "nodes": [
  {"name": "prep", "instances": 1, "state": null, "states": {}},
  {"name": "train", "instances": 2, "state": null, "states": {}}
], "edges": [
  {"from": "prep", "to": "train"}
]}'
run -q run
expect_rc run 0
rm data.txt
run dag
expect_eq dag-text "$out" "prep: 1 restorable
train x2: 2 up to date
prep -> train"
run dag --json --expand
expect_rc dag-expand 0
expect_eq dag-expand "$out" '{"graph": "exp", "nodes": [
  {"name": "prep", "instances": 1, "state": "restorable", "states": {"restorable": 1}},
  {"name": "train[k=1]", "instances": 1, "state": "up to date", "states": {"up to date": 1}},
  {"name": "train[k=2]", "instances": 1, "state": "up to date", "states": {"up to date": 1}}
], "edges": [
  {"from": "prep", "to": "train[k=1]"},
  {"from": "prep", "to": "train[k=2]"}
]}'
run dag --json
expect_eq dag-collapsed "$(printf '%s\n' "$out" | sed -n 3p)" \
	'  {"name": "train", "instances": 2, "state": "up to date", "states": {"up to date": 2}}'

# kinds: every kind with its version and files, as -v lists them.
run kinds --json
expect_rc kinds 0
expect_eq kinds-count "$(printf '%s\n' "$out" | grep -c '^  {"name": ')" \
	"$("$CAIRN" kinds | grep -c '^[a-z]')"
v=$("$CAIRN" kinds -v | awk '/^zbins /{f=1; next} /^[a-z]/{f=0} f && $1 == "version" {print $2}')
expect_match kinds-zbins "$out" '"name": "zbins", "summary": "[^"]*", "version": "'"$v"'", "sources": \["engine/base/'

# pin, unpin, store unroot.
id=$(sha256sum model-1.txt | cut -c1-64)
run pin --json m1 "${id:0:10}"
expect_rc pin 0
expect_eq pin "$out" '{"name": "pin:m1", "ids": ["'"$id"'"]}'
run pin m2 "$id"
expect_eq pin-plain "$out" ""
run unpin --json m1 m2
expect_rc unpin 0
expect_eq unpin "$out" '{"removed": ["pin:m1", "pin:m2"]}'
run unpin --json m1
expect_rc unpin-gone 2
expect_eq unpin-gone "$out" ""
expect_eq unpin-gone-err "$err" "cairn: error: no root named 'pin:m1'"
run pin --json m3 "$id"
run store unroot --json pin:m3
expect_rc unroot 0
expect_eq unroot "$out" '{"removed": ["pin:m3"]}'
run store roots --json
expect_eq roots-left "$(printf '%s\n' "$out" | grep -c '"pin:')" 0
run pin --json
expect_rc pin-usage 2
finish
