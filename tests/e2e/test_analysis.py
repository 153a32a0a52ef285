"""What an analyst must be able to read off the page, checked in a real browser: no hidden
events, no colliding labels, cards where the analyst is looking, tools that do not cover
each other; at desktop size and at phone size."""

from __future__ import annotations

import itertools
import time
import warnings
from urllib.parse import parse_qs, urlparse

from e2e.browser import open_page, wait_for_rerun
from e2e.conftest import artifact

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
    "user_agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
}

# Every drawn event of the first chart: id (customdata[0]) and its centre on the page.
POINTS_JS = """
(gd) => {
  const out = [];
  const rect = gd.getBoundingClientRect();
  const L = gd._fullLayout, xa = L.xaxis, ya = L.yaxis;
  gd._fullData.forEach((trace, t) => {
    if (trace.type !== 'scatter' || !trace.customdata || !String(trace.mode).includes('markers')) return;
    (gd.calcdata[t] || []).forEach((pt, i) => {
      const id = trace.customdata[i] && trace.customdata[i][0];
      if (!id) return;
      out.push({id, x: rect.left + L._size.l + xa.l2p(xa.d2l(pt.x)), y: rect.top + L._size.t + ya.l2p(ya.d2l(pt.y))});
    });
  });
  return out;
}
"""


def settled_points(plot, timeout: float = 15.0) -> list[dict]:
    """The chart's points once it stops moving: the page may draw it once more after its first
    paint (the width probe's rerun), later on a loaded machine, and a click aimed at the
    first drawing then lands beside its mark."""
    deadline = time.monotonic() + timeout
    last = plot.evaluate(POINTS_JS)
    while time.monotonic() < deadline:
        time.sleep(0.4)
        now = plot.evaluate(POINTS_JS)
        if now == last:
            break
        last = now
    return last


def timeline(page):
    return page.locator(':is([data-testid="stPlotlyChart"], [data-testid="tlChart"])').first


def label_boxes(chart) -> list[dict]:
    return chart.locator(".scatterlayer text, .barlayer text").evaluate_all(
        "nodes => nodes.filter(n => n.textContent.trim()).map(n => {"
        " const r = n.getBoundingClientRect(); return {t: n.textContent, x: r.x, y: r.y, w: r.width, h: r.height}; })"
    )


def overlap(a: dict, b: dict) -> bool:
    return (
        a["x"] < b["x"] + b["w"]
        and b["x"] < a["x"] + a["w"]
        and a["y"] < b["y"] + b["h"]
        and b["y"] < a["y"] + a["h"]
    )


def no_two_count_labels_overlap(page) -> None:
    boxes = label_boxes(timeline(page))
    assert len(boxes) >= 5, "the largest counts keep their labels"
    assert all(" " in b["t"] for b in boxes), "every label names its unit ('188 drones')"
    clashes = [(a["t"], b["t"]) for a, b in itertools.combinations(boxes, 2) if overlap(a, b)]
    assert clashes == []


def test_no_two_count_labels_overlap_on_a_phone(browser, app_url):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    try:
        open_page(page, app_url)
        no_two_count_labels_overlap(page)
    finally:
        artifact(page, "labels-phone")
        context.close()


def test_the_three_seoul_meetings_are_three_marks_each_opening_its_card(page, app_url):
    open_page(page, f"{app_url}/?type=meeting&from=2024-11-27&to=2024-11-27")
    points = settled_points(timeline(page).locator(".js-plotly-plot"))
    seoul = {p["id"]: p for p in points}
    assert len(seoul) >= 3, "one mark per meeting"
    assert len({(round(p["x"]), round(p["y"])) for p in seoul.values()}) == len(seoul), "no mark on another"
    opened = set()
    for event_id, point in seoul.items():
        page.mouse.click(point["x"], point["y"])
        wait_for_rerun(page)
        card = page.locator(f".st-key-card-{event_id}")
        card.wait_for(timeout=20_000)
        opened.add(event_id)
        page.get_by_role("button", name="Clear selection").click()
        wait_for_rerun(page)
        card.wait_for(state="detached", timeout=20_000)
    assert opened == set(seoul)


