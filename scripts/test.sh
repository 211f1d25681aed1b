#!/bin/bash
# README command 2 (and what CI runs): install what is missing, build the
# sanitizer configuration (AddressSanitizer + UBSan, clang with libFuzzer),
# and run the whole test suite with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/deps.sh

build=build/asan
bash scripts/build.sh "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
	-DCMAKE_C_COMPILER=clang -DCAIRN_SANITIZE=ON

export ASAN_OPTIONS=detect_leaks=1:strict_string_checks=1:protect_shadow_gap=0
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
ctest --test-dir "$build" --output-on-failure -j "$(nproc)"
