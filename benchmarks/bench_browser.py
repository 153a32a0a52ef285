"""Browser benchmark: what the analyst feels, from an input event to every chart on screen
showing the new view, in Debian's Chromium driven by Playwright against `streamlit run`.

    .venv/bin/python benchmarks/bench_browser.py                      # the bundled 90 events
    .venv/bin/python benchmarks/bench_browser.py --sizes 1000000 --repeats 3

Each dataset gets a fresh `streamlit run app.py` (one DuckDB thread, `TIMELINE_THREADS=1`).
Measured per interaction (median of `--repeats`, each on a view not met before where the
interaction allows it):

- cold start: from starting the server process to the first chart drawn;
- a filter pill (an event type) first after the start, and again (another type) after every
  other interaction, a date preset, the lanes switch, a text search of two
  words, a click on a point (its card in the selection panel and the highlight on every
  chart; also, apart, to the timeline's first redraw and to the card alone), a story's next
  step (bundled data only: the story's events are in it), the browser's back button;
- for a filter pill, a date preset and a text search, also to when every chart first showed
  the new view: its first redraw after the input, counted only if that redraw already drew the
  events (and the counts chart's totals per bin) of the server's final figure. On a small
  dataset the page draws it at the click or Enter (`early_view.js`), else it is the server's
  redraw;
- wall: from the input event (its own time stamp, `Event.timeStamp`, on pointerdown or Enter:
  the page's listeners that run before the probe's are counted) until the
  script is idle again and no chart has been redrawn for 0.5 s (a chart is redrawn when
  plotly's `calcdata` is replaced, checked on every animation frame, the way Streamlit's
  own e2e tests wait for the plot's DOM to change, or when a mark's style changes: the page
  fades a selection in place); the figure is the last redraw's time;
- server CPU: user + system seconds of the Streamlit process over the interaction (from
  /proc, Linux only);
- floor: the same answers (count, timeline lanes x days, strikes per day and type, map
  cells, the newest 1,000 rows) computed by DuckDB alone on the data held in its own
  in-memory table, in this process, on one thread: what the page cannot go below;
- two floors for the browser, measured in the same run (`browser_floors.py`): the
  dashboard's three figures, built once for two views, switched on a radio in a minimal
  Streamlit page (plain `st.plotly_chart`s) and in a static page with plotly.js alone
  (`Plotly.react`). Each interaction's ratio to them says what the dashboard adds to what
  Streamlit's rerun model costs by itself, and to what drawing the figures costs.

The wait for "no redraw for 0.5 s" is not counted in the wall time. It is a benchmark, not a
test: nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path(os.environ.get("TIMELINE_CHROMIUM", "/usr/bin/chromium"))
QUIET_MS = 500
WATCH_MS = 60_000
VERBOSE = False
TREE = ROOT
"""The tree whose app.py is served (`--tree`): another checkout's, for a before/after in one run."""
TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"]
"""Chromium's flags here (and in `bench_start.py`)."""

