"""Server CPU of the parts of a filter change, without Streamlit: the engine's questions for a
view met for the first time (match, timeline, counts series, map) and each chart's figure built
and serialised to the JSON the page sends, on the bundled 90 events.

    .venv/bin/python benchmarks/bench_view_parts.py
    PYTHONPATH=/tmp/before/src .venv/bin/python benchmarks/bench_view_parts.py   # a `git archive` tree

Views: every event type alone and every pair of the eight most frequent (one process, each view
asked once, so every answer is computed, not taken from the engine's cache). CPU seconds of
this process (`time.process_time`); what `bench_reruns.py` measures around the whole page is
these plus Streamlit's elements, the table, the sidebar and the export panel. Nothing here
asserts a time.
"""

from __future__ import annotations

import argparse
import itertools
import os
import statistics
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def views(engine) -> list:
    """Each event type alone, then each pair of the eight most frequent."""
    from timeline import view

    types = list(engine.summary.counts["event_type"])
    combos = [[t] for t in types] + [list(c) for c in itertools.combinations(types[:8], 2)]
    return [view.parse({"type": combo}, engine.known())[0] for combo in combos]


def measure(data: Path) -> dict[str, list[float]]:
    """CPU seconds per view: the engine's questions, then each figure built and serialised."""
    from timeline.engine import open_engine
    from timeline.figures import counts_figure, map_figure, timeline_figure

    engine = open_engine(data, "duckdb")
    out: dict[str, list[float]] = {"engine questions": [], "map": [], "timeline": [], "counts": []}
    answers = []
    for v in views(engine):
        started = time.process_time()
        match = engine.match(v)
        if match.count:
            answers.append((v, engine.timeline(v, match), engine.strikes(v), engine.map(v, match)))
        out["engine questions"].append(time.process_time() - started)
    map_figure(answers[0][3])  # the map's assets are read once per process, not per view
    for v, timeline, series, places in answers:
        for name, build in (
            ("map", lambda p=places: map_figure(p)),
            (
                "timeline",
                lambda t=timeline, w=v: timeline_figure(t, lanes=w.lanes, window=(w.span.start, w.span.end))[
                    0
                ],
            ),
            ("counts", lambda s=series: None if s.empty else counts_figure(s)),
        ):
            started = time.process_time()
            fig = build()
            if fig is not None:
                fig.to_json()
            out[name].append(time.process_time() - started)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "events.parquet")
    args = parser.parse_args()
    os.environ.setdefault("TIMELINE_THREADS", "1")
    found = measure(args.data)
    print(f"load average {os.getloadavg()[0]:.1f}; CPU ms per view, mean (median)")
    for name, values in found.items():
        print(
            f"  {name}: {statistics.mean(values) * 1000:.1f} ({statistics.median(values) * 1000:.1f}) over {len(values)}"
        )


if __name__ == "__main__":
    main()
