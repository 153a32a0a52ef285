"""A filter change drawn at the click (issue #17, `ui/components/early_view`): with every
message to the server held back, a click on a pill or a date preset already shows, on every
chart, the events (and the counts chart's totals per bin) the server's rerun then shows; let
through, the server's figures replace the page's. Hostile text stays text in between."""

from __future__ import annotations

import pytest

from e2e.browser import open_page, wait_for_app, wait_for_rerun
from e2e.conftest import artifact
from e2e.test_analysis import held_messages, release
from e2e.test_hostile import hostile_url as hostile_url  # the module's hostile dataset, served
from test_early_view import SEARCHES
from timeline.domain.schema import Col
from timeline.view import View

SHOWS_JS = """() => Object.fromEntries([...document.querySelectorAll('[data-testid="tlChart"]')].map((host) => {
  const gd = host.querySelector('.js-plotly-plot'), ids = new Set(), bins = new Map(), hidden = new Set();
  const name = [...host.closest('[class*="st-key-"]').classList].find((c) => c.startsWith('st-key-'));
  const seen = (n) => { for (let e = n; e && e !== gd; e = e.parentElement) if (getComputedStyle(e).display === 'none') return false; return true; };
  gd.querySelectorAll('.scatterlayer .trace, .barlayer .trace').forEach((g) => {
    const trace = g.__data__ && g.__data__[0] && g.__data__[0].trace;
    if (trace) g.querySelectorAll('path.point, g.point').forEach((node) => {
      if (node.__data__ && !seen(node)) hidden.add(`${trace.index} ${node.__data__.i}`);
    });
  });
  (gd.data || []).forEach((t, n) => {
    if (t.visible === false || !t.customdata || !t.customdata.length) return;
    Array.from(t.customdata).forEach((c, i) => {
      if (hidden.has(`${n} ${i}`)) return;
      if (Array.isArray(c) && typeof c[0] === 'string' && c[0]) ids.add(c[0]);
      else if (t.type === 'bar') bins.set(String(Number(t.x[i])), (bins.get(String(Number(t.x[i]))) || 0) + Number(t.y[i]));
    });
  });
  return [name, {early: host.dataset.early || null, ids: [...ids].sort(),
                 bins: [...bins].filter(([, n]) => n > 0).sort()}];
}))"""
"""Each chart on screen (by its key): whether the page drew it (`data-early`), the events it
shows (marks hidden where drawn left out) and the counts chart's total per bin."""
TIMELINE_JS = """() => {
  const gd = document.querySelector('.st-key-timeline_chart .js-plotly-plot'), host = gd.closest('.tl-chart');
  const out = {hidden: gd.querySelectorAll('.tl-early-hidden').length};
  const seen = (n) => { for (let e = n; e && e !== gd; e = e.parentElement) if (getComputedStyle(e).display === 'none') return false; return true; };
  const add = (kind, id, node) => {
    const o = out[kind] || (out[kind] = {all: [], shown: []});
    o.all.push(id);
    if (node && seen(node)) o.shown.push(id);
  };
  for (const g of gd.querySelectorAll('.scatterlayer .trace, .barlayer .trace')) {
    const trace = g.__data__ && g.__data__[0] && g.__data__[0].trace;
    if (!trace) continue;
    const id = (d) => { const c = d && trace.customdata && trace.customdata[d.i];
                        return Array.isArray(c) && typeof c[0] === 'string' && c[0] ? c[0] : null; };
    g.querySelectorAll('path.point, g.point').forEach((n) => {
      const e = id(n.__data__); if (e) add(trace.type === 'bar' ? 'bars' : 'marks', e, n); });
    g.querySelectorAll('g.textpoint, g.point > text').forEach((n) => {
      const e = id(n.__data__ || n.parentNode.__data__); if (e && n.textContent.trim()) add('labels', e, n); });
    const events = (gd.data[trace.index].meta || {}).events;
    if (events) g.querySelectorAll('path.js-line').forEach((n, k) => add('spans', events[k], n));
  }
  const model = document.querySelector('.tl-early-view').__tl.model;  // the page drew the whole dataset's
  const keys = (host.dataset.early === 'drawn' ? model.key_events : host.__tl.data.key_events) || [];
  for (const [field, kind, name, selector] of [['annotations', 'callouts', 'key-event', '.infolayer .annotation'],
                                               ['shapes', 'leaders', 'key-event-leader', '.shapelayer path']]) {
    let n = 0;
    (gd.layout[field] || []).forEach((item, i) => {
      if (item.name === name) add(kind, keys[n++], gd.querySelector(`${selector}[data-index="${i}"]`));
    });
  }
  return out;
}"""
"""What the timeline shows, read from its drawn elements (what the user sees): for its markers,
hatched bars, labels, overnight lines, call-outs and their leaders, the events of all of them
drawn and of those visible (neither they nor a group holding them hidden in place by the
early view; `checkVisibility` says an SVG group hidden is visible, and one shown hidden)."""


