#!/usr/bin/env bash
# Runs Konveyer on http://127.0.0.1:3000: installs the missing build tools, builds a
# release, migrates the embedded SQLite database under data/, loads demo data on the first
# start and prints how to sign in. Environment: see README (DATABASE_URL, KONVEYER_*).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

"$ROOT/scripts/ensure-tools.sh" build
TOOLS_DIR="${KONVEYER_TOOLS_DIR:-$HOME/.cache/konveyer/tools}"
export PATH="$TOOLS_DIR/node_modules/.bin:$HOME/.cargo/bin:$PATH"

echo "[konveyer] building (the first build takes several minutes on 2 cores)" >&2
cargo leptos build --release

TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
export LEPTOS_SITE_ROOT="$ROOT/target/site"
exec "$TARGET_DIR/release/konveyer" serve "$@"
