#!/bin/bash
# The command line: help, version, unknown commands and options with
# hints, exit codes, colour rules, -C.
# usage: cli.sh CAIRN CUDA_BUILT(ON|OFF)
CAIRN=$1
CUDA=${2:-OFF}
. "$(dirname "$0")/lib.sh"

run --help
expect_rc help 0
expect_match help "$out" '^usage: cairn \[global options\] <command> \[<args>\]'
expect_match help-lists "$out" '  toml-json    print a TOML file as tagged JSON'
expect_match help-exit "$out" 'Exit status: 0 success, 1 a stage or a check'
help_text=$out

run help
expect_rc help-cmd 0
expect_eq help-cmd-same "$out" "$help_text"

run
expect_rc no-command 2
expect_match no-command "$err" '^usage: cairn'

run help toml-json
expect_rc help-toml 0
expect_match help-toml "$out" '^usage: cairn toml-json \[FILE\]'
expect_match help-toml-opts "$out" '-h, --help +show this help'
help_toml=$out
run toml-json --help
expect_rc toml-help 0
expect_eq toml-help-same "$out" "$help_toml"
run toml-json -h
expect_eq toml-h-same "$out" "$help_toml"

run tom-json
expect_rc unknown-cmd 2
expect_eq unknown-cmd "$err" "cairn: error: unknown command 'tom-json'
hint: did you mean 'toml-json'?"
expect_eq unknown-cmd-stdout "$out" ""

run frobnicate
expect_rc unknown-cmd-far 2
expect_eq unknown-cmd-far "$err" "cairn: error: unknown command 'frobnicate'
hint: see 'cairn --help' for the commands"

run help verison
expect_rc help-unknown 2
expect_eq help-unknown "$err" "cairn: error: unknown command 'verison'
hint: did you mean 'version'?"

run --colr=never version
expect_rc unknown-global 2
expect_eq unknown-global "$err" "cairn: error: unknown option '--colr'
hint: did you mean '--color'?"

run --color=sometimes version
expect_rc bad-color 2
expect_eq bad-color "$err" "cairn: error: invalid value 'sometimes' for '--color'
hint: use auto, always or never"

run toml-json --bogus x
expect_rc unknown-opt 2
expect_eq unknown-opt "$err" "cairn: error: unknown option '--bogus'
hint: see 'cairn help toml-json'"

run toml-json a b
expect_rc too-many 2
expect_eq too-many "$err" "cairn: error: too many arguments
hint: usage: cairn toml-json [FILE] (see 'cairn help toml-json')"

run toml-json /nonexistent/x.toml
expect_rc missing-file 2
expect_eq missing-file "$err" "cairn: error: cannot open '/nonexistent/x.toml': No such file or directory"

run --version
expect_rc version 0
expect_match version "$out" '^cairn [0-9]+\.[0-9]+\.[0-9]+ \(commit [^)]+\)'
expect_match version-build "$out" '^build: '
expect_match version-devices "$out" '^devices: '
expect_match version-kernels "$out" '^kernels: axpy\(cpu'
if [ "$CUDA" = ON ]; then
	expect_match version-cuda "$out" '^cuda: built in \(CUDA [0-9]+\.[0-9]+'
else
	expect_match version-cuda "$out" '^cuda: not built in'
fi
version_text=$out
run version
expect_eq version-same "$out" "$version_text"

# Colour: never on a pipe unless asked, never with NO_COLOR or TERM=dumb.
run nope
expect_eq no-color-pipe "$err" "cairn: error: unknown command 'nope'
hint: see 'cairn --help' for the commands"
run --color=always nope
expect_match color-always "$err" $'\033\\[1;31merror:\033\\[0m'
run --color=never nope
expect_eq color-never "$err" "cairn: error: unknown command 'nope'
hint: see 'cairn --help' for the commands"
if command -v script >/dev/null; then
	tty_err() {
		script -qec "$1 2>&1" /dev/null </dev/null | tr -d '\r'
	}
	o=$(TERM=xterm tty_err "'$CAIRN' nope")
	expect_match color-tty "$o" $'\033\\[1;31merror:'
	o=$(NO_COLOR=1 TERM=xterm tty_err "'$CAIRN' nope")
	expect_eq no-color-env "$o" "cairn: error: unknown command 'nope'
hint: see 'cairn --help' for the commands"
	o=$(TERM=dumb tty_err "'$CAIRN' nope")
	expect_eq term-dumb "$o" "cairn: error: unknown command 'nope'
hint: see 'cairn --help' for the commands"
fi

# -C changes directory first.
mkdir -p "$T/proj"
printf 'a = 1\n' >"$T/proj/g.toml"
run -C "$T/proj" toml-json g.toml
expect_rc chdir 0
expect_eq chdir "$out" '{
  "a": {"type": "integer", "value": "1"}
}'
run -C "$T/missing" toml-json g.toml
expect_rc chdir-missing 2
expect_eq chdir-missing "$err" "cairn: error: cannot change to directory '$T/missing': No such file or directory"

# Standard input, '-' or no operand.
run_in 'x = [1, 2]' toml-json -
expect_rc stdin 0
expect_eq stdin "$out" '{
  "x": [
    {"type": "integer", "value": "1"},
    {"type": "integer", "value": "2"}
  ]
}'
run_in 'x = "y"' toml-json
expect_rc stdin-default 0
run_in $'x = 1\ny = ' toml-json
expect_rc stdin-invalid 1
expect_eq stdin-invalid-out "$out" ""
expect_eq stdin-invalid "$err" "cairn: error: <stdin>:2:5: expected a value, found end of file
 2 | y = 
   |     ^"

finish
