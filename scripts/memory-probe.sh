#!/usr/bin/env bash
# Measures the server's resident memory (VmRSS) idle, at the peak of a burst of large
# requests, and 20 s and 60 s after it: 12 parallel uploads of 4 x 20 MB files each (the largest
# the default limit lets through, read whole into memory), 16 parallel 20 MB bodies posted
# to a server function (refused with 413) and 200 board pages. Loopback only; about 2 minutes.
# Usage: scripts/memory-probe.sh [path of the konveyer binary]  (default: the release build)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
cd "$ROOT"
TARGET_DIR="$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')"
KONVEYER="${1:-$TARGET_DIR/release/konveyer}"
ADDR=127.0.0.1:3961
URL="http://$ADDR"
WORK="$(mktemp -d)"
trap 'kill "$PID" "${SAMPLER:-}" 2>/dev/null || true; rm -rf "$WORK"' EXIT

KONVEYER_DATA_DIR="$WORK/data" KONVEYER_ADDR="$ADDR" LEPTOS_SITE_ROOT="$ROOT/target/site" \
  "$KONVEYER" serve > "$WORK/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 60); do curl -fs "$URL/healthz" >/dev/null 2>&1 && break; sleep 1; done
rss() { awk '/VmRSS/ { print int($2 / 1024) }' "/proc/$PID/status"; }
sleep 5
IDLE=$(rss)

JAR="$WORK/cookies"
curl -fs -c "$JAR" -o /dev/null -H "Origin: $URL" -H 'Accept: application/json' \
  --data 'email=admin%40konveyer.demo&password=konveyer-demo' "$URL/api/sign_in"
DEAL=$(curl -fs -b "$JAR" "$URL/board" | grep -o 'href="/deals/[0-9]*"' | head -1 | grep -o '[0-9]*')
for i in 1 2 3 4; do head -c $((20 * 1024 * 1024)) /dev/urandom > "$WORK/file$i.bin"; done
head -c $((20 * 1024 * 1024)) /dev/zero | tr '\0' 'x' > "$WORK/huge-body"

PEAK=$IDLE
sample() { while kill -0 "$PID" 2>/dev/null; do echo "$(rss)" >> "$WORK/samples"; sleep 0.2; done; }
sample &
SAMPLER=$!
BURST=()
for _ in $(seq 1 12); do
  curl -s -o /dev/null -b "$JAR" -H "Origin: $URL" -H 'Accept: application/json' \
    -F "subject=deal:$DEAL" -F category=other \
    -F "file=@$WORK/file1.bin" -F "file=@$WORK/file2.bin" -F "file=@$WORK/file3.bin" -F "file=@$WORK/file4.bin" \
    "$URL/api/documents" &
  BURST+=($!)
done
for _ in $(seq 1 16); do
  curl -s -o /dev/null -w '%{http_code}\n' -b "$JAR" -H "Origin: $URL" -H 'Accept: application/json' \
    -H 'Content-Type: application/x-www-form-urlencoded' --data-binary "@$WORK/huge-body" \
    "$URL/api/current_user" >> "$WORK/codes" &
  BURST+=($!)
done
for _ in $(seq 1 200); do curl -s -o /dev/null -b "$JAR" "$URL/board"; done &
BURST+=($!)
wait "${BURST[@]}" || true
PEAK=$(sort -n "$WORK/samples" | tail -1)
sleep 20
AFTER=$(rss)
sleep 40
LATER=$(rss)
kill "$SAMPLER" 2>/dev/null || true
echo "server function bodies of 20 MB answered: $(sort "$WORK/codes" | uniq -c | tr '\n' ' ')"
echo "VmRSS: idle ${IDLE} MB, peak ${PEAK} MB, 20 s after the burst ${AFTER} MB, 60 s after ${LATER} MB"