def test_a_click_opens_the_card_in_view(page, app_url):
    page.set_viewport_size({"width": 1600, "height": 1000})
    open_page(page, f"{app_url}/?type=drone_attack&from=2024-11-01&to=2024-11-30")
    point = max(settled_points(timeline(page).locator(".js-plotly-plot")), key=lambda p: p["y"])
    page.mouse.click(point["x"], point["y"])
    wait_for_rerun(page)
    card = page.locator('[class*="st-key-card-"]').first
    card.wait_for(timeout=20_000)
    box = card.bounding_box()
    assert box and box["y"] >= 0 and box["y"] + 40 <= 1000, f"the card is out of sight: {box}"
    artifact(page, "card-in-view")


def test_phone_no_toolbar_over_the_dates_and_one_tap_opens_a_card_from_the_list(browser, app_url):
    context = browser.new_context(**PHONE)
    page = context.new_page()
    try:
        open_page(page, f"{app_url}/?type=drone_attack&from=2024-11-01&to=2024-11-30")
        assert timeline(page).locator(".modebar").count() == 0
        assert timeline(page).locator(".rangeselector").count() == 0
        assert page.locator('[data-testid="stDataFrame"]').count() == 0, (
            "a phone gets a list, not a wide table"
        )
        first = page.locator('[class*="st-key-row-"]').first
        first.get_by_role("button", name="Open card").tap()
        wait_for_rerun(page)
        card = page.locator('[class*="st-key-card-"]').first
        card.wait_for(timeout=20_000)
        box = card.bounding_box()
        assert box and box["y"] < 844, "the card opens on screen"
        artifact(page, "phone-card")
    finally:
        context.close()


def test_timeline_and_counts_share_one_date_range(page, app_url):
    open_page(page, f"{app_url}/?type=drone_attack&type=missile_strike&type=combined_strike")
    ranges = page.locator(
        ':is([data-testid="stPlotlyChart"], [data-testid="tlChart"]) .js-plotly-plot'
    ).evaluate_all(
        "nodes => nodes.slice(0, 2).map(gd => gd._fullLayout.xaxis.range.map(v => new Date(v).getTime()))"
    )
    timeline_range, counts_range = ranges
    assert abs(timeline_range[0] - counts_range[0]) < 86_400_000
    assert abs(timeline_range[1] - counts_range[1]) < 86_400_000


# Every drawn trace of every chart on the page: enough to tell who launched what and where.
TRACES_JS = """
nodes => nodes.map(gd => gd._fullData.map(t => ({
  type: t.type, name: t.name, fill: t.fill || '', mode: t.mode || '',
  symbol: t.marker ? String(t.marker.symbol) : '', offset: t.offset || 0,
  x: Array.from(t.x || []).slice(0, 50), y: Array.from(t.y || []).slice(0, 50),
  custom: Array.from(t.customdata || []).map(c => Array.isArray(c) ? c.map(String) : [String(c)]),
})))
"""


def chart_traces(page) -> list[list[dict]]:
    return page.locator(
        ':is([data-testid="stPlotlyChart"], [data-testid="tlChart"]) .js-plotly-plot'
    ).evaluate_all(TRACES_JS)


def test_counts_show_who_launched_what_side_by_side(page, app_url):
    page.set_viewport_size({"width": 1600, "height": 1000})
    open_page(page, f"{app_url}/?strikes=side&from=2024-11-25&to=2024-11-25")
    page.get_by_text("launched by", exact=False).first.wait_for(timeout=20_000)
    charts = chart_traces(page)
    bars = [t for chart in charts for t in chart if t["type"] == "bar"]
    by_side = {t["custom"][0][0]: t for t in bars if t["custom"]}
    # The same night: Russia's drones against Ukraine's ATACMS on Kursk, per the data's rows.
    assert {"RUS", "UKR"} <= set(by_side), by_side.keys()
    assert by_side["RUS"]["y"][0] > by_side["UKR"]["y"][0] > 0
    assert by_side["RUS"]["offset"] != by_side["UKR"]["offset"], "the two sides' bars stand side by side"
    assert by_side["RUS"]["name"] == "Russia" and by_side["UKR"]["name"] == "Ukraine"
    artifact(page, "counts-by-side")


