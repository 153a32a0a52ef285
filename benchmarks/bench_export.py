"""Export benchmark: first (cold Kaleido) and warm image latency per format and chart.

    python benchmarks/bench_export.py [--repeats 5]

The first image of a process starts the Kaleido server (a Chromium); every later one reuses
it. Prints the cold latency, then the median warm latency per chart and format, on the
bundled dataset filtered to November 2024 drone and missile attacks; then, with `--render-only`
alone, the PNG render of each chart's figure built once (Kaleido's share of an export).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from timeline import view
from timeline.engine import open_engine
from timeline.export import briefing, downloads as exports, images as export_images

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "events.parquet")
    parser.add_argument(
        "--render-only",
        action="store_true",
        help="time only the PNG render of each chart's figure, built once",
    )
    parser.add_argument(
        "--pause",
        type=float,
        default=0.0,
        help="with --render-only: seconds idle before each render (a user's clicks)",
    )
    args = parser.parse_args()

    engine = open_engine(args.data)
    params = {"type": ["drone_attack", "missile_strike"], "from": ["2024-11-01"], "to": ["2024-11-30"]}
    v, warnings = view.parse(params, engine.known())
    assert not warnings, warnings
    texts = exports.default_texts(engine, v, engine.match(v))
    size = briefing.SIZES["slide-16x9"]

    start = time.perf_counter()
    exports.chart_file("timeline", "png", engine, v, size, texts)
    print(f"first export (starts Kaleido + Chromium): {time.perf_counter() - start:.2f} s\n")

    if args.render_only:
        render_only(engine, v, size, texts, args.repeats, args.pause)
        return

    print("| chart | format | warm median s | warm max s | bytes |")
    print("|---|---|---:|---:|---:|")
    for chart in briefing.CHARTS:
        for fmt in (*briefing.IMAGE_FORMATS, "html"):
            times, size_bytes = [], 0
            for _ in range(args.repeats):
                t = time.perf_counter()
                size_bytes = len(exports.chart_file(chart, fmt, engine, v, size, texts))
                times.append(time.perf_counter() - t)
            print(
                f"| {chart} | {fmt} | {statistics.median(times):.3f} | {max(times):.3f} | {size_bytes:,} |",
                flush=True,
            )
    for fmt in ("csv", "xlsx", "parquet"):
        t = time.perf_counter()
        n = len(exports.data_file(fmt, engine, v))
        print(f"| data | {fmt} | {time.perf_counter() - t:.3f} | | {n:,} |")


def render_only(engine, v, size, texts, repeats: int, pause: float) -> None:
    """Kaleido's share of a PNG export: the figure is built once, then rendered `repeats` times,
    each after `pause` seconds idle (a user's clicks; a tab reloads its page in the background
    after `images.RENDERS_PER_PAGE` images); then the whole export (figure built and rendered)
    at the same pace."""
    print("| chart | PNG render median s | max s | whole PNG export median s | max s | bytes |")
    print("|---|---:|---:|---:|---:|---:|")
    for chart in briefing.CHARTS:
        fig = exports.briefing_figure(chart, engine, v, size, texts)
        renders, wholes, size_bytes = [], [], 0
        for _ in range(repeats):
            time.sleep(pause)
            t = time.perf_counter()
            size_bytes = len(export_images.render(fig, "png", size))
            renders.append(time.perf_counter() - t)
        for _ in range(repeats):
            time.sleep(pause)
            t = time.perf_counter()
            exports.chart_file(chart, "png", engine, v, size, texts)
            wholes.append(time.perf_counter() - t)
        print(
            f"| {chart} | {statistics.median(renders):.3f} | {max(renders):.3f} "
            f"| {statistics.median(wholes):.3f} | {max(wholes):.3f} | {size_bytes:,} |",
            flush=True,
        )


if __name__ == "__main__":
    main()
