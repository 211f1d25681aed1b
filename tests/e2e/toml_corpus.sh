#!/bin/bash
# The TOML corpus through the real binary: every valid document prints
# exactly its .json and exits 0; every invalid one exits 1 with nothing on
# stdout and a located error on stderr; the documents in errors/ give
# exactly the text in their .err file.
# usage: toml_corpus.sh CAIRN CORPUS_DIR
CAIRN=$1
DIR=$2
. "$(dirname "$0")/lib.sh"

n=0
for f in "$DIR"/valid/*.toml; do
	n=$((n + 1))
	run toml-json "$f"
	expect_rc "valid/${f##*/}" 0
	checks=$((checks + 1))
	cmp -s "$T/out" "${f%.toml}.json" ||
		fail "valid/${f##*/}" "$(diff "$T/out" "${f%.toml}.json" | head -20)"
done
[ "$n" -ge 150 ] || fail valid-count "only $n valid documents"

n=0
for f in "$DIR"/invalid/*.toml; do
	n=$((n + 1))
	run toml-json "$f"
	expect_rc "invalid/${f##*/}" 1
	expect_eq "invalid/${f##*/}:stdout" "$out" ""
	expect_match "invalid/${f##*/}:stderr" "$err" "^cairn: error: $f:[0-9]+:[0-9]+: "
done
[ "$n" -ge 250 ] || fail invalid-count "only $n invalid documents"

# Exact messages, with the line and the caret; paths relative to errors/.
cd "$DIR/errors" || exit 1
n=0
for f in *.toml; do
	n=$((n + 1))
	run toml-json "$f"
	expect_rc "errors/$f" 1
	checks=$((checks + 1))
	cmp -s "$T/err" "${f%.toml}.err" ||
		fail "errors/$f" "$(diff "$T/err" "${f%.toml}.err")"
done
[ "$n" -ge 20 ] || fail errors-count "only $n error documents"

finish