def test_map_draws_each_place_at_its_precision(page, app_url):
    page.set_viewport_size({"width": 1600, "height": 1100})
    open_page(
        page,
        f"{app_url}/?type=drone_attack&type=missile_strike&type=combined_strike"
        "&from=2024-11-01&to=2024-11-30",
    )
    page.get_by_role("heading", name="Map").wait_for(timeout=20_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot')].some(gd => "
        "(gd._fullData || []).some(t => t.fill === 'toself' && t.name))",
        timeout=30_000,
    )
    traces = next(c for c in chart_traces(page) if any(t["fill"] == "toself" for t in c))
    shaded = {t["name"] for t in traces if t["fill"] == "toself" and t["name"]}
    assert {"Ukraine", "Kursk region"} <= shaded, (
        "nationwide attacks and the region's strikes are areas, not dots"
    )
    events = [t for t in traces if t["custom"]]
    places = {c[6]: t["symbol"] for t in events for c in t["custom"]}
    exact = {p for p, s in places.items() if s in ("circle", "0", "")}
    assert any("Dnipro" in p for p in exact) and any("Kyiv" in p for p in exact)
    near = [p for p, s in places.items() if s == "circle-open-dot"]
    assert near and all("Near" in p for p in near), "a place given only as 'near' is a ring, not a dot"
    squares = [p for p, s in places.items() if s == "square"]
    assert squares and all("shaded" in p for p in squares)
    # every strike with a named place is on the map, its place in the hover
    for name in ("Karachev", "Maryino", "Dnipro", "Lotarevka", "Khalino", "Kyiv"):
        assert any(name in p for p in places), name
    map_chart = page.locator(':is([data-testid="stPlotlyChart"], [data-testid="tlChart"])').nth(
        next(i for i, c in enumerate(chart_traces(page)) if any(t["fill"] == "toself" for t in c))
    )
    map_chart.scroll_into_view_if_needed()
    artifact(map_chart, "map-november-strikes")


def test_every_bar_of_the_counts_chart_is_painted_hatched_ones_too(page, app_url):
    """November's missile strikes: Russia's Oreshnik night (hatched: launched by Russia) stands
    among Ukraine's solid bars. Read the pixels, as the eye does: a bar the browser leaves
    empty between its hatch lines is an event the analyst cannot see."""
    import io

    from PIL import Image

    page.set_viewport_size({"width": 1600, "height": 1000})
    open_page(page, f"{app_url}/?type=missile_strike&from=2024-11-01&to=2024-11-30")
    chart = page.locator(':is([data-testid="stPlotlyChart"], [data-testid="tlChart"])').nth(1)
    chart.scroll_into_view_if_needed()
    bars = chart.locator(".barlayer .point path")
    bars.first.wait_for(timeout=20_000)
    boxes = [
        b
        for b in bars.evaluate_all("ns => ns.map(n => n.getBoundingClientRect().toJSON())")
        if b["height"] > 4
    ]
    assert len(boxes) >= 4, boxes  # 19, 21, 23 and 25 Nov, per the data
    shot = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    for box in boxes:
        left, top = int(box["x"]) + 1, int(box["y"]) + 1
        inner = shot.crop((left, top, int(box["x"] + box["width"]) - 1, int(box["y"] + box["height"]) - 1))
        pixels = list(inner.get_flattened_data())
        painted = sum(1 for r, g, b in pixels if r > 150 and g < 120 and b < 120)  # the strike red
        assert painted > 0.4 * len(pixels), f"bar at x={box['x']:.0f} is {painted}/{len(pixels)} painted"
    artifact(page, "counts-hatched-bars")


# Each drawn mark's opacity as the browser paints it (bars and markers).
OPACITY_JS = """(gd) => Array.from(gd.querySelectorAll('.barlayer .point path, .scatterlayer .point'))
  .map(n => parseFloat(getComputedStyle(n).opacity) * parseFloat(getComputedStyle(n).fillOpacity || 1))"""


