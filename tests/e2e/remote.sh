#!/bin/bash
# cairn push and pull against a real nginx (the 'nginx' fixture,
# tests/fixtures/nginx/up.sh, whose state folder is NGINX): push from one
# workspace and store, pull into a fresh one: the same ids and bytes, fsck
# clean, and 'cairn run' restores everything and runs nothing; a second
# push asks and sends nothing; --verify asks about everything; action
# records not signed by a trusted key (another key, a changed byte, one
# copied under another key, no key at all, garbage) are misses, never
# errors; wrong or truncated bytes for a /cas object (written straight
# into the served folder) are refused, named, and never stored; the
# read-only location refuses a push, a read_only remote is never pushed
# to, a push with no key to sign with sends nothing, a server that is
# down is named (exit 3); ids and targets; a push killed with kill -9 at
# random instants (CAIRN_REMOTE_KILLS rounds, default 3) leaves no action
# record naming what the remote lacks, and once redone, all of it pulls.
# Skipped (77) when the fixture started no nginx.
# usage: remote.sh CAIRN NGINX H5WRITE
CAIRN=$1
NGINX=$2
H5W=$3
[ -s "$NGINX/url" ] || { echo "skipped: no nginx (the nginx fixture did not start one)"; exit 77; }
. "$(dirname "$0")/lib.sh"
URL=$(cat "$NGINX/url")
ACCESS=$(cat "$NGINX/access")
# This test's folder on the server (other tests share it).
DIR=e2e-remote-$$
ROOT=$(cat "$NGINX/root")/$DIR
export HOME=$T/home XDG_CONFIG_HOME=$T/xdg
unset CAIRN_STORE
mkdir -p "$HOME" "$T/a" || exit 1
trap 'rm -rf "$T" "$ROOT" "$ROOT"-*' EXIT

# Requests of METHOD to this test's folder in the access log so far.
requests() { grep -c "\"$1 /[a-z]*/$DIR" "$ACCESS"; }
# The hex of SHA-256(domain || the raw bytes of hex id).
domain_path() {
	perl -e 'print $ARGV[0], "\n", pack("H*", $ARGV[1])' "$1" "$2" |
		sha256sum | cut -c1-64
}
lock_key() { sed -n "/^\[stage.\"$1\"\]\$/,/^\$/s/^key = \"\(.*\)\"\$/\1/p" cairn.lock; }
lock_out() { sed -n "s|^\"$1\" = \"\([0-9a-f]*\)\"\$|\1|p" cairn.lock | head -1; }
# conf NAME URL [LINE...]: this folder's cairn.config.toml, one remote.
conf() {
	local name=$1 url=$2
	shift 2
	{
		printf '[remote.%s]\nurl = "%s"\n' "$name" "$url"
		printf '%s\n' "$@"
	} >cairn.config.toml
}
# fresh NAME: a new workspace beside a's, with its graph and lock file
# (no outputs, no store) and its config; cd into it.
fresh() {
	rm -rf "${T:?}/$1"
	mkdir -p "$T/$1"
	cp "$T/a/cairn.toml" "$T/a/cairn.lock" "$T/a/cairn.config.toml" "$T/$1/"
	cd "$T/$1" || exit 1
}
ms() { echo $(($(date +%s%N) / 1000000)); }

# ---- a workspace: a folder, a chunked file, an HDF5 file (a content id,
# an alias), and a stage that reads the folder and logs ----
cd "$T/a" || exit 1
# Named, so that its clones (b, c...) share its runs' history.
cat >cairn.toml <<TOML
[graph]
name = "shared"

[stage.prep]
cmd = "mkdir -p \${outs.d}; for i in 1 2 3; do echo file \$i > \${outs.d}/f\$i.txt; done; head -c 3000000 /dev/urandom > \${outs.big}"
outs = { d = "out/dir", big = "out/big.bin" }

[stage.h5]
cmd = "$H5W \${outs.data} plain 3"
outs = { data = "out/data.h5" }

[stage.use]
cmd = "cat \${deps.d}/f1.txt > \${outs.o}; echo used >> \${outs.o}; echo the log of use"
deps = { d = "\${stage.prep.outs.d}" }
outs = { o = "out/o.txt" }
TOML
run run
expect_rc setup-run 0
run key generate "$T/signer.pem"
expect_rc key 0
pub=$out
run key generate "$T/other.pem"
other=$out
conf ci "$URL/cache/$DIR" "trusted_keys = [\"$pub\"]" "sign_key = \"$T/signer.pem\""

