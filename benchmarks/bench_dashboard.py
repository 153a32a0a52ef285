"""Dashboard benchmark: server time of a filter change, through the engine, side by side with
the raw engine query (the floor) and with the in-memory pandas path the engine replaced.

    taskset -c 0 .venv/bin/python benchmarks/bench_dashboard.py --sizes 1000000 10000000
    taskset -c 0 .venv/bin/python benchmarks/bench_dashboard.py --sizes 1000000 --engine spark

Synthetic datasets (`timeline synth`, seed 7, partitioned) are made once under bench-data/
(git-ignored) and reused. Each size runs in a fresh process pinned to what `taskset` gives it,
with one engine thread, and reports:

- per view: the server time of a filter change (everything a rerun of the page computes:
  the match, the timeline, counts and map figures serialised to JSON, the table), the floor
  (one query counting the view's matches), and the old path (mask a frame held in memory,
  then the same figures), each the median of `--repeats` runs. Times are CPU seconds of the
  process (all its threads) besides the wall time of a filter change: on a shared machine
  the CPU time moves much less with what else runs, so the ratios are taken from it (on
  Spark, whose work runs in its JVM, from wall time); and
  the same view once more, answered from the engine's kept results;
- once per size: the time to the first chart after a start (summary + the unfiltered view),
  and the process's peak memory.

The old path is the project as it was before the engine (git commit BASELINE), run from a
temporary git worktree on a single-file copy of the same events; it holds the whole dataset
in memory, so it is skipped where that would not fit (`--baseline-max`). It is a benchmark,
not a test: nothing here asserts a time.
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

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "bench-data"
BASELINE = "cdbeaae"
"""The last commit before the query engine: the in-memory pandas path."""
VIEWS: dict[str, dict[str, list[str]]] = {
    "all events": {},
    "two types": {"type": ["drone_attack", "missile_strike"]},
    "country + text": {"country": ["PRK"], "q": ["kim"]},
    "one month of drones": {"type": ["drone_attack"], "from": ["2025-01-01"], "to": ["2025-01-31"]},
    "min count 500": {"min_count": ["500"]},
    "lanes by country, 2026": {"lanes": ["country"], "from": ["2026-01-01"]},
}


def dataset(n: int) -> Path:
    root = DATA / f"parts-{n}"
    if not (root / "_manifest.json").exists():
        from timeline import synth

        print(f"generating {n:,} synthetic events in {root} ...", file=sys.stderr, flush=True)
        synth.write_parts(n, root, seed=7, say=lambda line: print(line, file=sys.stderr, flush=True))
    return root


def single_file(n: int) -> Path:
    """The same events in one Parquet file in the old (v1) schema, which the old path reads."""
    path = DATA / f"single-v1-{n}.parquet"
    if not path.exists():
        import pyarrow as pa
        import pyarrow.dataset as pads
        import pyarrow.parquet as pq

        from timeline.domain.schema import ARROW_SCHEMA, V1_ADDED
        from timeline.storage import parts

        dropped = {str(c) for c in V1_ADDED}
        v1 = pa.schema([f for f in ARROW_SCHEMA if f.name not in dropped])
        source = pads.dataset([str(p) for p in parts.files(dataset(n))], format="parquet")
        with pq.ParquetWriter(path, v1, compression="zstd") as writer:
            for batch in source.to_batches(columns=v1.names):
                writer.write_batch(batch.cast(v1))
    return path


# --- one size, in its own process -------------------------------------------------------------


def _rerun(engine: object, params: dict[str, list[str]]) -> dict[str, int]:
    """Everything the page computes on a filter change, as the page computes it."""
    import plotly.io as pio

    from timeline import view
    from timeline.figures import counts_figure, map_figure, timeline_figure
    from timeline.table import table_frame

    v, _ = view.parse(params, engine.known())
    match = engine.match(v)
    sizes = {"matched": match.count}
    window = (v.span.start, v.span.end)
    fig, _ = timeline_figure(engine.timeline(v, match), lanes=v.lanes, window=window)
    sizes["timeline"] = len(pio.to_json(fig, validate=False))
    sizes["counts"] = len(pio.to_json(counts_figure(engine.strikes(v), window=window), validate=False))
    sizes["map"] = len(pio.to_json(map_figure(engine.map(v, match)), validate=False))
    table_frame(engine.newest(v))
    engine.outlets(v)
    return sizes


def measure(n: int, engine_name: str, repeats: int) -> dict[str, object]:
    started = time.perf_counter()
    from timeline import view
    from timeline.engine import backend, open_engine

    started_cpu = time.process_time()
    # Spark's work happens in its JVM, whose CPU time this process does not see: wall time.
    clock = time.process_time if engine_name == "duckdb" else time.perf_counter
    path = dataset(n)
    engine = open_engine(path, engine_name)
    _rerun(engine, {})
    first_chart = time.perf_counter() - started
    first_chart_cpu = time.process_time() - started_cpu
    runner = backend(engine_name)
    results = {}
    for name, params in VIEWS.items():
        times, cpus, floors = [], [], []
        for _ in range(repeats):
            runner.forget()  # a filter change meets a view for the first time
            t, c = time.perf_counter(), clock()
            sizes = _rerun(open_engine(path, engine_name), params)
            times.append(time.perf_counter() - t)
            cpus.append(clock() - c)
            c = clock()
            _rerun(open_engine(path, engine_name), params)  # the same view again: kept answers
            again = clock() - c
            runner.forget()
            v, _ = view.parse(params, engine.known())
            c = clock()
            engine.count(v)
            floors.append(clock() - c)
        results[name] = {
            "again": again,
            "seconds": statistics.median(times),
            "cpu": statistics.median(cpus),
            "floor": statistics.median(floors),
            **sizes,
        }
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"first_chart": first_chart, "first_chart_cpu": first_chart_cpu, "peak_mb": peak, "views": results}


BASELINE_DRIVER = r"""
import json, resource, statistics, sys, time
from pathlib import Path
started, started_cpu = time.perf_counter(), time.process_time()
from timeline import figures, filters, store, urlstate
from timeline.filters import Catalog
from timeline.table import newest, table_frame
path, repeats, views = Path(sys.argv[1]), int(sys.argv[2]), json.loads(sys.argv[3])
catalog = Catalog.build(store.load(path))
load = time.perf_counter() - started