def a_box_selection_stays_open_beside_highlighted_charts_and_in_the_link(page) -> None:
    """Issue #19: the selection is a panel that stays, not a dialog over the page; every
    event of a box-select is in the link; the counts chart and the map show the highlight."""
    chart = timeline(page)
    points = settled_points(chart.locator(".js-plotly-plot"))
    lane = [p for p in points if abs(p["y"] - points[0]["y"]) < 1]  # one lane's marks
    assert len(lane) >= 3
    chart.hover()
    chart.locator('.modebar-btn[data-title="Box Select"]').click()
    x0, x1, y = min(p["x"] for p in lane) - 8, max(p["x"] for p in lane) + 8, lane[0]["y"]
    page.mouse.move(x0, y - 8)
    page.mouse.down()
    page.mouse.move(x1, y + 8, steps=8)
    page.mouse.up()
    wait_for_rerun(page)
    panel = page.locator(".st-key-selection-panel")
    panel.wait_for(timeout=20_000)
    chosen = sorted({p["id"] for p in lane})
    assert sorted(parse_qs(urlparse(page.url).query)["event"]) == chosen
    assert f"Selected: {len(chosen)} event(s)" in panel.inner_text()
    assert page.locator('[role="dialog"]').count() == 0, "no modal over the page"
    charts = page.locator(':is([data-testid="stPlotlyChart"], [data-testid="tlChart"])')
    for n, name in ((1, "counts"), (2, "map")):
        opacity = charts.nth(n).locator(".js-plotly-plot").evaluate(OPACITY_JS)
        assert max(opacity) >= 0.9 and min(opacity) <= 0.3, f"{name}: the selection stands out"
    artifact(page, "selection-panel")
    timeline(page).locator(".js-plotly-plot").hover()  # the page still answers while it is open
    page.get_by_role("radio", name="Country").click()
    wait_for_rerun(page)
    assert sorted(parse_qs(urlparse(page.url).query)["event"]) == chosen, "it stays until cleared"
    panel.get_by_role("button", name="Clear selection").click()
    wait_for_rerun(page)
    panel.wait_for(state="detached", timeout=20_000)
    assert "event" not in parse_qs(urlparse(page.url).query)


MARK_OPACITY_JS = """(gd) => {
  const out = {};
  gd.data.forEach((trace) => {
    const opacity = trace.marker && trace.marker.opacity;
    if (trace.type !== 'scatter' || !Array.isArray(trace.customdata) || !opacity || !opacity.length) return;
    trace.customdata.forEach((row, i) => { if (row && row[0]) out[row[0]] = opacity[i]; });
  });
  return out;
}"""
"""Each event's marker opacity on the timeline as drawn (after the page's fade)."""


CALLOUT_OPACITY_JS = """(gd) => Array.from(gd.querySelectorAll('.annotation'))
  .map(n => parseFloat(getComputedStyle(n).opacity))"""
"""Each call-out's opacity on the timeline as drawn."""


def a_click_on_the_timeline_keeps_its_event_bright_and_fades_the_rest(page) -> None:
    """Issue #17: the timeline fades in the page itself (a component over plotly.js), so the
    highlight does not wait for the rerun; after it, the picked event is bright, every other
    event's mark faded, the card open and the event in the link. The page finds the mark
    under the pointer itself, as plotly's hover does: a click just beside a mark picks it."""
    points = settled_points(timeline(page).locator(".js-plotly-plot"))
    plots = page.locator(':is([data-testid="stPlotlyChart"], [data-testid="tlChart"]) .js-plotly-plot')
    unselected = [plots.nth(n).evaluate(OPACITY_JS) for n in range(3)]
    callouts = plots.nth(0).evaluate(CALLOUT_OPACITY_JS)
    spot = max(points, key=lambda p: p["x"])  # a mark away from the lane labels, none to its right
    page.mouse.click(spot["x"] + 7, spot["y"] + 2)
    wait_for_rerun(page)
    panel = page.locator(".st-key-selection-panel")
    panel.wait_for(timeout=20_000)
    assert parse_qs(page.evaluate("location.search").lstrip("?"))["event"] == [spot["id"]]
    opacity = timeline(page).locator(".js-plotly-plot").evaluate(MARK_OPACITY_JS)
    assert opacity[spot["id"]] >= 0.9
    others = [o for event, o in opacity.items() if event != spot["id"]]
    assert others and max(others) <= 0.3
    assert min(plots.nth(0).evaluate(CALLOUT_OPACITY_JS)) < 1 == max(callouts), "the other call-outs fade"
    # "Clear selection" brings every chart back as it was before the click (a fade the page
    # made on its own once stayed: the charts' rerun sent the selection they had been sent).
    panel.get_by_role("button", name="Clear selection").click()
    wait_for_rerun(page)
    panel.wait_for(state="detached", timeout=20_000)
    for n, name in enumerate(("timeline", "counts", "map")):
        now = plots.nth(n).evaluate(OPACITY_JS)
        for _ in range(50):  # each chart fades back when its own run reaches the page
            if now == unselected[n]:
                break
            page.wait_for_timeout(100)
            now = plots.nth(n).evaluate(OPACITY_JS)
        assert now == unselected[n], f"{name}: still faded after Clear selection"
    assert plots.nth(0).evaluate(CALLOUT_OPACITY_JS) == callouts, "the call-outs still faded"


