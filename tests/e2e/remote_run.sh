#!/bin/bash
# cairn run --remote and status --remote against a real nginx (the 'nginx'
# fixture, tests/fixtures/nginx/up.sh, whose state folder is NGINX):
# workspace a runs a graph with a signing key and --remote (and pushes);
# a fresh clone b (the graph, its lock and config, a fresh store) whose
# config trusts the key restores everything and runs nothing (each
# command appends to a file outside the outputs), the outputs byte for
# byte a's; status --remote before (remote-only) and after (local); a
# clone that trusts another key runs everything (a miss, a warning, never
# an error); a remote that is down (a closed port) or failing (500) is a
# warning and the run goes on here, exit 0; a read-only remote is never
# pushed to; --no-remote wins; status --locked --remote for CI.
# Skipped (77) when the fixture started no nginx.
# usage: remote_run.sh CAIRN NGINX
CAIRN=$1
NGINX=$2
[ -s "$NGINX/url" ] || { echo "skipped: no nginx (the nginx fixture did not start one)"; exit 77; }
. "$(dirname "$0")/lib.sh"
URL=$(cat "$NGINX/url")
ACCESS=$(cat "$NGINX/access")
# This test's folder on the server (other tests share it).
DIR=e2e-remote-run-$$
ROOT=$(cat "$NGINX/root")/$DIR
export HOME=$T/home XDG_CONFIG_HOME=$T/xdg
unset CAIRN_STORE
# What the commands ran: one line each, outside every workspace.
export RANLOG=$T/ran
mkdir -p "$HOME" "$T/a" || exit 1
trap 'rm -rf "$T" "$ROOT"' EXIT

requests() { grep -c "\"$1 /[a-z]*/$DIR" "$ACCESS"; }
ran() { sort "$RANLOG" 2>/dev/null | tr '\n' ' '; }
# conf NAME URL [LINE...]: this folder's cairn.config.toml, one remote.
conf() {
	local name=$1 url=$2
	shift 2
	{
		printf '[remote.%s]\nurl = "%s"\n' "$name" "$url"
		printf '%s\n' "$@"
	} >cairn.config.toml
}
# clone NAME: a fresh workspace beside a's: its graph, lock file and
# sources (no outputs, no store); cd into it.
clone() {
	rm -rf "${T:?}/$1" "$RANLOG"
	mkdir -p "$T/$1"
	cp -r "$T/a/cairn.toml" "$T/a/cairn.lock" "$T/a/src" "$T/$1/"
	cd "$T/$1" || exit 1
}

# ---- a: a chain, a fan-out, a folder output ----
cd "$T/a" || exit 1
mkdir -p src
echo "the data" >src/data.txt
cat >cairn.toml <<'TOML'
[stage.prep]
cmd = "echo prep >> \"$RANLOG\"; mkdir -p ${outs.d}; tr a-z A-Z < ${deps.i} > ${outs.d}/up.txt; seq 1 40000 > ${outs.d}/numbers.txt"
deps = { i = "src/data.txt" }
outs = { d = "out/prep" }

[stage.train]
matrix = { k = ["a", "b", "c"] }
cmd = "echo train-${matrix.k} >> \"$RANLOG\"; (cat ${deps.d}/up.txt; echo ${matrix.k}) > ${outs.m}"
deps = { d = "${stage.prep.outs.d}" }
outs = { m = "out/model-${matrix.k}.txt" }

[stage.report]
cmd = "echo report >> \"$RANLOG\"; cat ${deps.models} > ${outs.r}"
deps = { models = "${stage.train.outs.m}" }
outs = { r = "out/report.txt" }
TOML
run key generate "$T/signer.pem"
expect_rc key 0
pub=$out
run key generate "$T/other.pem"
other=$out
conf ci "$URL/cache/$DIR" "trusted_keys = [\"$pub\"]" "sign_key = \"$T/signer.pem\""

run status --remote
expect_rc a-status-before 1
expect_eq a-status-before-out "$out" "to run      prep  (never run)
pending     train[k=a]  (waits for an upstream stage)
pending     train[k=b]  (waits for an upstream stage)
pending     train[k=c]  (waits for an upstream stage)
pending     report  (waits for an upstream stage)
remote 'ci': 0 local, 0 remote-only, 5 missing"

puts=$(requests PUT)
run run --remote -j1
expect_rc a-run 0
expect_eq a-ran "$(ran)" "prep report train-a train-b train-c "
expect_match a-run-done "$out" "done: 5 ran, 0 restored \(0 from remote 'ci'\), 0 up to date, 0 failed
remote 'ci': pulled 0 runs \(0 objects, 0 B\), sent [0-9]+ objects \([0-9.]+ KiB\)$"
expect_eq a-run-stderr "$err" ""
checks=$((checks + 1))
[ "$(($(requests PUT) - puts))" -ge 15 ] ||
	fail a-run-puts "$(($(requests PUT) - puts)) PUTs"