# ---- push, then push again ----
puts=$(requests PUT)
run push --json
expect_rc push 0
expect_eq push-stderr "$err" ""
expect_match push-json "$out" '^\{"remote": "ci", "sent": [0-9]+, "bytes": [0-9]+, "actions": 3, "found": 0, "known": 0, "requests": \{"head": [0-9]+, "get": 3, "put": [0-9]+\}, "seconds": [0-9.e-]+\}$'
sent=$(printf '%s' "$out" | sed 's/.*"sent": \([0-9]*\).*/\1/')
expect_eq push-puts "$(($(requests PUT) - puts))" "$sent"
checks=$((checks + 1))
[ "$sent" -ge 12 ] || fail push-sent "only $sent objects sent"
for k in prep h5 use; do
	checks=$((checks + 1))
	[ -s "$ROOT/ac/$(domain_path 'cairn action 1' "$(lock_key $k)")" ] ||
		fail "push-action-$k" "no action record for '$k' on the server"
done
checks=$((checks + 1))
[ -s "$ROOT/ac/$(domain_path 'cairn chunks 1' "$(lock_out out/big.bin)")" ] ||
	fail push-list "no chunk list for out/big.bin on the server"

puts=$(requests PUT)
all=$(grep -c "/$DIR/" "$ACCESS")
t0=$(ms)
run push
t1=$(ms)
expect_rc push-again 0
expect_eq push-again-out "$out" "remote 'ci' holds it all: nothing sent; 0 found there, 3 known there"
expect_eq push-again-puts "$(requests PUT)" "$puts"
expect_eq push-again-requests "$(grep -c "/$DIR/" "$ACCESS")" "$all"
checks=$((checks + 1))
[ $((t1 - t0)) -lt 1000 ] || fail push-again-time "$((t1 - t0)) ms"
echo "second push: $((t1 - t0)) ms, $(($(requests PUT) - puts)) PUTs"

run push --verify --json
expect_rc push-verify 0
expect_match push-verify-json "$out" '"sent": 0, "bytes": 0, "actions": 0, "found": [0-9]+, "known": 0, "requests": \{"head": [0-9]+, "get": 3, "put": 0\}'
expect_eq push-verify-puts "$(requests PUT)" "$puts"

# ---- pull into a fresh workspace and store ----
fresh b
run pull
expect_rc pull 0
expect_match pull-out "$out" '^pulled 3 of 3 from remote .ci. \([0-9]+ objects, [0-9.]+ [KM]iB\)$'
expect_eq pull-stderr "$err" ""
run fsck
expect_rc pull-fsck 0
expect_match pull-fsck "$out" ' 0 damaged; 0 unreferenced chunks$'
for o in out/dir out/big.bin out/data.h5 out/o.txt; do
	id=$(lock_out "$o")
	run show "$id"
	expect_rc "pull-has-$o" 0
done
for o in out/big.bin out/o.txt; do
	expect_eq "pull-bytes-$o" "$("$CAIRN" cat "$(lock_out $o)" | sha256sum)" \
		"$(sha256sum <"$T/a/$o")"
done
gets=$(requests GET)
run pull --json
expect_rc pull-again 0
expect_match pull-again "$out" '"pulled": 0, "here": 3, .*"requests": \{"head": 0, "get": 0, "put": 0\}'
expect_eq pull-again-gets "$(requests GET)" "$gets"
run run
expect_rc pull-run 0
expect_match pull-run "$out" '^done: 0 ran, 3 restored, 0 up to date, 0 failed$'
checks=$((checks + 1))
diff -r "$T/a/out" out >/dev/null || fail pull-restored "the outputs differ"
run_id=$("$CAIRN" log --json use | sed -n 's/.*"run": "\([0-9a-f]*\)".*/\1/p')
log=$("$CAIRN" show "$run_id" | sed -n 's/^log: //p')
expect_eq pull-log "$("$CAIRN" cat "$log")" "the log of use"

