#!/bin/bash
# The man pages: cairn(1) and one cairn-COMMAND(1) per command, written
# at build time from the help ('cairn help --man'), well-formed roff (groff
# warns of nothing), saying what 'cairn help COMMAND' says, and installed
# by 'cmake --install' with the completion scripts.
# usage: manpages.sh CAIRN BUILD_DIR
CAIRN=$1
BUILD=$2
. "$(dirname "$0")/lib.sh"

commands=$("$CAIRN" --help | sed -n '/^Commands:/,/^$/p' |
	   awk 'NF && $1 != "Commands:" {print $1}')
pages=$(cd "$BUILD/man" && ls)
expect_eq every-command-a-page "$pages" "$(printf '%s\n' cairn.1 \
	$(printf 'cairn-%s.1\n' $commands) | sort)"

run help --man
expect_rc main 0
expect_eq main-built "$out" "$(cat "$BUILD/man/cairn.1")"
expect_match main-title "$out" '^\.TH CAIRN 1 "" "cairn [0-9.]+" "cairn manual"'
for c in $commands; do
	run help --man "$c"
	expect_rc "page-$c" 0
	expect_eq "built-$c" "$out" "$(cat "$BUILD/man/cairn-$c.1")"
done
run help --man zbins
expect_rc kind 2
expect_eq kind "$err" "cairn: error: 'zbins' is a stage kind: the man pages are of the commands
hint: usage: cairn help [--man] [<command>|<kind>] (see 'cairn help help')"
run help --man nosuch
expect_rc unknown 2

if ! command -v groff >/dev/null; then
	echo "groff: skipped (groff is not installed); the roff text checked"
	run help --man run
	expect_match roff-options "$out" '\\fB\\-\\-keep\\-going\\fR'
	finish
	exit
fi
# Every page is roff groff takes without a warning (-ww: all of them).
for f in "$BUILD"/man/*.1; do
	w=$(groff -man -Tutf8 -ww -z "$f" 2>&1)
	expect_eq "groff-$(basename "$f")" "$w" ""
done
# The rendered page says what the help says: the usage and every option.
page=$(MANWIDTH=200 groff -man -Tutf8 -P-cbou -rLL=200n "$BUILD/man/cairn-run.1" 2>/dev/null)
expect_match rendered-name "$page" 'cairn-run - run what is out of date'
expect_match rendered-synopsis "$page" 'cairn run \[-j N\] \[-k\]'
for o in $("$CAIRN" help run | grep -Eo '^  (-., )?--[a-z-]+' | sed 's/.*--/--/'); do
	checks=$((checks + 1))
	printf '%s\n' "$page" | grep -q -- "$o" || fail "rendered-$o" "not in cairn-run(1)"
done
page=$(groff -man -Tutf8 -P-cbou -rLL=200n "$BUILD/man/cairn.1" 2>/dev/null)
for c in $commands; do
	checks=$((checks + 1))
	printf '%s\n' "$page" | grep -q "cairn-$c(1)" || fail "see-also-$c" "not in cairn(1)"
done

# cmake --install puts the pages in share/man/man1, and man finds them.
if command -v cmake >/dev/null && [ -f "$BUILD/cmake_install.cmake" ]; then
	cmake --install "$BUILD" --prefix "$T/inst" >/dev/null
	rc=$?
	expect_rc install 0
	expect_eq installed-pages "$(cd "$T/inst/share/man/man1" && ls)" "$pages"
	expect_eq installed-bash "$(cat "$T/inst/share/bash-completion/completions/cairn")" \
		"$("$CAIRN" completion bash)"
	expect_eq installed-zsh "$(cat "$T/inst/share/zsh/site-functions/_cairn")" \
		"$("$CAIRN" completion zsh)"
	[ -x "$T/inst/bin/cairn" ]
	rc=$?
	expect_rc installed-binary 0
	if command -v man >/dev/null; then
		out=$(MANWIDTH=80 man -M "$T/inst/share/man" cairn-run 2>&1 | head -5)
		expect_match man-finds-it "$out" 'cairn-run - run what is out of date'
	fi
fi
finish