checks=$((checks + 1))
[ "$(find "$ROOT/ac" -type f | wc -l)" -ge 5 ] ||
	fail a-run-records "too few action records on the server"

# Again: up to date, nothing asked, nothing sent.
puts=$(requests PUT)
gets=$(requests GET)
run run --remote
expect_rc a-again 0
expect_eq a-again-out "$(printf '%s\n' "$out" | tail -2)" "done: 0 ran, 0 restored (0 from remote 'ci'), 5 up to date, 0 failed
remote 'ci': pulled 0 runs (0 objects, 0 B), sent 0 objects (0 B)"
expect_eq a-again-puts "$(requests PUT)" "$puts"
expect_eq a-again-gets "$(requests GET)" "$gets"
# --json: stdout is the document alone; the remote's line goes to stderr.
run run --remote --json
expect_rc a-json 0
expect_eq a-json-first "$(printf '%s\n' "$out" | sed -n '1p;$p')" "{
}"
expect_match a-json-counts "$out" '"counts": \{"ran": 0, "restored": 0, "up_to_date": 5, "failed": 0, "blocked": 0, "from_remote": 0\}'
expect_eq a-json-err "$err" "remote 'ci': pulled 0 runs (0 objects, 0 B), sent 0 objects (0 B)"
run status --remote=ci
expect_rc a-status-after 0
expect_match a-status-after "$out" "remote 'ci': 5 local, 0 remote-only, 0 missing$"

# ---- b: a fresh clone that trusts a's key (reads; has no key to push) ----
clone b
conf ci "$URL/cache/$DIR" "trusted_keys = [\"$pub\"]"
run status --remote
expect_rc b-status-before 0
expect_eq b-status-before-out "$out" "remote      prep  (on remote 'ci')
remote      train[k=a]  (on remote 'ci')
remote      train[k=b]  (on remote 'ci')
remote      train[k=c]  (on remote 'ci')
remote      report  (on remote 'ci')
remote 'ci': 0 local, 5 remote-only, 0 missing"
run status --remote --json report
expect_rc b-status-json 0
expect_match b-status-json "$out" '^\[
  \{"instance": "prep", "state": "remote", "why": "on remote .ci.", "key": "[0-9a-f]{64}", "edited": \[\], "where": "remote"\},'
expect_match b-status-json-report "$out" '"instance": "report", .*"where": "remote"\}
\]$'
# For CI from cold: the lock agrees, and all of it can be had.
run status --locked --remote
expect_rc b-status-locked 0
run status --locked
expect_rc b-status-locked-here 1
run run -n --remote
expect_rc b-dry 0
expect_match b-dry "$out" "would run 0 \(and 0 waiting on them\), restore 5 \(5 from remote 'ci'\); 0 up to date$"
run fsck
expect_match b-dry-stored-nothing "$out" '^checked 0 records'

run run --remote
expect_rc b-run 0
expect_eq b-ran "$(ran)" ""
expect_match b-run-out "$out" "done: 0 ran, 5 restored \(5 from remote 'ci'\), 0 up to date, 0 failed
remote 'ci': pulled 5 runs \([0-9]+ objects, [0-9.]+ KiB\); not pushed to: no sign_key$"
expect_eq b-run-stderr "$err" ""
checks=$((checks + 1))
diff -r "$T/a/out" out >/dev/null || fail b-outputs "the outputs differ from a's"
# The same but for the graph's name, each workspace's folder's.
expect_eq b-lock "$(sed 's/^graph = "b"$/graph = "a"/' cairn.lock)" "$(cat "$T/a/cairn.lock")"
run fsck
expect_rc b-fsck 0
run status --remote
expect_rc b-status-after 0
expect_match b-status-after "$out" "^up to date  prep
.*remote 'ci': 5 local, 0 remote-only, 0 missing$"

# `--remote ci`: a bare --remote takes a remote's name as its operand;
# --no-remote wins.
clone b2
conf ci "$URL/cache/$DIR" "trusted_keys = [\"$pub\"]"
run run --remote prep
expect_rc b2-target 0
expect_match b2-target "$out" "done: 0 ran, 1 restored \(1 from remote 'ci'\), 0 up to date"
run run --remote ci train
expect_rc b2-named 0
expect_eq b2-named-ran "$(ran)" ""
expect_match b2-named "$out" "done: 0 ran, 3 restored \(3 from remote 'ci'\), 1 up to date"
run run --remote --no-remote
expect_rc b2-no-remote 0
expect_eq b2-no-remote-ran "$(ran)" "report "
expect_match b2-no-remote "$out" "^.*done: 1 ran, 0 restored, 4 up to date, 0 failed$"
run run --remote=nope
expect_rc b2-unknown 2
expect_match b2-unknown "$err" "nope"

