#!/usr/bin/env bash
# The noisy-neighbour part of `make bench` alone, for several binaries in one run (issue 21): a victim
# tenant's GET /v1/widget/services at a fixed rate, alone and beside a flooder at ten times its rate limit
# (bench/wrk/paced.lua, as scripts/bench.sh runs it); the medians of three pairs of p99s, the flooder's
# statuses; and the cost of a refusal: the flooder's key at full speed (wrk, 16 connections, nearly every
# answer a 429), the server's CPU per request.
#
#   bench/noisy.sh BIN [BIN…]     env: NOISY_DURATION (s per run, 6), NOISY_LIMIT (the flooder's limit, 500/s)
set -euo pipefail
cd "$(dirname "$0")/.."
DUR=${NOISY_DURATION:-6}
LIMIT=${NOISY_LIMIT:-500}
BENCH_NAME=noisy
. bench/lib.sh
export BENCH_WRK_DIR=$PWD/bench/wrk BENCH_ORIGIN=https://shop.example.com
bench_seed "$1" 10
key_of() { sed -n "${1}p" "$WORK/keys.jsonl" | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).key'; }
key_of 1 >"$WORK/victim.tsv"
key_of 2 >"$WORK/flood.tsv"
p99() { grep '^BENCH_JSON ' "$1" | sed 's/^BENCH_JSON //' | node -pe 'JSON.parse(require("fs").readFileSync(0, "utf8")).p99_us'; }
median() { printf '%s\n' "$@" | sort -n | sed -n 2p; }
for bin in "$@"; do
  bench_start "$bin"
  url=$URL
  node bench/prepare.mjs noisy --url "$url" --token "$TOKEN" --keys "$WORK/keys.jsonl" --limit "$LIMIT" >/dev/null
  c0=$(cpu_ticks "$SRV")
  wrk -t1 -c16 -d"${DUR}s" -H "X-Api-Key: $(cat "$WORK/flood.tsv")" -H "Origin: $BENCH_ORIGIN" \
    "$url/v1/widget/services" >"$WORK/full.wrk"
  c1=$(cpu_ticks "$SRV")
  awk -v bin="$bin" -v t="$((c1 - c0))" -v hz="$(getconf CLK_TCK)" '/requests in/ { n = $1 } /Non-2xx/ { r = $5 }
    END { printf "%s: refusals at full speed: %d requests (%d not 2xx), server CPU %.1f µs per request\n", bin, n, r, t / hz * 1e6 / n }' \
    "$WORK/full.wrk"
  solo=() under=() cpu_flood=() statuses=""
  for pair in 1 2 3; do
    BENCH_DATA=$WORK/victim.tsv BENCH_RATE=500 wrk -t1 -c8 -d"${DUR}s" -s bench/wrk/paced.lua "$url" >"$WORK/solo.wrk"
    solo+=("$(p99 "$WORK/solo.wrk")")
    c0=$(cpu_ticks "$SRV")
    BENCH_DATA=$WORK/flood.tsv BENCH_RATE=$((10 * LIMIT)) wrk -t1 -c32 -d"$((DUR + 2))s" -s bench/wrk/paced.lua \
      "$url" >"$WORK/flood.wrk" &
    flood=$!
    sleep 1
    BENCH_DATA=$WORK/victim.tsv BENCH_RATE=500 wrk -t1 -c8 -d"${DUR}s" -s bench/wrk/paced.lua "$url" >"$WORK/under.wrk"
    wait "$flood"
    c1=$(cpu_ticks "$SRV")
    under+=("$(p99 "$WORK/under.wrk")")
    cpu_flood+=("$((c1 - c0))")
    statuses=$(grep '^BENCH_JSON ' "$WORK/flood.wrk" | sed 's/^BENCH_JSON //' | node -pe 'JSON.stringify(JSON.parse(require("fs").readFileSync(0, "utf8")).statuses)')
  done
  s=$(median "${solo[@]}") u=$(median "${under[@]}")
  awk -v bin="$bin" -v s="$s" -v u="$u" -v st="$statuses" -v solo="${solo[*]}" -v under="${under[*]}" 'BEGIN {
    printf "%s: victim p99 alone %s µs, beside the flood %s µs (medians of %s / %s): %+.0f %%; the flood (last run): %s\n",
      bin, s, u, solo, under, (u / s - 1) * 100, st }'
  echo "  server CPU during each flood run (s): $(for c in "${cpu_flood[@]}"; do awk -v c="$c" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f ", c / hz }'; done)"
  bench_stop
done