def shows_exactly(timeline: dict, events) -> None:
    """The timeline's visible marks and bars are exactly `events`; its labels, overnight lines,
    call-outs and leaders visible are exactly those of `events` among the drawn ones."""
    events = set(events)
    marks, bars = timeline["marks"], timeline.get("bars", {"shown": []})
    assert set(marks["shown"]) | set(bars["shown"]) == events
    for kind in ("labels", "spans", "callouts", "leaders"):
        drawn = timeline.get(kind, {"all": [], "shown": []})
        assert set(drawn["shown"]) == {e for e in drawn["all"] if e in events}, kind


HEADER_JS = """() => [...document.querySelectorAll('[data-testid="stMarkdownContainer"] strong')]
  .map((n) => n.textContent).find((t) => / of [\\d,]+ events$/.test(t))"""


def _pill(page, label: str):
    return (
        page.locator('[data-testid="stSidebar"] [data-testid="stButtonGroup"] button')
        .filter(has_text=label)
        .first
    )


def early_then_served(page, url: str, labels: list[str]) -> tuple[dict, dict, str, str, dict, dict]:
    """Open `url`, hold the page's messages back, click these pills and presets; what every
    chart and the header showed then, and after the server's rerun; and the timeline's
    elements (`TIMELINE_JS`) then and after."""
    hold = held_messages(page)
    open_page(page, url)
    page.wait_for_function(  # the early view's model is unpacked
        "() => { const h = document.querySelector('.tl-early-view'); return h && h.__tl && h.__tl.model; }"
    )
    hold["on"] = True
    for label in labels:
        _pill(page, label).click()
    page.wait_for_function(
        "() => document.querySelectorAll('[data-testid=tlChart][data-early]').length >= 2", timeout=10_000
    )
    page.wait_for_timeout(200)  # the counts chart, after Streamlit's handling of the click
    early, early_header, early_timeline = (
        page.evaluate(SHOWS_JS),
        page.evaluate(HEADER_JS),
        page.evaluate(TIMELINE_JS),
    )
    assert hold["held"], "no message reached the server"
    release(hold)
    wait_for_rerun(page)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=tlChart][data-early]')", timeout=20_000
    )
    served = page.evaluate(SHOWS_JS), page.evaluate(HEADER_JS), page.evaluate(TIMELINE_JS)
    return early, served[0], early_header, served[1], early_timeline, served[2]


@pytest.mark.parametrize(
    ("start", "labels"),
    [
        ("", ["Drone attack"]),  # a type pill
        ("", ["Missile strike"]),  # one whose figure is a quarter of the whole dataset's height
        ("type=drone_attack", ["Missile strike"]),  # a second type pill
        ("", ["Claimed"]),  # a confidence level (the bundled data has no side filter)
        ("type=drone_attack", ["Last 30 days"]),  # a date preset
        ("confidence=confirmed&from=2024-11-01&to=2024-12-27", ["Combined strike", "Missile strike"]),
    ],
)
def test_the_early_view_shows_the_events_the_server_then_shows(page, app_url, curated_engine, start, labels):
    """Each chart's events and counts, and the header, as the server's rerun then shows them;
    the timeline's visible marks, bars, labels, overnight lines and call-outs exactly those
    events' (hidden in place, or drawn again when it must add events); after the rerun, the
    server's figure with no mark left hidden."""
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    early, served, early_header, served_header, early_timeline, served_timeline = early_then_served(
        page, f"{app_url}/?{start}", labels
    )
    drawn = {name for name, chart in early.items() if chart["early"]}
    assert {"st-key-timeline_chart", "st-key-map_chart"} <= drawn
    for name, chart in served.items():  # the server may leave a chart out (no counts): not drawn
        assert chart["early"] is None
        assert early[name]["ids"] == chart["ids"], name
        assert early[name]["bins"] == chart["bins"], name
    assert early_header == served_header
    shows_exactly(early_timeline, served["st-key-timeline_chart"]["ids"])
    assert served_timeline["hidden"] == 0  # the server's figure drawn, every mark of it shown
    drawn = set(served_timeline["marks"]["all"]) | set(served_timeline.get("bars", {"all": []})["all"])
    assert drawn == set(served["st-key-timeline_chart"]["ids"])
    shows_exactly(served_timeline, drawn)
    if labels == ["Drone attack"]:  # on the whole dataset's timeline: hidden in place, the engine's events
        assert early["st-key-timeline_chart"]["early"] == "hidden"
        shows_exactly(early_timeline, curated_engine.drawn(View.of(type=("drone_attack",)))[Col.EVENT_ID])
        artifact(page, "early-view-served")
    assert errors == []


