"""kvp-scan `scan` end to end against the DuckDB peer (kvp_duckdb.py), run alternately on the
same data: prints both medians and their ratio, and checks that the peer's statuses and rule
counts equal the scan's (so the two compute the same thing).

    cargo build --release
    pip install duckdb pyarrow
    python3 benches/peer/vs_scan.py --data /tmp/nasjonal --as-of 2026-11-16 [--rounds 5]

The scan is timed as a process (load, validation, facts, rules, explanations, every output and
the manifest); the peer in-process (query and materialised result), after one warm-up run.
"""

import argparse
import json
import os
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
    args = ap.parse_args()
    con = duckdb.connect()
    kvp_duckdb.run_once(con, args.data, args.as_of)  # warm-up
    scans, peers = [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.rounds):
            out = os.path.join(tmp, f"ut{i}")
            started = time.perf_counter()
            subprocess.run([args.bin, "-q", "scan", "--data", args.data, "--as-of", args.as_of,
                            "--out", out], check=True)
            scans.append(time.perf_counter() - started)
            t, table = kvp_duckdb.run_once(con, args.data, args.as_of)
            peers.append(t)
            with open(os.path.join(out, "manifest.json"), encoding="utf-8") as f:
                diff = kvp_duckdb.agrees_with(table, json.load(f))
            if diff:
                raise SystemExit("the peer and kvp-scan disagree:\n  " + "\n  ".join(diff))
    s, p = statistics.median(scans), statistics.median(peers)
    print(f"kvp-scan scan: median {s:.2f} s  ({', '.join(f'{x:.2f}' for x in scans)})")
    print(f"DuckDB {duckdb.__version__} peer: median {p:.2f} s  "
          f"({', '.join(f'{x:.2f}' for x in peers)})")
    print(f"ratio scan / peer: {s / p:.2f} (target <= 1.0); same statuses and rule counts")


if __name__ == "__main__":
    main()