# ---- c: trusts another key: a miss, never an error; it runs here ----
clone c
conf ci "$URL/cache/$DIR" "trusted_keys = [\"$other\"]"
run status --remote
expect_rc c-status 1
expect_match c-status "$out" "remote 'ci': 0 local, 0 remote-only, 5 missing$"
expect_eq c-status-warning "$err" "cairn: warning: remote 'ci': 1 action record not signed by a trusted key: ignored"
run run --remote -j1
expect_rc c-run 0
expect_eq c-ran "$(ran)" "prep report train-a train-b train-c "
expect_match c-run "$out" "done: 5 ran, 0 restored \(0 from remote 'ci'\)"
expect_eq c-run-warning "$err" "cairn: warning: remote 'ci': 5 action records not signed by a trusted key: ignored (their stages ran here)"
checks=$((checks + 1))
diff -r "$T/a/out/prep/up.txt" out/prep/up.txt >/dev/null || fail c-outputs "up.txt differs"

# ---- d: the remote is down (a closed port), or failing (500) ----
clone d
port=$(perl -MIO::Socket::INET -e '
	my $s = IO::Socket::INET->new(LocalAddr => "127.0.0.1",
		LocalPort => 0, Listen => 1, ReuseAddr => 1) or exit 1;
	print $s->sockport, "\n";')
conf ci "http://127.0.0.1:$port/cache" "trusted_keys = [\"$pub\"]" "sign_key = \"$T/signer.pem\""
run status --remote
expect_rc d-status 1
expect_match d-status "$out" "remote 'ci': 0 local, 0 remote-only, 5 missing$"
expect_match d-status-warning "$err" "^cairn: warning: remote 'ci': GET 'ac/[0-9a-f]{64}': cannot connect: .* \\(3 tries\\); remote 'ci' not used$"
# A pull waits longer for it than a run does (5 tries, not 3).
run pull
expect_rc d-pull 3
expect_match d-pull "$err" "^cairn: error: remote 'ci': GET 'ac/[0-9a-f]{64}': cannot connect: .* \\(5 tries\\)"
run run -n --remote
expect_rc d-dry 0
expect_eq d-dry-warnings "$(printf '%s\n' "$err" | grep -c warning)" 1
run run --remote -j1
expect_rc d-run 0
expect_eq d-ran "$(ran)" "prep report train-a train-b train-c "
expect_match d-run-warning "$err" "^cairn: warning: remote 'ci': GET 'ac/[0-9a-f]{64}': cannot connect: .* \\(3 tries\\); running without remote 'ci'$"
expect_eq d-run-warnings "$(printf '%s\n' "$err" | grep -c warning)" 1
expect_match d-run "$out" "done: 5 ran, 0 restored \(0 from remote 'ci'\), 0 up to date, 0 failed$"
rm -f "$RANLOG"
rm -rf out .cairn cairn.lock
conf ci "$URL/err/$DIR" "trusted_keys = [\"$pub\"]" "sign_key = \"$T/signer.pem\""
run run --remote -j1
expect_rc d-500 0
expect_eq d-500-ran "$(ran)" "prep report train-a train-b train-c "
expect_match d-500-warning "$err" "^cairn: warning: remote 'ci': GET 'ac/[0-9a-f]{64}': .*500.*; running without remote 'ci'$"

# ---- e: a read-only remote restores, and is never pushed to ----
clone e
conf ci "$URL/ro/$DIR" "trusted_keys = [\"$pub\"]" "sign_key = \"$T/signer.pem\"" "read_only = true"
puts=$(requests PUT)
run run --remote -j1
expect_rc e-run 0
expect_eq e-ran "$(ran)" ""
expect_match e-run "$out" "done: 0 ran, 5 restored \(5 from remote 'ci'\), 0 up to date, 0 failed
remote 'ci': pulled 5 runs \([0-9]+ objects, [0-9.]+ KiB\); not pushed to: read-only$"
# A forced stage runs (never asked about), and is not pushed either.
run run --remote --force report
expect_rc e-forced 0
expect_eq e-forced-ran "$(ran)" "report "
expect_match e-forced "$out" "done: 1 ran, 0 restored \(0 from remote 'ci'\), 4 up to date, 0 failed"
expect_eq e-puts "$(requests PUT)" "$puts"

finish
