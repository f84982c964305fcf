#!/usr/bin/env bash
# `make bench`: bookchat's throughput and latency against this machine's ceilings, in one run (docs/performance.md).
#
#   scripts/bench.sh [BIN]      BIN: the release binary (default build/bookchat; bench_commit beside it)
#
# wrk (a second process on loopback) measures, each for BENCH_DURATION seconds: nginx serving a static JSON
# body as long as our GET /v1/widget/services answer (the HTTP ceiling); GET /v1/widget/services and /config;
# GET /v1/widget/availability of one professional over 7 and 28 days (realistic calendars) and its server
# time (the access log's "ms"); POST /v1/widget/bookings on distinct free slots with the store's durability
# as shipped; fsm chat turns; the reads with 10 and with 10,000 tenants in the store (three rounds of
# back-to-back pairs, then spread over all the tenants); the servers' memory; a noisy neighbour flooding at
# ten times its rate limit beside a victim at a fixed rate, and the same flood sent to a second server (the
# control). bench_commit measures the store's commit rate alone (the ceiling of booking writes). Around each
# run: the server's CPU time per request.
# Results: tables on stdout, test-artifacts/bench.json and test-artifacts/bench.md.
#
# Environment: BENCH_DURATION (s per run, default 6), BENCH_CONNECTIONS (reads, 64), BENCH_WRITE_CONNECTIONS
# (bookings, 8, as in every round; since group commit their rate still grows, to about 1.35 times at 16 to 64:
# docs/performance.md, round eleven), BENCH_CHAT_CONNECTIONS (chat, 32: their rate stops growing at 16 to 32),
# BENCH_TENANTS (10000), BENCH_COLD_BOOKINGS (bookings per professional of the extra tenants, 10),
# BENCH_FLOOD_LIMIT (the flooder's rate limit, 500/s), BENCH_PERF=1 (perf record with DWARF call graphs of the
# server under the services, availability, bookings and chat loads; reports in test-artifacts/perf-*.txt),
# BENCH_KEEP=1 (keep the temporary directory), BENCH_OUT (test-artifacts), BENCH_SERVER_CPUS and
# BENCH_CLIENT_CPUS (taskset core lists: the bookchat servers, nginx and bench_commit on the first, every wrk
# on the second; unset, as by default, every process may use every core; docs/performance.md, round eleven).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BIN=$(realpath "${1:-build/bookchat}")
BUILD_DIR=$(dirname "$BIN")
DUR=${BENCH_DURATION:-6}
CONNS=${BENCH_CONNECTIONS:-64}
WCONNS=${BENCH_WRITE_CONNECTIONS:-8}
CCONNS=${BENCH_CHAT_CONNECTIONS:-32}
BIG=${BENCH_TENANTS:-10000}
COLD_BOOKINGS=${BENCH_COLD_BOOKINGS:-10}
FLOOD_LIMIT=${BENCH_FLOOD_LIMIT:-500}
OUT=${BENCH_OUT:-$ROOT/test-artifacts}
THREADS=2 # wrk threads for the 64-connection runs
# the cores of each side (taskset keeps the PID: the CPU of a server is still read from /proc/PID)
PIN_SERVER=() PIN_CLIENT=()
[ -n "${BENCH_SERVER_CPUS:-}" ] && PIN_SERVER=(taskset -c "$BENCH_SERVER_CPUS")
[ -n "${BENCH_CLIENT_CPUS:-}" ] && PIN_CLIENT=(taskset -c "$BENCH_CLIENT_CPUS")
SETTLE=12 # s: after touching many tenants, their usage counters (every 5 s) and key last-use (10 s) are written

for tool in wrk nginx node ${PIN_SERVER[0]:-} ${PIN_CLIENT[0]:-}; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] || {
    echo "bench: $tool is missing (scripts/install-deps.sh installs it)" >&2
    exit 1
  }
done
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$BIN" ] && [ -x "$BUILD_DIR/bench_commit" ] || {
  echo "bench: $BIN or $BUILD_DIR/bench_commit is missing (make build)" >&2
  exit 1
}

