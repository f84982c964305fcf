#!/usr/bin/env bash
# The write amplification of idle bookkeeping (issue 21): one widget read of each of N tenants, then the
# server's CPU in the idle seconds that follow (usage counters, key last-used), per request served; and the
# store's writes in that window (/metrics). Each binary gets a fresh copy of one seeded store, in one run.
#
#   bench/idle.sh BIN [BIN…]      env: IDLE_TENANTS (2000), IDLE_ROUNDS (reads of each tenant, 1),
#                                 IDLE_SETTLE (12 s), BENCH_KEEP=1 (keep the dir), BENCH_DISPATCHER (bench/lib.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${IDLE_TENANTS:-2000}
ROUNDS=${IDLE_ROUNDS:-1}
SETTLE=${IDLE_SETTLE:-12}
BENCH_NAME=idle
. bench/lib.sh
bench_seed "$1" "$N"
HZ=$(getconf CLK_TCK)
for bin in "$@"; do
  bench_start "$bin"
  url=$URL
  sleep 11 # past the start-up flushes (usage every 5 s, key last-used every 10 s)
  c0=$(cpu_ticks "$SRV")
  IDLE_ROUNDS=$ROUNDS IDLE_URL=$url IDLE_KEYS=$WORK/keys.jsonl node --input-type=module -e '
    import { readFileSync } from "node:fs";
    const once = readFileSync(process.env.IDLE_KEYS, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l).key);
    const keys = Array.from({ length: Number(process.env.IDLE_ROUNDS) }, () => once).flat();
    let i = 0, bad = 0;
    const worker = async () => {
      while (i < keys.length) {
        const k = keys[i++];
        const r = await fetch(process.env.IDLE_URL + "/v1/widget/services", { headers: { "x-api-key": k, origin: "https://shop.example.com" } });
        await r.arrayBuffer();
        if (r.status !== 200) bad++;
      }
    };
    await Promise.all(Array.from({ length: 16 }, worker));
    if (bad) { console.error(`${bad} reads failed`); process.exit(1); }'
  c1=$(cpu_ticks "$SRV")
  m0=$(curl -sf -H "Authorization: Bearer $TOKEN" "$url/metrics")
  sleep "$SETTLE"
  c2=$(cpu_ticks "$SRV")
  m1=$(curl -sf -H "Authorization: Bearer $TOKEN" "$url/metrics")
  count() { grep -E "^bookchat_store_operation_duration_seconds_count\{op=\"$1\"\}" <<<"$2" | awk '{ print $2 }'; }
  items() { grep -E '^bookchat_usage_items_written_total ' <<<"$1" | awk '{ print $2 }'; }
  awk -v bin="$bin" -v n="$((N * ROUNDS))" -v hz="$HZ" -v a="$c0" -v b="$c1" -v c="$c2" -v s="$SETTLE" \
    -v u0="$(count update "$m0")" -v u1="$(count update "$m1")" -v p0="$(count put "$m0")" \
    -v p1="$(count put "$m1")" -v i0="$(items "$m0")" -v i1="$(items "$m1")" 'BEGIN {
      printf "%s: %d reads, %.0f µs CPU/read serving them; idle %d s after: %.2f s CPU = %.1f µs per read served; ", bin, n, (b - a) / hz * 1e6 / n, s, (c - b) / hz, (c - b) / hz * 1e6 / n
      printf "store updates %d, puts %d, usage items %d\n", u1 - u0, p1 - p0, i1 - i0 }'
  bench_stop
done