def rerun(params):
    v, _ = urlstate.parse(params, catalog)
    keep = filters.mask(catalog, v.filters)
    df = figures.in_view(catalog.events, keep)
    window = (v.filters.start, v.filters.end)
    figures.timeline_figure(df, lanes=v.lanes, window=window)[0].to_json()
    figures.counts_figure(df, per=v.per, what=v.strikes, window=window).to_json()
    figures.map_figure(df).to_json()
    table_frame(newest(catalog.events, keep))

rerun({})
first, first_cpu = time.perf_counter() - started, time.process_time() - started_cpu
out = {}
for name, params in views.items():
    times = []
    for _ in range(repeats):
        t = time.process_time(); rerun(params); times.append(time.process_time() - t)
    out[name] = statistics.median(times)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"load": load, "first_chart": first, "first_cpu": first_cpu, "peak_mb": peak, "views": out}))
"""


def baseline(n: int, repeats: int) -> dict[str, object]:
    """The old path, from a worktree of BASELINE, in its own process."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = Path(tmp) / "baseline"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), BASELINE],
                       check=True, capture_output=True)  # fmt: skip
        try:
            env = {**os.environ, "PYTHONPATH": str(tree / "src")}
            done = subprocess.run(
                [sys.executable, "-c", BASELINE_DRIVER, str(single_file(n)), str(repeats), json.dumps(VIEWS)],
                env=env, cwd=tree, capture_output=True, text=True, check=True,
            )  # fmt: skip
            return json.loads(done.stdout.strip().splitlines()[-1])
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)], check=False)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000])
    parser.add_argument("--engine", default="duckdb", choices=("duckdb", "spark"))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--baseline-max", type=int, default=10_000_000,
                        help="largest size to run the old in-memory path on")  # fmt: skip
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # internal: measure one size
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one, args.engine, args.repeats)))
        return
    env = {**os.environ, "TIMELINE_THREADS": "1", "OMP_NUM_THREADS": "1"}
    unit = "CPU" if args.engine == "duckdb" else "wall"
    print(f"engine: {args.engine}; median of {args.repeats}; one engine thread; "
          f"CPU affinity: {sorted(os.sched_getaffinity(0))}\n")  # fmt: skip
    print(
        f"| events | view | matched | filter change: wall s | {unit} s | floor {unit} s | {unit} / floor "
        f"| old path {unit} s | old / new {unit} | again {unit} s | timeline / counts / map kB |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---|")
    summaries = []
    for n in args.sizes:
        dataset(n)
        done = subprocess.run(
            [sys.executable, __file__, "--one", str(n), "--engine", args.engine, "--repeats", str(args.repeats)],
            env=env, capture_output=True, text=True, check=True,
        )  # fmt: skip
        ours = json.loads(done.stdout.strip().splitlines()[-1])
        old = baseline(n, args.repeats) if args.engine == "duckdb" and n <= args.baseline_max else None
        for name, r in ours["views"].items():
            old_s = old["views"][name] if old else None
            old_cells = f"{old_s:.3f} | {old_s / r['cpu']:.1f}x" if old_s else "n/a | "
            print(
                f"| {n:,} | {name} | {r['matched']:,} | {r['seconds']:.3f} | {r['cpu']:.3f} | {r['floor']:.3f} | "
                f"{r['cpu'] / max(r['floor'], 1e-6):.1f}x | {old_cells} | {r['again']:.3f} | "
                f"{r['timeline'] / 1000:,.0f} / {r['counts'] / 1000:,.0f} / {r['map'] / 1000:,.0f} |",
                flush=True,
            )
        summaries.append((n, ours, old))
    print(
        "\n| events | first chart after start: wall s | CPU s | peak memory MB "
        "| old path: load wall s | old: first chart wall s | CPU s | old: peak MB |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n, ours, old in summaries:
        old_cells = (
            f"{old['load']:.1f} | {old['first_chart']:.1f} | {old['first_cpu']:.1f} | {old['peak_mb']:,.0f}"
            if old
            else "n/a | n/a | n/a | n/a"
        )
        print(
            f"| {n:,} | {ours['first_chart']:.2f} | {ours['first_chart_cpu']:.2f} | "
            f"{ours['peak_mb']:,.0f} | {old_cells} |"
        )


if __name__ == "__main__":
    main()
