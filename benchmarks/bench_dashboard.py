"""Dashboard benchmark: server time of a filter change and bytes sent per figure.

    taskset -c 0 python benchmarks/bench_dashboard.py [--sizes 10000 100000 1000000] [--repeats 3]

For each dataset size (synthetic events from `timeline synth`) and each filter change, it
times what a rerun of the page does on the server (mask, timeline, counts and map figures
serialised to JSON, the table), and the same view done naively: filter with pandas row by
row, and plot every matching event with plotly express. Numbers go to docs/performance.md.
It is a benchmark, not a test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pandas as pd
import plotly.express as px
import pyarrow as pa

from timeline import figures, filters, store, synth
from timeline.filters import Catalog, Filters
from timeline.schema import Col
from timeline.table import newest, table_frame

pa.set_cpu_count(1)  # one core, as the issue asks
pa.set_io_thread_count(1)

CHANGES: dict[str, Filters] = {
    "all events": Filters(),
    "two types": Filters(types=("drone_attack", "missile_strike")),
    "country + text": Filters(countries=("PRK",), text="kim"),
    "one month of drones": Filters(start=date(2025, 1, 1), end=date(2025, 1, 31), types=("drone_attack",)),
    "min count 500": Filters(min_count=500),
}


@dataclass
class Result:
    seconds: float
    timeline: int
    counts: int
    map: int
    matched: int


def ours(catalog: Catalog, f: Filters) -> Result:
    keep = filters.mask(catalog, f)
    df = figures.in_view(catalog.events, keep)
    timeline = figures.timeline_figure(df)[0].to_json()
    counts = figures.counts_figure(df).to_json()
    geo = figures.map_figure(df).to_json()
    table_frame(newest(catalog.events, keep))
    return Result(0.0, len(timeline), len(counts), len(geo), int(keep.sum()))


def naive(events: pd.DataFrame, f: Filters) -> Result:
    """What a first version would do: row-wise pandas filters, one marker per event."""
    df = events
    if f.types:
        df = df[df[Col.EVENT_TYPE].isin(f.types)]
    if f.start:
        df = df[df[Col.DATE_END] >= pd.Timestamp(f.start)]
    if f.end:
        df = df[df[Col.DATE_START] <= pd.Timestamp(f.end)]
    if f.countries:
        df = df[df[Col.COUNTRIES].apply(lambda cs: any(c in f.countries for c in cs))]
    if f.min_count is not None:
        df = df[df[Col.COUNT].fillna(-1) >= f.min_count]
    if f.text:
        actors = df[Col.ACTORS].apply(" ".join)
        text = (
            df[Col.TITLE].fillna("")
            + " "
            + df[Col.SUMMARY].fillna("")
            + " "
            + df[Col.LOCATION].fillna("")
            + " "
            + actors
        )
        df = df[text.str.contains(f.text, case=False)]
    plain = df.astype({Col.EVENT_TYPE: "str"})
    timeline = px.scatter(
        plain,
        x=Col.DATE_START,
        y=Col.EVENT_TYPE,
        color=Col.EVENT_TYPE,
        hover_data=[Col.TITLE, Col.COUNT, Col.SOURCE_OUTLET],
    ).to_json()
    counts = px.bar(
        plain[plain[Col.COUNT].notna()], x=Col.DATE_START, y=Col.COUNT, color=Col.EVENT_TYPE
    ).to_json()
    geo = px.scatter(
        plain[plain[Col.LATITUDE].notna()],
        x=Col.LONGITUDE,
        y=Col.LATITUDE,
        color=Col.EVENT_TYPE,
        hover_data=[Col.TITLE],
    ).to_json()
    df.sort_values(Col.DATE_START, ascending=False).head(1000)
    return Result(0.0, len(timeline), len(counts), len(geo), len(df))


def timed(run: Callable[[], Result], repeats: int) -> Result:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - start)
    assert result is not None
    result.seconds = statistics.median(times)
    return result


def kb(n: int) -> str:
    return f"{n / 1000:,.0f} kB"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--naive-repeats", type=int, default=1)
    args = parser.parse_args()

    print(
        "| events | filter change | matched | ours: server s | naive: server s | speed-up | ours: timeline / counts / map bytes | naive: timeline / counts / map bytes |"
    )
    print("|---:|---|---:|---:|---:|---:|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.sizes:
            path = Path(tmp) / f"synth-{n}.parquet"
            synth.write(n, path, seed=7)
            start = time.perf_counter()
            catalog = Catalog.build(store.load(path))
            load = time.perf_counter() - start
            for warm in (Filters(), CHANGES["one month of drones"]):
                ours(catalog, warm)  # warm caches (border lines, imports), as a running server has
            for name, f in CHANGES.items():
                a = timed(lambda f=f, c=catalog: ours(c, f), args.repeats)
                b = timed(lambda f=f, c=catalog: naive(c.events, f), args.naive_repeats)
                print(
                    f"| {n:,} | {name} | {a.matched:,} | {a.seconds:.3f} | {b.seconds:.3f} | {b.seconds / a.seconds:,.0f}x "
                    f"| {kb(a.timeline)} / {kb(a.counts)} / {kb(a.map)} | {kb(b.timeline)} / {kb(b.counts)} / {kb(b.map)} |",
                    flush=True,
                )
            print(f"| {n:,} | (load + index, once per file version) | | {load:.2f} | | | | |", flush=True)
    print(
        f"\nmedian of {args.repeats} runs (naive: {args.naive_repeats}); numpy {np.__version__}, pandas {pd.__version__}"
    )


if __name__ == "__main__":
    main()