# Targets: 'use' and what it depends on ('prep'), not 'h5'.
fresh c
run pull --json use
expect_rc pull-target 0
expect_match pull-target "$out" '"pulled": 2, "here": 0, "absent": 0, "untrusted": 0, "failed": 0'
expect_match pull-target-items "$out" '"name": "prep".*"outcome": "pulled", "run": "[0-9a-f]{64}"'
checks=$((checks + 1))
case $out in *'"name": "h5"'*) fail pull-target "pulled h5" ;; esac

# ---- trust: misses, never errors ----
fresh d
conf ci "$URL/cache/$DIR" "trusted_keys = [\"$other\"]"
run pull --json
expect_rc untrusted-key 0
expect_match untrusted-key "$out" '"pulled": 0, "here": 0, "absent": 0, "untrusted": 3, "failed": 0, "objects": 0'
run status
expect_match untrusted-key-status "$out" '^to run +prep'
conf ci "$URL/cache/$DIR"
run pull
expect_rc untrusted-none 0
expect_match untrusted-none "$out" '^pulled 0 of 3 from remote .ci. \(0 objects, 0 B\); 3 untrusted$'
expect_match untrusted-none-warning "$err" "^cairn: warning: remote 'ci': the action record for 'h5' is not signed by a trusted key: ignored$"
run --store "$T/d/.cairn/store" fsck
expect_match untrusted-store "$out" '^checked 0 records'
# A changed byte; a record copied under another key; garbage; answers of
# a server that says "garbage" to everything.
A=$ROOT/ac
rec() { echo "$A/$(domain_path 'cairn action 1' "$(cd "$T/a" && lock_key "$1")")"; }
cp "$(rec prep)" "$T/prep.rec"
cp "$(rec h5)" "$T/h5.rec"
cp "$(rec use)" "$T/use.rec"
# A bit of the run's time (after magic, key and run): the signature fails.
perl -e 'open(F, "+<", $ARGV[0]) or die; seek(F, 79, 0); read(F, $c, 1);
	seek(F, 79, 0); print F chr(ord($c) ^ 1)' "$(rec prep)"
cp "$T/use.rec" "$(rec h5)"
printf 'not an action record\n' >"$(rec use)"
fresh e
run pull --json
expect_rc untrusted-records 0
expect_match untrusted-records "$out" '"pulled": 0, "here": 0, "absent": 0, "untrusted": 3, "failed": 0'
# --verify asks again: the three records are not this store's, signed by
# a trusted key, for these runs: sent again (Ed25519 is deterministic:
# the same bytes).
cd "$T/a" || exit 1
run push --verify --json
cd "$T/e" || exit 1
expect_rc verify-resends 0
expect_match verify-resends "$out" '"actions": 3, "found": [0-9]+, "known": 0, .*"put": 3\}'
for k in prep h5 use; do
	checks=$((checks + 1))
	cmp -s "$(rec $k)" "$T/$k.rec" || fail "verify-resends-$k" "the record of '$k' differs"
done
conf junk "$URL/garbage/$DIR" "trusted_keys = [\"$pub\"]"
run pull --json
expect_rc garbage-server 0
expect_match garbage-server "$out" '"untrusted": 3, "failed": 0, "objects": 0'

# ---- wrong bytes for /cas objects: refused, named, not stored ----
f1=$(sha256sum <"$T/a/out/dir/f1.txt" | cut -c1-64)
cp "$ROOT/cas/$f1" "$T/f1.obj"
printf 'file 9\n' >"$ROOT/cas/$f1"
chunk=$(ls -S "$ROOT/cas" | head -1)
cp "$ROOT/cas/$chunk" "$T/chunk.obj"
head -c 1000 "$T/chunk.obj" >"$ROOT/cas/$chunk"
fresh f
run pull --json
expect_rc garbage 3
expect_match garbage-json "$out" '"pulled": 2, "here": 0, "absent": 0, "untrusted": 0, "failed": 1, .*"refused": 2, "missing": 0'
expect_match garbage-failed "$out" '"name": "prep", "key": "[0-9a-f]{64}", "outcome": "failed"'
expect_match garbage-err "$err" "^cairn: error: remote 'ci': 'cas/($f1|$chunk)': refused (blob|chunk) ($f1|$chunk): its bytes do not hash to its id \(and 1 more\)$"
run fsck
expect_rc garbage-fsck 0
expect_match garbage-fsck "$out" ' 0 damaged; '
run cat "$f1"
expect_rc garbage-not-stored 2
run cat "$(lock_out out/data.h5)"
expect_rc garbage-others-stored 0
cp "$T/f1.obj" "$ROOT/cas/$f1"
cp "$T/chunk.obj" "$ROOT/cas/$chunk"
run pull
expect_rc garbage-mended 0
expect_match garbage-mended "$out" '^pulled 1 of 3 from remote .ci. .*; 2 here already$'

