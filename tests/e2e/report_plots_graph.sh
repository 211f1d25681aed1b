# The graph report_plots.sh and report_browser.sh run (sourced in an empty
# folder): the pictures of binning and zbins from the real kinds on small
# data, and a shell stage over a matrix k = 1, 2 writing a CSV history, an
# SVG and a PNG (a copy of dot.png, 2 x 1 pixels, red then blue) that
# cairn.toml declares as plots only once plots.toml is copied over it.
printf '%s' 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAABCAIAAAB7QOjdAAAADUlEQVR42mP4zwAE/wEHAAH/PX2MSQAAAABJRU5ErkJggg==' |
	base64 -d >dot.png
cat >cairn.toml <<'TOML'
[stage.events]
kind = "synth.events"
with = { n = 200, max_objects = 6, seed = 2 }
outs = { events = "events.h5" }

[stage.bin]
kind = "binning"
with = { bins = 4 }
deps = { events = "${stage.events.outs.events}" }
outs = { tokens = "tokens.h5", report = "binning.json" }

[stage.volumes]
kind = "synth.volumes"
with = { n = 1, nx = 16, ny = 16, nz = 32 }
outs = { volumes = "volumes.h5" }

[stage.slices]
kind = "zbins"
with = { z_range = [4, 27], n_bins = 12, mode = "global" }
deps = { volumes = "${stage.volumes.outs.volumes}" }
outs = { cache = "slices.h5", report = "zbins.json" }

[stage.train]
cmd = "printf 'epoch,loss,acc\\n1,0.9,0.${matrix.k}\\n2,0.5,0.7\\n3,0.${matrix.k},0.8\\n' > ${outs.history}; printf '<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"40\" height=\"20\" onload=\"alert(1)\"><rect width=\"40\" height=\"20\" fill=\"#59a14f\"/></svg>' > ${outs.sketch}; cp ${deps.png} ${outs.sample}"
deps = { png = "dot.png" }
outs = { history = "history-${matrix.k}.csv", sketch = "sketch-${matrix.k}.svg", sample = "sample-${matrix.k}.png" }
matrix = { k = [1, 2] }
TOML
# The same graph with the shell stage's plots declared.
sed 's/^matrix = { k = \[1, 2\] }$/&\nplots = { history = { x = "epoch", y = ["loss", "acc"] }, sketch = "image", sample = { form = "image", title = "a sample" } }/' \
	cairn.toml >plots.toml
