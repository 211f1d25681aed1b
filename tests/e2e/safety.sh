#!/bin/bash
# Nothing lost, nothing silently wrong (docs/guarantees.md): outputs that
# would delete the workspace, the store or the graph; symlinks made at run
# time; special files as outputs; inputs and outputs changed by someone
# else while a run goes on; NUL in strings; a matrix too large to expand;
# more than 256 outputs; a damaged restore; what a killed restore left;
# dry-run counts and names that match nothing.  Each bad input also checks
# that nothing in the workspace or the store changed.
# usage: safety.sh CAIRN
CAIRN=$1
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

# snapshot DIR: every path under DIR with its type and content digest
# (but the workspace's lock and LMDB's reader table, which each command
# rewrites).
snapshot() {
	(cd "$1" && find . -printf '%y %p\n' | LC_ALL=C sort &&
		find . -type f ! -name lock.mdb ! -path ./.cairn/lock -print0 |
		LC_ALL=C sort -z | xargs -0 -r sha256sum)
}

# ---- 1. outputs that are the workspace, .cairn, .git, the store, the
# graph or its lock file: refused at load, nothing touched
mkdir ws && cd ws || exit 1
mkdir .git && echo ref >.git/HEAD
echo keep >data.txt
cat >cairn.toml <<'TOML'
[params]
outdir = "out"