WORK=$(mktemp -d "${TMPDIR:-/tmp}/bookchat-bench-XXXXXX")
RES=$WORK/results
mkdir -p "$RES" "$OUT"
TOKEN=bench-platform-$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
export BENCH_WRK_DIR=$ROOT/bench/wrk BENCH_ORIGIN=https://shop.example.com
START=$(date +%s)
SRV_PID="" NGINX_PID="" SRV_URL="" SRV_LOG="" SERVERS=""

# CPU seconds: busy and total of the machine (/proc/stat), and of this script's finished children
cpu_stat() { awk '/^cpu / { b = $2 + $3 + $4 + $7 + $8 + $9; print b / 100, (b + $5 + $6) / 100 }' /proc/stat; }
children_cpu() { # `times` must run in this shell, not in a $(…) subshell: redirect it to a file
  times >"$WORK/times"
  tail -n1 "$WORK/times" |
    awk '{ gsub(/s/, ""); split($1, a, "m"); split($2, b, "m"); print a[1] * 60 + a[2] + b[1] * 60 + b[2] }' >"$WORK/times.s"
}
read -r BUSY0 TOTAL0 <<<"$(cpu_stat)"
children_cpu
OURS0=$(cat "$WORK/times.s")

log() { printf '[bench %4ss] %s\n' "$(($(date +%s) - START))" "$*" >&2; }

# use NAME: the server that the next runs, memory readings and prepare steps talk to
use() {
  local p=PID_$1 u=URL_$1 l=LOG_$1
  SRV_PID=${!p} SRV_URL=${!u} SRV_LOG=${!l}
}

# stop_server NAME: SIGTERM, and wait for it
stop_server() {
  local p=PID_$1
  if [ -n "${!p:-}" ]; then
    kill -TERM "${!p}" 2>/dev/null || true
    wait "${!p}" 2>/dev/null || true
    printf -v "$p" '%s' ""
  fi
}

