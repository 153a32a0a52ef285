"""The bundled story in a real browser: every step through its link and the Next button, the
caption beside the charts, the step's events bright and the rest faded, a way out that keeps
the view, the deck downloads (screenshots of each step in test-artifacts/ when asked: README)."""

from __future__ import annotations

import io
import re
import time
from urllib.parse import parse_qs, urlparse

import pytest
from playwright.sync_api import expect

from e2e.browser import wait_for_app, wait_for_rerun
from e2e.conftest import ROOT, artifact
from e2e.test_analysis import PHONE, label_boxes, overlap, settled_points

DESKTOP = {"viewport": {"width": 1600, "height": 1000}}
STORY_FILE = ROOT / "data" / "stories" / "seed-article.toml"

# Opacity of every event mark of a chart, by event id (customdata[0]).
OPACITY_JS = """
(gd) => {
  const out = {};
  gd._fullData.forEach(trace => {
    if (!trace.customdata || !trace.marker) return;
    const op = trace.marker.opacity;
    trace.customdata.forEach((row, i) => {
      const id = row && row[0];
      if (typeof id !== 'string') return;
      const v = (Array.isArray(op) || ArrayBuffer.isView(op)) ? op[i] : op;
      out[id] = Math.max(out[id] === undefined ? 0 : out[id], v === undefined ? 1 : v);
    });
  });
  return out;
}
"""


@pytest.fixture(scope="module")
def story():
    from timeline import stories
    from timeline.engine import open_engine

    return stories.load_checked(STORY_FILE, open_engine(ROOT / "data" / "events.parquet"))


def open_story(page, url: str) -> None:
    page.goto(url)
    wait_for_app(page)
    page.locator(".st-key-story-panel").wait_for(timeout=30_000)
    page.wait_for_selector(
        ':is([data-testid="stPlotlyChart"], [data-testid="tlChart"]) .js-plotly-plot', timeout=30_000
    )


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlparse(page.url).query)


def panel_text(page) -> str:
    return " ".join(page.locator(".st-key-story-panel").inner_text().split())


def check_step(page, step, total: int) -> None:
    # The panel's frame can be on the page a moment before its text: wait for the step's kicker.
    kicker = re.compile(f"step {step.number} of {total}", re.IGNORECASE)
    expect(page.locator(".st-key-story-panel")).to_contain_text(kicker, timeout=30_000)
    text = panel_text(page)
    assert f"step {step.number} of {total}".upper() in text.upper()
    assert step.title in text
    assert " ".join(step.caption.split()) in text
    assert query(page) == {"story": ["seed-article"], "step": [str(step.number)]}
    assert not page.locator('[data-testid="stException"]').count()
    charts = page.locator(':is([data-testid="stPlotlyChart"], [data-testid="tlChart"]) .js-plotly-plot')
    # The panel's text can come a moment before the timeline is redrawn for the step: wait
    # (bounded) until the step's fading is drawn, then check it.
    deadline = time.monotonic() + 20
    while True:
        opacity = charts.first.evaluate(OPACITY_JS)
        faded = all(v < 0.5 for k, v in opacity.items() if k not in step.highlight)
        if faded or time.monotonic() > deadline:
            break
        page.wait_for_timeout(250)
    shown = set(opacity)
    for event_id in step.highlight:
        if event_id in shown:
            assert opacity[event_id] > 0.9, (step.number, event_id)
    others = [v for k, v in opacity.items() if k not in step.highlight]
    assert all(v < 0.5 for v in others), (step.number, "the other events fade")
    assert set(step.highlight) & shown, (step.number, "a highlighted event is on the timeline")
    # The caption stands beside the charts, not above or below them.
    panel = page.locator(".st-key-story-panel").bounding_box()
    chart = charts.first.bounding_box()
    assert panel["x"] + panel["width"] <= chart["x"] and panel["y"] < chart["y"] + chart["height"]