# Each event's mark on a chart: its id, its count as the hover says it, its centre on the page.
MARKS_JS = """(gd) => {
  const out = [], rect = gd.getBoundingClientRect(), L = gd._fullLayout, xa = L.xaxis, ya = L.yaxis;
  gd._fullData.forEach((trace, t) => {
    if (trace.type !== 'scatter' || !trace.customdata || !String(trace.mode).includes('markers')) return;
    (gd.calcdata[t] || []).forEach((pt, i) => {
      const row = trace.customdata[i];
      if (!row || !row[0]) return;
      out.push({id: row[0], count: String(row[3]),
                x: rect.left + L._size.l + xa.l2p(xa.d2l(pt.x)), y: rect.top + L._size.t + ya.l2p(ya.d2l(pt.y))});
    });
  });
  return out;
}"""


def held_messages(page) -> dict:
    """The page's messages to the server, held back while `hold["on"]` (no rerun can start);
    `release(hold)` sends them on."""
    import re

    hold: dict = {"on": False, "held": [], "server": None}

    def route(ws) -> None:
        server = hold["server"] = ws.connect_to_server()
        ws.on_message(lambda m: hold["held"].append(m) if hold["on"] else server.send(m))
        server.on_message(ws.send)

    page.route_web_socket(re.compile(r"_stcore/stream"), route)
    return hold


def release(hold: dict) -> None:
    hold["on"] = False
    for message in hold["held"]:
        hold["server"].send(message)
    hold["held"].clear()  # sent once: a later hold on the same page starts empty


def a_click_fades_the_counts_chart_and_the_map_before_python_hears_of_it(page, hold: dict) -> None:
    """Issue #17: the counts chart and the map are the timeline's component too, so a click
    on the timeline fades them in the page itself: with every message to the server held
    back (no rerun can happen), the clicked event's bars and mark stay bright and the rest
    fade; let through, the message opens the card as before."""
    charts = page.locator(':is([data-testid="stPlotlyChart"], [data-testid="tlChart"])')
    on_map = {m["id"] for m in charts.nth(2).locator(".js-plotly-plot").evaluate(MARKS_JS)}
    marks = settled_points(timeline(page).locator(".js-plotly-plot"))
    counted = {
        m["id"]
        for m in timeline(page).locator(".js-plotly-plot").evaluate(MARKS_JS)
        if m["count"][0].isdigit()
    }
    spot = max((p for p in marks if p["id"] in on_map and p["id"] in counted), key=lambda p: p["x"])
    for n in (1, 2):  # nothing faded before the click
        assert min(charts.nth(n).locator(".js-plotly-plot").evaluate(OPACITY_JS)) > 0.3
    charts.nth(1).locator(".js-plotly-plot").evaluate("gd => { window.__counts = gd.calcdata; }")
    hold["on"] = True
    page.mouse.click(spot["x"], spot["y"])
    page.wait_for_function(
        "(gd) => Array.from(gd.querySelectorAll('.scatterlayer .point')).some(n => parseFloat(getComputedStyle(n).opacity) < 0.3)",
        arg=charts.nth(2).locator(".js-plotly-plot").element_handle(),
        timeout=10_000,
    )
    for n, name in ((1, "counts"), (2, "map")):
        opacity = charts.nth(n).locator(".js-plotly-plot").evaluate(OPACITY_JS)
        assert max(opacity) >= 0.9 and min(opacity) <= 0.3, f"{name}: faded in the browser"
    map_opacity = charts.nth(2).locator(".js-plotly-plot").evaluate(MARK_OPACITY_JS)
    assert map_opacity[spot["id"]] >= 0.9 and max(o for e, o in map_opacity.items() if e != spot["id"]) <= 0.3
    counts = charts.nth(1).locator(".js-plotly-plot")
    assert counts.evaluate("gd => gd.calcdata === window.__counts"), "the counts chart faded as drawn"
    assert hold["held"], "the pick waits to be sent"
    assert page.locator(".st-key-selection-panel [class*=st-key-card-]").count() == 0, "no rerun yet"
    artifact(page, "click-faded-before-rerun")
    release(hold)
    wait_for_rerun(page)
    page.locator(".st-key-selection-panel [class*=st-key-card-]").first.wait_for(timeout=20_000)
    assert parse_qs(page.evaluate("location.search").lstrip("?"))["event"] == [spot["id"]]


