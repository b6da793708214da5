#!/bin/bash
# benches/timing.sh: 3 alternating runs of two release binaries (before and after a change) of
# scan, a second weekly, report, audit and compare on the national data; prints one line per run.
# Usage: cp <old>/kvp-scan /tmp/kvp-before-release; cp target/release/kvp-scan
#        /tmp/kvp-after-release; bash benches/timing.sh   (data: generate --persons 150000 --seed 1
#        --as-of 2026-11-16 --out /tmp/nasjonal, or set D). Outputs and weekly states go under
#        S (default /tmp); S=/dev/shm keeps the disk out of it: on ext4 without a journal,
#        creating the weekly's ~2 500 files just after the previous state folder was deleted
#        costs up to ~0.8 s more (benches/RESULTS.md, twelfth session).
D=${D:-/tmp/nasjonal}
S=${S:-/tmp}
run() {
  local s=$(date +%s.%N); "$@" >/dev/null 2>/tmp/tim-err || echo FAIL >&2; local e=$(date +%s.%N); echo "$(echo "$e - $s" | bc)"; }
for what in scan weekly report audit compare; do
  for i in 1 2 3; do
    for bin in before after; do
      B=/tmp/kvp-$bin-release; T=$S/tim-$bin; rm -rf $T; mkdir -p $T
      case $what in
        scan) t=$(run $B -q scan --data $D --as-of 2026-11-16 --out $T/ut);;
        weekly) $B -q weekly --data $D --as-of 2026-11-09 --state $T/st >/dev/null 2>&1; t=$(run $B -q weekly --data $D --as-of 2026-11-16 --state $T/st);;
        report) t=$(run $B -q report --data $D --as-of 2026-11-16 --out $T/r);;
        audit) t=$(run $B -q audit --data $D --from 2025-11-17 --to 2026-11-16 --out $T/a);;
        compare) t=$(run $B -q compare --data $D --as-of 2026-11-16 --set langtidsmottaker.min_maneder=5 --out $T/c);;
      esac
      echo "$what $bin $t"
    done
  done
done
