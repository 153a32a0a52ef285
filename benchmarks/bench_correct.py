"""Benchmark one logged correction (`service.correct`, what the editor's *Save correction* and
`timeline revert` write) on a single file and on a folder of parts holding the same events.

Writes N synthetic events (default 1,000,000) twice to a folder on disk, as one Parquet file
(`synth.write`) and as a folder of parts (`synth.write_parts`), then, in this process, times
for each layout: reading one event (`service.current`), a correction of its count (lock, the
log checked against the dataset, the new version written, its log line, the rename), and a
revert of that correction. Medians of `--repeats` runs, each on the version the previous one
left. Results are recorded, with the command, in docs/performance.md ("Correcting one event").

    .venv/bin/python benchmarks/bench_correct.py --events 1000000 --repeats 3 --dir /tmp
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from timeline import service, synth
from timeline.storage import datasets, history

WHO = history.Who("editor", "bench@example.org", "Bench")


def timed(step: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    out = step()
    return time.perf_counter() - start, out


def measure(path: Path, event_id: str, repeats: int) -> dict[str, float]:
    reads, corrects, reverts = [], [], []
    for i in range(repeats):
        seconds, values = timed(partial(service.current, path, event_id))
        reads.append(seconds)
        fix = {"count": (values["count"] or 0) + 1 + i}
        seconds, saved = timed(
            partial(service.correct, path, event_id, history.version(values), fix, WHO, "bench")
        )
        corrects.append(seconds)
        seconds, _ = timed(partial(service.revert, path, saved.change.change_id, WHO, "bench"))
        reverts.append(seconds)
    return {
        "read one event": statistics.median(reads),
        "correct (logged)": statistics.median(corrects),
        "revert (logged)": statistics.median(reverts),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=None, help="where to write (default: a temp folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir) as top:
        file, folder = Path(top) / "events.parquet", Path(top) / "events"
        synth.write(args.events, file, seed=7)
        synth.write_parts(args.events, folder, seed=7, say=lambda line: print(line, file=sys.stderr))
        # an event with a count in both layouts (the two writers draw their rows differently)
        counted = [
            set(table.filter(table.column("count").is_valid()).column("event_id").to_pylist())
            for table in (datasets.at(p).scan(["event_id", "count"]) for p in (file, folder))
        ]
        event_id = sorted(counted[0] & counted[1])[len(counted[0] & counted[1]) // 2]
        parts = len(datasets.at(folder).files())
        print(
            f"{args.events:,} events; a folder of {parts} parts; event {event_id}; medians of {args.repeats}"
        )
        results = {
            "one file": measure(file, event_id, args.repeats),
            "folder of parts": measure(folder, event_id, args.repeats),
        }
        print(f"| step | {' | '.join(results)} |")
        print(f"|---|{'---:|' * len(results)}")
        for step in next(iter(results.values())):
            print(f"| {step} | " + " | ".join(f"{r[step]:.2f} s" for r in results.values()) + " |")


if __name__ == "__main__":
    main()
