#!/usr/bin/env bash
# The REST API benchmark (not a test): the seed-bench data (100,000 open deals, 1,000,000
# transitions) in SQLite, the release server and an administrator's API token; wrk measures
# a page of 100 deals, one deal, and moves through `/api/v1/deals/{id}/move` (each wrk
# thread its own 1,000 deals made through the API, forward to Scoring and back for rework).
# Prints wrk's figures; docs/benchmarks.md records them.
#
# Usage: scripts/bench-api.sh [sqlite|postgres]
# Environment: BENCH_BIN [target/release/konveyer] BENCH_PORT [3951] BENCH_SECONDS [15]
#   BENCH_SITE [target/site] BENCH_PG_URL [postgres://postgres@127.0.0.1:5432] (the server,
#   without a database name; its database konveyer_bench_api is made afresh and dropped)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
log() { printf '\033[1;34m[bench-api]\033[0m %s\n' "$*" >&2; }
BIN="${BENCH_BIN:-$ROOT/target/release/konveyer}"
ADDR="127.0.0.1:${BENCH_PORT:-3951}"
BASE="http://$ADDR"
SECONDS_EACH="${BENCH_SECONDS:-15}"
export LEPTOS_SITE_ROOT="${BENCH_SITE:-$ROOT/target/site}" RUST_LOG=warn
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }

MODE="${1:-sqlite}"
PG_URL="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}"
DATA="$(mktemp -d)"
SERVER_PID=
cleanup() {
  [ -z "$SERVER_PID" ] || kill "$SERVER_PID" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$DATA"
  if [ "$MODE" = postgres ]; then
    psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS konveyer_bench_api" >/dev/null || true
  fi
}
trap cleanup EXIT
unset DATABASE_URL
case "$MODE" in
  sqlite) ;;
  postgres)
    "$ROOT/scripts/ensure-postgres.sh"
    psql "$PG_URL/postgres" -qc "DROP DATABASE IF EXISTS konveyer_bench_api" >/dev/null
    psql "$PG_URL/postgres" -qc "CREATE DATABASE konveyer_bench_api" >/dev/null
    export DATABASE_URL="$PG_URL/konveyer_bench_api"
    ;;
  *) echo "usage: $0 [sqlite|postgres]" >&2; exit 2 ;;
esac
log "database: $MODE"
log "loading 100,000 deals (about two minutes)"
KONVEYER_DATA_DIR="$DATA" "$BIN" seed-bench --board-runs 0 >/dev/null
KONVEYER_DATA_DIR="$DATA" KONVEYER_ADDR="$ADDR" "$BIN" serve --no-demo >"$DATA/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 60); do curl -fs "$BASE/healthz" >/dev/null 2>&1 && break; sleep 1; done
TOKEN="$(KONVEYER_DATA_DIR="$DATA" "$BIN" create-token --email admin@konveyer.demo --name bench \
  --rate 1000000 | tail -1)"
AUTH="Authorization: Bearer $TOKEN"
PIPELINE="$(curl -fs -H "$AUTH" "$BASE/api/v1/pipelines" | python3 -c 'import json,sys; p=json.load(sys.stdin)["data"][0]; print(p["id"], p["stages"][0]["id"], p["stages"][1]["id"])')"
read -r PIPELINE_ID FIRST SECOND <<<"$PIPELINE"

log "making 2,000 deals to move through the API"
python3 - "$BASE" "$TOKEN" "$PIPELINE_ID" >"$DATA/ids" <<'PY'
import json, sys, urllib.request
base, token, pipeline = sys.argv[1], sys.argv[2], int(sys.argv[3])
for n in range(2000):
    body = json.dumps({"pipeline_id": pipeline, "title": f"API bench {n}", "client_name": "Bench",
        "client_phone": "+7 900 000-00-00", "amount": {"amount": "100000", "currency": "RUB"}})
    request = urllib.request.Request(f"{base}/api/v1/deals", data=body.encode(), method="POST",
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    print(json.load(urllib.request.urlopen(request))["id"])
PY
FIRST_ID="$(head -1 "$DATA/ids")"

cat >"$DATA/get.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $TOKEN"
LUA
# Each thread moves its own 1,000 deals in turn: forward on even rounds, back (a return,
# with its reason) on odd ones, so a deal is never moved twice at once.
cat >"$DATA/move.lua" <<LUA
local counter = 0
local threads = {}
function setup(thread)
  thread:set("offset", #threads * 1000)
  table.insert(threads, thread)
end
function request()
  local index = counter % 1000
  local round = math.floor(counter / 1000)
  counter = counter + 1
  local stage = (round % 2 == 0) and $SECOND or $FIRST
  local body = '{"stage_id":' .. stage .. ',"comment":"bench"}'
  return wrk.format("POST", "/api/v1/deals/" .. ($FIRST_ID + offset + index) .. "/move",
    { ["Authorization"] = "Bearer $TOKEN", ["Content-Type"] = "application/json" }, body)
end
function done(summary, latency, requests)
  io.write(string.format("RESULT non2xx=%d\n", summary.errors.status))
end
LUA

run() {
  log "$1"
  wrk -t"$2" -c"$3" -d"${SECONDS_EACH}s" --latency -s "$DATA/$4" "$BASE$5" | grep -E "Requests/sec|Latency  |  50%|  99%|RESULT|Non-2xx"
}
run "list: 100 deals a page, 1 connection" 1 1 get.lua "/api/v1/deals?limit=100"
run "list: 100 deals a page, 10 connections" 2 10 get.lua "/api/v1/deals?limit=100"
run "one deal, 10 connections" 2 10 get.lua "/api/v1/deals/$FIRST_ID"
run "moves, 10 connections, flat out" 2 10 move.lua "/"
