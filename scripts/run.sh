#!/usr/bin/env bash
# Runs Konveyer on http://127.0.0.1:3000: installs the missing build tools, builds a
# release, migrates the embedded SQLite database under data/, loads demo data on the first
# start and prints how to sign in. Environment: see README (DATABASE_URL, KONVEYER_*).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"

"$ROOT/scripts/ensure-tools.sh" build
KONVEYER="$("$ROOT/scripts/build-site.sh" release | tail -1)"
export LEPTOS_SITE_ROOT="$ROOT/target/site"
exec "$KONVEYER" serve "$@"
