#!/bin/bash
# Built-in stage kinds: listed and documented from their descriptors; run
# as stages (in a process of their own) with the same records, keys and
# verify as shell stages; a setting change reruns, the same settings give
# the same bytes anywhere.
# usage: kinds.sh CAIRN GRAPHS_DIR
CAIRN=$1
GRAPHS=$2
. "$(dirname "$0")/lib.sh"
cd "$T" || exit 1

run kinds
expect_rc kinds 0
expect_match kinds "$out" '^synth\.scan +2D scan positions'
run help synth.scan
expect_rc help 0
expect_match help-setting "$out" '^  pattern      string: raster, spiral, default "raster"$'
expect_match help-output "$out" '^  positions    HDF5: dataset .positions., float64 \[n, 2\]$'
expect_match help-version "$out" '^code version: [0-9a-f]{64}$'

mkdir a b
cat >a/cairn.toml <<'TOML'
[stage.scan]
kind = "synth.scan"
with = { n = 50, pattern = "spiral", jitter = 0.3, seed = 9 }
outs = { positions = "scan.h5" }
TOML
cp a/cairn.toml b/
cd a
run run
expect_rc run 0
expect_match ran "$out" '^done: 1 ran, 0 restored, 0 up to date, 0 failed$'
run run
expect_match noop "$out" '^done: 0 ran, 0 restored, 1 up to date, 0 failed$'
run verify
expect_rc verify 0
expect_match verify "$out" '^reproducible +scan$'
run show "$("$CAIRN" runs | awk '{print $4}')"
expect_match record-kind "$out" '^kind: synth\.scan$'
run explain scan
expect_rc explain 0
cd ../b
run -q run
expect_rc elsewhere 0
expect_eq same-bytes "$(sha256sum <scan.h5)" "$(sha256sum <../a/scan.h5)"
# Another seed: the stage reruns, the bytes change.
sed -i 's/seed = 9/seed = 10/' cairn.toml
run run
expect_match rerun "$out" '^done: 1 ran, 0 restored, 0 up to date, 0 failed$'
checks=$((checks + 1))
[ "$(sha256sum <scan.h5)" != "$(sha256sum <../a/scan.h5)" ] || fail seed "another seed made the same positions"
# A kind that cannot write its output fails its stage (in its own
# process), not the run: its output's folder is a file here.
echo file >ro
cat >c.toml <<'TOML'
[stage.bad]
kind = "synth.scan"
outs = { positions = "ro/x.h5" }
[stage.good]
cmd = "echo ok > ${outs.o}"
outs = { o = "good.txt" }
TOML
run run -k c.toml
expect_rc kind-fails 1
expect_match kind-fails-msg "$err" "^cairn: error: 'bad' "
expect_eq good-ran "$(cat good.txt)" "ok"
# The graph in graphs/ that uses every kind: runs, verifies.
mkdir ../g && cp "$GRAPHS/synth.toml" ../g/ && cd ../g || exit 1
run -q run synth.toml
expect_rc synth-graph 0
run verify synth.toml
expect_rc synth-verify 0
expect_match synth-verify "$out" '^verify: 10 instances: 10 reproducible, 0 differ, 0 failed in isolation$'
# groups: 4096 positions alone, or in groups of 4 (C(6, 3) = 20
# candidates each, deduplicated), 500 drawn; compare.tokens: the
# features both binnings fix alike (type; phi and MET phi over [-pi, pi])
# agree fully, pT and eta (quantile against uniform) do not.
run metrics synth.toml --csv groups
expect_match groups-1 "$out" '^groups\[gridsize=1\],4096\.0,6\.0,1\.0,1\.0,4096\.0,4096\.0,0\.0,500\.0,'
expect_match groups-2 "$out" '^groups\[gridsize=2\],4096\.0,6\.0,2\.0,4\.0,81920\.0,[0-9]+\.0,[0-9]+\.0,500\.0,'
run metrics synth.toml --csv compare
expect_match compare "$out" '^compare,20000\.0,20\.0,.*,1\.0,0\.[0-9]+,0\.[0-9]+,1\.0,0\.[0-9]+,1\.0$'
run kinds
expect_match kinds-all "$out" '^binning +events into integer tokens'
expect_match kinds-groups "$out" '^groups +neighbour groups'
expect_match kinds-compare "$out" '^compare\.tokens +two token datasets'
# zbins: local binning uses all 12 bins of z_range [4, 27] (24 slices of
# 32), the global way only the 10 that range covers; both as metrics.
run metrics synth.toml --csv slices
expect_match zbins-local "$out" '^slices,12\.0,12\.0,48\.0,4\.0,4\.0,4\.0$'
run metrics synth.toml --csv slices_global
expect_match zbins-global "$out" '^slices_global,12\.0,10\.0,48\.0,'
# A matrix sweeps kind settings through ${...}.
cat >sweep.toml <<'TOML'
[stage.vol]
kind = "synth.volumes"
with = { n = 1, nx = 16, ny = 16, nz = 64 }
outs = { volumes = "sw/vol.h5" }
[stage.cache]
kind = "zbins"
with = { z_range = [8, 55], n_bins = "${matrix.bins}", mode = "${matrix.mode}" }
deps = { volumes = "${stage.vol.outs.volumes}" }
outs = { cache = "sw/c-${matrix.mode}-${matrix.bins}.h5", report = "sw/r-${matrix.mode}-${matrix.bins}.json" }
matrix = { mode = ["local", "global"], bins = [6, 12] }
metrics = ["${outs.report}"]
TOML
run -q run sweep.toml
expect_rc sweep 0
run metrics sweep.toml --csv
expect_match sweep-local "$out" '^"cache\[mode=local,bins=12\]",12\.0,12\.0,'
expect_match sweep-global "$out" '^"cache\[mode=global,bins=12\]",12\.0,10\.0,'
sed -i 's/bins = \[6, 12\]/bins = [6, 0]/' sweep.toml
run graph sweep.toml
expect_rc sweep-bad 2
expect_match sweep-bad "$err" "sweep\.toml:7:38: setting 'n_bins' of kind 'zbins' is '0' here: not an integer in \[1, 100000\]$"
# A range past the last slice fails, naming the slice and the case.
sed -i 's/z_range = \[4, 27\], n_bins = 12 }/z_range = [4, 40], n_bins = 12 }/' synth.toml
run run synth.toml
expect_rc zbins-range 1
expect_match zbins-range "$err" 'zbins: z_range \[4, 40\] reaches slice 40, but case 0 has slices 0 to 31$'
run kind-run nosuch x.json
expect_rc kind-run-unknown 2
expect_eq kind-run-unknown "$err" "cairn: error: unknown kind 'nosuch'"
finish
