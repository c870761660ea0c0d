#!/usr/bin/env bash
# The automation benchmark (not a test): `konveyer bench-automation` on a fresh SQLite
# database and on a fresh PostgreSQL database: BENCH_RULES enabled rules, BENCH_MOVES moves
# through the move use case, then the event-log consumer and the job workers timed. Prints
# the figures docs/benchmarks.md records.
#
# Environment: BENCH_BIN [target/release/konveyer] BENCH_RULES [1000] BENCH_MOVES [1000]
#   BENCH_PG_URL [postgres://postgres@127.0.0.1:5432]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${BENCH_BIN:-$ROOT/target/release/konveyer}"
RULES="${BENCH_RULES:-1000}"
MOVES="${BENCH_MOVES:-1000}"
PG="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}"
export RUST_LOG=warn
DATA="$(mktemp -d)"
DB_NAME="konveyer_bench_automation_$$"
trap 'rm -rf "$DATA"; psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB_NAME" >/dev/null 2>&1 || true' EXIT

echo "== SQLite, $RULES rules"
KONVEYER_DATA_DIR="$DATA/sqlite" "$BIN" bench-automation --rules "$RULES" --moves "$MOVES"
echo "== SQLite, 50 rules"
KONVEYER_DATA_DIR="$DATA/sqlite-50" "$BIN" bench-automation --rules 50 --moves "$MOVES"
if psql "$PG/postgres" -qc "CREATE DATABASE $DB_NAME" >/dev/null 2>&1; then
  echo "== PostgreSQL, $RULES rules"
  KONVEYER_DATA_DIR="$DATA/pg" DATABASE_URL="$PG/$DB_NAME" "$BIN" bench-automation --rules "$RULES" --moves "$MOVES"
else
  echo "PostgreSQL is not reachable at $PG: skipped" >&2
fi
