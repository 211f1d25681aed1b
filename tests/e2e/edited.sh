#!/bin/bash
# An output edited since the last run is never overwritten silently: run
# refuses (exit 1, naming it, nothing changed in the workspace or the
# store) unless its stage is --force'd, and then its bytes are stored and
# rooted first.  Missing outputs, bytes the store has, outputs of stages
# not asked for, and what a killed run's stages left are no edits.
# usage: edited.sh CAIRN
CAIRN=$1
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

cat >cairn.toml <<'TOML'
[stage.a]
cmd = "echo a > ${outs.o}"
outs = { o = "a.txt" }

[stage.b]
cmd = "cat ${deps.a} > ${outs.o}; echo b >> ${outs.o}"
deps = { a = "${stage.a.outs.o}" }
outs = { o = "b.txt" }

[stage.dir]
cmd = "mkdir -p ${outs.d}; echo one > ${outs.d}/one.txt"
outs = { d = "d" }

[stage.c]
cmd = "echo c > ${outs.o}"
outs = { o = "c.txt" }
TOML
run run
expect_rc first 0
A=$(sha256sum a.txt | cut -c1-12)
objects() { "$CAIRN" store stat | grep '^objects:'; "$CAIRN" runs | wc -l; }
before=$(objects)

# A file edited by hand: refused, untouched, nothing stored.
echo mine >a.txt
run run
expect_rc edited-file 1
expect_eq edited-file-out "$out" ""
expect_eq edited-file-err "$err" "cairn: error: output 'a.txt' of 'a' was edited since the last run made it: running would replace it
hint: run with --force 'a' to replace it (its bytes are kept in the store first), or put back what the last run made: cairn export $A 'a.txt'"
expect_eq edited-file-kept "$(cat a.txt)" "mine"
expect_eq edited-file-store "$(objects)" "$before"
# Asked only for what does not need it: nothing to refuse.
run run c
expect_rc edited-other 0
expect_eq edited-other-kept "$(cat a.txt)" "mine"
# -n changes nothing: it says what would happen, the refusal included.
run run -n
expect_rc edited-dry 0
expect_eq edited-dry-err "$err" "cairn: warning: output 'a.txt' of 'a' was edited since the last run made it: 'cairn run' refuses to replace it without --force 'a'"
expect_eq edited-dry-kept "$(cat a.txt)" "mine"
expect_eq edited-dry-store "$(objects)" "$before"

# A folder edited too: both named, one hint for the two.
echo two >d/two.txt
D=$(sed -nE 's/^"?d"? = "([0-9a-f]{12}).*/\1/p' cairn.lock)
run run b dir
expect_rc edited-two 1
expect_eq edited-two-err "$err" "cairn: error: output 'a.txt' of 'a' was edited since the last run made it: running would replace it
cairn: error: output 'd' of 'dir' was edited since the last run made it: running would replace it
hint: run with --force 'a' --force 'dir' to replace them (their bytes are kept in the store first), or put back what the last run made: cairn export $A 'a.txt'; cairn export $D 'd'"
expect_eq edited-two-store "$(objects)" "$before"
expect_eq edited-two-dir "$(ls d)" "one.txt
two.txt"

# The hint's command puts the last run's bytes back; then nothing is
# refused (and b is up to date).
run export "$D" d
expect_rc export-back 0
expect_eq export-back-dir "$(ls d)" "one.txt"

# --force: the edit is stored and rooted, then replaced.
M=$(sha256sum a.txt | cut -c1-12)
run run -j1 --force a
expect_rc forced 0
expect_eq forced-err "$err" "cairn: warning: output 'a.txt' of 'a' was edited since the last run made it: its bytes are kept in the store as $M (root 'edited:a.txt@$M'), and it is replaced"
expect_eq forced-out "$(nosecs "$out")" "ok         dir
ok         c
running    a
done       a  (Ns)
ok         b
done: 1 ran, 0 restored, 3 up to date, 0 failed"
expect_eq forced-replaced "$(cat a.txt)" "a"
run cat "$M"
expect_eq forced-cat "$out" "mine"
run store roots
expect_match forced-root "$out" "^edited:a.txt@$M [0-9a-f]{64}$"
run gc
run cat "$M"
expect_eq forced-gc-keeps "$out" "mine"

# Missing, or bytes the store has (another run's output): no edit.
rm a.txt
cp c.txt b.txt
run run -j1
expect_rc no-edit 0
expect_eq no-edit-out "$(nosecs "$out")" "restored   a  (Ns)
restored   b  (Ns)
ok         dir
ok         c
done: 0 ran, 2 restored, 2 up to date, 0 failed"
expect_eq no-edit-a "$(cat a.txt)" "a"

# A run killed while its stage wrote: what it left differs from the lock
# file, and is kept and replaced, not refused.
cat >slow.toml <<'TOML'
[stage.slow]
cmd = "echo part > ${outs.o}; [ -e go ] || sleep 30; echo whole >> ${outs.o}"
outs = { o = "s.txt" }
TOML
touch go
run run slow.toml
expect_rc slow-first 0
rm go
"$CAIRN" run slow.toml --force slow >/dev/null 2>&1 &
pid=$!
n=0
while [ "$(cat s.txt 2>/dev/null)" != part ] && [ $n -lt 100 ]; do
	sleep 0.1
	n=$((n + 1))
done
kill -9 "$pid"
wait "$pid" 2>/dev/null
touch go
P=$(printf 'part\n' | sha256sum | cut -c1-12)
run run slow.toml
expect_rc after-kill 0
expect_eq after-kill-err "$err" "cairn: warning: stopped 1 stage process group an earlier run left running
cairn: warning: output 's.txt' of 'slow' is not what the last run made (an earlier run was killed while its stages ran): its bytes are kept in the store as $P (root 'edited:s.txt@$P'), and it is replaced"
expect_eq after-kill-file "$(cat s.txt)" "part
whole"

finish
