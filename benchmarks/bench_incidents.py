"""Incident mode's cost on the dashboard benchmark: every view of `bench_dashboard.py`, as a
filter change (everything a rerun of the page computes, each view met for the first time),
in report mode (`reports=all`) and in incident mode (the default when the stored incidents
are up to date), CPU seconds of the process, median of `--repeats`, one engine thread. With
`--from-files`, the dataset is read from its Parquet files on every question, as one above
the engine's `HOLD_ROWS` is (instead of from its copy in DuckDB's memory).

    taskset -c 0 .venv/bin/python benchmarks/bench_incidents.py --size 1000000

The dataset is bench_dashboard's synthetic one (bench-data/, seed 7). `timeline match` stores
its incidents inside it first and they are removed at the end (so bench_dashboard.py keeps
measuring report mode). The synthetic data has one source, so every report is its own
incident: incident mode does all its work (the join of the incident columns, the predicate),
and shows as many rows as report mode. Also reported: the one-off cost of reading the stored
incidents and computing the incident columns when a dataset version is first opened. A
benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_dashboard import VIEWS, _rerun, dataset


def measure(n: int, repeats: int, modes: list[str], from_files: bool = False) -> dict[str, object]:
    from timeline.engine import backend, incidents, open_engine, queries

    if from_files:  # a dataset above HOLD_ROWS: every question reads the Parquet files
        queries.HOLD_ROWS = 0

    path = dataset(n)
    c = time.process_time()
    incidents.stored(open_engine(path, "duckdb").source)
    setup = time.process_time() - c
    runner = backend("duckdb")
    out: dict[str, object] = {"setup": setup, "views": {}}
    for name, params in VIEWS.items():
        row = {}
        for mode in modes:
            cpus = []
            for _ in range(repeats):
                runner.forget()
                c = time.process_time()
                query = {**params, "reports": [mode]} if mode != "none" else params
                sizes = _rerun(open_engine(path, "duckdb"), query)
                cpus.append(time.process_time() - c)
            row[mode] = statistics.median(cpus)
            row[f"{mode}_matched"] = sizes["matched"]
        out["views"][name] = row  # type: ignore[index]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--from-files", action="store_true", help="read the files on every question, as above HOLD_ROWS rows"
    )
    parser.add_argument("--one", nargs="+", help=argparse.SUPPRESS)  # internal: the modes to measure
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.size, args.repeats, args.one, args.from_files)))
        return
    from timeline.matching import project

    path = dataset(args.size)
    env = {**os.environ, "TIMELINE_THREADS": "1", "OMP_NUM_THREADS": "1"}

    def run(*modes: str) -> dict:
        command = [
            sys.executable,
            __file__,
            "--size",
            str(args.size),
            "--repeats",
            str(args.repeats),
            *(["--from-files"] if args.from_files else []),
            "--one",
        ]
        done = subprocess.run([*command, *modes], env=env, capture_output=True, text=True, check=True)
        return json.loads(done.stdout.strip().splitlines()[-1])

    project.incidents_path(path).unlink(missing_ok=True)
    before = run("none")  # the dashboard as it was: no stored incidents, no incident columns
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "timeline.cli.main", "match", str(path)], env=env, check=True,
                   capture_output=True)  # fmt: skip
    matched = time.perf_counter() - t
    try:
        r = run("all", "incidents")
    finally:
        project.incidents_path(path).unlink(missing_ok=True)
    print(f"{args.size:,} events; median of {args.repeats}; one engine thread; "
          f"CPU affinity: {sorted(os.sched_getaffinity(0))}; `timeline match` took {matched:.1f} s wall; "
          f"incident columns on first open: {r['setup']:.2f} CPU s\n")  # fmt: skip
    print(
        "| view | matched | no stored incidents CPU s | report mode CPU s | incident mode CPU s "
        "| incident / report | incident / no incidents |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, v in r["views"].items():
        none = before["views"][name]["none"]
        print(
            f"| {name} | {v['incidents_matched']:,} | {none:.3f} | {v['all']:.3f} | {v['incidents']:.3f} | "
            f"{v['incidents'] / max(v['all'], 1e-6):.2f}x | {v['incidents'] / max(none, 1e-6):.2f}x |",
            flush=True,
        )


if __name__ == "__main__":
    main()
