#!/bin/bash
# dist/build.sh: builds the binary offices run — the release profile (the whole program optimised
# at link time, Cargo.toml) compiled once more with counts from its own runs (profile-guided
# optimisation, PGO) — and prints its path: target/pgo/release/kvp-scan.
#
# Steps: (1) an instrumented release build in target/pgo-instrumented; (2) training runs of it:
# every command on the bundled data sets and, at national scale, on a generated population of
# 150 000 persons with seed 2 (the benches time seed 1, so the counts are not fitted to the data
# they are measured on) — `benches/identical.sh run` does both — and a national scan under a
# bounded memory pool; (3) llvm-profdata merges the counts; (4) the release build again, with
# the counts, in target/pgo. The outputs are the same bytes a plain `cargo build --release`
# gives (check: bash benches/identical.sh target/release/kvp-scan target/pgo/release/kvp-scan);
# only the time differs (benches/RESULTS.md, twenty-sixth session).
#
# Needs the toolchain's llvm-profdata: `rustup component add llvm-tools`. A cold run is two
# release builds (~25 minutes each on 2 cores) and ~2 minutes of training; run again after a
# change, only this crate is built again (still ~20 minutes each: the link-time optimisation is
# of the whole program). Writes under target/ and a scratch folder in TMPDIR.
#
# KVP_TARGET_CPU=x86-64-v3 (optional) builds for newer processors only (AVX2: Intel from 2013, AMD from 2015:
# scan instructions -7 %, CPU -3.6 %, benches/RESULTS.md, twenty-seventh session) into
# target/pgo-x86-64-v3; such a binary stops with exit 2 and a message on a machine without
# them. Without it the binary runs on any x86-64 machine.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
CPU=${KVP_TARGET_CPU:-}
CPUFLAGS=""
SUFFIX=""
if [ -n "$CPU" ]; then
  case $CPU in
    *[!A-Za-z0-9._-]*) echo "dist/build.sh: KVP_TARGET_CPU=$CPU is not a CPU name (rustc --print target-cpus)" >&2; exit 2;;
  esac
  CPUFLAGS="-Ctarget-cpu=$CPU"
  SUFFIX="-$CPU"
fi

PROFDATA=$(find "$(rustc --print sysroot)/lib/rustlib" -name llvm-profdata -type f 2>/dev/null | head -n 1)
if [ -z "$PROFDATA" ]; then
  echo "dist/build.sh: llvm-profdata is not in the toolchain; help: rustup component add llvm-tools" >&2
  exit 2
fi
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
COUNTS="$ROOT/target/pgo-instrumented$SUFFIX/counts"

echo "== 1/4 instrumented build (target/pgo-instrumented$SUFFIX)" >&2
# `_exit` skips the exit handler that writes the counts: the cfg has main.rs write them first
RUSTFLAGS="-Cprofile-generate=$COUNTS $CPUFLAGS" CARGO_TARGET_DIR="$ROOT/target/pgo-instrumented$SUFFIX" \
  cargo rustc --release --locked --bin kvp-scan -- --cfg kvp_pgo_instrument
B="$ROOT/target/pgo-instrumented$SUFFIX/release/kvp-scan"

echo "== 2/4 training runs" >&2
rm -rf "$COUNTS"
"$B" -q generate --persons 150000 --seed 2 --as-of 2026-11-16 --out "$W/nasjonal"
TMPDIR="$W" NATIONAL="$W/nasjonal" bash benches/identical.sh run "$B" "$W/runs"
"$B" -q scan --data "$W/nasjonal" --as-of 2026-11-16 --out "$W/begrenset" --memory-limit 1g
if ! ls "$COUNTS"/*.profraw >/dev/null 2>&1; then
  echo "dist/build.sh: the training runs wrote no counts to $COUNTS" >&2
  exit 2
fi

echo "== 3/4 merging the counts" >&2
"$PROFDATA" merge -o "$W/merged.profdata" "$COUNTS"
# named by its content, so that new counts (and only they) make cargo build everything again
mkdir -p "$ROOT/target/pgo$SUFFIX"
P="$ROOT/target/pgo$SUFFIX/kvp-scan-$(sha256sum "$W/merged.profdata" | cut -c1-16).profdata"
mv "$W/merged.profdata" "$P"

echo "== 4/4 release build with the counts (target/pgo$SUFFIX)" >&2
RUSTFLAGS="-Cprofile-use=$P $CPUFLAGS" CARGO_TARGET_DIR="$ROOT/target/pgo$SUFFIX" cargo build --release --locked
echo "$ROOT/target/pgo$SUFFIX/release/kvp-scan"
