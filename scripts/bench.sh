#!/usr/bin/env bash
# The conveyor benchmark (not a test): loads 100,000 open deals with 1,000,000 transitions
# (`konveyer seed-bench`), serves the release build and measures with wrk, as a signed-in
# administrator, the board's first page, a filtered search, and moves under load (50
# connections at a fixed rate, then flat out). Prints a summary table; docs/benchmarks.md
# records the figures.
#
# Usage: scripts/bench.sh [sqlite|postgres|both]
# Environment (defaults in brackets):
#   BENCH_DEALS [100000]  BENCH_TRANSITIONS_PER_DEAL [10]  BENCH_PORT [3950]
#   BENCH_RATE [200] moves/s  BENCH_CONNECTIONS [50]  BENCH_SECONDS [30] at that rate
#   BENCH_MAX_SECONDS [20] flat out  BENCH_BOARD_SECONDS [20] per board run
#   BENCH_BOARD_RUNS [seed-bench's default] in-process board timings after loading
#   BENCH_SKIP_BUILD [0]  BENCH_BIN [target/release/konveyer] the binary to measure
#   BENCH_KEEP [0] (1 keeps the databases)
#   BENCH_OUT [target/bench] where logs and summary.md go
#   BENCH_PG_URL [postgres://postgres@127.0.0.1:5432] the server, without a database name
#   BENCH_NICE [0] e.g. -15 on a machine shared with builds: runs the script in a session
#     of its own at that niceness (the kernel groups CPU time by session, so a process's
#     own nice value counts only within its session) and, unless BENCH_PG_URL is set, a
#     private PostgreSQL cluster (Debian's binaries, default settings, port 5433) too,
#     since the shared server's processes are not ours to reprioritise. Needs root.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
log() { printf '\033[1;34m[bench]\033[0m %s\n' "$*" >&2; }

MODE="${1:-both}"
case "$MODE" in sqlite | postgres | both) ;; *)
  echo "usage: $0 [sqlite|postgres|both]" >&2
  exit 2
  ;;
esac
DEALS="${BENCH_DEALS:-100000}"
PER_DEAL="${BENCH_TRANSITIONS_PER_DEAL:-10}"
PORT="${BENCH_PORT:-3950}"
RATE="${BENCH_RATE:-200}"
CONNECTIONS="${BENCH_CONNECTIONS:-50}"
MOVE_SECONDS="${BENCH_SECONDS:-30}"
MAX_SECONDS="${BENCH_MAX_SECONDS:-20}"
BOARD_SECONDS="${BENCH_BOARD_SECONDS:-20}"
OUT="${BENCH_OUT:-$ROOT/target/bench}"
PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}"
NICE="${BENCH_NICE:-0}"
if [ "$NICE" != 0 ]; then
  [ "$(id -u)" -eq 0 ] || { echo "BENCH_NICE needs root" >&2; exit 1; }
  if [ -z "${BENCH_OWN_SESSION:-}" ]; then
    BENCH_OWN_SESSION=1 exec setsid -w "$ROOT/scripts/bench.sh" "$@"
  fi
  [ -w /proc/self/autogroup ] && echo "$NICE" >/proc/self/autogroup
fi
ADDR="127.0.0.1:$PORT"
BASE="http://$ADDR"
ADMIN_EMAIL="admin@konveyer.demo"
ADMIN_PASSWORD="konveyer-demo"
mkdir -p "$OUT"

# The load generator: Debian's wrk (Lua scripting varies each move's body).
if ! command -v wrk >/dev/null; then
  log "installing wrk from Debian's packages"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq wrk
fi

TOOLS_DIR="${KONVEYER_TOOLS_DIR:-$HOME/.cache/konveyer/tools}"
export PATH="$TOOLS_DIR/node_modules/.bin:$HOME/.cargo/bin:$PATH"
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ]; then
  "$ROOT/scripts/ensure-tools.sh" build
  log "building the release (as scripts/run.sh does)"
  "$ROOT/scripts/build-site.sh" release >/dev/null
fi
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
KONVEYER="${BENCH_BIN:-$TARGET_DIR/release/konveyer}"
export LEPTOS_SITE_ROOT="$ROOT/target/site"
export RUST_LOG="${RUST_LOG:-warn}"