# ---- refusals before and by the server; a server that is down ----
cd "$T/a" || exit 1
cp cairn.config.toml "$T/ci.toml"
conf ro "$URL/ro/$DIR-ro" "sign_key = \"$T/signer.pem\""
run push
expect_rc ro-location 3
expect_match ro-location "$err" "^cairn: error: remote 'ro': (GET|HEAD|PUT) '[a-z]+/[0-9a-f]{64}': "
expect_match ro-location-hint "$err" "hint: remote 'ro' \($URL/ro/$DIR-ro\) refused"
conf ro "$URL/ro/$DIR" "trusted_keys = [\"$pub\"]"
fresh g
conf ro "$URL/ro/$DIR" "trusted_keys = [\"$pub\"]"
run pull
expect_rc ro-pull 0
expect_match ro-pull "$out" '^pulled 3 of 3 from remote .ro.'
cd "$T/a" || exit 1
all=$(grep -c "/$DIR" "$ACCESS")
conf ci "$URL/cache/$DIR-2" "read_only = true" "sign_key = \"$T/signer.pem\""
run push
expect_rc read-only 2
expect_eq read-only "$err" "cairn: error: remote 'ci' is read-only (read_only = true in 'cairn.config.toml'): nothing pushed"
expect_eq read-only-requests "$(grep -c "/$DIR" "$ACCESS")" "$all"
conf ci "$URL/cache/$DIR-2"
puts=$(requests PUT)
run push
expect_rc no-key 2
expect_match no-key "$err" "^cairn: error: remote 'ci' has no sign_key to sign the action records of 3 runs with \('cairn.config.toml'\)"
expect_eq no-key-puts "$(requests PUT)" "$puts"
conf down "http://127.0.0.1:1/x" "sign_key = \"$T/signer.pem\""
run push
expect_rc down-push 3
expect_match down-push "$err" "^cairn: error: remote 'down': (GET|HEAD) '"
expect_match down-push-hint "$err" "hint: is remote 'down' \(http://127.0.0.1:1/x\) up\?"
fresh h
conf down "http://127.0.0.1:1/x"
run pull
expect_rc down-pull 3
expect_match down-pull "$err" "^cairn: error: remote 'down': GET 'ac/"
cd "$T/a" && cp "$T/ci.toml" cairn.config.toml

# ---- ids: pushed alone, pulled by id into a store without a graph ----
big=$(lock_out out/big.bin)
conf ci "$URL/cache/$DIR-ids"
run push "${big:0:12}"
expect_rc push-id 0
expect_match push-id "$out" '^sent [0-9]+ objects \([0-9.]+ MiB\) to remote .ci., 0 of them action records$'
mkdir -p "$T/ids" && cd "$T/ids" || exit 1
conf ci "$URL/cache/$DIR-ids"
run --store "$T/ids/store" pull --json "$big" "$f1"
expect_rc pull-id 0
expect_match pull-id "$out" '"pulled": 1, "here": 0, "absent": 1, '
expect_match pull-id-items "$out" '^    \{"id": "'"$big"'", "outcome": "pulled"\},$'
expect_eq pull-id-bytes "$("$CAIRN" --store "$T/ids/store" cat "$big" | sha256sum)" \
	"$(sha256sum <"$T/a/out/big.bin")"
run pull "${big:0:12}"
expect_rc pull-id-prefix 2
expect_eq pull-id-prefix "$err" "cairn: error: invalid id '${big:0:12}': an id to pull is 64 hex digits
hint: usage: cairn pull [--json] [-p NAME=VALUE]... [REMOTE] [GRAPH] [TARGET|ID...] (see 'cairn help pull')"
cd "$T/a" && cp "$T/ci.toml" cairn.config.toml

