#!/bin/bash
# README command 1: install what is missing, build an optimised cairn, and
# run the main job (the demo graph) end to end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

build=build/release
if [ ! -f "$build/CMakeCache.txt" ]; then
	cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release \
		-DCAIRN_TESTS=OFF >/dev/null
fi
cmake --build "$build"

step() {
	echo "+ cairn $*"
	"$build/cairn" "$@"
}
step --version
step toml-json graphs/demo.toml
