#!/usr/bin/env bash
# Builds what `konveyer serve` needs, without cargo-leptos (whose install alone takes half an
# hour on 2 cores): the browser part (the `frontend` crate for wasm32, wasm-bindgen, wasm-opt),
# the stylesheet and public files into target/site, and the server binary.
#
# Usage: scripts/build-site.sh [release|dev]
#   release: size-optimised wasm (profile wasm-release, then wasm-opt -Oz) and the release
#            server, as scripts/run.sh serves and the end-to-end tests drive;
#   dev:     debug wasm and server, no wasm-opt (`cargo leptos watch --split` also works).
# Prints the path of the server binary on its last line.
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
MODE="${1:-release}"
TOOLS_DIR="${KONVEYER_TOOLS_DIR:-$HOME/.cache/konveyer/tools}"
export PATH="$TOOLS_DIR/node_modules/.bin:$HOME/.cargo/bin:$PATH"

STEP=0
STEPS=5
step() {
  STEP=$((STEP + 1))
  printf '\033[1;34m[konveyer] build %d/%d: %s\033[0m\n' "$STEP" "$STEPS" "$*" >&2
}
elapsed() { printf '\033[1;34m[konveyer]   done in %ss\033[0m\n' "$((SECONDS - $1))" >&2; }

TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
SITE="$ROOT/target/site"
case "$MODE" in
  release)
    WASM_PROFILE=wasm-release
    SERVER_PROFILE=release
    ;;
  dev)
    WASM_PROFILE=dev
    SERVER_PROFILE=dev
    ;;
  *)
    echo "usage: scripts/build-site.sh [release|dev]" >&2
    exit 2
    ;;
esac
WASM_PROFILE_DIR="$WASM_PROFILE"
[ "$WASM_PROFILE" = dev ] && WASM_PROFILE_DIR=debug
SERVER_PROFILE_DIR="$SERVER_PROFILE"
[ "$SERVER_PROFILE" = dev ] && SERVER_PROFILE_DIR=debug
# The browser build keeps its own target directory, shared with the wasm clippy run.
FRONT_DIR="$TARGET_DIR/front"

first_build() { [ ! -e "$1" ] && echo " (first build: about $2 minutes on 2 cores; later builds take seconds)" || true; }

# The server compiles in the background while the browser part builds: each spends long
# stretches on one core (a big crate, LTO, wasm-opt), so together they finish minutes sooner.
SERVER_LOG="$TARGET_DIR/server-build.log"
mkdir -p "$TARGET_DIR"
printf '\033[1;34m[konveyer] the server (%s) compiles in the background meanwhile%s; its log: %s\033[0m\n' \
  "$SERVER_PROFILE" "$(first_build "$TARGET_DIR/$SERVER_PROFILE_DIR/konveyer" 15)" "$SERVER_LOG" >&2
SERVER_START=$SECONDS
cargo build -p server --bin konveyer --profile "$SERVER_PROFILE" > "$SERVER_LOG" 2>&1 &
SERVER_PID=$!
trap 'kill "$SERVER_PID" 2>/dev/null || true' EXIT

step "browser part: the frontend crate for wasm32$(first_build "$FRONT_DIR/wasm32-unknown-unknown/$WASM_PROFILE_DIR" 8)"
START=$SECONDS
# Not incremental: incremental objects can leave symbols wasm-split cannot resolve.
CARGO_INCREMENTAL=0 cargo build -p frontend --lib --target wasm32-unknown-unknown \
  --profile "$WASM_PROFILE" --target-dir "$FRONT_DIR"
elapsed $START

PKG="$SITE/pkg"
FRONTEND_WASM="$FRONT_DIR/wasm32-unknown-unknown/$WASM_PROFILE_DIR/frontend.wasm"
# The same wasm as last time (and the same mode): its processed files are still good.
STAMP="$MODE $(sha256sum "$FRONTEND_WASM" | cut -d' ' -f1)"
# Splits, binds and shrinks the browser part into $PKG.
process_wasm() {
  step "wasm-split and wasm-bindgen: lazy pages into their own files, the JavaScript glue"
  START=$SECONDS
  rm -rf "$PKG"
  mkdir -p "$PKG"
  local split_dir="$FRONT_DIR/split"
  rm -rf "$split_dir"
  mkdir -p "$split_dir"
  # The main module goes through wasm-bindgen; the lazy parts (split_*.wasm, chunk_*.wasm)
  # and their loader (__wasm_split.js) are served beside it as they are.
  wasm-split-cli --target web --out-name konveyer "$FRONTEND_WASM" "$PKG"
  mv "$PKG/konveyer.wasm" "$split_dir/konveyer.wasm"
  wasm-bindgen --target web --no-typescript --keep-lld-exports --no-demangle \
    --out-dir "$PKG" --out-name konveyer "$split_dir/konveyer.wasm"
  elapsed $START

  if [ "$MODE" = release ]; then
    step "wasm-opt -Oz: shrinking the browser part (two or three minutes)"
    START=$SECONDS
    for wasm in "$PKG"/*.wasm; do
      wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
        --enable-reference-types --enable-multivalue --enable-mutable-globals \
        "$wasm" -o "$wasm.opt"
      mv "$wasm.opt" "$wasm"
    done
    elapsed $START
  else
    step "wasm-opt: skipped for a dev build"
  fi
  echo "$STAMP" > "$PKG/.built-from"
}

if [ -f "$PKG/.built-from" ] && [ "$(cat "$PKG/.built-from")" = "$STAMP" ]; then
  step "wasm-split, wasm-bindgen, wasm-opt: the browser part is unchanged, skipped"
  STEP=$((STEP + 1))
else
  process_wasm
fi
gz_kb() { cat "$@" | gzip -9 | wc -c | awk '{ printf "%d", $1 / 1024 }'; }
printf '\033[1;34m[konveyer]   first page (konveyer_bg.wasm): %s KB gzipped; all of the browser part: %s KB gzipped\033[0m\n' \
  "$(gz_kb "$PKG/konveyer_bg.wasm")" "$(gz_kb "$PKG"/*.wasm)" >&2

step "stylesheet and public files"
cp style/main.css "$SITE/pkg/konveyer.css"
cp -R public/. "$SITE/"

step "server: waiting for its build to finish (started $((SECONDS - SERVER_START))s ago)"
# A line every 20 s with the crate being compiled, rather than a silent wait.
TICKS=0
while kill -0 "$SERVER_PID" 2>/dev/null; do
  sleep 1
  TICKS=$((TICKS + 1))
  if [ $((TICKS % 20)) -eq 0 ]; then
    printf '\033[1;34m[konveyer]   %ss: %s\033[0m\n' "$((SECONDS - SERVER_START))" \
      "$(grep -o 'Compiling [^ ]* [^ ]*' "$SERVER_LOG" | tail -1)" >&2
  fi
done
if ! wait "$SERVER_PID"; then
  tail -50 "$SERVER_LOG" >&2
  echo "the server build failed (whole log: $SERVER_LOG)" >&2
  exit 1
fi
trap - EXIT
printf '\033[1;34m[konveyer]   server built in %ss\033[0m\n' "$((SECONDS - SERVER_START))" >&2
echo "$TARGET_DIR/$SERVER_PROFILE_DIR/konveyer"
