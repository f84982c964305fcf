#!/usr/bin/env bash
# Builds the libFuzzer targets (clang, ASan+UBSan) and runs each for SECONDS (default 60) on its seed corpus
# (fuzz/corpus/<name>; new inputs go to fuzz/corpus-run/<name>, ignored by git). Fails on any crash, leak
# or sanitizer report. `make fuzz` runs it; `make test` runs it with a few seconds per target.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DBC_FUZZ=ON >/dev/null
cmake --build build-fuzz -j"$(nproc)" >/dev/null
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
status=0
for t in build-fuzz/fuzz_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t"); name=${name#fuzz_}
  mkdir -p "fuzz/corpus-run/$name"
  seeds="fuzz/corpus/$name"; [ -d "$seeds" ] || seeds=""
  log=$(mktemp)
  if "$t" -max_total_time="$secs" -rss_limit_mb=2048 -timeout=20 -print_final_stats=1 "fuzz/corpus-run/$name" $seeds >"$log" 2>&1; then
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    echo "fuzz: $name ok, $runs runs in ${secs}s"
  else
    echo "fuzz: $name FAILED" >&2
    tail -40 "$log" >&2
    status=1
  fi
  rm -f "$log"
done
exit $status
