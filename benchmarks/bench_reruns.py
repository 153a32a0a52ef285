"""Server CPU of one dashboard interaction, without a browser: the page driven by Streamlit's
AppTest in this process, each interaction's CPU seconds (all threads) measured around it.

    .venv/bin/python benchmarks/bench_reruns.py                     # the bundled 90 events
    .venv/bin/python benchmarks/bench_reruns.py --src /tmp/before/src --repeats 7

What the browser benchmark (`bench_browser.py`) reads from /proc, with the browser's
timing noise and the websocket left out: on a loaded machine its CPU figures move by tens of
per cent, these by less. A chart option's switch reruns only its chart's fragment here as in
the browser (the switch's callback names the fragments to rerun). Interactions:

- a filter: an event type, each repeat a type not met before (the view's answers are new);
  the process's first filter change (its first rerun) is also reported on a row of its own;
- the lanes switch, `per` week and `strikes` by side, each on a filtered view met before;
- a new selection through the callback every selection calls (a click on a chart, a table
  row, a phone's *Open card*): it reruns only the fragments that show the selection, as in
  the browser. AppTest cannot click a plotly point, so the page runs at a phone's width and
  the selection is made by *Open card*, which calls the same callback (`state.take_ids`);
- another selection, a card already open;
- once per process, its first run: importing the app's libraries (Streamlit itself is
  imported before), its first answers and figures, at a phone's width.

`--src` runs the same interactions on another source tree (e.g. a `git archive` of the
commit before) in a fresh process, for a before/after table. Nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TYPES = [
    "drone_attack",
    "missile_strike",
    "statement",
    "call",
    "meeting",
    "policy_decision",
    "troop_deployment",
]
FIRST_FILTER = "filter: an event type, the process's first (included above)"
"""The first rerun of the process: whatever a rerun pays once (a module imported late, a cache
filled) is in it and not in the later ones."""
CLICKS = ["2024-11-21-ru-oreshnik-strike-dnipro", "2024-11-25-ru-drone-attack-ua"]
FIRST = "first run of the process (the app's imports, its first answers and figures)"
"""Once per process: a server's first session costs this beside Streamlit's own start
(`bench_start.py` measures the whole start in the browser, with more noise)."""


def measure(repeats: int) -> dict[str, list[float]]:
    """CPU seconds per interaction, `repeats` times each, in this process."""
    from streamlit.testing.v1 import AppTest

    began = time.process_time()  # the app's own imports count in the process's first run
    from timeline import view
    from timeline.ui import state, viewport

    # A phone's width, for its list's *Open card* buttons (see the module's docstring).
    viewport.current = lambda: viewport.Viewport(True, viewport.PHONE_PLOT_PX, True)

    os.environ.setdefault("TIMELINE_DATA", str(ROOT / "data" / "events.parquet"))
    out: dict[str, list[float]] = {}

    def timed(name: str, act) -> None:
        started = time.process_time()
        act()
        out.setdefault(name, []).append(time.process_time() - started)

    for n in range(repeats):
        at = AppTest.from_file(str(Path.cwd() / "app.py"), default_timeout=120)  # the tree's own page
        at.run()
        if n == 0:
            out[FIRST] = [time.process_time() - began]
        f, kind = view.filter_named("type"), TYPES[n % len(TYPES)]
        key = state.group_key(f, f.group_of(kind))
        at.session_state[key] = [kind]
        timed("filter: an event type", at.run)
        if n == 0:
            out[FIRST_FILTER] = out["filter: an event type"][:1]
        for option, value in (("lanes", "country"), ("per", "week"), ("strikes", "side")):
            switch = at.segmented_control(key=state.key(option))
            timed(f"{option} switch", lambda s=switch, x=value: s.set_value(x).run())
            at.run()  # the whole page again (unmeasured): AppTest's tree holds only what ran
        at.session_state[key] = []
        strikes = ["drone_attack", "missile_strike"]  # a short list holding both events picked below
        at.session_state[state.group_key(f, f.group_of(strikes[0]))] = strikes
        at.run()
        at.button(key=f"open-{CLICKS[0]}").click()
        timed("a selection (its fragments rerun)", at.run)
        at.run()  # the whole page again (unmeasured), so the next button is in AppTest's tree
        at.button(key=f"open-{CLICKS[1]}").click()
        timed("another selection (a card open)", at.run)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--src", type=Path, help="Another source tree to time the same way.")
    parser.add_argument("--json", action="store_true", help=argparse.SUPPRESS)  # a child's output
    args = parser.parse_args()
    if args.json:
        print(json.dumps(measure(args.repeats)))
        return
    trees = {"this tree": ROOT / "src", **({"--src": args.src} if args.src else {})}
    results = {}
    for label, src in trees.items():
        env = {**os.environ, "PYTHONPATH": str(src), "TIMELINE_THREADS": "1"}
        command = [sys.executable, __file__, "--json", "--repeats", str(args.repeats)]
        done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=src.parent, check=True)
        results[label] = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"load average {os.getloadavg()[0]:.1f}; CPU s, median (fastest) of {args.repeats}")
    print("| interaction | " + " | ".join(results) + " |")
    print("|---|" + "---:|" * len(results))
    for name in next(iter(results.values())):
        cells = [
            f"{statistics.median(r[name]):.3f} ({min(r[name]):.3f})" for r in results.values() if name in r
        ]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