# Installed once per page: time-stamps input events and every chart redraw.
PROBE_JS = """
() => {
  if (window.__probe) return;
  const probe = window.__probe = {t0: null, last: null, ran: null, charts: [], watch: null, found: null, seen: new WeakMap(), first: {}};
  const mark = (e) => { probe.t0 = e ? e.timeStamp : performance.now(); probe.last = null; probe.ran = null; probe.charts = []; probe.found = null; probe.first = {}; };
  probe.shows = SHOWS_JS;
  probe.chartName = (gd) => {  // the chart's Streamlit key (timeline_chart, ...): charts come and go
    const box = gd.closest('[class*="st-key-"]');
    return box ? [...box.classList].find((c) => c.startsWith('st-key-')) : 'chart';
  };
  document.addEventListener('pointerdown', mark, true);
  document.addEventListener('keydown', e => { if (e.key === 'Enter') mark(e); }, true);
  window.addEventListener('popstate', mark, true);
  new MutationObserver(() => {
    const app = document.querySelector('[data-testid="stApp"]');
    if (app && app.getAttribute('data-test-script-state') === 'notRunning') probe.ran = performance.now();
  }).observe(document.body, {attributes: true, subtree: true, attributeFilter: ['data-test-script-state']});
  new MutationObserver((records) => {
    const plots = [...document.querySelectorAll('.js-plotly-plot')];
    for (const r of records) {
      if (!r.target.matches || !r.target.matches('path.point, .point > path')) continue;
      const i = plots.findIndex((gd) => gd.contains(r.target));
      if (i < 0) continue;  // a restyle in a listener before the probe's own (its input's time): counted
      probe.restyled = probe.restyled || new Set();
      probe.restyled.add(i);
      probe.restyledAt = performance.now();
    }
  }).observe(document.body, {attributes: true, subtree: true, attributeFilter: ['style']});
  const tick = () => {
    document.querySelectorAll('.js-plotly-plot').forEach((gd, i) => {
      if (gd.calcdata && probe.seen.get(gd) !== gd.calcdata) {
        probe.seen.set(gd, gd.calcdata);
        probe.last = performance.now();
        probe.charts.push([i, Math.round(probe.last - (probe.t0 || 0))]);
        const name = probe.chartName(gd);
        if (probe.t0 && !probe.first[name]) probe.first[name] = {ms: Math.round(probe.last - probe.t0), shows: probe.shows(gd)};
      }
    });
    if (probe.restyled && !(probe.t0 && probe.restyledAt >= probe.t0)) probe.restyled = null;  // before the input
    if (probe.restyled) {  // a chart faded in place (its marks' opacity), not drawn again
      const plots = document.querySelectorAll('.js-plotly-plot');
      probe.restyled.forEach((i) => {
        probe.charts.push([i, Math.round(probe.restyledAt - (probe.t0 || 0))]);
        const name = plots[i] && probe.chartName(plots[i]);  // marks hidden in place (`early_view.js`)
        if (name && probe.t0 && !probe.first[name]) probe.first[name] = {ms: Math.round(probe.restyledAt - probe.t0), shows: probe.shows(plots[i])};
      });
      probe.last = Math.max(probe.last || 0, probe.restyledAt);
      probe.restyled = null;
    }
    if (probe.watch && document.querySelector(probe.watch)) {
      probe.watch = null;
      probe.found = performance.now();
      probe.last = Math.max(probe.last || 0, performance.now());
    }
    requestAnimationFrame(tick);
  };
  requestAnimationFrame(tick);
}
"""
SHOWS_JS = """(gd) => {
  const ids = new Set(), bins = new Map(), hidden = new Set();
  gd.querySelectorAll('.scatterlayer .trace').forEach((g) => {  // marks hidden where drawn
    const trace = g.__data__ && g.__data__[0] && g.__data__[0].trace;
    if (trace) g.querySelectorAll('path.point').forEach((node) => {
      if (node.__data__ && getComputedStyle(node).display === 'none') hidden.add(`${trace.index} ${node.__data__.i}`);
    });
  });
  (gd.data || []).forEach((t, n) => {
    if (t.visible === false || !t.customdata || !t.customdata.length) return;
    Array.from(t.customdata).forEach((c, i) => {
      if (hidden.has(`${n} ${i}`)) return;
      if (Array.isArray(c) && typeof c[0] === 'string' && c[0]) ids.add(c[0]);
      else if (t.type === 'bar' && t.x && t.y) bins.set(String(Number(t.x[i])), (bins.get(String(Number(t.x[i]))) || 0) + Number(t.y[i]));
    });
  });
  return JSON.stringify([[...ids].sort(), [...bins].filter(([, n]) => n > 0).sort()]);
}"""
"""What a chart shows of a view: the events it draws (their ids), and the counts chart's total
per bin: a chart drawn in the page before the server's figure (`early_view.js`) counts as
showing the new view only when these are the server's final figure's."""
PROBE_JS = PROBE_JS.replace("SHOWS_JS", SHOWS_JS)
POINTS_JS = """(gd) => {
  const out = [], rect = gd.getBoundingClientRect(), L = gd._fullLayout, xa = L.xaxis, ya = L.yaxis;
  gd._fullData.forEach((trace, t) => {
    if (trace.type !== 'scatter' || !trace.customdata || !String(trace.mode).includes('markers')) return;
    (gd.calcdata[t] || []).forEach((pt, i) => {
      const x = xa.l2p(xa.d2l(pt.x)), y = ya.l2p(ya.d2l(pt.y));
      const inside = x >= 0 && x <= L._size.w && y >= 0 && y <= L._size.h;  // not beyond the range
      if (inside && trace.customdata[i] && trace.customdata[i][0])
        out.push({x: rect.left + L._size.l + x, y: rect.top + L._size.t + y});
    });
  });
  return out;
}"""
"""Where each event's mark is drawn on the timeline (its centre on the page)."""
IDLE_JS = """() => {
  const app = document.querySelector('[data-testid="stApp"]');
  return app && app.getAttribute('data-test-script-state') === 'notRunning'
    && !document.querySelector('[data-testid="stStatusWidget"]');
}"""


