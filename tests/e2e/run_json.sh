#!/bin/bash
# cairn run --json: the run's summary as one JSON document on stdout (no
# progress there), errors still on stderr: counts, outputs found edited,
# and each instance asked for with its outcome, key, run, time, outputs
# and log; -n's the same with what would happen.
# usage: run_json.sh CAIRN
CAIRN=$1
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

cat >cairn.toml <<'TOML'
[graph]
name = "js"

[stage.a]
cmd = "echo a > ${outs.o}"
outs = { o = "a.txt" }

[stage.b]
cmd = "cat ${deps.a}; exit 2"
deps = { a = "${stage.a.outs.o}" }
outs = { o = "b.txt" }

[stage.c]
cmd = "cat ${deps.b} > ${outs.o}"
deps = { b = "${stage.b.outs.o}" }
outs = { o = "c.txt" }

[stage.d]
cmd = "echo d > ${outs.o}"
outs = { o = "d.txt" }
TOML
A=$(printf 'a\n' | sha256sum | cut -c1-64)
D=$(printf 'd\n' | sha256sum | cut -c1-64)
# Keys and run ids as K and R (their own checks below), times as N.
norm() {
	sed -E -e 's/"key": "[0-9a-f]{64}"/"key": K/g' \
		-e 's/"run": "[0-9a-f]{64}"/"run": R/g' \
		-e 's/"seconds": [0-9]+\.[0-9]{3}/"seconds": N/g'
}

