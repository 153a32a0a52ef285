"""A filter change drawn at the click (issue #17, `ui/components/early_view`): with every
message to the server held back, a click on a pill or a date preset already shows, on every
chart, the events (and the counts chart's totals per bin) the server's rerun then shows; let
through, the server's figures replace the page's. Hostile text stays text in between."""

from __future__ import annotations

import pytest

from e2e.browser import open_page, wait_for_rerun
from e2e.conftest import artifact
from e2e.test_analysis import held_messages, release
from e2e.test_hostile import hostile_url as hostile_url  # the module's hostile dataset, served

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
    shown = page.evaluate(SHOWS_JS)
    assert "hostile-markup" in shown["st-key-timeline_chart"]["ids"]
    charts = page.locator('[data-testid="tlChart"]')
    assert charts.locator("img, script, iframe, [onerror], a[href^='https://evil']").count() == 0
    assert "<img" not in charts.first.evaluate("(h) => h.querySelector('.main-svg').textContent")
    artifact(page, "early-view-hostile")
    release(hold)
    wait_for_rerun(page)
    assert dialogs == []