@dataclass
class Case:
    """One kind of interaction and its measurements."""

    name: str
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (fields 14 and 15 of /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def dataset(size: int) -> Path:
    """The bundled data (90) or `timeline synth` events, made once under bench-data/."""
    if size <= 1000:
        return ROOT / "data" / "events.parquet"
    sys.path.insert(0, str(Path(__file__).parent))
    import bench_dashboard

    return bench_dashboard.dataset(size)


def start(data: Path, port: int, log: Path, tree: Path = ROOT) -> subprocess.Popen:
    """`streamlit run` of `tree`'s app.py (`bench_start.py` passes other trees: their src/ comes
    first on the path)."""
    env = {**os.environ, "TIMELINE_DATA": str(data), "TIMELINE_THREADS": "1"}
    if tree != ROOT:
        env["PYTHONPATH"] = str(tree / "src")
    command = [
        sys.executable, "-m", "streamlit", "run", str(tree / "app.py"), "--server.port", str(port),
        "--server.address", "127.0.0.1", "--server.headless", "true",
        "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=tree, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)


def wait_healthy(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.05)
        if proc.poll() is not None:
            break
    raise RuntimeError("streamlit did not start")


def settle(page, timeout_s: float = 300, idle_js: str = IDLE_JS) -> float:
    """Wait for the rerun an input started to end and the charts to stop changing; the time
    from the input to the last redraw (or to the script's end when nothing was redrawn), in s.
    `idle_js`: when the page has no script running (always, for a static page)."""
    deadline = time.monotonic() + timeout_s
    page.wait_for_timeout(50)
    while time.monotonic() < deadline:
        idle = page.evaluate(idle_js)
        t0, last, ran, now = page.evaluate(
            "() => [window.__probe.t0, window.__probe.last, window.__probe.ran, performance.now()]"
        )
        waiting = page.evaluate("() => window.__probe.watch")
        if waiting and t0 is not None and now - t0 > WATCH_MS:  # the card never came
            raise TimeoutError(f"{waiting} did not appear")
        if (
            idle
            and not waiting
            and (last is None or now - last >= QUIET_MS)
            and now - (t0 or now) >= QUIET_MS
        ):
            ends = [t for t in (last, ran) if t is not None and t > t0]
            end = max(ends) if ends else now - QUIET_MS
            if VERBOSE:
                charts = page.evaluate("() => window.__probe.charts")
                print(
                    f"    script end {((ran or t0) - t0):.0f} ms, redraws (chart, ms) {charts}",
                    file=sys.stderr,
                )
            return (end - t0) / 1000
        page.wait_for_timeout(25)
    raise TimeoutError("the page did not settle")


def open_view(page, url: str) -> None:
    page.goto(url)
    page.wait_for_function(IDLE_JS, timeout=300_000)
    page.wait_for_selector(".js-plotly-plot .main-svg", timeout=300_000)
    page.evaluate(PROBE_JS)
    page.wait_for_timeout(QUIET_MS)


def measure(
    page, pid: int | None, case: Case, act, idle_js: str = IDLE_JS, early: Case | None = None
) -> None:
    """Run one interaction `act(page)` and record its wall time and the server's CPU (none
    for a static page: `pid` None); with `early`, also when every chart first showed the new
    view (`_early`)."""
    page.evaluate(PROBE_JS)
    before = cpu_seconds(pid) if pid else 0.0
    act(page)
    if VERBOSE:
        print(f"  {case.name}", file=sys.stderr)
    try:
        settle(page, idle_js=idle_js)
        # A fragment's rerun (a chart option) may start after the page first looks idle: wait
        # for the server to be idle too, then read the last redraw again.
        if pid:
            wait_cpu_quiet(pid)
        case.wall.append(settle(page, idle_js=idle_js))
    except TimeoutError as err:  # reported as a failure; the other interactions still run
        case.failures.append(str(err))
        page.evaluate("() => { window.__probe.watch = null; }")
        return
    case.cpu.append(cpu_seconds(pid) - before if pid else 0.0)  # an idle server spends next to nothing
    if early is not None:
        _early(page, early)


def _early(page, case: Case) -> None:
    """When every chart first showed the new view (its first redraw after the input, if that
    already drew the events and counts of the server's final figure; else the figure is not
    counted and the case says so): the page's early view, or the server's own redraw."""
    first = page.evaluate("() => window.__probe.first")
    final = page.evaluate(
        "() => Object.fromEntries([...document.querySelectorAll('.js-plotly-plot')]"
        ".map((gd) => [window.__probe.chartName(gd), window.__probe.shows(gd)]))"
    )  # the charts on screen at the end (a chart the server removed, e.g. no counts, is not)
    missing = [name for name in final if name not in first]
    if missing or not final:
        case.failures.append(f"{missing} not redrawn")
        return
    differ = [name for name, shows in final.items() if first[name]["shows"] != shows]
    if differ:
        case.failures.append(f"{differ} first drew other events than the server's")
        return
    case.wall.append(max(first[name]["ms"] for name in final) / 1000)
    case.cpu.append(float("nan"))  # the interaction's CPU is its row's


def wait_cpu_quiet(pid: int, quiet_s: float = 0.4, timeout_s: float = 120) -> None:
    """Until the server has spent no CPU for `quiet_s` (its clock ticks are 10 ms)."""
    deadline = time.monotonic() + timeout_s
    last, since = cpu_seconds(pid), time.monotonic()
    while time.monotonic() < deadline and time.monotonic() - since < quiet_s:
        time.sleep(0.05)
        now = cpu_seconds(pid)
        if now != last:
            last, since = now, time.monotonic()


# --- the floor: DuckDB alone on the data in memory -----------------------------------------


FLOOR_COLUMNS = (
    "event_id", "event_type", "date_start", "date_end", "title", "location", "countries",
    "confidence", "count", "intercepted", "longitude", "latitude",
)  # fmt: skip
"""What the floor's DuckDB copy holds: the columns its answers group by and the table shows."""


class Floor:
    """The answers a view needs, as plain SQL on a DuckDB in-memory copy of the data."""

    def __init__(self, data: Path) -> None:
        import duckdb

        from timeline.storage import parts

        files = [str(p) for p in parts.files(data)] if data.is_dir() else [str(data)]
        self.db = duckdb.connect(config={"threads": 1})
        listed = ", ".join("'" + f.replace("'", "''") + "'" for f in files)
        # Only the columns the answers read (and the newest rows show), with the search text:
        # a full copy of 10 M events took 5.9 GB here, this one well under half of that.
        self.db.execute(
            f"CREATE TABLE events AS SELECT {', '.join(FLOOR_COLUMNS)}, lower(concat_ws(' ', title, "
            f"summary, location, array_to_string(actors, ' '))) AS search "
            f"FROM read_parquet([{listed}], union_by_name = true)"
        )

    def answers(self, where: str) -> float:
        """CPU seconds of the five answers of a view (`where`: an SQL condition)."""
        queries = [
            f"SELECT count(*), min(date_start), max(date_end) FROM events WHERE {where}",
            f"SELECT event_type, date_start, count(*) FROM events WHERE {where} GROUP BY ALL",
            f"SELECT date_start, event_type, sum(count), sum(intercepted) FROM events WHERE {where} "
            "AND event_type IN ('drone_attack', 'missile_strike', 'combined_strike') GROUP BY ALL",
            f"SELECT floor(longitude / 0.5), floor(latitude / 0.5), event_type, count(*) FROM events "
            f"WHERE {where} AND latitude IS NOT NULL GROUP BY ALL",
            f"SELECT * EXCLUDE (search) FROM events WHERE {where} ORDER BY date_start DESC, event_id LIMIT 1000",
        ]
        start = time.process_time()
        for sql in queries:
            self.db.execute(sql).fetchall()
        return time.process_time() - start


# --- one dataset ---------------------------------------------------------------------------


def run_size(size: int, repeats: int, port: int, browser) -> dict[str, Case]:
    data = dataset(size)
    floor = Floor(data)
    bundled = size <= 1000
    url = f"http://127.0.0.1:{port}"
    cases = {name: Case(name) for name in NAMES if bundled or name != "story: next step"}
    log = Path(tempfile.gettempdir()) / f"bench-browser-{size}.log"
    for _ in range(repeats):
        context = browser.new_context(viewport={"width": 1440, "height": 1100})
        page = context.new_page()
        began = time.perf_counter()
        proc = start(data, port, log, TREE)
        try:
            wait_healthy(url, proc)
            page.goto(url)
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=300_000)
            cases["first chart after start"].wall.append(time.perf_counter() - began)
            cases["first chart after start"].cpu.append(cpu_seconds(proc.pid))
            cases["first chart after start"].floor.append(floor.answers("true"))
            page.wait_for_function(IDLE_JS, timeout=300_000)
            interactions(page, proc.pid, cases, floor, url, bundled, size)
        finally:
            context.close()
            proc.terminate()
            proc.wait(timeout=30)
    return cases


FIRST_PILL, LATER_PILL = "filter pill (event type)", "filter pill, later (another type)"
"""The same kind of click twice per server: first, the server's first rerun after the page's
first runs (whatever a first rerun pays once is in it), and again after every other
interaction, on another type, so the two rows say what the first rerun pays beyond a later one."""
EARLY = {
    FIRST_PILL: "filter pill, every chart first showing it",
    LATER_PILL: "filter pill, later, every chart first showing it",
    "date preset": "date preset, every chart first showing it",
    "text search, two words": "text search, every chart first showing it",
}
"""The same click, to when every chart first showed the new view's events and counts (drawn
by the page at the click on a small dataset, `early_view.js`, else by the server's rerun),
rather than to the last redraw (the server's final figures)."""
NAMES = (
    "first chart after start",
    FIRST_PILL,
    EARLY[FIRST_PILL],
    LATER_PILL,
    EARLY[LATER_PILL],
    "date preset",
    EARLY["date preset"],
    "lanes switch",
    "per week",
    "text search, two words",
    EARLY["text search, two words"],
    "click a point: card + highlight",
    "click a point: timeline highlighted",
    "click a point: card visible",
    "click a point: card and every chart faded",
    "story: next step",
    "back button",
)
TYPES = ["missile_strike", "meeting", "statement", "drone_attack"]
HIGHLIGHT, CARD = "click a point: timeline highlighted", "click a point: card visible"
"""The same click, to the timeline's first redraw (the highlight), and to its card (the one
the page draws at the click, or the panel's), rather than to the last chart redrawn."""
SEEN = "click a point: card and every chart faded"
"""The same click, to the later of its card and each chart's first redraw (its fade): when the
analyst sees the whole answer, before the server's rerun confirms it."""
SEARCHES = ["drone kyiv", "missile kharkiv", "attack odesa", "strike dnipro"]
"""A text search's two words, one pair per repeat (a view not met before)."""
CARD_JS = "[class*=st-key-card-], .tl-early-card"
"""A card on screen: the selection panel's, or the one the page draws at the click (`early_cards`)."""


def interactions(
    page, pid: int, cases: dict[str, Case], floor: Floor, url: str, bundled: bool, size: int
) -> None:
    from timeline.domain import taxonomy

    # A filter pill: a new event type each repeat (a view not met before).
    n = len(cases[FIRST_PILL].wall)

    def pill(case: Case, kind: str) -> None:
        """A type's pill clicked on the unfiltered view."""
        open_view(page, url)
        button = page.get_by_role("button", name=taxonomy.LABELS[kind], exact=False).first
        measure(page, pid, case, lambda p: button.click(), early=cases[EARLY[case.name]])
        case.floor.append(floor.answers(f"event_type = '{kind}'"))

    kind = TYPES[n % len(TYPES)]
    pill(cases[FIRST_PILL], kind)

    # The browser's back button: back to the unfiltered view.
    measure(page, pid, cases["back button"], lambda p: p.go_back())
    cases["back button"].floor.append(floor.answers("true"))

    # A date preset (last 30 days, counted back from the newest event).
    open_view(page, f"{url}/?type={kind}")
    newest = floor.db.execute("SELECT max(date_end) FROM events").fetchone()[0]
    preset = page.get_by_role("radio", name="Last 30 days").or_(
        page.get_by_role("button", name="Last 30 days")
    )
    measure(
        page, pid, cases["date preset"], lambda p: preset.first.click(), early=cases[EARLY["date preset"]]
    )
    cases["date preset"].floor.append(
        floor.answers(f"event_type = '{kind}' AND date_end >= DATE '{newest}' - INTERVAL 29 DAY")
    )

    # The lanes switch and the counts' per-week switch on that view.
    lanes = page.get_by_role("radio", name="Country")
    measure(page, pid, cases["lanes switch"], lambda p: lanes.first.click())
    cases["lanes switch"].floor.append(floor.answers(f"event_type = '{kind}'"))
    week = page.get_by_role("radio", name="Per week")
    measure(page, pid, cases["per week"], lambda p: week.first.click())
    cases["per week"].floor.append(floor.answers(f"event_type = '{kind}'"))

    # A text search of two words (on the bundled data, words some events hold).
    searches = ["drone kyiv", "strike dnipro", "shahed kyiv", "missile kyiv"] if bundled else SEARCHES
    words = searches[n % 4]
    open_view(page, url)
    box = page.get_by_placeholder("title, summary, place, actor")
    box.fill(words)
    search = cases["text search, two words"]
    measure(page, pid, search, lambda p: box.press("Enter"), early=cases[EARLY[search.name]])
    likes = " AND ".join(f"search LIKE '%{w}%'" for w in words.split())
    cases["text search, two words"].floor.append(floor.answers(likes))

    # A click on a point: its card in the panel and the highlight on every chart.
    narrow = "type=drone_attack&from=2024-11-01&to=2024-11-30" if bundled else _narrow(floor, size)
    open_view(page, f"{url}/?{narrow}")
    height = page.viewport_size["height"] if page.viewport_size else 1100
    points = [
        q for q in page.locator(".js-plotly-plot").first.evaluate(POINTS_JS) if 0 < q["y"] < height - 20
    ]
    spot = points[(n * 7) % len(points)] if points else None
    if spot:

        def click(p) -> None:
            p.mouse.click(spot["x"], spot["y"])

        page.evaluate(f"() => {{ window.__probe.watch = {CARD_JS!r}; }}")
        measure(page, pid, cases["click a point: card + highlight"], click)
        cases["click a point: card + highlight"].floor.append(floor.answers("event_id = 'x'"))
        # When the timeline first showed the highlight: its first redraw after the click.
        first = [ms for chart, ms in page.evaluate("() => window.__probe.charts") if chart == 0]
        if first and cases["click a point: card + highlight"].wall:
            cases[HIGHLIGHT].wall.append(first[0] / 1000)
            cases[HIGHLIGHT].cpu.append(float("nan"))  # the click's CPU is the row above
        found = page.evaluate("() => window.__probe.found && window.__probe.found - window.__probe.t0")
        if found and cases["click a point: card + highlight"].wall:
            cases[CARD].wall.append(found / 1000)
            cases[CARD].cpu.append(float("nan"))
            faded = {}
            for chart, ms in page.evaluate("() => window.__probe.charts"):
                faded.setdefault(chart, ms)
            if len(faded) >= 3:  # the timeline, the counts chart and the map
                cases[SEEN].wall.append(max(found, *faded.values()) / 1000)
                cases[SEEN].cpu.append(float("nan"))

    if bundled:  # a story's next step
        open_view(page, f"{url}/?story=seed-article&step={1 + n % 6}")
        nxt = page.locator(".st-key-story-next button").first
        measure(page, pid, cases["story: next step"], lambda p: nxt.click())
        cases["story: next step"].floor.append(floor.answers("true"))

    # The filter pill again, last, on the unfiltered view as the first was: another type.
    pill(cases[LATER_PILL], TYPES[(n + 2) % len(TYPES)])


def _narrow(floor: Floor, size: int) -> str:
    """A view of a few hundred to two thousand drone attacks (drawn one by one, so a point
    can be clicked): the newest days that hold that many, counted as the view matches them
    (every event whose dates overlap the window), with only the claimed ones when even the
    newest day holds more (at 10 M it holds about 11,000 drone attacks)."""
    newest = floor.db.execute(
        "SELECT max(date_start) FROM events WHERE event_type = 'drone_attack'"
    ).fetchone()[0]
    for extra, condition in (("", "true"), ("&confidence=claimed", "confidence = 'claimed'")):
        for back in (27, 13, 6, 2, 0):
            first = newest - datetime.timedelta(days=back)
            n = floor.db.execute(
                "SELECT count(*) FROM events WHERE event_type = 'drone_attack' AND date_start <= ? "
                f"AND date_end >= ? AND {condition}",
                [newest, first],
            ).fetchone()[0]
            if n <= 2000:
                return f"type=drone_attack&from={first}&to={newest}{extra}"
    return f"type=drone_attack&from={newest}&to={newest}&confidence=claimed"


# --- the floors: the same three figures switched without the dashboard ---------------------

ST_FLOOR, JS_FLOOR = "floor: minimal Streamlit page", "floor: plotly.js alone (static page)"


def floors(data: Path, repeats: int, port: int, browser) -> dict[str, Case]:
    """Switch the dashboard's three figures between two views, `2 * repeats` times, in a
    minimal Streamlit page and in a static page with plotly.js (`browser_floors.py`)."""
    sys.path.insert(0, str(Path(__file__).parent))
    import browser_floors

    folder = Path(tempfile.mkdtemp(prefix="bench-floor-"))
    browser_floors.write(folder, data)
    cases = {name: Case(name) for name in (ST_FLOOR, JS_FLOOR)}
    context = browser.new_context(viewport={"width": 1440, "height": 1100})
    page = context.new_page()
    switches = [browser_floors.VIEWS[(i + 1) % 2] for i in range(2 * repeats)]
    try:
        with browser_floors.static_server(folder) as url:
            page.goto(url)
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=60_000)
            page.evaluate(PROBE_JS)
            page.wait_for_timeout(QUIET_MS)
            for name in switches:
                radio = page.locator(f"input[value={name}]")
                measure(page, None, cases[JS_FLOOR], lambda p, r=radio: r.click(), idle_js="() => true")
        log = Path(tempfile.gettempdir()) / "bench-browser-floor.log"
        proc = browser_floors.start_streamlit(folder, port + 1, log)
        try:
            url = f"http://127.0.0.1:{port + 1}"
            wait_healthy(url, proc)
            open_view(page, url)
            for name in switches:
                radio = page.locator('[data-testid="stRadio"] label').filter(has_text=name)
                measure(page, proc.pid, cases[ST_FLOOR], lambda p, r=radio: r.first.click())
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    finally:
        context.close()
        shutil.rmtree(folder, ignore_errors=True)
    return cases


