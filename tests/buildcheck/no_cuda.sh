#!/bin/bash
# The tree builds without CUDA.  Configure a scratch build folder with
# -DCAIRN_CUDA=OFF (no tests, no benchmarks) and build the code that
# differs there, the kernels and the stages (and the layers below them),
# with this build's compiler and its -Werror: an #ifdef CAIRN_HAVE_CUDA
# branch that only compiles with CUDA (a parameter unused without it)
# fails here.  The folder is kept: later runs rebuild only what changed.
# usage: no_cuda.sh SRC DIR CC GENERATOR
SRC=$1
B=$2
CC=$3
GEN=$4
mkdir -p "$B" || exit 1
log=$B/no_cuda.log
if ! cmake -S "$SRC" -B "$B" -G "$GEN" -DCMAKE_C_COMPILER="$CC" \
	-DCMAKE_BUILD_TYPE=RelWithDebInfo -DCAIRN_CUDA=OFF \
	-DCAIRN_TESTS=OFF -DCAIRN_BENCH=OFF >"$log" 2>&1; then
	cat "$log"
	echo "FAIL: configuring with -DCAIRN_CUDA=OFF"
	exit 1
fi
if ! grep -q 'cairn: CUDA kernels OFF' "$log"; then
	cat "$log"
	echo "FAIL: -DCAIRN_CUDA=OFF configured CUDA in"
	exit 1
fi
if ! cmake --build "$B" --target cairn_kernels cairn_stages >>"$log" 2>&1; then
	cat "$log"
	echo "FAIL: kernels/ and stages/ do not build without CUDA"
	exit 1
fi
echo "no_cuda: kernels/ and stages/ build with -DCAIRN_CUDA=OFF ($CC)"
