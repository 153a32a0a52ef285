"""Briefing-deck benchmark: an 8-step story deck with Kaleido warm.

    python benchmarks/bench_deck.py [--repeats 5] [--story seed-article]

Kaleido 1.5 reloads its page after every image; `export.images` lets a tab draw
`RENDERS_PER_PAGE` images per page first, so a deck's images do not queue behind reloads. The
options measured here all render through `Kaleido.calc_fig` on an open `Kaleido`:

- one figure at a time: a `render` call per slide, each waiting for the previous;
- one call: `render_many`, every slide's figure gathered on the pool's tabs at once
  (what `timeline.export.decks` does), with the default 2 tabs and with 4;

then the whole files: the deck built first and its charts rendered in one call, against each
chart submitted as soon as its slide is laid out, so Chromium draws while Python queries and
builds the next slides (`decks.story_file`, what `timeline export --story` and the dashboard
use). The pptx has PNG charts at 2x; the PDF has SVG charts printed by Chromium. Prints median
and max seconds per option.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from timeline import stories
from timeline.engine import open_engine
from timeline.export import decks, images as export_images

ROOT = Path(__file__).resolve().parent.parent


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--story", default="seed-article")
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "events.parquet")
    args = parser.parse_args()

    engine = open_engine(args.data)
    story = stories.load_checked(stories.path_of(args.story, ROOT / "data" / "stories"), engine)
    deck = decks.story_deck(engine, story)  # the first build also warms the engine's queries
    start = time.perf_counter()
    export_images.render(deck.slides[0].figure, "png", deck.slides[0].size)
    print(f"first image (starts Kaleido + Chromium): {time.perf_counter() - start:.2f} s")
    decks.render(deck, "png")  # every tab warm

    png = [(s.figure, "png", s.size) for s in deck.slides]
    svg = [(s.figure, "svg", replace(s.size, scale=1)) for s in deck.slides]
    four = export_images.KaleidoPool(export_images.find_chromium(), tabs=4)
    four_png = [(f, export_images.options(fmt, size)) for f, fmt, size in png]
    four.render_many(four_png)  # warm its tabs
    rows = [
        ("build the deck (queries, figures, layout)", lambda: decks.story_deck(engine, story)),
        ("PNG 2x, one figure at a time", lambda: [export_images.render(*job) for job in png]),
        ("PNG 2x, one render_many call, 2 tabs", lambda: export_images.render_many(png)),
        ("PNG 2x, one render_many call, 4 tabs", lambda: four.render_many(four_png)),
        ("SVG, one figure at a time", lambda: [export_images.render(*job) for job in svg]),
        ("SVG, one render_many call, 2 tabs", lambda: export_images.render_many(svg)),
        ("pptx: build, then one render_many call", lambda: decks.to_pptx(decks.story_deck(engine, story))),
        ("pptx: each chart rendered as its slide is built", lambda: decks.story_file(engine, story, "pptx")),
        (
            "pdf: build, then one render_many call, print",
            lambda: decks.to_pdf(decks.story_deck(engine, story)),
        ),
        (
            "pdf: each chart rendered as its slide is built, print",
            lambda: decks.story_file(engine, story, "pdf"),
        ),
    ]
    print(
        f"\n{story.name}: {len(deck.slides)} step slides + title slide, {args.repeats} repeats, Kaleido warm\n"
    )
    print("| work | median s | max s |")
    print("|---|---:|---:|")
    try:
        for label, fn in rows:
            median, worst = timed(fn, args.repeats)
            print(f"| {label} | {median:.2f} | {worst:.2f} |", flush=True)
    finally:
        four.close()


if __name__ == "__main__":
    main()
