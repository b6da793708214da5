"""kvp-scan `scan` end to end against the DuckDB peer (kvp_duckdb.py), run alternately on the
same data: prints both medians and their ratio, and checks that the peer's statuses and rule
counts equal the scan's (so the two compute the same thing).

    cargo build --release
    pip install duckdb pyarrow
    python3 benches/peer/vs_scan.py --data /tmp/nasjonal --as-of 2026-11-16 [--rounds 5] [--split]

The scan is timed as a process (load, validation, facts, rules, explanations, every output and
the manifest); the peer in-process (query and materialised result), after one warm-up run.
With --split the scan also logs its phases (KVP_SCAN_LOG=kvp_scan=debug) and the script prints
how long it took to the rules' results (process start, rule files, every row loaded and
validated, the facts, every rule's query and the key facts: what the peer computes) and how
long its explanations, verdicts and output files took after them (what the peer does not do).
"""

import argparse
import datetime
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import duckdb  # noqa: E402

import kvp_duckdb  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--as-of", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--bin", default="target/release/kvp-scan")
    ap.add_argument("--split", action="store_true",
                    help="also print the scan's time to the rules' results and after them")
    args = ap.parse_args()
    con = duckdb.connect()
    kvp_duckdb.run_once(con, args.data, args.as_of)  # warm-up
    scans, peers, splits = [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.rounds):
            out = os.path.join(tmp, f"ut{i}")
            cmd = [args.bin, "-q", "scan", "--data", args.data, "--as-of", args.as_of,
                   "--out", out]
            if not args.split:
                started = time.perf_counter()
                subprocess.run(cmd, check=True)
                scans.append(time.perf_counter() - started)
            else:
                env = dict(os.environ, KVP_SCAN_LOG="kvp_scan=debug", NO_COLOR="1")
                wall_start = time.time()
                started = time.perf_counter()
                p = subprocess.run(cmd, check=True, env=env, capture_output=True, text=True)
                scans.append(time.perf_counter() - started)
                queried = rules_results_at(p.stderr) - wall_start
                splits.append((queried, scans[-1] - queried))
            t, table = kvp_duckdb.run_once(con, args.data, args.as_of)
            peers.append(t)
            with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
                diff = kvp_duckdb.agrees_with(table, json.load(f))
            if diff:
                raise SystemExit("the peer and kvp-scan disagree:\n  " + "\n  ".join(diff))
    s, p = statistics.median(scans), statistics.median(peers)
    if splits:
        q = statistics.median(x[0] for x in splits)
        a = statistics.median(x[1] for x in splits)
        print(f"kvp-scan to the rules' results: median {q:.2f} s ({q / p:.2f} of the peer); "
              f"explanations, verdicts and files after them: median {a:.2f} s ({a / p:.2f})")
    print(f"kvp-scan scan: median {s:.2f} s  ({', '.join(f'{x:.2f}' for x in scans)})")
    print(f"DuckDB {duckdb.__version__} peer: median {p:.2f} s  "
          f"({', '.join(f'{x:.2f}' for x in peers)})")
    print(f"ratio scan / peer: {s / p:.2f} (target <= 1.0); same statuses and rule counts")


def rules_results_at(log):
    """The wall-clock time (seconds since the epoch) at which the scan had every rule's result:
    the `rules evaluated` debug line's time less its render_ms and merge_ms (the explanations,
    rendered and merged before the line is logged)."""
    for line in re.sub(r"\x1b\[[0-9;]*m", "", log).splitlines():
        if "rules evaluated" in line:
            at = datetime.datetime.fromisoformat(line.split()[0].replace("Z", "+00:00"))
            ms = sum(int(re.search(rf"{k}=(\d+)", line).group(1)) for k in ("render_ms", "merge_ms"))
            return at.timestamp() - ms / 1000
    raise SystemExit("the scan logged no `rules evaluated` line (KVP_SCAN_LOG=kvp_scan=debug)")


if __name__ == "__main__":
    main()
