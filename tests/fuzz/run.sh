#!/bin/bash
# Run a libFuzzer target for a bounded time, seeded with the TOML corpus.
# New inputs it finds are kept in WORK (the build tree), so later runs
# start from where earlier ones stopped.
# usage: run.sh FUZZER WORK SECONDS CORPUS_DIR DICT
set -eu
fuzzer=$1 work=$2 secs=$3 corpus=$4 dict=$5
mkdir -p "$work"
for d in valid invalid errors; do
	cp -n "$corpus/$d"/*.toml "$work/" 2>/dev/null || true
done
exec "$fuzzer" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	-max_len=4096 -dict="$dict" -print_final_stats=1 "$work"