def test_step_through_the_story_with_next_and_screenshot_each_step_its_deck_and_call_outs(
    browser, app_url, story, tmp_path, subtests
):
    """Every step by Next on one page load; on the way, at step 1 the deck downloads and at
    step 8 the key events' call-outs (each a page load of its own before: docs/performance.md)."""
    context = browser.new_context(**DESKTOP, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    total = len(story.steps)
    try:
        open_story(page, f"{app_url}/?story=seed-article")
        for step in story.steps:
            check_step(page, step, total)
            artifact(page, f"story-step-{step.number}")
            if step.number == 1:
                with subtests.test("the story downloads are a deck"):
                    the_story_downloads_are_a_deck(page, story, tmp_path)
                wait_for_rerun(page)  # a download button's click reruns the page
                check_step(page, step, total)  # and leaves the step as it was
            if step.number == 8:
                with subtests.test("key event call-outs clear the count labels in the browser"):
                    key_event_call_outs_clear_the_count_labels_in_the_browser(page)
            nxt = page.get_by_role("button", name="Next")
            if step.number == total:
                assert nxt.is_disabled()
                break
            nxt.click()
            wait_for_rerun(page)
            page.locator(".st-key-story-panel").wait_for(timeout=30_000)
        page.get_by_role("button", name="Previous").click()
        wait_for_rerun(page)
        check_step(page, story.steps[-2], total)
        assert errors == []
    finally:
        context.close()


def test_every_step_is_a_link_that_opens_it(browser, app_url, story):
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    try:
        for step in (story.steps[4], story.steps[2]):  # a counts step and the map step
            open_story(page, f"{app_url}/?story=seed-article&step={step.number}")
            check_step(page, step, len(story.steps))
        links = page.locator(".st-key-story-panel ol a").evaluate_all(
            "as => as.map(a => a.getAttribute('href'))"
        )
        assert links == [f"?story=seed-article&step={n}" for n in range(1, len(story.steps) + 1)]
        page.locator(".st-key-story-panel ol a").nth(6).click()
        wait_for_app(page)
        page.locator(".st-key-story-panel").wait_for(timeout=30_000)
        check_step(page, story.steps[6], len(story.steps))
    finally:
        context.close()


def test_explore_from_here_keeps_the_steps_view(browser, app_url, story):
    """Also after a step's link: the story's first page kept its plot width in the measuring
    cookie, the next page's "Explore from here" laid the charts out for it and reloaded the page,
    and the reload, asked for before the view reached the address bar, opened the story again."""
    context = browser.new_context(**DESKTOP)
    page = context.new_page()
    try:
        step = story.steps[5]
        open_story(page, f"{app_url}/?story=seed-article&step=1")
        page.locator(".st-key-story-panel ol a").nth(step.number - 1).click()
        wait_for_app(page)
        page.locator(".st-key-story-panel").wait_for(timeout=30_000)
        check_step(page, step, len(story.steps))
        page.evaluate("window.__tlSamePage = true")
        page.get_by_role("button", name="Explore from here").click()
        wait_for_rerun(page)
        page.locator(".st-key-story-panel").wait_for(state="detached", timeout=20_000)
        # The measuring script has looked at this layout (ui/viewport.py: it writes the cookie;
        # a story's first page leaves it unset). A reload it asked for would now replace the page.
        page.wait_for_function("() => document.cookie.includes('tl_viewport=')", timeout=30_000)
        page.wait_for_timeout(1_500)
        wait_for_app(page)
        assert page.evaluate("window.__tlSamePage === true"), "the page was loaded again"
        assert page.locator(".st-key-story-panel").count() == 0
        assert query(page) == step.params  # the step's view, now as an ordinary link
        from timeline.engine import open_engine

        engine = open_engine(ROOT / "data" / "events.parquet")
        header = f"{engine.match(step.view).count} of {engine.summary.rows} events"
        assert page.get_by_text(header).count() >= 1
    finally:
        context.close()


def test_the_story_on_a_phone_and_the_first_tap_on_a_point_selects_it(browser, app_url, story, subtests):
    """Step 6 on a touch phone, one page load: the caption before the charts; then one tap on
    the timeline's 188-drone night selects it (the address names it, its card opens); it took
    two taps, the first only hovering."""
    from e2e.test_charts import _settled

    context = browser.new_context(**PHONE)
    page = context.new_page()
    try:
        step = story.steps[5]
        open_story(page, f"{app_url}/?story=seed-article&step={step.number}")
        with subtests.test("the story on a phone: the caption first, then the charts"):
            panel = page.locator(".st-key-story-panel").bounding_box()
            chart = page.locator(
                ':is([data-testid="stPlotlyChart"], [data-testid="tlChart"])'
            ).first.bounding_box()
            assert panel["y"] + panel["height"] <= chart["y"] + 1  # the caption first, then the charts
            assert panel["width"] <= 390
            assert step.title in panel_text(page)
            artifact(page, "story-phone", full_page=True)
        with subtests.test("on a phone the first tap on a point selects it"):
            _settled(page)
            chart = page.locator(':is([data-testid="stPlotlyChart"], [data-testid="tlChart"])').first
            chart.scroll_into_view_if_needed()
            page.wait_for_timeout(500)
            points = settled_points(chart.locator(".js-plotly-plot"))
            night = next(p for p in points if p["id"] == "2024-11-25-ru-drone-attack-ua")
            page.touchscreen.tap(night["x"], night["y"])
            page.wait_for_function(
                "() => location.search.includes('event=2024-11-25-ru-drone-attack-ua')", timeout=20_000
            )
            artifact(page, "charts-phone-first-tap")
    finally:
        context.close()


def key_event_call_outs_clear_the_count_labels_in_the_browser(page) -> None:
    """At step 8: the two key events' call-outs, clear of the count labels and of each other."""
    chart = page.locator(':is([data-testid="stPlotlyChart"], [data-testid="tlChart"])').first
    calls = chart.locator(".annotation").evaluate_all(
        "ns => ns.map(n => { const r = n.getBoundingClientRect();"
        " return {t: n.textContent, x: r.x, y: r.y, w: r.width, h: r.height}; })"
    )
    squeezed = {"".join(c["t"].split()) for c in calls}  # a long call-out breaks over two lines
    assert squeezed >= {"USallowsATACMSintoRussia", "Record188-dronenight"}
    labels = label_boxes(chart)
    clashes = [(c["t"], b["t"]) for c in calls for b in labels if overlap(c, b)]
    clashes += [(a["t"], b["t"]) for i, a in enumerate(calls) for b in calls[i + 1 :] if overlap(a, b)]
    assert clashes == []
    points = settled_points(chart.locator(".js-plotly-plot"))
    assert points


def the_story_downloads_are_a_deck(page, story, tmp_path) -> None:
    """The panel's PowerPoint and PDF: a title slide and one per step."""
    from pptx import Presentation
    from pypdf import PdfReader

    with page.expect_download(timeout=120_000) as download:
        page.locator(".st-key-story-panel").get_by_role("button", name="PowerPoint").click()
    assert download.value.suggested_filename == "seed-article.pptx"
    path = tmp_path / "deck.pptx"
    download.value.save_as(path)
    assert len(Presentation(path).slides) == len(story.steps) + 1
    with page.expect_download(timeout=120_000) as download:
        page.locator(".st-key-story-panel").get_by_role("button", name="PDF").click()
    pdf = PdfReader(io.BytesIO(download.value.path().read_bytes()))
    assert len(pdf.pages) == len(story.steps) + 1


def test_a_bad_story_link_says_so_and_the_page_still_works(page, app_url):
    page.goto(f"{app_url}/?story=no-such-story&step=2")
    wait_for_app(page)
    page.wait_for_selector(
        ':is([data-testid="stPlotlyChart"], [data-testid="tlChart"]) .js-plotly-plot', timeout=30_000
    )
    warning = page.locator('[data-testid="stAlertContentWarning"]')
    assert "no story 'no-such-story'" in warning.inner_text()
    assert not page.locator('[data-testid="stException"]').count()
    assert page.locator(".st-key-story-panel").count() == 0
    assert page.errors == []


def test_a_step_past_the_end_says_so_and_shows_the_last(page, app_url, story):
    open_story(page, f"{app_url}/?story=seed-article&step=12")
    warning = " ".join(page.locator('[data-testid="stAlertContentWarning"]').inner_text().split())
    assert f"the story has {len(story.steps)} steps" in warning
    check_step(page, story.steps[-1], len(story.steps))
    assert not page.locator('[data-testid="stException"]').count()
