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
step toml-json graphs/demo.toml