run run --json -k -j1
expect_rc ran 1
expect_eq ran-json "$(printf '%s\n' "$out" | norm)" "{
  \"graph\": \"js\",
  \"exit\": 1,
  \"dry_run\": false,
  \"counts\": {\"ran\": 2, \"restored\": 0, \"up_to_date\": 0, \"failed\": 1, \"blocked\": 1, \"from_remote\": 0},
  \"edited\": [],
  \"instances\": [
    {\"instance\": \"a\", \"stage\": \"a\", \"outcome\": \"ran\", \"why\": null, \"seconds\": N, \"key\": K, \"run\": R, \"outputs\": {\"o\": {\"path\": \"a.txt\", \"id\": \"$A\"}}, \"log\": \"$T/.cairn/logs/a.log\"},
    {\"instance\": \"b\", \"stage\": \"b\", \"outcome\": \"failed\", \"why\": \"failed with exit status 2\", \"seconds\": N, \"key\": K, \"run\": R, \"outputs\": {}, \"log\": \"$T/.cairn/logs/b.log\"},
    {\"instance\": \"c\", \"stage\": \"c\", \"outcome\": \"blocked\", \"why\": null, \"seconds\": N, \"key\": null, \"run\": null, \"outputs\": {}, \"log\": null},
    {\"instance\": \"d\", \"stage\": \"d\", \"outcome\": \"ran\", \"why\": null, \"seconds\": N, \"key\": K, \"run\": R, \"outputs\": {\"o\": {\"path\": \"d.txt\", \"id\": \"$D\"}}, \"log\": \"$T/.cairn/logs/d.log\"}
  ]
}"
expect_eq ran-err "$err" "cairn: error: 'b' failed with exit status 2 (log: $T/.cairn/logs/b.log)
  | a"
# The run id is the record's; the key the lock file's.
RA=$(printf '%s\n' "$out" | sed -nE '/"instance": "a"/s/.*"run": "([0-9a-f]{64})".*/\1/p')
run show "$RA"
expect_match ran-run "$out" '^run [0-9a-f]{64}$'
expect_match ran-run-instance "$out" 'instance: +a$'
run run --json a d
KA=$(printf '%s\n' "$out" | sed -nE '/"instance": "a"/s/.*"key": "([0-9a-f]{64})".*/\1/p')
expect_eq ran-key "$(grep -c "^key = \"$KA\"$" cairn.lock)" 1
expect_rc uptodate 0
expect_eq uptodate-json "$(printf '%s\n' "$out" | norm | sed -n '5p;8,9p')" "  \"counts\": {\"ran\": 0, \"restored\": 0, \"up_to_date\": 2, \"failed\": 0, \"blocked\": 0, \"from_remote\": 0},
    {\"instance\": \"a\", \"stage\": \"a\", \"outcome\": \"up to date\", \"why\": null, \"seconds\": N, \"key\": K, \"run\": null, \"outputs\": {\"o\": {\"path\": \"a.txt\", \"id\": \"$A\"}}, \"log\": null},
    {\"instance\": \"d\", \"stage\": \"d\", \"outcome\": \"up to date\", \"why\": null, \"seconds\": N, \"key\": K, \"run\": null, \"outputs\": {\"o\": {\"path\": \"d.txt\", \"id\": \"$D\"}}, \"log\": null}"

# Restored: the run it restores.
rm a.txt
run run --json a
expect_rc restored 0
expect_eq restored-json "$(printf '%s\n' "$out" | norm | sed -n '5p;8p')" "  \"counts\": {\"ran\": 0, \"restored\": 1, \"up_to_date\": 0, \"failed\": 0, \"blocked\": 0, \"from_remote\": 0},
    {\"instance\": \"a\", \"stage\": \"a\", \"outcome\": \"restored\", \"why\": null, \"seconds\": N, \"key\": K, \"run\": R, \"outputs\": {\"o\": {\"path\": \"a.txt\", \"id\": \"$A\"}}, \"log\": null}"
expect_eq restored-run "$(printf '%s\n' "$out" | grep -c "\"run\": \"$RA\"")" 1

# -n: what would happen, and why.
run run --json -n
expect_rc dry 0
expect_eq dry-json "$(printf '%s\n' "$out" | norm)" "{
  \"graph\": \"js\",
  \"exit\": 0,
  \"dry_run\": true,
  \"counts\": {\"would_run\": 1, \"pending\": 1, \"would_restore\": 0, \"up_to_date\": 2, \"from_remote\": 0},
  \"edited\": [],
  \"instances\": [
    {\"instance\": \"a\", \"stage\": \"a\", \"outcome\": \"up to date\", \"why\": null, \"seconds\": N, \"key\": K, \"run\": null, \"outputs\": {\"o\": {\"path\": \"a.txt\", \"id\": \"$A\"}}, \"log\": null},
    {\"instance\": \"b\", \"stage\": \"b\", \"outcome\": \"would run\", \"why\": \"no run with this key\", \"seconds\": N, \"key\": K, \"run\": null, \"outputs\": {}, \"log\": null},
    {\"instance\": \"c\", \"stage\": \"c\", \"outcome\": \"pending\", \"why\": \"waits for an upstream stage\", \"seconds\": N, \"key\": null, \"run\": null, \"outputs\": {}, \"log\": null},
    {\"instance\": \"d\", \"stage\": \"d\", \"outcome\": \"up to date\", \"why\": null, \"seconds\": N, \"key\": K, \"run\": null, \"outputs\": {\"o\": {\"path\": \"d.txt\", \"id\": \"$D\"}}, \"log\": null}
  ]
}"
expect_eq dry-err "$err" ""

# Refused for an edited output: the edit named, nothing run.
echo mine >a.txt
M=$(sha256sum a.txt | cut -c1-64)
run run --json a
expect_rc refused 1
expect_eq refused-json "$out" "{
  \"graph\": \"js\",
  \"exit\": 1,
  \"dry_run\": false,
  \"counts\": {\"ran\": 0, \"restored\": 0, \"up_to_date\": 0, \"failed\": 0, \"blocked\": 0, \"from_remote\": 0},
  \"edited\": [
    {\"instance\": \"a\", \"path\": \"a.txt\", \"id\": \"$M\", \"locked\": \"$A\", \"kept\": false, \"root\": null}
  ],
  \"instances\": [
    {\"instance\": \"a\", \"stage\": \"a\", \"outcome\": \"not run\", \"why\": null, \"seconds\": 0.000, \"key\": null, \"run\": null, \"outputs\": {}, \"log\": null}
  ]
}"
expect_match refused-err "$err" "^cairn: error: output 'a.txt' of 'a' was edited since the last run made it: running would replace it$"
# Forced: kept, and the root that keeps it.
run run --json a --force a
expect_rc kept 0
expect_eq kept-json "$(printf '%s\n' "$out" | norm | sed -n '6,8p')" "  \"edited\": [
    {\"instance\": \"a\", \"path\": \"a.txt\", \"id\": \"$M\", \"locked\": \"$A\", \"kept\": true, \"root\": \"edited:a.txt@${M:0:12}\"}
  ],"

finish
