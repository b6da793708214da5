#!/bin/sh
# Regenerates the README's screenshots (one per user role) from the demo data, with a debug
# build and headless Chromium: sh docs/screenshots.sh
set -eu
cd "$(dirname "$0")/.."
cargo build -q
BIN=target/debug/kvp-scan
CHROMIUM=${KVP_SCAN_CHROMIUM:-chromium}
T=$(mktemp -d)
trap 'rm -rf "$T"' EXIT
$BIN -q weekly --data testdata/uker/a --as-of 2026-11-09 --state "$T/state" >/dev/null
$BIN -q weekly --data testdata/uker/b --as-of 2026-11-16 --state "$T/state" >/dev/null
LIST=$(ls "$T"/state/2026-11-16-*/lister/*/*.html | head -n 1)
$BIN -q report --data testdata/demo --as-of 2026-11-16 --kontor 0312 --out "$T/rapport"
$BIN -q audit --data testdata/demo --from 2026-05-04 --to 2026-11-16 --out "$T/revisjon"
$BIN -q compare --data testdata/demo --as-of 2026-11-16 --set langtidsmottaker.min_maneder=5 --out "$T/endring"
shot() {
  "$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=900,1100 \
    --screenshot="docs/img/$2" "file://$1" 2>/dev/null
}
shot "$LIST" veileder.png
shot "$T/rapport/kontor_0312.html" kontor.png
shot "$T/revisjon/revisjon.html" revisjon.png
shot "$T/endring/endringer.html" endringer.png
ls -l docs/img
