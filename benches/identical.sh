#!/bin/bash
# benches/identical.sh: are two builds' outputs byte for byte the same? (#14: "outputs are
# byte-identical to before every optimisation")
#
# Usage:
#   bash benches/identical.sh OLD_BIN NEW_BIN       run both, compare, exit 0 when identical
#   bash benches/identical.sh run BIN DIR           every command's outputs into DIR
#   bash benches/identical.sh compare DIR_A DIR_B   compare two such folders
#
# Every command on the bundled data sets (testdata/demo, fixtures, feil with --lang en,
# mange_veiledere, skjermet/data): scan, two weekly runs and history, report, audit, audit
# verify and compare, with stdout and stderr; explain (text and JSON) for three candidates of
# the demo data; scan, weekly and compare with pseudonymised ids; generate (2 000 persons, with
# KOSTRA files), import kostra of testdata/kostra, and rules check, test and list. With NATIONAL=DIR (e.g. the 150 000-person data of benches/timing.sh) also the
# national scan, second weekly, report, audit and compare. Workbooks and Parquet files must be
# equal byte for byte; in text files (JSON, CSV, HTML, stdout) only the run's own timestamps and
# durations are masked. Output folders go under TMPDIR (or /tmp); nothing in the repository is
# written.
set -u
cd "$(dirname "$0")/.."

