#!/bin/bash
# The catalogue of broken graphs: each must fail with exit 2, print
# nothing on stdout, and give exactly the text of its .err file.
# usage: graph_errors.sh CAIRN DIR
CAIRN=$1
DIR=$2
. "$(dirname "$0")/lib.sh"
cp -r "$DIR" "$T/g"
cd "$T/g" || exit 1
# A symlink that leaves the workspace, for out-symlink-escape.
ln -s /tmp link-out
n=0
for f in *.toml; do
	n=$((n + 1))
	run graph "$f"
	expect_rc "$f" 2
	expect_eq "$f:stdout" "$out" ""
	checks=$((checks + 1))
	cmp -s "$T/err" "${f%.toml}.err" ||
		fail "$f" "$(diff "$T/err" "${f%.toml}.err")"
done
[ "$n" -ge 30 ] || fail count "only $n broken graphs"
finish
