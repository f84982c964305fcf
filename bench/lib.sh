# Shared by bench/idle.sh and bench/noisy.sh (sourced): a temporary directory, a platform token, and one
# server at a time on a free loopback port (stopped on exit).
[ $# -ge 1 ] || { # the caller's arguments: the binaries to compare
  echo "usage: $0 BIN [BIN…]" >&2
  exit 2
}
WORK=$(mktemp -d "${TMPDIR:-/tmp}/bookchat-${BENCH_NAME:-bench}-XXXXXX")
TOKEN=bench-platform-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
SRV="" URL=""
bench_cleanup() {
  if [ -n "$SRV" ]; then kill -TERM "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null; fi
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap bench_cleanup EXIT

# bench_seed BIN N: N seeded tenants in $WORK/seed, their keys in $WORK/keys.jsonl
bench_seed() {
  "$(realpath "$1")" dev seed --tenants "$2" --providers-per-tenant 2 --bookings-per-provider 2 \
    --conversations-per-tenant 0 --keys-out "$WORK/keys.jsonl" --data "$WORK/seed" --json >/dev/null
}

# bench_start BIN: serves a fresh copy of $WORK/seed (the dispatcher off: the seed's booking events would
# keep it busy for minutes, which is not what these measure; BENCH_DISPATCHER=on to include it); sets SRV, URL
bench_start() {
  rm -rf "$WORK/data" && cp -a "$WORK/seed" "$WORK/data"
  BOOKCHAT_DISPATCHER=${BENCH_DISPATCHER:-off} BOOKCHAT_PLATFORM_TOKEN=$TOKEN "$(realpath "$1")" serve \
    --listen 127.0.0.1:0 --data "$WORK/data" --json >"$WORK/out" 2>"$WORK/log" &
  SRV=$!
  for _ in $(seq 200); do grep -q '"listening"' "$WORK/out" 2>/dev/null && break; sleep 0.05; done
  URL=$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$WORK/out" | head -n1)
  [ -n "$URL" ] || { cat "$WORK/log" >&2; exit 1; }
}

bench_stop() {
  kill -TERM "$SRV" && wait "$SRV" || true
  SRV=""
}

# the CPU time of a process so far, in clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
