# The graph report.sh and report_browser.sh run (sourced in an empty
# folder): prep, then train over a matrix k = 1, 3, 2 (metrics acc, fp, n
# (the same in each) and loss.val; a curve of three epochs each), flaky
# (fails with exit 4) and after (downstream of flaky: never runs).
cat >cairn.toml <<'TOML'
[params]
lr = 0.1

[stage.prep]
cmd = "echo data > ${outs.d}"
outs = { d = "data.txt" }

[stage.train]
cmd = "cat ${deps.d} > ${outs.m}; echo '{\"acc\": ${matrix.k}, \"fp\": ${matrix.k}, \"n\": 100, \"loss\": {\"val\": 0.${matrix.k}}}' > ${outs.s}; printf '{\"epochs\": [' > ${outs.c}; for e in 1 2 3; do printf '%s{\"epoch\": %d, \"train_loss\": 0.%d, \"val_loss\": 0.%d%d}' \"$([ $e = 1 ] || echo ,)\" $e $((10-e*2)) $((10-e*2)) ${matrix.k} >> ${outs.c}; done; echo ']}' >> ${outs.c}"
deps = { d = "${stage.prep.outs.d}" }
outs = { m = "model-${matrix.k}.txt", s = "scores-${matrix.k}.json", c = "curve-${matrix.k}.json" }
matrix = { k = [1, 3, 2] }
metrics = ["${outs.s}"]
params = ["lr"]

[stage.flaky]
cmd = "exit 4"
outs = { f = "f.txt" }

[stage.after]
cmd = "cat ${deps.f} > ${outs.o}"
deps = { f = "${stage.flaky.outs.f}" }
outs = { o = "after.txt" }
TOML
