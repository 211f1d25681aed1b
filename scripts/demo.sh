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
# The main job: the demo graph end to end, then again (nothing to do),
# then a changed param and back (the second comes from the store).
step run graphs/demo.toml
echo "+ cat graphs/demo-out/report.txt"
cat graphs/demo-out/report.txt
step -q run graphs/demo.toml
step status graphs/demo.toml
step -q run graphs/demo.toml -p events=5000
step run graphs/demo.toml
step metrics graphs/demo.toml --sort -accuracy
step verify --sample 4 graphs/demo.toml
step dag graphs/demo.toml
