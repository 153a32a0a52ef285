"""A click's card at once (issue #17, `ui/components/early_cards`): with every message to the
server held back, the clicked event's card is already on screen where the selection panel
shows it; let through, the panel's own card takes its place, the same card at the same place,
never two of it. Hostile text in it stays text (`test_hostile.py`)."""

from __future__ import annotations

from e2e.browser import open_page, wait_for_rerun
from e2e.conftest import artifact
from e2e.test_analysis import PHONE, held_messages, release, settled_points, timeline

NOVEMBER = "type=drone_attack&from=2024-11-01&to=2024-11-30"
EARLY, SERVED = ".tl-early", ".st-key-selection-panel [class*=st-key-card-]"
PLACE_JS = (
    """(n) => { const t = n.querySelector('.tl-title').getBoundingClientRect(); return [t.left, t.top]; }"""
)
"""Where a card's title is on screen."""


def click_held(page, url: str) -> tuple[dict, dict]:
    """Open `url`, hold the page's messages back, click the timeline's lowest point; its id and
    the hold (`release` sends them on)."""
    hold = held_messages(page)
    open_page(page, url)
    spot = max(settled_points(timeline(page).locator(".js-plotly-plot")), key=lambda p: p["y"])
    hold["on"] = True
    page.mouse.click(spot["x"], spot["y"])
    page.locator(f"{EARLY} .tl-early-card").wait_for(timeout=10_000)
    return spot, hold


def a_clicked_events_card_is_on_screen_before_the_server_answers_and_stays_put(
    page, size: str, spot: dict, hold: dict
) -> None:
    """The checks of a held click's card (`click_held`), up to the panel's card in its place."""
    early = page.locator(EARLY)
    assert hold["held"], "the pick is still on its way to the server"
    assert page.locator(SERVED).count() == 0, "no rerun yet"
    assert early.locator(".tl-early-card").get_attribute("data-event") == spot["id"]
    assert early.inner_text().startswith("Selected: 1 event(s)")
    text, place = early.locator(".tl-early-card").inner_text(), early.evaluate(PLACE_JS)
    box = early.bounding_box()
    height = page.viewport_size["height"]
    if size == "phone":  # a bottom sheet, as the panel is on a phone
        assert box and abs(box["y"] + box["height"] - height) <= 1 and box["height"] <= 0.46 * height
    else:
        assert box and box["y"] + 40 <= height, "beside the charts, in view"
    artifact(page, f"early-card-{size}")
    release(hold)
    wait_for_rerun(page)
    card = page.locator(f".st-key-card-{spot['id']}")
    card.wait_for(timeout=20_000)
    assert page.locator(EARLY).count() == 0, "the panel's card took its place"
    cards = page.locator(f":is({EARLY}, .st-key-selection-panel) .tl-title")
    assert cards.count() == 1, "one card"
    assert card.locator("[data-testid=stHtml]").first.inner_text() == text, "the same card"
    served = card.evaluate(PLACE_JS)
    assert abs(served[0] - place[0]) <= 1 and abs(served[1] - place[1]) <= 1, (place, served)


def _page(browser, **options):
    context = browser.new_context(**options)
    page = context.new_page()
    page.errors = []
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    return context, page


def test_a_clicked_events_card_is_on_screen_before_the_server_answers_and_stays_put_on_a_phone(
    browser, app_url
):
    context, page = _page(browser, **PHONE)
    try:
        spot, hold = click_held(page, f"{app_url}/?{NOVEMBER}")
        a_clicked_events_card_is_on_screen_before_the_server_answers_and_stays_put(page, "phone", spot, hold)
        assert page.errors == []
    finally:
        context.close()


def test_at_desktop_size_a_clicked_events_card_comes_before_the_server_and_a_second_click_draws_no_second_card(
    browser, app_url, subtests
):
    """At desktop size, on one page load: the held click's card, then a click on the event
    already open (its card served), which draws no second card."""
    context, page = _page(browser, viewport={"width": 1440, "height": 1000})
    try:
        spot, hold = click_held(page, f"{app_url}/?{NOVEMBER}")
        with subtests.test("a clicked event's card is on screen before the server answers and stays put"):
            a_clicked_events_card_is_on_screen_before_the_server_answers_and_stays_put(
                page, "desktop", spot, hold
            )
            assert page.errors == []
        with subtests.test("a click on an event already open draws no second card"):
            if hold["on"]:  # (the check above stopped before letting the click through)
                release(hold)
            page.locator(f".st-key-card-{spot['id']}").wait_for(timeout=20_000)
            page.locator(EARLY).wait_for(state="detached", timeout=10_000)
            page.mouse.click(spot["x"], spot["y"])
            page.wait_for_timeout(300)
            assert page.locator(EARLY).count() == 0, "the open card is the card"
    finally:
        context.close()
