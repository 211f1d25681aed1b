#!/bin/bash
# README command 1: install what is missing, build an optimised cairn, and
# run the main job (the demo graph) end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

build=build/release
bash scripts/build.sh "$build" -DCMAKE_BUILD_TYPE=Release -DCAIRN_TESTS=OFF

step() {
	echo "+ cairn $*"
	"$build/cairn" "$@"
}
step --version
# The main job: the demo graph end to end and its metrics table; then
# again (nothing to do), a changed param (what depends on it reruns) and
# back (restored from the store).
step run graphs/demo.toml
step metrics graphs/demo.toml --sort -auc
step run graphs/demo.toml
step run graphs/demo.toml -p bins=8
step run graphs/demo.toml
step status graphs/demo.toml
step verify --sample 3 graphs/demo.toml
step dag graphs/demo.toml
# The page about it all (the demo also makes one as a stage's output:
# graphs/demo-out/report.html).
step report graphs/demo.toml -o "$build/demo-report.html"