if curl -fs "$BASE/healthz" >/dev/null 2>&1; then
  echo "something already serves $ADDR; stop it or set BENCH_PORT" >&2
  exit 1
fi

# wrk scripts. Every run prints one machine-readable line from done().
LUA_DIR="$(mktemp -d)"
SERVER_PID=""
PG_DIR=""
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)"
cleanup() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ -n "$PG_DIR" ]; then
    runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null || true
    rm -rf "$PG_DIR"
  fi
  rm -rf "$LUA_DIR"
}
trap cleanup EXIT
NICED=()
[ "$NICE" = 0 ] || NICED=(nice -n "$NICE")

# A private cluster at our niceness (BENCH_NICE without BENCH_PG_URL).
start_private_postgres() {
  PG_DIR="$(mktemp -d)"
  chown postgres "$PG_DIR"
  runuser -u postgres -- "$PG_BIN/initdb" -D "$PG_DIR/data" -A trust -U postgres >/dev/null
  nice -n "$NICE" runuser -u postgres -- "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" \
    -o "-p 5433 -k $PG_DIR -c listen_addresses=127.0.0.1" -w start >/dev/null
  # pg_ctl starts the postmaster in a session of its own: give that one our niceness too.
  local postmaster
  postmaster="$(head -1 "$PG_DIR/data/postmaster.pid")"
  [ -w "/proc/$postmaster/autogroup" ] && echo "$NICE" >"/proc/$postmaster/autogroup"
  PG_URL="postgres://postgres@127.0.0.1:5433"
}
cat >"$LUA_DIR/report.lua" <<'LUA'
function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d rps=%.1f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f non2xx=%d socket_errors=%d\n",
    summary.requests, summary.requests / seconds, latency:percentile(50) / 1000,
    latency:percentile(99) / 1000, latency.max / 1000, e.status,
    e.connect + e.read + e.write + e.timeout))
