"""Benchmark how long the `timeline` command takes to start: the wall time a maintainer waits
for `timeline --help`, `timeline add` (one event, on a temp copy of the bundled dataset) and
`timeline import` (the small ACLED test file into a new file), each in a fresh process; and
`timeline import`'s time to its first row: from starting the process to the first chunk's
rows mapped and checked (`importers.pipeline._accept` returning, wrapped in the timed process;
"n/a" when the pipeline has no such step any more).

Each command runs `--repeats` times; the median and the fastest run are printed, with the
load average (on a shared machine the fastest run is the better estimate of the command's
own cost). `--src` names other source trees (e.g. a checkout of an earlier commit) to time
beside this one: their runs are interleaved with this tree's, so both see the same load.

Results are recorded, with the command, in docs/performance.md ("Command start-up").

    .venv/bin/python benchmarks/bench_cli.py
    .venv/bin/python benchmarks/bench_cli.py --repeats 15 --src /tmp/before/src
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CURATED = ROOT / "data" / "events.parquet"
ACLED = ROOT / "tests" / "fixtures" / "import" / "acled_messy.csv"
IMPORT = "timeline import (11 ACLED rows)"
FIRST_ROW = IMPORT + ": to its first row"
WRAPPED = """
import os, runpy, sys, time
from timeline.importers import pipeline
accept = getattr(pipeline, "_accept", None)
def first(*args, **kwargs):
    rows = accept(*args, **kwargs)
    if not first.said:
        first.said = True
        os.write(2, f"\\nfirst row: {time.time()!r} {time.process_time()!r}\\n".encode())
    return rows
first.said = False
if accept is not None:
    pipeline._accept = first
sys.argv[0] = "timeline"
runpy.run_module("timeline.cli.main", run_name="__main__")
"""
"""`python -c WRAPPED ARGS`: the command, saying on stderr when (wall clock, process CPU) its
first rows were mapped and checked."""


def commands(folder: Path, run: int) -> dict[str, list[str]]:
    """The timed command lines (after `timeline`), for one run that writes into `folder`."""
    return {
        "python alone (-c pass)": [],
        "timeline --help": ["--help"],
        "timeline add (one event)": [
            "add", "--title", f"Benchmark call {run}", "--type", "call", "--outlet", "Benchmark",
            "--confidence", "reported", "--start", "2024-11-20", "--actor", "Benchmark",
            "--country", "UKR", "--data", str(folder / "events.parquet"),
        ],
        IMPORT: [
            "import", "--format", "acled", str(ACLED), "--out", str(folder / f"acled-{run}.parquet"),
            "--rejects", str(folder / f"acled-{run}.rejected.csv"),
        ],
    }  # fmt: skip


def timed(src: Path, args: list[str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of `python -m timeline.cli.main ARGS` with `src`
    first on the path (exit 0 required): CPU is what the load of a shared machine inflates least."""
    command = [sys.executable, "-m", "timeline.cli.main", *args] if args else [sys.executable, "-c", "pass"]
    env = {**os.environ, "PYTHONPATH": str(src)}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def first_row(src: Path, args: list[str]) -> tuple[float, float] | None:
    """Wall and CPU seconds from starting `timeline ARGS` (an import) to its first rows mapped
    and checked, or None when the pipeline's step is not found."""
    env = {**os.environ, "PYTHONPATH": str(src)}
    started = time.time()
    done = subprocess.run(
        [sys.executable, "-c", WRAPPED, *args], check=True, capture_output=True, text=True, env=env
    )
    said = [line.split()[2:] for line in done.stderr.splitlines() if line.startswith("first row: ")]
    return (float(said[0][0]) - started, float(said[0][1])) if said else None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--src", type=Path, action="append", default=[], help="Another source tree to time.")
    args = parser.parse_args()
    trees = [ROOT / "src", *args.src]
    times: dict[tuple[Path, str], list[tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        folders = {src: Path(tmp) / str(i) for i, src in enumerate(trees)}
        for folder in folders.values():
            folder.mkdir()
            shutil.copyfile(CURATED, folder / "events.parquet")
        load = os.getloadavg()[0]
        for run in range(args.repeats):
            for src in trees:  # interleaved: every tree sees the same load
                for name, line in commands(folders[src], run).items():
                    times.setdefault((src, name), []).append(timed(src, line))
                found = first_row(src, commands(folders[src], run + args.repeats)[IMPORT])
                times.setdefault((src, FIRST_ROW), []).extend([found] if found else [])
    print(f"{args.repeats} runs each, in fresh processes; load average {load:.1f} at the start")
    print(f"load average {os.getloadavg()[0]:.1f} at the end")
    print("| source | command | wall s: median / fastest | CPU s: median / fastest |\n|---|---|---:|---:|")
    for (src, name), found in times.items():
        where = "this tree" if src == ROOT / "src" else str(src)
        if not found:
            print(f"| {where} | {name} | n/a | n/a |")
            continue
        wall, cpu = [w for w, _ in found], [c for _, c in found]
        print(
            f"| {where} | {name} | {statistics.median(wall):.2f} / {min(wall):.2f} "
            f"| {statistics.median(cpu):.2f} / {min(cpu):.2f} |"
        )


if __name__ == "__main__":
    main()