def test_hostile_text_stays_text_in_the_early_view(page, hostile_url):
    """The hostile event's title travels in the figures' plotly JSON (escaped for plotly), drawn
    by plotly as text: nothing in it becomes an element, nothing runs."""
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    hold = held_messages(page)
    open_page(page, f"{hostile_url}/?type=statement")
    page.wait_for_function(
        "() => { const h = document.querySelector('.tl-early-view'); return h && h.__tl && h.__tl.model; }"
    )
    hold["on"] = True
    _pill(page, "Drone attack").click()
    page.wait_for_function("() => document.querySelectorAll('[data-testid=tlChart][data-early]').length >= 2")
    charts = page.locator('[data-testid="tlChart"]')
    for shown in (page.evaluate(SHOWS_JS), _searched(page, "ONERROR <script>alert(2)</script>")[0]):
        assert "hostile-markup" in shown["st-key-timeline_chart"]["ids"]  # its search text: data only
        assert charts.locator("img, script, iframe, [onerror], a[href^='https://evil']").count() == 0
        assert "<img" not in charts.first.evaluate("(h) => h.querySelector('.main-svg').textContent")
    assert page.locator("body img[src=x], body script:text('alert')").count() == 0
    artifact(page, "early-view-hostile")
    release(hold)
    wait_for_rerun(page)
    assert dialogs == []


TURN_JS = "() => { const k = document.querySelector('.tl-early-view').__tl; return [k.turn, k.shown]; }"


def _searched(page, query: str, commit: str = "Enter") -> tuple[dict, str]:
    """Type `query` in the search box and commit it (Enter, or leaving the box); what every
    chart and the header show once the page has drawn it on every chart."""
    turn = page.evaluate(TURN_JS)[0]
    box = page.get_by_placeholder("title, summary, place, actor")
    box.fill(query)
    box.press("Enter") if commit == "Enter" else box.blur()
    page.wait_for_function(f"() => ({TURN_JS})()[1] > {turn}", timeout=10_000)
    return page.evaluate(SHOWS_JS), page.evaluate(HEADER_JS)


SERVED_JS = """([query, types]) => { const view = document.querySelector('.tl-early-view').__tl.view;
  const chosen = view ? Object.values(view.pills).filter((p) => p.filter === 'type').flatMap((p) => p.chosen) : [];
  return !!view && view.search.query === query && JSON.stringify(chosen.sort()) === JSON.stringify(types); }"""


def _served(page, hold, query: str, types: list[str]) -> tuple[dict, str]:
    """The held messages let through: what every chart and the header show after the rerun of
    the last (the server's view has this search and these types; several held messages may
    each rerun, the last last)."""
    release(hold)
    wait_for_rerun(page)
    page.wait_for_function(SERVED_JS, arg=[query, sorted(types)], timeout=60_000)
    wait_for_app(page)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=tlChart][data-early]')", timeout=20_000
    )
    assert page.evaluate(TIMELINE_JS)["hidden"] == 0  # the server's figure, no mark left hidden
    return page.evaluate(SHOWS_JS), page.evaluate(HEADER_JS)


def _same(early: tuple[dict, str], served: tuple[dict, str]) -> None:
    for name, chart in served[0].items():  # the server may leave a chart out (no counts): not drawn
        assert chart["early"] is None
        assert (early[0][name]["ids"], early[0][name]["bins"]) == (chart["ids"], chart["bins"]), name
    assert early[1] == served[1]


def test_a_search_is_drawn_at_enter_as_the_engine_and_then_the_server_answer_it(
    page, app_url, curated_engine, subtests
):
    """Issue #17: with every message to the server held back, a search committed in the box
    already shows the events the engine's text search matches (the page's rule run in
    Chromium, for every query of the unit test), and what the server's rerun then shows: for a
    two-word search, with a type pill, and cleared."""
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    hold = held_messages(page)
    open_page(page, app_url)
    page.wait_for_function(
        "() => { const h = document.querySelector('.tl-early-view'); return h && h.__tl && h.__tl.model; }"
    )
    hold["on"] = True
    for n, query in enumerate([*SEARCHES, "drone kyiv"]):
        with subtests.test("the page's search is the engine's", query=query):
            shown, header = _searched(page, query, "blur" if n == 1 else "Enter")
            engine = sorted(curated_engine.drawn(View.of(q=query))[Col.EVENT_ID])
            assert shown["st-key-timeline_chart"]["ids"] == engine
            assert header == f"{len(engine)} of 90 events"
            shows_exactly(page.evaluate(TIMELINE_JS), engine)  # its marks, labels, lines, call-outs
    early = page.evaluate(SHOWS_JS), page.evaluate(HEADER_JS)
    artifact(page, "early-view-search")
    with subtests.test("a two-word search: the server's view"):
        _same(early, _served(page, hold, "drone kyiv", []))
    with subtests.test("a search and a type pill: the server's view"):
        hold["on"] = True
        turn = page.evaluate(TURN_JS)[0]
        _pill(page, "Drone attack").click()
        page.wait_for_function(f"() => ({TURN_JS})()[1] > {turn}", timeout=10_000)
        early = page.evaluate(SHOWS_JS), page.evaluate(HEADER_JS)
        _same(early, _served(page, hold, "drone kyiv", ["drone_attack"]))
        assert (
            early[1]
            == f"{curated_engine.match(View.of(q='drone kyiv', type=('drone_attack',))).count} of 90 events"
        )
    with subtests.test("the search cleared: the type pill's view, then the server's"):
        hold["on"] = True
        early = _searched(page, "")
        assert early[1] == f"{curated_engine.match(View.of(type=('drone_attack',))).count} of 90 events"
        _same(early, _served(page, hold, "", ["drone_attack"]))
    assert errors == []


