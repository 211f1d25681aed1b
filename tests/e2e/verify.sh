#!/bin/bash
# cairn verify: a deterministic chain verifies clean; a stage that writes
# the time differs, with the output and line named; a stage that reads an
# undeclared file fails in isolation, with its log's tail; nondeterministic
# stages are skipped; semantic stages compare normalised JSON and text;
# --sample/--seed choose reproducibly; the workspace is not touched.
# usage: verify.sh CAIRN
CAIRN=$1
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

echo secret >secret.txt
printf 'a\nb\n' >in.txt
cat >cairn.toml <<'TOML'
[stage.det]
cmd = "sort -r ${deps.i} > ${outs.o}"
deps = { i = "in.txt" }
outs = { o = "det.txt" }

[stage.down]
cmd = "cat ${deps.d} ${deps.d} > ${outs.o}"
deps = { d = "${stage.det.outs.o}" }
outs = { o = "down.txt" }

[stage.stamp]
cmd = "echo header > ${outs.o}; date +%s%N >> ${outs.o}"
outs = { o = "stamp.txt" }

[stage.leaky]
cmd = "cat secret.txt > ${outs.o}"
outs = { o = "leak.txt" }

[stage.noisy]
cmd = "date +%s%N > ${outs.o}"
outs = { o = "noisy.txt" }
determinism = "nondeterministic"

# The same data written differently in the scratch folder than in the
# workspace: JSON keys in another order, trailing blanks.
[stage.sem]
cmd = "case $(pwd) in /tmp/cairn-verify-*) echo '{\"b\": 2, \"a\": 1}' > ${outs.j}; printf 'x  \\n\\n' > ${outs.t};; *) echo '{\"a\": 1, \"b\": 2}' > ${outs.j}; printf 'x\\n' > ${outs.t};; esac"
outs = { j = "sem.json", t = "sem.txt" }
determinism = "semantic"

# Semantic, but a value differs at the same length: not reproducible.
[stage.semdiff]
cmd = "case $(pwd) in /tmp/cairn-verify-*) echo '{\"a\": 2}' > ${outs.j};; *) echo '{\"a\": 1}' > ${outs.j};; esac"
outs = { j = "semdiff.json" }
determinism = "semantic"

[stage.bits]
cmd = "case $(pwd) in /tmp/cairn-verify-*) echo '{\"b\": 2, \"a\": 1}' > ${outs.j};; *) echo '{\"a\": 1, \"b\": 2}' > ${outs.j};; esac"
outs = { j = "bits.json" }
TOML
run verify
expect_rc no-lock 2
expect_eq no-lock "$err" "cairn: error: no lock file 'cairn.lock'
hint: 'cairn run' writes it; verify rebuilds what it records"
run -q run
expect_rc run 0
snapshot() { cat stamp.txt det.txt down.txt noisy.txt; stat -c '%n %s %y' ./*.txt ./*.json cairn.lock; }
before=$(snapshot)
run verify
expect_rc verify 1
expect_match same "$out" '^reproducible +det$'
expect_match same-down "$out" '^reproducible +down$'
expect_match differs "$out" '^differs +stamp$'
expect_match differs-output "$out" '^  output stamp\.txt: [0-9a-f]{12} \(2[0-9] B\) -> [0-9a-f]{12} \(2[0-9] B\)$'
expect_match differs-line "$out" '^    line 2: "[0-9]+" -> "[0-9]+"$'
expect_match leaky "$out" '^failed in isolation +leaky \(exit 1; given only its declared inputs\)$'
expect_match leaky-log "$out" '^  \| cat: secret\.txt: No such file or directory$'
expect_match skipped "$out" '^skipped +noisy \(nondeterministic\)$'
expect_match semantic "$out" '^reproducible +sem$'
expect_match bitwise "$out" '^differs +bits$'
expect_match semantic-differs "$out" '^differs +semdiff$'
expect_match semantic-differs-line "$out" '^    line 1: "\{\\"a\\": 1\}" -> "\{\\"a\\": 2\}"$'
expect_match summary "$out" '^verify: 8 instances: 3 reproducible, 3 differ, 1 failed in isolation, 1 skipped$'
expect_eq untouched "$(snapshot)" "$before"

# Targets, and a reproducible sample.
run verify det down
expect_rc targets 0
expect_eq targets "$out" "reproducible         det
reproducible         down
verify: 2 instances: 2 reproducible, 0 differ, 0 failed in isolation"
names() { printf '%s\n' "$1" | grep -E '^[a-z]' | sed -E 's/ +\(.*//; s/  +/ /'; }
run verify --sample 3 --seed 42
a=$(names "$out")
run verify --sample 3 --seed 42
expect_eq sample-seeded "$(names "$out")" "$a"
expect_match sample-count "$out" '^verify: 3 instances: '
run verify --sample 0
expect_rc bad-sample 2
# The record is kept as a root; the runs are not touched.
run store roots
expect_match record "$out" '^verify:'
run status
expect_rc status-after 0
run verify --json det
expect_match json "$out" '"instance": "det", "outcome": "reproducible"'

# A source input edited after the run: not in the store (sources are not
# stored) and no longer what the lock says, so verify cannot rebuild
# from it; it says so and leaves the edit alone.
printf 'a\nc\n' >in.txt
run verify det
expect_rc edited-input 1
expect_eq edited-input "$out" "cannot verify        det (input 'in.txt' is neither in the store nor, as locked, in the workspace)
verify: 1 instance: 0 reproducible, 0 differ, 0 failed in isolation, 1 could not be verified"
expect_eq edited-input-kept "$(cat in.txt)" "a
c"

# Each instance's scratch folder goes when it is verified, all it holds
# included; a link in it is removed, never followed.
mkdir -p scratch/keep && cd scratch || exit 1
echo kept >keep/f
cat >cairn.toml <<TOML
[stage.mess]
cmd = "mkdir -p deep/er && echo x > deep/er/f && ln -s $PWD/keep link && pwd >> $PWD/where.txt && echo ok > \${outs.o}"
outs = { o = "ok.txt" }
TOML
run -q run
expect_rc scratch-run 0
run verify
expect_rc scratch-verify 0
where=$(tail -n 1 where.txt)
expect_match scratch-where "$where" '^/tmp/cairn-verify-'
checks=$((checks + 1))
[ ! -e "$where" ] || fail scratch-removed "'$where' is left"
expect_eq scratch-link-kept "$(cat keep/f)" kept
cd ..

finish