def report(size: int, cases: dict[str, Case], floor_cases: dict[str, Case]) -> None:
    label = "90 (bundled)" if size <= 1000 else f"{size:,}"
    print(f"\n### {label} events\n")
    st_wall, st_cpu = _medians(floor_cases.get(ST_FLOOR))
    js_wall, _ = _medians(floor_cases.get(JS_FLOOR))
    print(
        "| interaction | wall s (median) | wall s (all) | server CPU s | CPU s (all) | DuckDB floor CPU s "
        "| CPU / DuckDB "
        "| wall / Streamlit floor | CPU / Streamlit floor | wall / plotly.js floor |"
    )
    print("|---|---:|---|---:|---|---:|---:|---:|---:|---:|")
    for case in [*cases.values(), *floor_cases.values()]:
        for failure in case.failures:
            print(f"| {case.name} | failed: {failure} | | | | | | | | |")
        if not case.wall:
            continue
        wall, cpu = _medians(case)
        floor = statistics.median(case.floor) if case.floor else float("nan")
        print(
            f"| {case.name} | {wall:.3f} | {' / '.join(f'{w:.2f}' for w in case.wall)} | {cpu:.3f} | "
            f"{' / '.join(f'{c:.2f}' for c in case.cpu)} | "
            f"{floor:.4f} | {cpu / floor:.0f}x | {wall / st_wall:.1f}x | {cpu / st_cpu:.1f}x | "
            f"{wall / js_wall:.1f}x |",
            flush=True,
        )


def _medians(case: Case | None) -> tuple[float, float]:
    """Median wall and CPU seconds of a case (NaN when it has none)."""
    if case is None or not case.wall:
        return float("nan"), float("nan")
    return statistics.median(case.wall), statistics.median(case.cpu) or float("nan")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[90], help="90: the bundled data")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--verbose", action="store_true", help="when each chart was redrawn")
    parser.add_argument(
        "--no-floors", action="store_true", help="skip the minimal Streamlit and plotly.js pages"
    )
    parser.add_argument(
        "--tree", type=Path, default=ROOT, help="serve this checkout's app.py and src/ (default: this one)"
    )
    args = parser.parse_args()
    global VERBOSE, TREE
    VERBOSE = args.verbose
    TREE = args.tree.resolve()
    if not CHROMIUM.exists():
        parser.exit(1, f"{CHROMIUM} not found: install Debian's chromium\n")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        for size in args.sizes:
            cases = run_size(size, args.repeats, args.port, browser)
            floor_cases = {} if args.no_floors else floors(dataset(size), args.repeats, args.port, browser)
            report(size, cases, floor_cases)
        browser.close()


if __name__ == "__main__":
    main()
