"""Export benchmark: first (cold Kaleido) and warm image latency per format and chart.

    python benchmarks/bench_export.py [--repeats 5]

The first image of a process starts the Kaleido server (a Chromium); every later one reuses
it. Prints the cold latency, then the median warm latency per chart and format, on the
bundled dataset filtered to November 2024 drone and missile attacks; then, with `--render-only`
alone, the PNG render of each chart's figure built once (Kaleido's share of an export). With
`--build-only`, no image at all: the CPU ms of building each chart's styled figure (Python's
share), for that view and for every event, and a deck's timeline picture.
"""

from __future__ import annotations

import argparse
import statistics
import time
from functools import partial
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
    parser.add_argument(
        "--build-only",
        action="store_true",
        help="time only building each chart's styled figure (median CPU ms, no browser)",
    )
    args = parser.parse_args()

    engine = open_engine(args.data)
    params = {"type": ["drone_attack", "missile_strike"], "from": ["2024-11-01"], "to": ["2024-11-30"]}
    v, warnings = view.parse(params, engine.known())
    assert not warnings, warnings
    texts = exports.default_texts(engine, v, engine.match(v))
    size = briefing.SIZES["slide-16x9"]
    if args.build_only:
        build_only(
            engine, {"November drones and missiles": v, "every event": view.View()}, size, args.repeats
        )
        return

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


def build_only(engine, views: dict, size, repeats: int) -> None:
    """Python's share of an export: median CPU ms to build each chart's styled figure (the
    engine's answers kept after a first build), and a deck's timeline picture (1776 x 700)."""
    from timeline.export import decks

    picture = briefing.Size("picture", "", 1776, 700)
    print(f"| view | {' | '.join(briefing.CHARTS)} | deck timeline |")
    print(f"|---|{'---:|' * (len(briefing.CHARTS) + 1)}")
    for name, v in views.items():
        texts = exports.default_texts(engine, v, engine.match(v))
        data = engine.timeline(v)
        builds = [partial(exports.briefing_figure, c, engine, v, size, texts) for c in briefing.CHARTS]
        builds.append(partial(decks.chart_figure, "timeline", engine, v, picture, timeline=data))
        cells = []
        for build in builds:
            build()
            times = []
            for _ in range(repeats):
                t = time.process_time()
                build()
                times.append(time.process_time() - t)
            cells.append(f"{statistics.median(times) * 1000:.1f}")
        print(f"| {name} | {' | '.join(cells)} |", flush=True)


if __name__ == "__main__":
    main()