MARKERS_JS = """(gd) => [...gd.querySelectorAll('.scatterlayer .trace')].flatMap((g) => {
  const trace = g.__data__ && g.__data__[0] && g.__data__[0].trace;
  if (!trace || !Array.isArray(trace.customdata)) return [];
  return [...g.querySelectorAll('path.point')].map((n) => {
    const box = n.getBoundingClientRect(), row = trace.customdata[n.__data__.i];
    return {id: row && row[0], shown: getComputedStyle(n).display !== 'none', x: box.x + box.width / 2, y: box.y + box.height / 2,
            opacity: parseFloat(getComputedStyle(n).opacity)};
  }).filter((m) => m.id);
})"""
"""Each event marker on the timeline: its event, whether it is visible, its centre and the
opacity it is painted with."""


def test_a_click_on_a_point_of_the_early_view_fades_the_rest_and_clear_selection_restores(
    page, app_url, curated_engine, subtests
):
    """The early view hides marks (display) and a click fades them (opacity): with the
    server's messages held back, a click on a mark the early view shows keeps it bright, fades
    the other shown ones and leaves the hidden ones hidden; the server's figure then shows
    every mark of the view, the card open; "Clear selection" brings every mark back bright."""
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    hold = held_messages(page)
    open_page(page, app_url)
    page.wait_for_function(
        "() => { const h = document.querySelector('.tl-early-view'); return h && h.__tl && h.__tl.model; }"
    )
    plot = page.locator(".st-key-timeline_chart .js-plotly-plot")
    drones = set(curated_engine.drawn(View.of(type=("drone_attack",)))[Col.EVENT_ID])
    hold["on"] = True
    _pill(page, "Drone attack").click()
    page.wait_for_function("() => document.querySelector('.st-key-timeline_chart .tl-chart').dataset.early")
    marks = plot.evaluate(MARKERS_JS)
    spot = max((m for m in marks if m["shown"]), key=lambda m: m["x"])  # away from the lane labels
    with subtests.test("a click while the early view holds: picked bright, shown faded, hidden hidden"):
        page.mouse.click(spot["x"], spot["y"])
        page.wait_for_function(
            f"(gd) => ({MARKERS_JS})(gd).some((m) => m.shown && m.opacity < 0.5)", arg=plot.element_handle()
        )
        now = {m["id"]: m for m in plot.evaluate(MARKERS_JS)}
        assert now[spot["id"]]["opacity"] >= 0.9
        assert max(m["opacity"] for m in now.values() if m["shown"] and m["id"] != spot["id"]) <= 0.3
        shows_exactly(page.evaluate(TIMELINE_JS), drones)
    release(hold)
    wait_for_rerun(page)
    panel = page.locator(".st-key-selection-panel")
    panel.wait_for(timeout=20_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=tlChart][data-early]')", timeout=20_000
    )
    with subtests.test("the server's figure: every mark of the view shown, nothing left hidden"):
        timeline = page.evaluate(TIMELINE_JS)
        assert timeline["hidden"] == 0
        shows_exactly(timeline, drones)
        assert set(timeline["marks"]["all"]) | set(timeline.get("bars", {"all": []})["all"]) == drones
    with subtests.test("Clear selection: every mark bright again"):
        panel.get_by_role("button", name="Clear selection").click()
        wait_for_rerun(page)
        panel.wait_for(state="detached", timeout=20_000)
        page.wait_for_function(
            f"(gd) => ({MARKERS_JS})(gd).every((m) => m.shown && m.opacity >= 0.9)",
            arg=plot.element_handle(),
            timeout=10_000,
        )
    assert errors == []
