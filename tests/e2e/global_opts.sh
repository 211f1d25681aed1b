#!/bin/bash
# Global options after the command, as users type them: cairn run -q,
# cairn status -C DIR, cairn metrics --store DIR; a command's own option of
# the same name stays the command's, and an option's value is never taken
# for a global option.
# usage: global_opts.sh CAIRN
CAIRN=$1
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1
mkdir ws
cat >ws/cairn.toml <<'TOML'
[stage.a]
cmd = "echo hi > ${outs.a}; echo '{\"acc\": 0.5}' > ${outs.m}"
outs = { a = "a.txt", m = "m.json" }
metrics = ["${outs.m}"]

[stage.b]
cmd = "cat ${deps.a} > ${outs.b}"
deps = { a = "${stage.a.outs.a}" }
outs = { b = "b.txt" }
TOML

# -C after the command: the same as before it.
run run -C ws -q
expect_rc run-C-q 0
expect_eq run-C-q "$out$err" ""
run status -C ws
expect_rc status-C 0
expect_eq status-C "$out" "up to date  a
up to date  b"
run -C "$T" status -C ws
expect_eq C-twice "$out" "up to date  a
up to date  b"
run status -C nowhere
expect_rc C-missing 2
expect_eq C-missing "$err" "cairn: error: cannot change to directory 'nowhere': No such file or directory"

cd ws || exit 1
# -q after run: nothing printed (run copies its terminal settings before
# it parses its options, so they must be in place before it starts); in a
# cluster with a run option.
rm b.txt
run run -qk
expect_rc run-qk 0
expect_eq run-qk "$out$err" ""
rm b.txt
run run -v
expect_rc run-v 0
expect_eq run-v "$(nosecs "$out")" "ok         a
restored   b  (Ns)
done: 0 ran, 1 restored, 1 up to date, 0 failed"

# --store after the command, for a command with options (metrics) and
# for one without (cat), and after a subcommand (store stat).
# (a workspace of its own: this one's lock file says it is up to date)
cd .. && cp -r ws ws2 && cd ws2 && rm -rf .cairn cairn.lock a.txt b.txt m.json
run --store ../other run -q
expect_rc other-store 0
run metrics --store ../other
expect_rc metrics-store 0
expect_eq metrics-store "$out" "instance  acc
a         0.5"
run metrics --store ../none
expect_rc metrics-no-store 2
expect_eq metrics-no-store "$err" "cairn: error: no store at '../none'
hint: nothing has run yet: 'cairn run' creates the store"
id=$(sha256sum a.txt | cut -c1-12)
run cat "$id" --store ../other
expect_eq cat-store "$out" "hi"
run store stat --store ../other
expect_match store-stat "$out" '^store: \.\./other'
cd ../ws || exit 1

# --color after the command colours the error.
run runs --stage nope --color=always
expect_rc color 2
expect_match color "$err" $'^cairn: \e\\[1;31merror:'
run status --color=sometimes
expect_rc color-bad 2
expect_eq color-bad "$err" "cairn: error: invalid value 'sometimes' for '--color'
hint: use auto, always or never"

# An option's value is the option's, even when it reads like -q.
run runs --stage -q
expect_rc value-not-global 2
expect_eq value-not-global "$err" "cairn: error: no stage or instance matches '-q'"
# A command's own option wins: kinds -v is kinds' (versions and sources).
run kinds -v
expect_match kinds-v "$out" '^  version  [0-9a-f]{64}'
# Subcommands take them after their name; --version only before.
run remote list -q
expect_rc remote-q 0
expect_eq remote-q "$out$err" ""
run remote -C .. list
expect_rc remote-C 0
run run --version
expect_rc version-after 2
expect_eq version-after "$err" "cairn: error: option '--version' goes before the command
hint: 'cairn --version' shows the version"
run status --colr=never
expect_rc typo 2
expect_eq typo "$err" "cairn: error: unknown option '--colr'
hint: did you mean '--color'?"
finish