[stage.a]
cmd = "mkdir -p ${outs.d} && echo hi > ${outs.d}/x"
outs = { d = "${params.outdir}" }
TOML
cat >m.toml <<'TOML'
[stage.a]
cmd = "true"
outs = { d = "${matrix.where}" }
matrix = { where = ["ok", "."] }
TOML
mkdir -p st
run run
expect_rc protect-setup 0
before=$(snapshot .)
run run -p outdir=.
expect_rc protect-ws 2
expect_eq protect-ws "$err" "cairn: error: cairn.toml:6:14: output '.' of 'a' is the workspace; an output is removed before its stage runs
 6 | outs = { d = \"\${params.outdir}\" }
   |              ^"
for p in .cairn .cairn/store .git .git/x cairn.toml cairn.lock x/..; do
	run run -p outdir=$p
	expect_rc "protect-$p" 2
done
run run -p outdir=.cairn/store
expect_match protect-cairn "$err" "output '.cairn/store' of 'a' is inside cairn's own folder \('.cairn'\)"
run run -p outdir=.git
expect_match protect-git "$err" "output '.git' of 'a' is the git repository"
run run -p outdir=cairn.lock
expect_match protect-lock "$err" "output 'cairn.lock' of 'a' is the graph's lock file"
# The store given elsewhere (CAIRN_STORE) but inside an output folder.
CAIRN_STORE=st/s run run -p outdir=st
expect_rc protect-store 2
expect_match protect-store "$err" "output 'st' of 'a' holds the store \('st/s'\)"
# Through a matrix value.
run run m.toml
expect_rc protect-matrix 2
expect_match protect-matrix "$err" "^cairn: error: m.toml:3:14: output '.' of 'a\[where=.\]' is the workspace"
expect_eq protect-untouched "$(snapshot .)" "$before"
cd "$T" || exit 1

# ---- 2. symlinks made at run time: never followed out of the workspace
mkdir -p outside/sub ws2
echo precious >outside/x.txt
echo precious >outside/sub/y
outside_before=$(snapshot outside)
cd ws2 || exit 1
cat >cairn.toml <<TOML
[stage.a]
cmd = "ln -s $T/outside lnk && touch \${outs.m}"
outs = { m = "m" }

[stage.b]
cmd = "echo hi > lnk/x.txt"
deps = { m = "m" }
outs = { o = "lnk/x.txt", d = "lnk/sub" }
TOML
run run
expect_rc symlink-clear 1
expect_match symlink-clear "$err" "^cairn: error: output 'lnk/x.txt' of 'b' leaves the workspace through a symlink \('lnk' is a link to '$T/outside'\)$"
expect_eq symlink-outside "$(snapshot "$T/outside")" "$outside_before"
# A top-level output that is a link out: refused, not stored.
cat >top.toml <<TOML
[stage.t]
cmd = "ln -s $T/outside/x.txt \${outs.o}"
outs = { o = "t.txt" }
TOML
run run top.toml
expect_rc symlink-top 1
expect_match symlink-top "$err" "'t' succeeded but output 't.txt' of 't' is a symlink to '$T/outside/x.txt', outside the workspace"
run runs top.toml --status ok
expect_eq symlink-top-recorded "$out" ""
# Restore does not write through a folder that a stage of the same run
# replaced by a link (the graph was checked before that).
cat >res.toml <<'TOML'
[params]
v = 1

[stage.a]
cmd = "echo ${params.v} > /dev/null; touch ${outs.m}"
outs = { m = "m2" }

[stage.r]
cmd = "mkdir -p d && echo made > d/x.txt"
deps = { m = "m2" }
outs = { o = "d/x.txt" }
TOML
run run res.toml
expect_rc restore-setup 0
sed -i "s|^cmd = \"echo|cmd = \"rm -r d; ln -s $T/outside d; echo|" res.toml
run run res.toml -p v=2
expect_rc restore-link 1
expect_match restore-link "$err" "^cairn: error: cannot restore 'r': output 'd/x.txt' of 'r' leaves the workspace through a symlink \('d' is a link to '$T/outside'\)$"
expect_eq restore-outside "$(snapshot "$T/outside")" "$outside_before"
cd "$T" || exit 1

# ---- 14. a FIFO, a socket or a device as an output: refused, no hang
mkdir ws3 && cd ws3 || exit 1
cat >cairn.toml <<'TOML'
[stage.f]
cmd = "mkfifo ${outs.o}"
outs = { o = "fifo" }

[stage.d]
cmd = "mkdir ${outs.o} && ln -s /dev/null ${outs.o}/null"
outs = { o = "dev" }
TOML
timeout 60 "$CAIRN" run -k >"$T/out" 2>"$T/err"
rc=$?
err=$(cat "$T/err")
expect_rc fifo 1
expect_match fifo "$err" "'f' succeeded but output 'fifo' of 'f' is a FIFO; an output must be a file or a folder"
cd "$T" || exit 1

# ---- 7. inputs changed under a stage: nothing recorded, redone next time
mkdir ws4 && cd ws4 || exit 1
cat >cairn.toml <<'TOML'
[stage.a]
cmd = "echo a > ${outs.o}"
outs = { o = "a.txt" }

[stage.b]
cmd = "[ -f edited ] || { echo more >> a.txt; touch edited; }; cat ${deps.a} > ${outs.o}"
deps = { a = "a.txt" }
outs = { o = "b.txt" }
TOML
run run
expect_rc input-during 1
expect_eq input-during "$err" "cairn: error: input 'a.txt' of 'b' changed while it ran (it is an output of 'a'); nothing was recorded
cairn: error: output 'a.txt' of 'a' changed after 'a' made it (another stage wrote it?); it runs again next time"
run runs --stage b --status ok
expect_eq input-during-none "$out" ""
run run
expect_rc input-redone 0
expect_eq input-redone "$(nosecs "$out")" "restored   a  (Ns)
running    b
done       b  (Ns)
done: 1 ran, 1 restored, 0 up to date, 0 failed"
expect_eq input-redone-content "$(cat b.txt)" "a"
# A sibling that overwrites another stage's output (no edge between them).
cat >sib.toml <<'TOML'
[stage.a]
cmd = "echo a > ${outs.o}"
outs = { o = "s.txt" }

[stage.c]
cmd = "echo evil > s.txt; echo c > ${outs.o}"
deps = { a = "s.txt" }
outs = { o = "c.txt" }
TOML
run run sib.toml
expect_rc sibling 1
expect_match sibling "$err" "output 's.txt' of 'a' changed after 'a' made it"
expect_match sibling-lock "$(cat sib.lock 2>/dev/null)" '^version'
checks=$((checks + 1))
grep -q '^\[a\]' sib.lock 2>/dev/null && fail sibling-lock "a is in the lock file"
# A source input changed after the key was computed, before the start.
printf 'v1\n' >src.txt
cat >pre.toml <<'TOML'
[stage.w]
cmd = "echo v2 > src.txt; echo w > ${outs.o}"
outs = { o = "w.txt" }

[stage.r]
cmd = "cat ${deps.s} > ${outs.o}"
deps = { s = "src.txt" }
outs = { o = "r.txt" }
TOML
run run -j 1 -k pre.toml
expect_rc pre-start 1
expect_match pre-start "$err" "^cairn: error: input 'src.txt' of 'r' changed since its key was computed; nothing was recorded$"
cd "$T" || exit 1

# ---- 8. NUL in a command, a path, a param or a matrix value
mkdir ws5 && cd ws5 || exit 1
printf '[stage.a]\ncmd = "echo ok\\u0000; touch X"\nouts = { o = "o" }\n' >cmd.toml
run run cmd.toml
expect_rc nul-cmd 2
expect_eq nul-cmd "$err" 'cairn: error: cmd.toml:2:15: a NUL character (\u0000) cannot be part of a file name or a command
 2 | cmd = "echo ok\u0000; touch X"
   |               ^'
printf '[stage.a]\ncmd = "touch ${outs.o}"\nouts = { o = "o\\u0000x" }\n' >out.toml
run run out.toml
expect_rc nul-out 2
printf '[params]\np = "a\\u0000; touch X"\n[stage.a]\ncmd = "echo ${params.p} > ${outs.o}"\nouts = { o = "o" }\n' >param.toml
run run param.toml
expect_rc nul-param 2
expect_match nul-param "$err" "param 'p' holds a NUL character"
printf '[stage.a]\ncmd = "touch ${outs.o}"\nouts = { o = "o${matrix.k}" }\nmatrix = { k = ["a\\u0000b"] }\n' >mat.toml
run run mat.toml
expect_rc nul-matrix 2
expect_match nul-matrix "$err" "^cairn: error: mat.toml:4:17: matrix value holds a NUL character"
checks=$((checks + 1))
[ ! -e X ] && [ ! -e o ] || fail nul "a command ran"
cd "$T" || exit 1

# ---- 13. a matrix too large to expand: said at once
mkdir ws6 && cd ws6 || exit 1
{
	echo '[stage.a]'
	echo 'cmd = "true"'
	echo 'outs = { o = "o${matrix.a}-${matrix.b}-${matrix.c}" }'
	printf 'matrix = { a = [%s], b = [%s], c = [%s] }\n' \
		"$(seq -s, 1 1000)" "$(seq -s, 1 1000)" "$(seq -s, 1 20)"
} >cairn.toml
timeout 60 "$CAIRN" graph >"$T/out" 2>"$T/err"
rc=$?
err=$(head -1 "$T/err")
expect_rc matrix-cap 2
expect_eq matrix-cap "$err" "cairn: error: cairn.toml:4:10: the matrix of stage 'a' expands to 1000 x 1000 x 20 = 20000000 instances; a graph may have at most 10000000"
cd "$T" || exit 1

# ---- 10. more than 256 outputs: no crash, found again and restored
mkdir ws7 && cd ws7 || exit 1
{
	echo '[stage.many]'
	echo 'cmd = "mkdir -p o && for i in $(seq 1 1000); do echo $i > o/f$i; done"'
	printf 'outs = {'
	for i in $(seq 1 1000); do printf '%s f%d = "o/f%d"' "$([ "$i" = 1 ] || echo ,)" "$i" "$i"; done
	echo ' }'
} >cairn.toml
run run
expect_rc many-run 0
rm -r o
run run
expect_rc many-restore 0
expect_eq many-restore "$(nosecs "$out")" "restored   many  (Ns)
done: 0 ran, 1 restored, 0 up to date, 0 failed"
expect_eq many-content "$(cat o/f1000)" "1000"
run run
expect_eq many-uptodate "$out" "ok         many
done: 0 ran, 0 restored, 1 up to date, 0 failed"
cd "$T" || exit 1

# ---- 17. temporary files a killed restore left: removed by the next run
mkdir ws8 && cd ws8 || exit 1
cat >cairn.toml <<'TOML'
[stage.a]
cmd = "mkdir -p d && echo a > ${outs.o}"
outs = { o = "d/a.txt" }
TOML
run run
dead=$(sh -c 'echo $$')
rm d/a.txt
head -c 100000 /dev/zero >"d/a.txt.cairn-tmp-$dead-1a0"
mkdir "d/a.txt.cairn-tmp-$dead-2b1" && echo x >"d/a.txt.cairn-tmp-$dead-2b1/f"
echo user >d/notes.cairn-tmp-mine
run run
expect_rc tmp-clean 0
expect_eq tmp-clean "$(ls d)" "a.txt
notes.cairn-tmp-mine"
cd "$T" || exit 1

# ---- 9. a restore whose stored data is damaged: a miss, the stage runs
mkdir ws10 && cd ws10 || exit 1
cat >cairn.toml <<'TOML'
[stage.a]
cmd = "{ head -c 300000 /dev/urandom; printf CAIRN-MARK-RESTORE-5e1; head -c 300000 /dev/urandom; } > ${outs.o}"
outs = { o = "a.bin" }
TOML
run run
expect_rc damaged-setup 0
off=$(grep -obUa CAIRN-MARK-RESTORE-5e1 .cairn/store/data.mdb | head -1 | cut -d: -f1)
printf 'X' | dd of=.cairn/store/data.mdb bs=1 seek="$off" conv=notrunc status=none
rm a.bin
run run
expect_rc damaged-restore 0
expect_match damaged-restore "$err" "^cairn: warning: cannot restore 'a' \(.*damaged.*\); running it$"
expect_match damaged-ran "$out" "^done       a  \([0-9.]+s\)$"
checks=$((checks + 1))
grep -q CAIRN-MARK-RESTORE-5e1 a.bin || fail damaged-output "a.bin not made again"
ls -a | grep -q cairn-tmp && fail damaged-tmp "temporary file left"
cd "$T" || exit 1

# ---- 19. run -n counts; names that match nothing are typos (exit 2)
mkdir ws9 && cd ws9 || exit 1
cat >cairn.toml <<'TOML'
[params]
lr = 0.1

[stage.train]
cmd = "echo ${params.lr} ${matrix.k} > ${outs.o}"
outs = { o = "t${matrix.k}.txt" }
matrix = { k = ["a", "b"] }

[stage.eval]
cmd = "cat ${deps.t} > ${outs.o}"
deps = { t = "${stage.train.outs.o}" }
outs = { o = "e.txt" }
TOML
run run -n
expect_eq dry-counts "$(printf '%s\n' "$out" | tail -1)" "would run 2 (and 1 waiting on them), restore 0; 0 up to date"
run run
rm ta.txt
run run -n
expect_eq dry-restore "$(printf '%s\n' "$out" | tail -1)" "would run 0 (and 0 waiting on them), restore 1; 2 up to date"
run run --force evl
expect_rc force-typo 2
expect_eq force-typo "$err" "cairn: error: no stage or instance matches 'evl'; did you mean 'eval'?"
run runs --stage trian
expect_rc runs-stage 2
expect_eq runs-stage "$err" "cairn: error: no stage or instance matches 'trian'; did you mean 'train'?"
run runs --where params.lrr=1
expect_rc runs-where 2
expect_eq runs-where "$err" "cairn: error: no recorded run has params.lrr; did you mean 'lr'?"
run runs --where metrics.acc=1
expect_rc runs-where-metric 2
run metrics nosuch
expect_rc metrics-stage 2
run log nosuch
expect_rc log-stage 2
run runs --stage eval
expect_rc runs-known 0
cd "$T" || exit 1

finish