# ---- runs by id: vouched for by their key's action record (then a
# cache hit, its content id known), or kept as failed (never a hit) ----
run_of() { "$CAIRN" log --json "$1" | sed -n 's/.*"run": "\([0-9a-f]*\)".*/\1/p' | head -1; }
h5_run=$(run_of h5)
prep_run=$(run_of prep)
fresh i
run pull --json "$h5_run"
expect_rc run-id 0
expect_match run-id "$out" '"pulled": 1, "here": 0, "absent": 0, "untrusted": 0, "failed": 0, "objects": 4, '
run run h5
expect_match run-id-restored "$out" '^done: 0 ran, 1 restored, 0 up to date, 0 failed$'
mv "$(rec prep)" "$T/prep.rec"
fresh j
run pull --json "$prep_run"
expect_rc run-id-unvouched 0
expect_match run-id-unvouched "$out" '"pulled": 1, "here": 0, "absent": 0, "untrusted": 0, "failed": 0, '
run status prep
expect_match run-id-unvouched-status "$out" '^to run +prep'
expect_eq run-id-unvouched-bytes \
	"$("$CAIRN" cat "$(lock_out out/big.bin)" | sha256sum)" \
	"$(sha256sum <"$T/a/out/big.bin")"
mv "$T/prep.rec" "$(rec prep)"

# ---- kill -9 at random instants, then push again ----
mkdir -p "$T/k" && cd "$T/k" || exit 1
cat >cairn.toml <<'TOML'
[stage.many]
cmd = "mkdir -p ${outs.d}; for i in $(seq 600); do echo $i > ${outs.d}/$i; done; head -c 12000000 /dev/urandom > ${outs.big}"
outs = { d = "many", big = "big.bin" }

[stage.after]
cmd = "ls ${deps.d} | wc -l > ${outs.n}"
deps = { d = "${stage.many.outs.d}" }
outs = { n = "n.txt" }
TOML
run run
expect_rc kill-setup 0
conf ci "$URL/cache/$DIR-k0" "trusted_keys = [\"$pub\"]" "sign_key = \"$T/signer.pem\""
t0=$(ms)
run push
t1=$(ms)
expect_rc kill-first 0
span=$((t1 - t0 + 1))
seed=${CAIRN_REMOTE_SEED:-$$}
RANDOM=$seed
rounds=${CAIRN_REMOTE_KILLS:-3}
echo "kill -9 rounds: $rounds within $span ms (seed $seed)"
for r in $(seq "$rounds"); do
	cd "$T/k" || exit 1
	conf ci "$URL/cache/$DIR-k$r" "trusted_keys = [\"$pub\"]" "sign_key = \"$T/signer.pem\""
	after=$((RANDOM % span))
	"$CAIRN" push >/dev/null 2>&1 </dev/null &
	pid=$!
	sleep "$(printf '%d.%03d' $((after / 1000)) $((after % 1000)))"
	kill -9 $pid 2>/dev/null
	wait $pid 2>/dev/null
	rm -rf "$T/kp" && mkdir -p "$T/kp" &&
		cp cairn.toml cairn.lock cairn.config.toml "$T/kp/"
	(cd "$T/kp" && "$CAIRN" pull --json >"$T/kp.out" 2>"$T/kp.err")
	rc=$?
	out=$(cat "$T/kp.out")
	err=$(cat "$T/kp.err")
	expect_rc "kill-$r-after-${after}ms-pull" 0
	expect_match "kill-$r-after-${after}ms-pull" "$out" '"failed": 0, "objects": [0-9]+, "bytes": [0-9]+, "refused": 0, "missing": 0'
	run push
	expect_rc "kill-$r-redo" 0
	rm -rf "$T/kp" && mkdir -p "$T/kp" &&
		cp cairn.toml cairn.lock cairn.config.toml "$T/kp/"
	cd "$T/kp" || exit 1
	run pull
	expect_rc "kill-$r-pull" 0
	expect_match "kill-$r-pull" "$out" '^pulled 2 of 2 '
	run fsck
	expect_rc "kill-$r-fsck" 0
	run run
	expect_match "kill-$r-run" "$out" '^done: 0 ran, 2 restored, 0 up to date, 0 failed$'
done
finish
