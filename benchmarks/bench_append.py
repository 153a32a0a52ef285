"""Benchmark appending one row to a large single-file dataset, and where the time goes.

Writes a synthetic dataset of N events (`timeline synth`, default 1,000,000) to a folder on
disk, then:

- times `timeline append one-row.json --data <file>` end to end, each in a fresh process
  (what a maintainer waits for), next to the start-up of a process that only imports the
  command (`python -c "import timeline.cli.main"`);
- times the steps `store.append` takes, in the same order, in this process: read the file,
  Arrow to pandas, check the new row, the duplicate-id and likely-duplicate checks, concat,
  pandas to Arrow, write the Parquet temp file, fsync it, and link the backup, rename and
  fsync the folder.

Results are recorded, with the command, in docs/performance.md ("Appending to one file").

    .venv/bin/python benchmarks/bench_append.py                    # 1,000,000 events
    .venv/bin/python benchmarks/bench_append.py --events 100000 --dir /tmp
    .venv/bin/python benchmarks/bench_append.py --layout parts    # a folder of parts instead

With `--layout parts` the same events are written as a folder of parts (`synth.write_parts`)
and only the end-to-end append is timed: it writes the new row as a part of its own and
rewrites nothing (the steps above are the single file's).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from timeline import synth
from timeline.domain.schema import from_arrow, to_arrow
from timeline.domain.validation import check
from timeline.storage import store

ROW = {
    "event_id": "bench-append-{i}",
    "date_start": "2024-11-25",
    "date_end": "2024-11-26",
    "date_precision": "day",
    "event_type": "drone_attack",
    "title": "Benchmark drone attack {i}",
    "actors": ["Russian Armed Forces", "Ukrainian Air Force"],
    "countries": ["RUS", "UKR"],
    "initiator_countries": ["RUS"],
    "count": 100,
    "count_unit": "drones",
    "confidence": "reported",
    "source_outlet": "Benchmark",
}


def one_row(i: int) -> dict[str, object]:
    return {k: v.format(i=i) if isinstance(v, str) else v for k, v in ROW.items()}


def end_to_end(path: Path, folder: Path, repeats: int) -> tuple[list[float], list[float]]:
    """Wall and CPU (user + system) seconds of `timeline append` one row, each in a fresh process."""
    timeline = Path(sys.executable).with_name("timeline")
    walls, cpus = [], []
    for i in range(repeats):
        rows = folder / f"row-{i}.json"
        rows.write_text(json.dumps([one_row(i)]))
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        subprocess.run(
            [str(timeline), "append", str(rows), "--data", str(path)], check=True, capture_output=True
        )
        walls.append(time.perf_counter() - started)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return walls, cpus


def start_up(repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import timeline.cli.main"], check=True)
        times.append(time.perf_counter() - started)
    return times


def phases(path: Path, i: int) -> dict[str, float]:
    """The steps of `store.append`, timed one by one (the same calls, in the same order)."""
    took: dict[str, float] = {}

    def step(name: str, started: float) -> float:
        now = time.perf_counter()
        took[name] = now - started
        return now

    t = time.perf_counter()
    raw, _ = store.with_append_defaults(pd.DataFrame([one_row(i)], dtype=object))
    with store.locked(path):
        t = step("lock, stale temp files", t)
        table = store.read_schema_table(path)
        t = step("read Parquet", t)
        existing = from_arrow(table)
        t = step("Arrow -> pandas", t)
        new, problems = check(raw)
        assert not problems, problems
        t = step("validate the new row", t)
        store.duplicate_id_problems(existing, new)
        t = step("event_id already in the file?", t)
        store.likely_duplicates(existing, new)
        t = step("likely duplicates (warnings)", t)
        combined = pd.concat([existing, new], ignore_index=True)
        t = step("concat", t)
        out = to_arrow(combined)
        t = step("pandas -> Arrow", t)
        fd, tmp = store.temp_file_beside(path)
        with os.fdopen(fd, "wb") as fh:
            pq.write_table(out, fh, compression="zstd")
            fh.flush()
            t = step("write Parquet (zstd)", t)
            os.fsync(fh.fileno())
        t = step("fsync the new file", t)
        store._keep_backup(path)
        os.replace(tmp, path)
        store.fsync_dir(path.parent)
        step("backup link, rename, fsync folder", t)
    return took


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--layout", choices=["file", "parts"], default="file")
    parser.add_argument(
        "--dir", type=Path, default=None, help="Folder for the dataset (default: a temp folder)."
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        folder = Path(tmp)
        if args.layout == "parts":
            path = folder / "events"
            synth.write_parts(args.events, path, seed=7, say=lambda line: None)
            size = sum(f.stat().st_size for f in path.rglob("*.parquet"))
        else:
            path = folder / "events.parquet"
            synth.write(args.events, path, seed=7)
            size = path.stat().st_size
        print(
            f"{args.events:,} events ({args.layout}), {size / 1e6:.1f} MB; median of {args.repeats} runs; "
            f"load {os.getloadavg()[0]:.1f}"
        )
        boot = statistics.median(start_up(args.repeats))
        walls, cpus = end_to_end(path, folder, args.repeats)
        print(
            f"`timeline append` one row, end to end: {statistics.median(walls):.2f} s wall, "
            f"{statistics.median(cpus):.2f} s CPU (of which Python start-up and imports: {boot:.2f} s); "
            f"load {os.getloadavg()[0]:.1f}"
        )
        if args.layout == "parts":
            return
        runs = [phases(path, 1000 + i) for i in range(args.repeats)]
        total = 0.0
        print("| step | seconds |\n|---|---:|")
        for name in runs[0]:
            median = statistics.median(r[name] for r in runs)
            total += median
            print(f"| {name} | {median:.3f} |")
        print(f"| **all steps** | **{total:.3f}** |")


if __name__ == "__main__":
    main()