SPANS_JS = """(gd) => Object.fromEntries(gd.data.filter((t) => t.meta && t.meta.spans).map((t) => [t.meta.spans, t.meta.events]))"""
"""The timeline's overnight lines: the events whose line is drawn bright, and faded."""
PAINTED_JS = """(gd) => {
  const out = {};
  gd.querySelectorAll('.scatterlayer .trace').forEach((g) => {
    const trace = g.__data__ && g.__data__[0] && g.__data__[0].trace;
    if (!trace || !trace.meta || !trace.meta.spans) return;
    g.querySelectorAll('path.js-line').forEach((line, n) => {
      out[trace.meta.events[n]] = parseFloat(getComputedStyle(g).opacity) * parseFloat(getComputedStyle(line).opacity);
    });
  });
  return out;
}"""
"""Each overnight line's opacity as painted (its trace's, times its own)."""


def a_click_fades_the_timeline_in_place_and_its_overnight_lines_too(page, hold: dict) -> None:
    """Issue #17: a click's highlight is set on the timeline as drawn (its marks' opacity and
    its overnight lines', not the whole chart drawn again) before any message reaches the
    server, and stays so after the rerun and after a zoom, which plotly draws itself."""
    plot = timeline(page).locator(".js-plotly-plot")
    marks = settled_points(plot)
    lines = plot.evaluate(SPANS_JS)
    assert len(lines["bright"]) >= 2 and not lines["faded"], lines  # overnight attacks, none faded
    painted = plot.evaluate(PAINTED_JS)
    assert min(painted.values()) >= 0.5, painted  # every line bright before the click
    spot = next(p for p in marks if p["id"] == lines["bright"][-1])
    plot.evaluate("gd => { window.__drawn = gd.calcdata; }")  # plotly's drawing of the chart
    hold["on"] = True
    page.mouse.click(spot["x"], spot["y"])
    page.wait_for_function(
        f"(gd) => {{ const o = ({MARK_OPACITY_JS})(gd); return o[{spot['id']!r}] >= 0.9; }}",
        arg=plot.element_handle(),
        timeout=10_000,
    )
    opacity = plot.evaluate(MARK_OPACITY_JS)
    assert max(o for event, o in opacity.items() if event != spot["id"]) <= 0.3
    faded = plot.evaluate(
        "gd => [...gd.querySelectorAll('.scatterlayer path.point')].map(n => parseFloat(n.style.opacity))"
    )
    assert sorted(faded)[-1] >= 0.9 and sorted(faded)[-2] <= 0.3, "painted: one bright mark, the rest faded"
    painted = plot.evaluate(PAINTED_JS)
    assert painted[spot["id"]] >= 0.5, "its overnight line stays bright"
    assert max(o for event, o in painted.items() if event != spot["id"]) <= 0.2, "the other lines fade"
    assert plot.evaluate("gd => gd.calcdata === window.__drawn"), "faded as drawn, not drawn again"
    assert page.locator(".st-key-selection-panel [class*=st-key-card-]").count() == 0, "no rerun yet"
    release(hold)
    wait_for_rerun(page)
    page.locator(".st-key-selection-panel [class*=st-key-card-]").first.wait_for(timeout=20_000)
    assert plot.evaluate("gd => gd.calcdata === window.__drawn"), "the rerun draws nothing again"
    assert plot.evaluate(PAINTED_JS) == painted
    assert plot.evaluate(MARK_OPACITY_JS)[spot["id"]] >= 0.9
    plot.evaluate("gd => Plotly.relayout(gd, {'xaxis.range': ['2024-11-04', '2024-11-29']})")  # as a zoom
    page.wait_for_function(
        "(gd) => gd._fullLayout.xaxis.range[0].startsWith('2024-11-04')", arg=plot.element_handle()
    )
    assert plot.evaluate(PAINTED_JS) == painted, "a zoom keeps the lines faded"