run() {
  local B=$1 O=$2
  rm -rf "$O"; mkdir -p "$O"
  for d in demo fixtures feil mange_veiledere skjermet/data; do
    local n=${d//\//_} L=()
    [ "$d" = feil ] && L=(--lang en)
    local D=testdata/$d
    "$B" -q scan --data "$D" --as-of 2026-11-16 --out "$O/$n-scan" "${L[@]}" > "$O/$n-scan.stdout" 2> "$O/$n-scan.stderr"; echo "rc=$?" >> "$O/$n-scan.stdout"
    "$B" -q weekly --data "$D" --as-of 2026-11-09 --state "$O/$n-st" "${L[@]}" > /dev/null 2>&1
    "$B" -q weekly --data "$D" --as-of 2026-11-16 --state "$O/$n-st" "${L[@]}" > "$O/$n-wk.stdout" 2> "$O/$n-wk.stderr"; echo "rc=$?" >> "$O/$n-wk.stdout"
    "$B" -q history --state "$O/$n-st" > "$O/$n-hist.stdout" 2>&1
    "$B" -q report --data "$D" --as-of 2026-11-16 --out "$O/$n-rep" "${L[@]}" > "$O/$n-rep.stdout" 2>&1; echo "rc=$?" >> "$O/$n-rep.stdout"
    "$B" -q audit --data "$D" --from 2026-05-04 --to 2026-11-16 --out "$O/$n-aud" "${L[@]}" > "$O/$n-aud.stdout" 2>&1; echo "rc=$?" >> "$O/$n-aud.stdout"
    "$B" -q audit verify --out "$O/$n-aud" --data "$D" > "$O/$n-ver.stdout" 2>&1; echo "rc=$?" >> "$O/$n-ver.stdout"
    "$B" -q compare --data "$D" --as-of 2026-11-16 --set langtidsmottaker.min_maneder=5 --out "$O/$n-cmp" "${L[@]}" > "$O/$n-cmp.stdout" 2>&1; echo "rc=$?" >> "$O/$n-cmp.stdout"
  done
  # pseudonymised ids (scan, weekly, compare), with a fixed test key
  ( umask 077; printf 'identical-sh-test-key-0123456789' > "$O/key" )
  "$B" -q scan --data testdata/demo --as-of 2026-11-16 --out "$O/pseudo-scan" --pseudonymize "$O/key" > "$O/pseudo-scan.stdout" 2>&1; echo "rc=$?" >> "$O/pseudo-scan.stdout"
  "$B" -q weekly --data testdata/demo --as-of 2026-11-16 --state "$O/pseudo-st" --pseudonymize "$O/key" > "$O/pseudo-wk.stdout" 2>&1; echo "rc=$?" >> "$O/pseudo-wk.stdout"
  "$B" -q compare --data testdata/demo --as-of 2026-11-16 --set langtidsmottaker.min_maneder=5 --out "$O/pseudo-cmp" --pseudonymize "$O/key" > "$O/pseudo-cmp.stdout" 2>&1; echo "rc=$?" >> "$O/pseudo-cmp.stdout"
  # the other commands: a small synthetic population with its KOSTRA files, the bundled
  # KOSTRA files imported, the rule files checked, tested and listed
  "$B" -q generate --persons 2000 --seed 7 --as-of 2026-11-16 --out "$O/gen" --kostra "$O/gen-kostra" > "$O/gen.stdout" 2>&1; echo "rc=$?" >> "$O/gen.stdout"
  "$B" -q import kostra --out "$O/kostra" --kontorer testdata/kostra/kontorer.csv testdata/kostra/*.txt > "$O/kostra.stdout" 2>&1; echo "rc=$?" >> "$O/kostra.stdout"
  "$B" rules check > "$O/rules-check.stdout" 2>&1; echo "rc=$?" >> "$O/rules-check.stdout"
  "$B" rules test > "$O/rules-test.stdout" 2>&1; echo "rc=$?" >> "$O/rules-test.stdout"
  "$B" rules list > "$O/rules-list.stdout" 2>&1; echo "rc=$?" >> "$O/rules-list.stdout"
  # three candidates of the demo scan (kandidater.csv writes an id as ="…")
  local ids
  ids=$(python3 - "$O/demo-scan/kandidater.csv" <<'EOF'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], encoding="utf-8-sig"), delimiter=";"))
print(" ".join(r[2].strip('="') for r in rows[1:4]))
EOF
)
  for p in $ids; do
    "$B" explain --data testdata/demo --as-of 2026-11-16 --person "$p" > "$O/explain-$p.txt" 2>&1
    "$B" explain --data testdata/demo --as-of 2026-11-16 --person "$p" --json > "$O/explain-$p.json" 2>&1
  done
  if [ -n "${NATIONAL:-}" ]; then
    local N=$NATIONAL
    "$B" -q scan --data "$N" --as-of 2026-11-16 --out "$O/nat-scan" > /dev/null 2>&1
    "$B" -q weekly --data "$N" --as-of 2026-11-09 --state "$O/nat-st" > /dev/null 2>&1
    "$B" -q weekly --data "$N" --as-of 2026-11-16 --state "$O/nat-st" > /dev/null 2>&1
    "$B" -q report --data "$N" --as-of 2026-11-16 --out "$O/nat-rep" > /dev/null 2>&1
    "$B" -q audit --data "$N" --from 2025-11-17 --to 2026-11-16 --out "$O/nat-aud" > /dev/null 2>&1
    "$B" -q compare --data "$N" --as-of 2026-11-16 --set langtidsmottaker.min_maneder=5 --out "$O/nat-cmp" > /dev/null 2>&1
  fi
  # the output folder's own path, as messages print it
  find "$O" -maxdepth 1 \( -name '*.stdout' -o -name '*.stderr' -o -name 'explain-*' \) -exec sed -i "s#$O#OUT#g" {} +
}

# A text file with the run's timestamps and durations masked.
masked() {
  sed -E 's/"(startet|ferdig|started|finished|generated|tidspunkt|laget|run_at|created)[^"]*": *"[^"]*"/"T":"x"/g; s/[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z?([+-][0-9:]+)?/TS/g; s/[0-9]+(\.[0-9]+)? ?(ms|s)\b/DUR/g' "$1"
}

compare() {
  local A=$1 B=$2 rc=0
  if ! diff <(cd "$A" && find . -type f | sort) <(cd "$B" && find . -type f | sort); then
    echo "the two runs wrote different files (above)"; rc=1
  fi
  local f
  while IFS= read -r f; do
    [ -f "$B/$f" ] || continue
    cmp -s "$A/$f" "$B/$f" && continue
    case $f in
      *.json|*.stdout|*.stderr|*.html|*.txt|*.csv|*.toml)
        if ! diff -q <(masked "$A/$f") <(masked "$B/$f") > /dev/null; then echo "differs: $f"; rc=1; fi;;
      *) echo "differs (binary): $f"; rc=1;;
    esac
  done < <(cd "$A" && find . -type f | sort)
  local n
  n=$(cd "$A" && find . -type f | wc -l)
  if [ $rc = 0 ]; then echo "identical: $n files"; else echo "NOT identical"; fi
  return $rc
}

case ${1:-} in
  run) [ $# = 3 ] || { sed -n 4,8p "$0"; exit 2; }; run "$(realpath "$2")" "$(realpath -m "$3")";;
  compare) [ $# = 3 ] || { sed -n 4,8p "$0"; exit 2; }; compare "$2" "$3";;
  *)
    [ $# = 2 ] || { sed -n 4,8p "$0"; exit 2; }
    T=${TMPDIR:-/tmp}/kvp-identical
    run "$(realpath "$1")" "$T/old" && run "$(realpath "$2")" "$T/new" && compare "$T/old" "$T/new";;
esac
