#!/bin/bash
# The run on a terminal (through script(1), a pseudo-terminal): one
# updating line naming every running instance ("2 running: alpha, beta",
# or "alpha, +1" when the terminal is too narrow), a line left in the
# scrollback for each instance done, failed or restored, with its time,
# and no status line left above an error.
# usage: status_line.sh CAIRN
CAIRN=$1
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

if ! command -v script >/dev/null; then
	echo "skipped: no script(1) (bsdutils)"
	exit 77
fi
if [ "$(nproc)" -lt 2 ]; then
	echo "skipped: two stages must run at once, and there is one core"
	exit 77
fi

# alpha and beta run together (each waits for the other to start); bad
# and lazy after them, lazy ending while bad still runs.
cat >cairn.toml <<'TOML'
[stage.alpha]
cmd = "touch alpha.go; while [ ! -e beta.go ]; do sleep 0.05; done; sleep 0.3; echo a > ${outs.o}"
outs = { o = "alpha.txt" }

[stage.beta]
cmd = "touch beta.go; while [ ! -e alpha.go ]; do sleep 0.05; done; sleep 0.8; echo b > ${outs.o}"
outs = { o = "beta.txt" }

[stage.bad]
cmd = "cat ${deps.a} ${deps.b}; touch bad.go; sleep 0.8; echo oops; exit 3"
deps = { a = "${stage.alpha.outs.o}", b = "${stage.beta.outs.o}" }
outs = { o = "bad.txt" }

[stage.lazy]
cmd = "cat ${deps.a} ${deps.b}; while [ ! -e bad.go ]; do sleep 0.05; done"
deps = { a = "${stage.alpha.outs.o}", b = "${stage.beta.outs.o}" }
outs = { o = "never.txt" }
TOML

# tty ARGS...: cairn on a terminal COLUMNS wide; $raw is what it wrote,
# $seq every state of the line (one a line, times as N), $screen what
# stays on the screen.
tty() {
	rm -f ./*.go
	TERM=xterm COLUMNS=$COLUMNS timeout 60 script -qec \
		"'$CAIRN' --color=never $*" /dev/null </dev/null >"$T/raw"
	rc=$?
	raw=$(cat "$T/raw")
	seq=$(tr '\r' '\n' <"$T/raw" | sed -e 's/\x1b\[K//g' -e '/^$/d' \
		-e 's/([0-9.]*s)/(Ns)/')
	screen=$(sed -e 's/.*\r\x1b\[K//' -e 's/\r$//' <"$T/raw" |
		sed -e 's/([0-9.]*s)/(Ns)/')
}

COLUMNS=100 tty run -j2 -k
expect_rc line 1
expect_eq line-states "$seq" "[0/4 restored 0] 1 running: alpha
[0/4 restored 0] 2 running: alpha, beta
done       alpha  (Ns)
[1/4 restored 0] 1 running: beta
done       beta  (Ns)
[2/4 restored 0] done beta
[2/4 restored 0] 1 running: bad
[2/4 restored 0] 2 running: bad, lazy
failed     lazy  (Ns)
cairn: error: 'lazy' succeeded but did not create its output 'never.txt'
[3/4 restored 0] 1 running: bad
failed     bad  (Ns)
cairn: error: 'bad' failed with exit status 3 (log: $T/.cairn/logs/bad.log)
  | a
  | b
  | oops
[4/4 restored 0] failed bad
done: 2 ran, 0 restored, 0 up to date, 2 failed"
# What stays: a line an instance, the errors on lines of their own.
expect_eq line-screen "$screen" "done       alpha  (Ns)
done       beta  (Ns)
failed     lazy  (Ns)
cairn: error: 'lazy' succeeded but did not create its output 'never.txt'
failed     bad  (Ns)
cairn: error: 'bad' failed with exit status 3 (log: $T/.cairn/logs/bad.log)
  | a
  | b
  | oops
done: 2 ran, 0 restored, 0 up to date, 2 failed"

# Too narrow for both names: the first, and how many more (the ETA now
# known from the first run's times).
COLUMNS=49 tty run -j2 -k --force alpha --force beta
expect_rc narrow 1
expect_match narrow "$seq" '^\[0/4 restored 0, ETA 0m0[0-9]s\] 2 running: alpha, \+1$'
checks=$((checks + 1))
printf '%s\n' "$seq" | grep -q 'alpha, beta' && fail narrow "both names in 48 columns"
# Never wider than the terminal, less one column.
checks=$((checks + 1))
long=$(tr '\r' '\n' <"$T/raw" | sed 's/\x1b\[K//g' | grep '^\[' | awk 'length > 48')
[ -z "$long" ] || fail narrow-width "lines over 48 columns: $long"

# A restore leaves its line too; up to date instances do not.
rm alpha.txt
COLUMNS=100 tty run alpha beta
expect_rc restored 0
expect_eq restored-screen "$screen" "restored   alpha  (Ns)
done: 0 ran, 1 restored, 1 up to date, 0 failed"

finish