NOVEMBER_STRIKES = "/?type=drone_attack&type=missile_strike&from=2024-11-01&to=2024-11-30"


def as_loaded(page) -> dict:
    """What a check of November's strikes starts from: each chart's marks as painted, the
    call-outs, the overnight lines and the timeline's date range."""
    plots = page.locator(':is([data-testid="stPlotlyChart"], [data-testid="tlChart"]) .js-plotly-plot')
    return {
        "marks": [plots.nth(n).evaluate(OPACITY_JS) for n in range(3)],
        "call-outs": plots.nth(0).evaluate(CALLOUT_OPACITY_JS),
        "lines": plots.nth(0).evaluate(PAINTED_JS),
        "range": plots.nth(0).evaluate("gd => gd._fullLayout.xaxis.range"),
    }


def back_to_the_view_as_loaded(page, url: str, loaded: dict, hold: dict) -> None:
    """Start the next check from the page as loaded: messages let through, the selection
    cleared (the first check asserts that this brings every chart back) and the timeline's
    dates as loaded; a page still not so after 5 s (a check that failed half way) is loaded
    again."""
    if hold["on"]:
        release(hold)
        wait_for_rerun(page)
    panel = page.locator(".st-key-selection-panel")
    if panel.count():
        panel.get_by_role("button", name="Clear selection").click()
        wait_for_rerun(page)
        panel.wait_for(state="detached", timeout=20_000)
    plot = timeline(page).locator(".js-plotly-plot")
    if plot.evaluate("gd => gd._fullLayout.xaxis.range") != loaded["range"]:  # zoomed by a check
        plot.evaluate("(gd, range) => Plotly.relayout(gd, {'xaxis.range': range})", loaded["range"])
    for _ in range(50):
        if as_loaded(page) == loaded:
            return
        page.wait_for_timeout(100)
    warnings.warn("the page was not as loaded after a check: loaded again", stacklevel=2)
    open_page(page, url)


def test_november_strikes_a_click_held_clicks_and_a_box_selection_each_fade_the_rest(page, app_url, subtests):
    """One page load of November's drone and missile strikes (a load costs 7.5-9 CPU s:
    docs/performance.md), its checks one after another, each from the view as loaded: a
    click, then Clear selection; a click held back from the server, on the counts chart
    and map, then on the timeline; a box selection (last: it changes the lanes)."""
    hold = held_messages(page)  # passes every message on until a check holds them
    url = app_url + NOVEMBER_STRIKES
    open_page(page, url)
    settled_points(timeline(page).locator(".js-plotly-plot"))  # the width probe's drawing done
    loaded = as_loaded(page)
    with subtests.test(
        "a click keeps its event bright, fades the rest, and Clear selection brings them back"
    ):
        a_click_on_the_timeline_keeps_its_event_bright_and_fades_the_rest(page)
    back_to_the_view_as_loaded(page, url, loaded, hold)
    with subtests.test("a click fades the counts chart and the map before Python hears of it"):
        a_click_fades_the_counts_chart_and_the_map_before_python_hears_of_it(page, hold)
    back_to_the_view_as_loaded(page, url, loaded, hold)
    with subtests.test("a click fades the timeline in place and its overnight lines too"):
        a_click_fades_the_timeline_in_place_and_its_overnight_lines_too(page, hold)
    back_to_the_view_as_loaded(page, url, loaded, hold)
    with subtests.test("a box selection stays open beside highlighted charts and in the link"):
        a_box_selection_stays_open_beside_highlighted_charts_and_in_the_link(page)
