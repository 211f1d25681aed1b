#!/bin/bash
# --json on cairn dag, kinds, pin, unpin, store unroot, version, logs,
# store config and key public: exact text (or each output parsed by
# JSONKEYS and its members' paths exact), before and after a run, and the
# errors unchanged.
# usage: json_queries.sh CAIRN JSONKEYS
CAIRN=$1
JSONKEYS=$2
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

cat >cairn.toml <<'TOML'
[graph]
name = "exp"

[stage.prep]
cmd = "echo data > ${outs.d}; echo 'made \"data\"'"
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
# keys ARGS...: the paths of the members of ARGS's JSON output, one a
# line ("not JSON" and the parser's error when it is none).
keys() {
	printf '%s' "$out" | "$JSONKEYS" 2>&1 || echo "not JSON"
}
# hexless: $out with ids as H and start_ns values as N.
hexless() {
	printf '%s\n' "$out" | sed -E 's/[0-9a-f]{64}/H/g; s/"start_ns": [0-9]+/"start_ns": N/g'
}

# version: the same object after 'cairn version' and 'cairn --version'.
run version --json
expect_rc version 0
expect_eq version-keys "$(keys)" "version
commit
build
cuda
cuda.built
cuda.version
cuda.architectures
devices
no_device
kernels
kernels[].name
kernels[].devices"
expect_match version-value "$out" '^\{"version": "[0-9]+\.[0-9]+\.[0-9]+", "commit": "'
v=$out
run --version --json
expect_rc dash-version 0
expect_eq dash-version "$out" "$v"
run --version extra
expect_rc version-operand 2
expect_eq version-operand "$err" "cairn: error: too many arguments
hint: usage: cairn version [--json] (see 'cairn help version')"
run --version
expect_eq version-text "$(printf '%s\n' "$out" | head -1)" \
	"$(printf '%s\n' "$v" | sed -E 's/^\{"version": "([^"]*)", "commit": "([^"]*)".*/cairn \1 (commit \2)/; q')"

# logs: each instance's latest run, its log as a string.
run logs --json prep
expect_rc logs 0
expect_eq logs "$(hexless)" '{"logs": [
  {"instance": "prep", "run": "H", "start_ns": N, "ok": true, "exit": 0, "log": "H", "text": "made \"data\"\n"}
]}'
expect_eq logs-keys "$(keys)" "logs
logs[].instance
logs[].run
logs[].start_ns
logs[].ok
logs[].exit
logs[].log
logs[].text"
rid=$(printf '%s\n' "$out" | sed -nE 's/.*"run": "([0-9a-f]{64})".*/\1/p')
run logs --json train
expect_rc logs-stage 0
expect_eq logs-stage "$(hexless)" '{"logs": [
  {"instance": "train[k=1]", "run": "H", "start_ns": N, "ok": true, "exit": 0, "log": "H", "text": ""},
  {"instance": "train[k=2]", "run": "H", "start_ns": N, "ok": true, "exit": 0, "log": "H", "text": ""}
]}'
run logs --json --run "${rid:0:8}"
expect_rc logs-run 0
expect_eq logs-run "$(printf '%s\n' "$out" | sed -n 2p | cut -c1-96)" \
	"  {\"instance\": \"prep\", \"run\": \"$rid\""
run logs --json nothing
expect_rc logs-unknown 2
expect_eq logs-unknown-out "$out" ""
# A log that is not UTF-8: the JSON still parses, the bad byte as U+FFFD.
cat >bin.toml <<'TOML'
[graph]
name = "bin"
[stage.raw]
cmd = "printf 'a\\377b\\n'"
TOML
run -q run bin.toml
expect_rc raw-run 0
run logs --json bin.toml raw
expect_rc logs-binary 0
expect_eq logs-binary-keys "$(keys | head -1)" "logs"
expect_eq logs-binary "$(printf '%s\n' "$out" | grep -o '"text": .*')" \
	"\"text\": \"a$(printf '\357\277\275')b\\n\"}"

# store config: every setting, one, and one changed (its new value).
run store config --json
expect_rc store-config 0
expect_eq store-config "$out" '{"compression": "none", "zstd_level": 3, "chunk_min": 262144, "chunk_avg": 1048576, "chunk_max": 4194304, "keep_runs": 3}'
run store config --json chunk-avg
expect_eq store-config-one "$out" '{"chunk_avg": 1048576}'
run store config keep-runs 5 --json
expect_rc store-config-set 0
expect_eq store-config-set "$out" '{"keep_runs": 5}'
run store config keep-runs
expect_eq store-config-was-set "$out" "5"
run store config --json compression zip
expect_rc store-config-bad 2
expect_eq store-config-bad-out "$out" ""
run store config --json keep-runs
expect_eq store-config-unchanged "$out" '{"keep_runs": 5}'

# key public: as key generate --json prints it.
mkdir keys
run key generate --json keys/k.pem
expect_rc key-generate 0
gen=$out
run key public --json keys/k.pem
expect_rc key-public 0
expect_eq key-public "$out" "$gen"
expect_eq key-public-keys "$(keys)" "public_key
private_key"
run key public keys/k.pem
expect_eq key-public-text "$out" "$(printf '%s\n' "$gen" | sed -E 's/.*"public_key": "([0-9a-f]*)".*/\1/')"
run key public --json keys/none.pem
expect_rc key-public-missing 2
expect_eq key-public-missing-out "$out" ""
finish