cleanup() {
  for name in $SERVERS; do stop_server "$name"; done
  if [ -n "$NGINX_PID" ]; then
    kill -TERM "$NGINX_PID" 2>/dev/null || true
    wait "$NGINX_PID" 2>/dev/null || true
  fi
  if [ "${BENCH_KEEP:-0}" = 1 ]; then echo "bench: kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

# start_server DATA NAME: bookchat serve on a free loopback port, access log on (as shipped) into NAME.log,
# the widget's per-visitor limits off (wrk is one visitor: it would get 429 after 4 bookings), the
# notifications dispatcher off unless BENCH_DISPATCHER=on (the seeded stores hold an outbox event per seeded
# booking: draining them in the background was most of the "idle" CPU and a third of the 10,000-tenant
# server's CPU per request; what the outbox costs is measured on its own, docs/performance.md); then `use NAME`
start_server() {
  local data=$1 name=$2 pid url
  BOOKCHAT_PLATFORM_TOKEN=$TOKEN BOOKCHAT_DRAIN_TIMEOUT=5 BOOKCHAT_VISITOR_LIMITS=off \
    BOOKCHAT_DISPATCHER=${BENCH_DISPATCHER:-off} BOOKCHAT_CALENDAR_POLLER=off \
    "${PIN_SERVER[@]}" "$BIN" serve --listen 127.0.0.1:0 --data "$data" --json >"$WORK/$name.out" 2>"$WORK/$name.log" &
  pid=$!
  SERVERS="$SERVERS $name"
  printf -v "PID_$name" '%s' "$pid"
  printf -v "LOG_$name" '%s' "$WORK/$name.log"
  for _ in $(seq 200); do
    grep -q '"event":"listening"' "$WORK/$name.out" 2>/dev/null && break
    kill -0 "$pid" 2>/dev/null || {
      cat "$WORK/$name.out" "$WORK/$name.log" >&2
      exit 1
    }
    sleep 0.05
  done
  url=$(sed -n 's/.*"url":"\([^"]*\)".*/\1/p' "$WORK/$name.out" | head -n1)
  [ -n "$url" ] || {
    echo "bench: the server did not start" >&2
    exit 1
  }
  printf -v "URL_$name" '%s' "$url"
  use "$name"
}

# memory NAME: the current server's memory now (kB) from /proc
memory() {
  awk -v name="$1" 'BEGIN { printf "{\"name\":\"%s\"", name }
    /^(VmRSS|VmHWM|RssAnon|RssFile|RssShmem):/ { printf ",\"%s_kb\":%d", $1, $2 } END { print "}" }' \
    "/proc/$SRV_PID/status" | sed 's/:_kb/_kb/g' >"$RES/mem-$1.json"
}

# anon_sampler NAME: the peak of the current server's own memory (RssAnon; VmHWM also counts the mapped
# store file), until it exits
anon_sampler() {
  local max=0 v pid=$SRV_PID
  while v=$(awk '/^RssAnon:/ { print $2 }' "/proc/$pid/status" 2>/dev/null) && [ -n "$v" ]; do
    [ "$v" -gt "$max" ] && max=$v && echo "{\"RssAnon_peak_kb\":$max}" >"$RES/anon-$1.json"
    sleep 0.25
  done
}

# cpu_of PIDS: their CPU time so far in seconds (utime + stime of /proc/PID/stat, in clock ticks)
cpu_of() {
  local p t=0
  for p in $1; do t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat"))); done
  awk -v t="$t" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", t / hz }'
}

# run NAME SCRIPT DATA CONNECTIONS THREADS URL [ROUTE [VAR=VALUE…]]: one wrk run; its summary in
# results/NAME.json, the server's CPU time during it in results/NAME.cpu.json (the processes of CPU_PIDS,
# by default the server; none when CPU_PIDS is set empty) and, for a ROUTE of bookchat, the access log's
# server times in results/NAME.server.json
run() {
  local name=$1 script=$2 data=$3 conns=$4 threads=$5 url=$6 route=${7:-} dur=${RUN_DURATION:-$DUR}
  shift 7 || shift $#
  local off=0 perf_pid="" pids=${CPU_PIDS-$SRV_PID} cpu0=0
  [ -n "$route" ] && off=$(stat -c %s "$SRV_LOG")
  [ -n "$pids" ] && cpu0=$(cpu_of "$pids")
  if [ "${BENCH_PERF:-0}" = 1 ] && [ -n "${PERF_THIS:-}" ]; then
    perf record --call-graph dwarf,16384 -F 499 -p "$SRV_PID" -o "$WORK/perf-$name.data" -- sleep "$((dur - 1))" \
      >/dev/null 2>&1 &
    perf_pid=$!
  fi
  env "$@" BENCH_DATA="$data" WRK_THREADS="$threads" \
    "${PIN_CLIENT[@]}" wrk -t"$threads" -c"$conns" -d"${dur}s" --timeout 5s -s "$BENCH_WRK_DIR/$script" "$url" >"$WORK/$name.wrk" 2>&1 || {
    cat "$WORK/$name.wrk" >&2
    exit 1
  }
  local cpu1=0 cpu2=0
  [ -n "$pids" ] && cpu1=$(cpu_of "$pids")
  if [ -n "${AFTER_IDLE:-}" ]; then # the background work the run leaves behind (usage and key flushes)
    sleep "$AFTER_IDLE"
    cpu2=$(cpu_of "$pids")
  fi
  grep '^BENCH_JSON ' "$WORK/$name.wrk" | sed 's/^BENCH_JSON //' >"$RES/$name.json"
  [ -s "$RES/$name.json" ] || {
    cat "$WORK/$name.wrk" >&2
    exit 1
  }
  [ -n "$pids" ] && awk -v a="$cpu0" -v b="$cpu1" -v c="$cpu2" -v idle="${AFTER_IDLE:-0}" \
    'BEGIN { printf "{\"cpu_s\":%.2f,\"after_idle_s\":%d,\"after_cpu_s\":%.2f}\n", b - a, idle, idle ? c - b : 0 }' \
    >"$RES/$name.cpu.json"
  printf '{"connections":%d,"threads":%d,"script":"%s"}\n' "$conns" "$threads" "$script" >"$RES/$name.run.json"
  if [ -n "$route" ]; then
    sleep 0.2 # the last answers' log lines
    node bench/prepare.mjs servertime --log "$SRV_LOG" --offset "$off" --route "$route" ${SERVER_TENANT:+--tenant "$SERVER_TENANT"} \
      >"$RES/$name.server.json"
  fi
  if [ -n "$perf_pid" ]; then
    wait "$perf_pid" || true
    perf report -i "$WORK/perf-$name.data" --stdio --no-children --sort dso,symbol --percent-limit 0.7 -g none \
      >"$OUT/perf-$name.txt" 2>/dev/null || true
    perf report -i "$WORK/perf-$name.data" --stdio --children --sort symbol --percent-limit 2 -g none \
      >"$OUT/perf-$name-children.txt" 2>/dev/null || true
  fi
  log "$name: $(node bench/prepare.mjs summary --file "$RES/$name.json")"
}

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

# ---- the machine ----
{
  printf '{"cores":%d,"cpu":"%s","kernel":"%s","memory_mb":%d,"wrk":"%s","nginx":"%s","date":"%s",' \
    "$(nproc)" "$(grep -m1 'model name' /proc/cpuinfo | sed 's/.*: //')" "$(uname -r)" \
    "$(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo)" "$(wrk -v 2>&1 | head -n1 | awk '{print $2}')" \
    "$("$NGINX" -v 2>&1 | sed 's/.*nginx\///')" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
  printf '"duration_s":%d,"read_connections":%d,"write_connections":%d,"chat_connections":%d,' "$DUR" "$CONNS" \
    "$WCONNS" "$CCONNS"
  printf '"tenants_big":%d,"commit":"%s",' "$BIG" "$(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
  printf '"server_cpus":"%s","client_cpus":"%s",' "${BENCH_SERVER_CPUS:-}" "${BENCH_CLIENT_CPUS:-}"
  printf '"loadavg_start":"%s"}\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
} >"$RES/machine.json"
# the machine is shared: say so when something else is already running
if awk -v c="$(nproc)" '{ exit !($1 > 0.5 * c) }' /proc/loadavg; then
  log "warning: load average $(cut -d' ' -f1-3 /proc/loadavg) before the start: other work shares the cores"
fi

# ---- stores: 10 tenants, and the same 10 plus BIG-10 more ----
log "seeding 10 tenants"
"$BIN" dev seed --tenants 10 --providers-per-tenant 4 --bookings-per-provider 10 --conversations-per-tenant 2 \
  --keys-out "$WORK/hot.jsonl" --data "$WORK/s10" --json >"$RES/seed-10.json"
start_server "$WORK/s10" realistic
node bench/prepare.mjs realistic --url "$SRV_URL" --token "$TOKEN" --keys "$WORK/hot.jsonl" --days 28 --per-day 6 \
  >"$RES/realistic.json"
stop_server realistic
log "realistic calendars: $(cat "$RES/realistic.json")"
cp -a "$WORK/s10" "$WORK/sbig"
log "seeding $((BIG - 10)) more tenants into a copy"
"$BIN" dev seed --tenants "$((BIG - 10))" --providers-per-tenant 2 --bookings-per-provider "$COLD_BOOKINGS" \
  --conversations-per-tenant 1 --keys-out "$WORK/cold.jsonl" --data "$WORK/sbig" --json >"$RES/seed-big.json"
echo "{\"s10_mb\":$(du -sm "$WORK/s10" | cut -f1),\"big_mb\":$(du -sm "$WORK/sbig" | cut -f1)}" >"$RES/store.json"
log "seeded: $(tr -d '\n ' <"$RES/seed-big.json"), stores $(cat "$RES/store.json")"

# ---- the store's commit rate on its own ----
mkdir -p "$WORK/commit"
"${PIN_SERVER[@]}" "$BUILD_DIR/bench_commit" "$WORK/commit" 3 2 600 >"$RES/commit.json"
log "commit ceiling: $(cat "$RES/commit.json")"

# ---- two servers side by side, one per store, so that the 10 / BIG comparisons run back to back ----
start_server "$WORK/sbig" big
sleep 0.5
memory big-idle
anon_sampler big &
start_server "$WORK/s10" s10
sleep 0.5
memory s10-idle
anon_sampler s10 &
node bench/prepare.mjs prepare --url "$SRV_URL" --token "$TOKEN" --keys "$WORK/hot.jsonl" --out "$WORK" \
  --conversations $((CCONNS * 16 + 1)) >"$RES/prepare.json"
log "prepared: $(cat "$RES/prepare.json")"
use big
node bench/prepare.mjs ids --url "$SRV_URL" --keys "$WORK/hot.jsonl,$WORK/cold.jsonl" --out "$WORK/spread.tsv" \
  >"$RES/ids.json"
# every tenant just touched has usage counters and a key last-use to write: let those flushes pass
sleep "$SETTLE"

# nginx: the same body size, keepalive, workers = cores, run as the current user from a temporary prefix
NGINX_PORT=$(free_port)
mkdir -p "$WORK/nginx/logs"
{
  [ "$(id -u)" = 0 ] && echo "user root;"
  cat <<NGINX_CONF
worker_processes $(nproc);
daemon off;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_timeout 65;
  keepalive_requests 100000000;
  client_body_temp_path $WORK/nginx/client;
  proxy_temp_path $WORK/nginx/proxy;
  fastcgi_temp_path $WORK/nginx/fastcgi;
  uwsgi_temp_path $WORK/nginx/uwsgi;
  scgi_temp_path $WORK/nginx/scgi;
  server {
    listen 127.0.0.1:$NGINX_PORT;
    default_type application/json;
    location / { return 200 '$(cat "$WORK/nginx-body.json")'; }
  }
}
NGINX_CONF
} >"$WORK/nginx/nginx.conf"
"${PIN_SERVER[@]}" "$NGINX" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" -e "$WORK/nginx/logs/error.log" &
NGINX_PID=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$NGINX_PORT/v1/widget/services" >/dev/null 2>&1 && break; sleep 0.05; done
NGINX_BYTES=$(curl -s "http://127.0.0.1:$NGINX_PORT/v1/widget/services" | wc -c)
echo "{\"body_bytes\":$NGINX_BYTES}" >"$RES/nginx-body.json"