end
LUA
cat >"$LUA_DIR/board.lua" <<'LUA'
-- POST the same board request (BENCH_BODY) as the signed-in user.
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Cookie"] = os.getenv("BENCH_COOKIE")
wrk.headers["Origin"] = os.getenv("BENCH_ORIGIN")
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
LUA
cat >"$LUA_DIR/move.lua" <<'LUA'
-- Each request moves a different deal (ids from BENCH_IDS, lines BENCH_FIRST.. shared out
-- between wrk's threads) from the first stage to BENCH_TO_STAGE with BENCH_VERSION, so
-- none conflicts. With BENCH_DELAY_MS > 0 each connection waits an exponentially
-- distributed time of that mean before each request: 50 connections at 250 ms make
-- Poisson-like arrivals at about 200/s.
local counter = 0
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
end
function init(args)
  ids = {}
  for line in io.lines(os.getenv("BENCH_IDS")) do ids[#ids + 1] = line end
  threads = tonumber(os.getenv("BENCH_THREADS"))
  next_line = tonumber(os.getenv("BENCH_FIRST")) + tid
  to_stage = os.getenv("BENCH_TO_STAGE")
  version = os.getenv("BENCH_VERSION")
  headers = {
    ["Content-Type"] = "application/json",
    ["Cookie"] = os.getenv("BENCH_COOKIE"),
    ["Origin"] = os.getenv("BENCH_ORIGIN"),
  }
  math.randomseed(4242 + tid)
end
function request()
  local id = ids[next_line] or "0"
  next_line = next_line + threads
  return wrk.format("POST", nil, headers, string.format(
    '{"cmd":{"deal_id":%s,"to_stage":%s,"version":%s,"comment":""}}', id, to_stage, version))
end
local mean = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
if mean > 0 then
  function delay()
    return math.floor(-mean * math.log(1 - math.random()))
  end
end
dofile(os.getenv("BENCH_LUA_DIR") .. "/report.lua")
LUA
export BENCH_LUA_DIR="$LUA_DIR" BENCH_ORIGIN="$BASE"

field() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" | tail -1; }

# wrk NAME THREADS CONNECTIONS SECONDS SCRIPT PATH: runs wrk, keeps its output, prints RESULT.
run_wrk() {
  local name="$1" threads="$2" connections="$3" seconds="$4" script="$5" path="$6"
  local load
  load="$(cut -d' ' -f1 /proc/loadavg)"
  "${NICED[@]}" wrk -t"$threads" -c"$connections" -d"${seconds}s" --timeout 10s --latency \
    -s "$LUA_DIR/$script" "$BASE$path" >"$RUN_DIR/$name.txt" 2>&1 || true
  if grep -q '^RESULT' "$RUN_DIR/$name.txt"; then
    echo "$(grep '^RESULT' "$RUN_DIR/$name.txt" | tail -1) load_before=$load"
  else
    echo "wrk ($name) reported nothing:" >&2
    tail -5 "$RUN_DIR/$name.txt" >&2
  fi
}

start_server() {
  KONVEYER_ADDR="$ADDR" "${NICED[@]}" "$KONVEYER" serve --no-demo >"$RUN_DIR/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 60); do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$RUN_DIR/server.log" >&2; exit 1; }
    curl -fs "$BASE/healthz" >/dev/null 2>&1 && return 0
    sleep 1
  done
  echo "the server did not answer on $BASE" >&2
  exit 1
}

stop_server() {
  kill "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=""
}

SUMMARY="$OUT/summary.md"
{
  echo "| database | what | clients | requests | requests/s | p50 ms | p99 ms | max ms | failed | load before |"
  echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
} >"$SUMMARY"
# The machine is shared (2 cores): every row notes the 1-minute load average before it.
row() { # DB WHAT CLIENTS RESULT-LINE
  local r="$4"
  local non2xx socket failed
  non2xx="$(echo "$r" | field non2xx)"
  socket="$(echo "$r" | field socket_errors)"
  failed=$((${non2xx:-0} + ${socket:-0}))
  printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" \
    "$(echo "$r" | field requests)" "$(echo "$r" | field rps)" "$(echo "$r" | field p50_ms)" "$(echo "$r" | field p99_ms)" \
    "$(echo "$r" | field max_ms)" "$failed" "$(echo "$r" | field load_before)" >>"$SUMMARY"
}

bench_one() {
  local db="$1"
  RUN_DIR="$OUT/$db"
  rm -rf "$RUN_DIR"
  mkdir -p "$RUN_DIR"
  log "$db: preparing an empty database"
  if [ "$db" = sqlite ]; then
    unset DATABASE_URL
    export KONVEYER_DATA_DIR="$RUN_DIR/data"
  else
    if [ "$NICE" != 0 ] && [ -z "${BENCH_PG_URL:-}" ]; then
      [ -n "$PG_DIR" ] || start_private_postgres
    else
      "$ROOT/scripts/ensure-postgres.sh"
    fi
    unset KONVEYER_DATA_DIR
    psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS konveyer_bench" >/dev/null
    psql "$PG_URL/postgres" -qc "CREATE DATABASE konveyer_bench" >/dev/null
    export DATABASE_URL="$PG_URL/konveyer_bench"
  fi

  log "$db: loading $DEALS deals x $PER_DEAL transitions (konveyer seed-bench)"
  local started=$SECONDS
  "${NICED[@]}" "$KONVEYER" seed-bench --deals "$DEALS" --transitions-per-deal "$PER_DEAL" \
    ${BENCH_BOARD_RUNS:+--board-runs "$BENCH_BOARD_RUNS"} \
    --movable-out "$RUN_DIR/movable.txt" | tee "$RUN_DIR/seed.log"
  echo "seed-bench took $((SECONDS - started)) s" | tee -a "$RUN_DIR/seed.log"
  local movable_line from_stage to_stage version movable
  movable_line="$(grep '^Movable:' "$RUN_DIR/seed.log")"
  from_stage="$(echo "$movable_line" | sed -n 's/.* in stage \([0-9]*\) .*/\1/p')"
  to_stage="$(echo "$movable_line" | sed -n 's/.*next stage \([0-9]*\)\..*/\1/p')"
  version="$(echo "$movable_line" | sed -n 's/.* at version \([0-9]*\),.*/\1/p')"
  movable="$(wc -l <"$RUN_DIR/movable.txt")"

  start_server
  local cookie
  curl -s -o /dev/null -c "$RUN_DIR/cookies.txt" -H "Origin: $BASE" \
    --data-urlencode "email=$ADMIN_EMAIL" --data-urlencode "password=$ADMIN_PASSWORD" \
    "$BASE/api/sign_in"
  cookie="$(awk '$6 == "konveyer_session" { print $6 "=" $7 }' "$RUN_DIR/cookies.txt")"
  [ -n "$cookie" ] || { echo "sign-in gave no session cookie" >&2; exit 1; }
  export BENCH_COOKIE="$cookie"

  local board='{"pipeline":null,"filter":{"sla_exceeded":false}}'
  local search='{"pipeline":null,"filter":{"sla_exceeded":false,"search":"petrov","amount_min":"1000000"}}'
  for body in "$board" "$search"; do
    local status
    status="$(curl -s -o "$RUN_DIR/board.json" -w '%{http_code}' -H "Cookie: $cookie" \
      -H "Origin: $BASE" -H 'Content-Type: application/json' -d "$body" "$BASE/api/load_board")"
    [ "$status" = 200 ] || { echo "load_board answered $status: $(head -c 300 "$RUN_DIR/board.json")" >&2; exit 1; }
  done
  log "$db: board response $(wc -c <"$RUN_DIR/board.json") bytes (search); first page of every column"

  log "$db: board, first page, 1 and 10 clients (${BOARD_SECONDS} s each)"
  export BENCH_BODY="$board"
  row "$db" "board first page" 1 "$(run_wrk board-c1 1 1 "$BOARD_SECONDS" board.lua /api/load_board)"
  row "$db" "board first page" 10 "$(run_wrk board-c10 2 10 "$BOARD_SECONDS" board.lua /api/load_board)"
  # One client only: a search takes seconds at this size, ten at once finish none in time.
  log "$db: filtered search (\"petrov\", amount from 1 000 000), 1 client"
  export BENCH_BODY="$search"
  row "$db" "search + amount filter" 1 "$(run_wrk search-c1 1 1 "$BOARD_SECONDS" board.lua /api/load_board)"

  # Two runs on disjoint ranges of the movable deals, so no request meets a moved deal:
  # the paced run gets 20% more than it can use, the flat-out run the rest.
  export BENCH_IDS="$RUN_DIR/movable.txt" BENCH_TO_STAGE="$to_stage" BENCH_VERSION="$version"
  export BENCH_THREADS=2
  # Each connection waits the mean gap minus about a request's time, so the rate lands near
  # the target; the table reports the rate wrk actually achieved.
  local delay_ms=$((1000 * CONNECTIONS / RATE - 5))
  log "$db: moves, $CONNECTIONS connections at about $RATE/s for ${MOVE_SECONDS} s (stage $from_stage -> $to_stage)"
  export BENCH_FIRST=1 BENCH_DELAY_MS="$delay_ms"
  row "$db" "move at ~$RATE/s" "$CONNECTIONS" "$(run_wrk moves-rate 2 "$CONNECTIONS" "$MOVE_SECONDS" move.lua /api/move_deal)"
  export BENCH_FIRST=$((RATE * MOVE_SECONDS * 6 / 5 + 1)) BENCH_DELAY_MS=0
  log "$db: moves, $CONNECTIONS connections flat out for ${MAX_SECONDS} s ($((movable - BENCH_FIRST + 1)) deals left to move)"
  row "$db" "move, flat out" "$CONNECTIONS" "$(run_wrk moves-max 2 "$CONNECTIONS" "$MAX_SECONDS" move.lua /api/move_deal)"
  stop_server

  if [ "${BENCH_KEEP:-0}" != 1 ]; then
    if [ "$db" = sqlite ]; then
      rm -rf "$RUN_DIR/data"
    else
      psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS konveyer_bench" >/dev/null
    fi
  fi
}

for db in sqlite postgres; do
  if [ "$MODE" = both ] || [ "$MODE" = "$db" ]; then
    bench_one "$db"
  fi
done

echo
echo "Conveyor benchmark, $DEALS open deals x $PER_DEAL transitions ($(date -u +%F), $(nproc) cores, niceness $NICE)"
echo "(in-process board timings: $OUT/<database>/seed.log; wrk output: $OUT/<database>/*.txt)"
echo
cat "$SUMMARY"
for db in sqlite postgres; do
  if [ -f "$OUT/$db/seed.log" ] && { [ "$MODE" = both ] || [ "$MODE" = "$db" ]; }; then
    echo
    echo "$db, konveyer seed-bench:"
    grep -E '^(Loaded|seed-bench took|Board query|  (unfiltered|search))' "$OUT/$db/seed.log" | sed 's/^/  /'
  fi
done
