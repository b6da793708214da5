#!/bin/bash
# benches/instructions.sh: instructions executed by a national scan (or a second weekly), counted
# by valgrind's cachegrind — a measure of CPU work that does not swing with this VM's spells, for
# changes too small to show in wall time (benches/RESULTS.md, nineteenth session).
#
# Usage: bash benches/instructions.sh BIN...            one count per binary, scan
#        WHAT=weekly bash benches/instructions.sh BIN... the second weekly of benches/timing.sh
#        D=DIR for other data (default /tmp/nasjonal, see benches/timing.sh); ROUNDS=N (default 1)
# Counts repeat within ~0.1 % (threads interleave differently). Under valgrind the CPU's SHA and
# AVX-512 extensions are not seen, so sha256 and memcpy count several times what they cost on
# the machine: compare binaries with each other, not the count with a wall time. A scan takes
# ~45 s under valgrind. Nothing in the repository is written.
set -eu
D=${D:-/tmp/nasjonal}
WHAT=${WHAT:-scan}
ROUNDS=${ROUNDS:-1}
S=$(mktemp -d)
trap 'rm -rf "$S"' EXIT
count() {
  valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$@" 2>&1 >/dev/null \
    | sed -n 's/.*I *refs: *//p' | tr -d ,
}
for r in $(seq "$ROUNDS"); do
  for B in "$@"; do
    rm -rf "$S/o" "$S/st"
    case $WHAT in
      scan) n=$(count "$B" -q scan --data "$D" --as-of 2026-11-16 --out "$S/o");;
      weekly)
        "$B" -q weekly --data "$D" --as-of 2026-11-09 --state "$S/st" >/dev/null 2>&1
        n=$(count "$B" -q weekly --data "$D" --as-of 2026-11-16 --state "$S/st");;
      *) echo "WHAT is scan or weekly" >&2; exit 2;;
    esac
    echo "$WHAT $B $n"
  done
done