for name in s10 big; do
  use $name
  RUN_DURATION=2 run "warmup_$name" reads.lua "$WORK/reads.tsv" "$CONNS" $THREADS "$SRV_URL" "" BENCH_KIND=services
done
CPU_PIDS="$NGINX_PID $(ps -o pid= --ppid "$NGINX_PID" | tr '\n' ' ')" \
  run nginx reads.lua "$WORK/reads.tsv" "$CONNS" $THREADS "http://127.0.0.1:$NGINX_PORT" "" BENCH_KIND=services
kill -TERM "$NGINX_PID" 2>/dev/null || true
wait "$NGINX_PID" 2>/dev/null || true
NGINX_PID=""

# The reads: 10 tenants and BIG tenants (the same 10 tenants) back to back, three rounds of shorter runs
# (the report takes medians: one run's CPU per request moves by ±15 % on this shared machine), then spread
# over all BIG tenants, followed by SETTLE idle seconds whose CPU is the usage and key-use writes it left.
ROUND_DUR=$(((DUR * 2 + 2) / 3))
for kind in services config avail7; do
  route=widget.$kind
  [ "$kind" = avail7 ] && route=widget.availability
  for round in 1 2 3; do
    perf_this=""
    [ "$round" = 2 ] && [ "$kind" != config ] && perf_this=1
    order="s10 big"
    [ "$round" = 2 ] && order="big s10" # the second of a pair is not always the same server
    for name in $order; do
      use $name
      if [ $name = s10 ]; then
        PERF_THIS=$perf_this RUN_DURATION=$ROUND_DUR run "${kind}_r$round" reads.lua "$WORK/reads.tsv" "$CONNS" $THREADS \
          "$SRV_URL" "$route" BENCH_KIND=$kind
      else
        PERF_THIS=$perf_this RUN_DURATION=$ROUND_DUR run "${kind}_big_r$round" reads.lua "$WORK/reads.tsv" "$CONNS" $THREADS "$SRV_URL" \
          "$route" BENCH_KIND=$kind
      fi
    done
  done
  AFTER_IDLE=$SETTLE run "${kind}_big_spread" reads.lua "$WORK/spread.tsv" "$CONNS" $THREADS "$SRV_URL" "$route" \
    BENCH_KIND=$kind
