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
  gd.querySelectorAll('.scatterlayer .trace').forEach((g) => {
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
      else if (t.type === 'bar') bins.set(String(Number(t.x[i])), (bins.get(String(Number(t.x[i]))) || 0) + Number(t.y[i]));
    });
  });
  return [name, {early: host.dataset.early || null, ids: [...ids].sort(),
                 bins: [...bins].filter(([, n]) => n > 0).sort()}];
}))"""
"""Each chart on screen (by its key): whether the page drew it (`data-early`), the events it
shows (marks hidden where drawn left out) and the counts chart's total per bin."""
HEADER_JS = """() => [...document.querySelectorAll('[data-testid="stMarkdownContainer"] strong')]
  .map((n) => n.textContent).find((t) => / of [\\d,]+ events$/.test(t))"""


def _pill(page, label: str):
    return (
        page.locator('[data-testid="stSidebar"] [data-testid="stButtonGroup"] button')
        .filter(has_text=label)
        .first
    )


def early_then_served(page, url: str, labels: list[str]) -> tuple[dict, dict, str, str]:
    """Open `url`, hold the page's messages back, click these pills and presets; what every
    chart and the header showed then, and after the server's rerun."""
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
    early, early_header = page.evaluate(SHOWS_JS), page.evaluate(HEADER_JS)
    assert hold["held"], "no message reached the server"
    release(hold)
    wait_for_rerun(page)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=tlChart][data-early]')", timeout=20_000
    )
    return early, page.evaluate(SHOWS_JS), early_header, page.evaluate(HEADER_JS)


@pytest.mark.parametrize(
    ("start", "labels"),
    [
        ("", ["Drone attack"]),  # a type pill
        ("type=drone_attack", ["Missile strike"]),  # a second type pill
        ("", ["Claimed"]),  # a confidence level (the bundled data has no side filter)
        ("type=drone_attack", ["Last 30 days"]),  # a date preset
        ("confidence=confirmed&from=2024-11-01&to=2024-12-27", ["Combined strike", "Missile strike"]),
    ],
)
def test_the_early_view_shows_the_events_the_server_then_shows(page, app_url, start, labels):
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    early, served, early_header, served_header = early_then_served(page, f"{app_url}/?{start}", labels)
    drawn = {name for name, chart in early.items() if chart["early"]}
    assert {"st-key-timeline_chart", "st-key-map_chart"} <= drawn
    for name, chart in served.items():  # the server may leave a chart out (no counts): not drawn
        assert chart["early"] is None
        assert early[name]["ids"] == chart["ids"], name
        assert early[name]["bins"] == chart["bins"], name
    assert early_header == served_header
    if labels == ["Drone attack"]:
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
