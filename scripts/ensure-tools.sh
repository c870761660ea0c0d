#!/usr/bin/env bash
# Installs the build tools Konveyer needs, skipping what is already there.
# Usage: scripts/ensure-tools.sh [build|test]
#   build: wasm32 target, wasm-bindgen-cli, wasm-split-cli, wasm-opt (npm binaryen)
#   test:  the above plus Debian's Chromium and the end2end npm packages
# cargo-leptos is not needed (scripts/build-site.sh does its work); install it yourself for
# `cargo leptos watch --split` if you want live reload.
set -euo pipefail

WASM_BINDGEN_VERSION=0.2.130
WASM_SPLIT_VERSION=0.2.3
BINARYEN_VERSION=132.0.0
SCHEMATHESIS_VERSION=4.32.5
TOOLS_DIR="${KONVEYER_TOOLS_DIR:-$HOME/.cache/konveyer/tools}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
MODE="${1:-build}"

log() { printf '\033[1;34m[konveyer]\033[0m %s\n' "$*" >&2; }
export PATH="$HOME/.cargo/bin:$TOOLS_DIR/node_modules/.bin:$PATH"

if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WASM_BINDGEN_VERSION" ]; then
  log "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (about 2.5 minutes, once)"
  # Not --locked: its lockfile names a webpki-roots release the registry lacks.
  cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION" --force
fi

# Cuts the lazy routes' code into their own files (the library cargo-leptos --split uses).
if ! command -v wasm-split-cli >/dev/null ||
  ! cargo install --list | grep -qx "wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then
  log "installing wasm-split-cli $WASM_SPLIT_VERSION (about a minute, once)"
  cargo install wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --features build-binary --locked --force
fi

# Debian's binaryen (wasm-opt 108) produces a wasm that fails to hydrate; npm's works.
if ! "$TOOLS_DIR/node_modules/.bin/wasm-opt" --version 2>/dev/null | grep -q "version ${BINARYEN_VERSION%%.*}"; then
  log "installing wasm-opt (npm binaryen@$BINARYEN_VERSION) into $TOOLS_DIR"
  mkdir -p "$TOOLS_DIR"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS_DIR" "binaryen@$BINARYEN_VERSION"
fi

if [ "$MODE" = "test" ]; then
  if [ ! -x /usr/bin/chromium ]; then
    log "installing Chromium from Debian's packages"
    SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium
  fi
  # The API fuzzer (reads our OpenAPI document), in a virtualenv of its own.
  if [ "$("$TOOLS_DIR/venv/bin/schemathesis" --version 2>/dev/null || true)" != "schemathesis, version $SCHEMATHESIS_VERSION" ]; then
    log "installing schemathesis $SCHEMATHESIS_VERSION from PyPI into $TOOLS_DIR/venv (under a minute, once)"
    python3 -m venv "$TOOLS_DIR/venv"
    "$TOOLS_DIR/venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
  fi
  if [ ! -d "$ROOT/end2end/node_modules/@playwright/test" ] || [ ! -d "$ROOT/end2end/node_modules/openapi-typescript" ]; then
    log "installing the end2end npm packages"
    (cd "$ROOT/end2end" && npm ci --no-audit --no-fund)
  fi
fi