done
memory big-load
stop_server big

use s10
run avail28 reads.lua "$WORK/reads.tsv" "$CONNS" $THREADS "$SRV_URL" widget.availability BENCH_KIND=avail28
RUN_DURATION=$(((DUR + 1) / 2)) run avail7_1conn reads.lua "$WORK/reads.tsv" 1 1 "$SRV_URL" widget.availability \
  BENCH_KIND=avail7
PERF_THIS=1 RUN_DURATION=$(((DUR + 1) / 2)) run bookings bookings.lua "$WORK/slots.tsv" "$WCONNS" $THREADS "$SRV_URL" widget.bookings.create
PERF_THIS=1 run chat chat.lua "$WORK/convs.tsv" "$CCONNS" $THREADS "$SRV_URL" widget.conversations.message

# noisy neighbour: the victim alone at a fixed rate, then beside a flood at ten times the flooder's limit;
# three times, alternating; the medians are compared, so that one stall of the shared machine does not decide
node bench/prepare.mjs noisy --url "$SRV_URL" --token "$TOKEN" --keys "$WORK/hot.jsonl" --limit "$FLOOD_LIMIT" \
  >"$RES/noisy.json"
VICTIM_RATE=500 VICTIM_CONNS=8
FLOOD_RATE=$((10 * FLOOD_LIMIT)) FLOOD_CONNS=32
VICTIM_ID=$(node -p 'JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).victim' "$WORK/meta.json")
# the control: the same flood sent to another bookchat process (on the 10,000-tenant store, which holds the
# same ten tenants, with the same limit), so that the victim beside it shows what the flood's traffic costs on
# the machine's two shared cores by itself, whatever this server does (docs/performance.md, round eight)
start_server "$WORK/sbig" apart
APART_URL=$SRV_URL
node bench/prepare.mjs noisy --url "$APART_URL" --token "$TOKEN" --keys "$WORK/hot.jsonl" --limit "$FLOOD_LIMIT" \
  >"$RES/noisy-apart.json"
