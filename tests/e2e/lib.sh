# Helpers for end-to-end tests: run the real cairn binary, compare exit
# codes and output exactly.  Source this from a test; call finish at the end.

failures=0
checks=0
T=$(mktemp -d "${TMPDIR:-/tmp}/cairn-e2e.XXXXXX")
trap 'rm -rf "$T"' EXIT

# run ARGS...: run cairn; sets $rc, $out (stdout), $err (stderr).
run() {
	"$CAIRN" "$@" >"$T/out" 2>"$T/err" </dev/null
	rc=$?
	out=$(tr -d '\000' <"$T/out")
	err=$(cat "$T/err")
}

# run_in STDIN ARGS...: like run, with STDIN as standard input.
run_in() {
	local input=$1
	shift
	printf '%s' "$input" | "$CAIRN" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	out=$(cat "$T/out")
	err=$(cat "$T/err")
}

fail() {
	failures=$((failures + 1))
	echo "FAIL ($1): $2" >&2
}

# expect_rc NAME CODE
expect_rc() {
	checks=$((checks + 1))
	[ "$rc" = "$2" ] || fail "$1" "exit $rc, expected $2; stderr: $err"
}

# expect_eq NAME ACTUAL EXPECTED
expect_eq() {
	checks=$((checks + 1))
	if [ "$2" != "$3" ]; then
		fail "$1" "got:"
		printf '%s\n' "$2" >&2
		echo "expected:" >&2
		printf '%s\n' "$3" >&2
	fi
}

# expect_match NAME TEXT REGEX (extended, whole text searched)
expect_match() {
	checks=$((checks + 1))
	printf '%s' "$2" | grep -Eq -- "$3" ||
		fail "$1" "no match for /$3/ in: $2"
}

finish() {
	if [ "$checks" -eq 0 ]; then
		echo "no checks ran" >&2
		exit 1
	fi
	echo "$((checks - failures)) passed, $failures failed"
	[ "$failures" -eq 0 ]
}

# nosecs TEXT: TEXT with the times on run's lines ("done       a  (1.2s)",
# "restored   b  (3m05s)") written "(Ns)", for exact comparisons.
nosecs() {
	printf '%s\n' "$1" |
		sed -E 's/  \(([0-9]+\.[0-9]s|[0-9]+m[0-9]{2}s|[0-9]+h[0-9]{2}m)\)$/  (Ns)/'
}
