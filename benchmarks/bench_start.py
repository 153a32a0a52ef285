"""Benchmark the dashboard's cold start: a fresh `streamlit run app.py` to its first chart in
Chromium (Playwright, Debian's /usr/bin/chromium), beside its floor, a minimal Streamlit page
drawing the same three figures with `st.plotly_chart` (`browser_floors.py`).

    .venv/bin/python benchmarks/bench_start.py                           # 5 starts each
    .venv/bin/python benchmarks/bench_start.py --tree /tmp/before --repeats 7

Per start, in a fresh server and a fresh browser context (nothing cached, as for a first
visit): the server's CPU seconds (user + system, from /proc) when its health check first
answers (Streamlit's own start, before any page is asked for), when the first chart is
drawn, the difference (what the page's session cost up to its first chart: the app's
imports, its first queries and figures, Streamlit's handling of the session), and when the
first run has ended (the table, the export panel); the wall time from starting the process
to the first chart. `--tree` names other trees (a `git archive` of an earlier commit:
`app.py` and `src/`) started in turn with this one, so all see the same load.
`bench_browser.py` measures the same first chart once per run among its interactions; this
script measures only starts, more of them, for comparisons of the start itself. It is a
benchmark, not a test: nothing here asserts a time. Results: docs/performance.md
("Dashboard in the browser").
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import bench_browser  # the server, /proc and page helpers of the browser benchmark
import browser_floors

ROOT = bench_browser.ROOT
FLOOR = "minimal Streamlit page (floor)"
CHART = ".js-plotly-plot .main-svg"


def one_start(browser, proc: subprocess.Popen, began: float, port: int) -> dict[str, float]:
    """CPU at health, at the first chart and at the first run's end; wall to the first chart."""
    url = f"http://127.0.0.1:{port}"
    context = browser.new_context(viewport={"width": 1440, "height": 1100})
    try:
        bench_browser.wait_healthy(url, proc)
        healthy = bench_browser.cpu_seconds(proc.pid)
        page = context.new_page()
        page.goto(url)
        page.wait_for_selector(CHART, timeout=300_000)
        wall = time.perf_counter() - began
        chart = bench_browser.cpu_seconds(proc.pid)
        page.wait_for_function(bench_browser.IDLE_JS, timeout=300_000)
        bench_browser.wait_cpu_quiet(proc.pid)
        run = bench_browser.cpu_seconds(proc.pid)
        return {"wall": wall, "health": healthy, "chart": chart, "app": chart - healthy, "run": run}
    finally:
        context.close()
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--tree", type=Path, action="append", default=[], help="another tree (app.py, src/)")
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "events.parquet")
    parser.add_argument("--port", type=int, default=8771)
    parser.add_argument("--no-floor", action="store_true", help="skip the minimal Streamlit page")
    args = parser.parse_args()
    if not bench_browser.CHROMIUM.exists():
        parser.exit(1, f"{bench_browser.CHROMIUM} not found: install Debian's chromium\n")
    from playwright.sync_api import sync_playwright

    folder = Path(tempfile.mkdtemp(prefix="bench-start-"))
    if not args.no_floor:
        browser_floors.write(folder, args.data)
    log = folder / "server.log"
    names = [str(t) for t in (ROOT, *args.tree)] + ([] if args.no_floor else [FLOOR])
    found: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    load = os.getloadavg()[0]
    try:
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(bench_browser.CHROMIUM), args=bench_browser.FLAGS)
            for _ in range(args.repeats):
                for name in names:  # interleaved: every tree sees the same load
                    began = time.perf_counter()
                    if name == FLOOR:
                        proc = browser_floors.start_streamlit(folder, args.port, log)
                    else:
                        proc = bench_browser.start(args.data, args.port, log, Path(name))
                    found[name].append(one_start(browser, proc, began, args.port))
            browser.close()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    report(found, args.repeats, load)


def report(found: dict[str, list[dict[str, float]]], repeats: int, load: float) -> None:
    print(
        f"{repeats} starts each, interleaved; load average {load:.1f} at the start, {os.getloadavg()[0]:.1f} at the end"
    )
    print(
        "| page | server CPU s at health | at the first chart | the page's part (first chart - health) "
        "| first run ended | wall s to the first chart |"
    )
    print("|---|---:|---:|---:|---:|---:|")
    for name, starts in found.items():
        label = "this tree" if name == str(ROOT) else name

        def cell(key: str, starts: list[dict[str, float]] = starts) -> str:
            values = [s[key] for s in starts]
            return f"{statistics.median(values):.2f} ({' / '.join(f'{v:.2f}' for v in values)})"

        print(
            f"| {label} | {cell('health')} | {cell('chart')} | {cell('app')} | {cell('run')} | {cell('wall')} |"
        )


if __name__ == "__main__":
    main()