use s10
# victim NAME: the victim's paced reads of its own server (its server time from the access log)
victim() {
  CPU_PIDS="" SERVER_TENANT=$VICTIM_ID run "$1" paced.lua "$WORK/victim.tsv" $VICTIM_CONNS 1 "$SRV_URL" \
    widget.services BENCH_RATE=$VICTIM_RATE
}
# beside_flood FLOOD_NAME VICTIM_NAME URL: the flood to URL, and the victim beside it once it runs
beside_flood() {
  (CPU_PIDS="" RUN_DURATION=$((DUR + 2)) run "$1" paced.lua "$WORK/flood.tsv" $FLOOD_CONNS 1 "$3" "" \
    BENCH_RATE=$FLOOD_RATE) &
  local job=$!
  sleep 1
  victim "$2"
  wait "$job"
}
for pair in 1 2 3; do
  victim "victim_solo$pair"
  beside_flood "flood$pair" "victim_flood$pair" "$SRV_URL"
  beside_flood "flood_apart$pair" "victim_apart$pair" "$APART_URL"
done
stop_server apart
printf '{"victim_rate":%d,"victim_connections":%d,"flood_rate":%d,"flood_connections":%d}\n' \
  $VICTIM_RATE $VICTIM_CONNS $FLOOD_RATE $FLOOD_CONNS >"$RES/noisy-setup.json"
memory s10-load
stop_server s10
wait

# how much of the machine other work used meanwhile (the cores are shared; docs/performance.md)
read -r BUSY1 TOTAL1 <<<"$(cpu_stat)"
children_cpu
OURS1=$(cat "$WORK/times.s")
OTHER=$(awk -v b="$((${BUSY1%.*} - ${BUSY0%.*}))" -v t="$((${TOTAL1%.*} - ${TOTAL0%.*}))" -v o0="$OURS0" -v o1="$OURS1" \
  'BEGIN { x = (b - (o1 - o0)) / t; if (x < 0) x = 0; printf "%.3f", x }')
printf '{"total_s":%d,"other_cpu_share":%s,"cpu_busy_s":%d,"bench_cpu_s":%s}\n' "$(($(date +%s) - START))" "$OTHER" \
  "$((${BUSY1%.*} - ${BUSY0%.*}))" "$(awk -v a="$OURS0" -v b="$OURS1" 'BEGIN { printf "%.1f", b - a }')" >"$RES/total.json"
node bench/report.mjs "$RES" "$OUT"
