#!/usr/bin/env bash
# The webhook delivery benchmark (not a test): `konveyer bench-webhooks` on a fresh SQLite
# database and on a fresh PostgreSQL database, each sending BENCH_DELIVERIES deliveries to
# a receiver on loopback through the job workers. Prints the figures docs/benchmarks.md
# records.
#
# Environment: BENCH_BIN [target/release/konveyer] BENCH_DELIVERIES [10000]
#   BENCH_PG_URL [postgres://postgres@127.0.0.1:5432]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
BIN="${BENCH_BIN:-$ROOT/target/release/konveyer}"
COUNT="${BENCH_DELIVERIES:-10000}"
PG="${BENCH_PG_URL:-postgres://postgres@127.0.0.1:5432}"
export RUST_LOG=warn
DATA="$(mktemp -d)"
DB_NAME="konveyer_bench_webhooks_$$"
trap 'rm -rf "$DATA"; psql "$PG/postgres" -qc "DROP DATABASE IF EXISTS $DB_NAME" >/dev/null 2>&1 || true' EXIT

echo "== SQLite, one lane per delivery"
KONVEYER_DATA_DIR="$DATA/sqlite" "$BIN" bench-webhooks --deliveries "$COUNT"
echo "== SQLite, every delivery in one lane (in order, one at a time)"
KONVEYER_DATA_DIR="$DATA/one-lane" "$BIN" bench-webhooks --deliveries "$((COUNT / 10))" --lanes 1
if psql "$PG/postgres" -qc "CREATE DATABASE $DB_NAME" >/dev/null 2>&1; then
  echo "== PostgreSQL, one lane per delivery"
  KONVEYER_DATA_DIR="$DATA/pg" DATABASE_URL="$PG/$DB_NAME" "$BIN" bench-webhooks --deliveries "$COUNT"
else
  echo "PostgreSQL is not reachable at $PG: skipped" >&2
fi
