"""Where a filter change's server CPU goes at scale: each question the page asks the engine
for a view met for the first time, timed apart, in the page's order (match, the sidebar's
counts, timeline, counts chart's strikes, map, the table's newest rows, sources).

    .venv/bin/python benchmarks/bench_questions.py --data bench-data/parts-10000000 --repeats 2
    PYTHONPATH=/tmp/before/src .venv/bin/python benchmarks/bench_questions.py --data ...   # a `git archive` tree

Views: a filter pill (one type, then another), the date preset (one type, the last 30 days),
two types, one confidence level, two text searches of two words. One process, one engine
thread; every kept answer is dropped before each view (`Backend.forget`), so each is computed. CPU seconds of this
process (`time.process_time`). Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import time
from collections.abc import Callable
from pathlib import Path


def views(last: datetime.date) -> dict[str, dict[str, list[str]]]:
    month = [str(last - datetime.timedelta(days=29)), str(last)]
    return {
        "pill: drone attacks": {"type": ["drone_attack"]},
        "pill: missile strikes": {"type": ["missile_strike"]},
        "date preset: drones, last 30 days": {"type": ["drone_attack"], "from": month[:1], "to": month[1:]},
        "two types": {"type": ["drone_attack", "missile_strike"]},
        "confidence claimed": {"confidence": ["claimed"]},
        "text: drone kyiv": {"q": ["drone kyiv"]},  # bench_browser.py's first two searches
        "text: missile kharkiv": {"q": ["missile kharkiv"]},
    }


def asked(engine: object, v: object) -> tuple[int, dict[str, float]]:
    """The view's matches, and the CPU seconds of each question the page asks about it."""
    from timeline.table import table_frame

    took: dict[str, float] = {}

    def timed(label: str, ask: Callable[[], object]) -> object:
        began = time.process_time()
        answer = ask()
        took[label] = round(time.process_time() - began, 3)
        return answer

    began = time.process_time()
    match = timed("match", lambda: engine.match(v))
    for f in v.active:
        if getattr(f, "group_of", None) is not None:  # the sidebar's grouped pills
            timed("sidebar", lambda f=f: engine.frequencies(v.without(f.name), f.column))
    timed("timeline", lambda: engine.timeline(v, match))
    timed("strikes", lambda: engine.strikes(v))
    timed("map", lambda: engine.map(v, match))
    timed("newest", lambda: table_frame(engine.newest(v, 1000)))
    timed("outlets", lambda: engine.outlets(v))
    took["total"] = round(time.process_time() - began, 3)
    return match.count, took


def measure(data: Path, repeats: int) -> None:
    from timeline import view
    from timeline.engine import backend, open_engine

    started = time.process_time()
    engine = open_engine(data, "duckdb")
    print(f"summary {time.process_time() - started:.3f} CPU s; load average {os.getloadavg()[0]:.1f}")
    for name, params in views(engine.summary.last_day).items():
        for _ in range(repeats):
            backend("duckdb").forget()
            engine = open_engine(data, "duckdb")
            v, _ = view.parse(params, engine.known())
            count, took = asked(engine, v)
            print(f"{name} ({count:,} matched): {json.dumps(took)}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data", type=Path, required=True, help="a dataset file or folder of parts")
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    os.environ.setdefault("TIMELINE_THREADS", "1")
    measure(args.data, args.repeats)


if __name__ == "__main__":
    main()
