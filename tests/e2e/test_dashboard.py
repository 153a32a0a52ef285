"""The analyst's path through the dashboard in a real browser."""

from __future__ import annotations

import re
import struct
from urllib.parse import parse_qs, urlparse

from e2e.browser import open_page as open_app, wait_for_rerun

SOURCE = "https://koreadailyus.com/ukrainian-defense-minister-meets-with-south-koreas-president-as-seoul-mulls-over-lethal-aid"
RECORD_NIGHT = "2024-11-25-ru-drone-attack-ua"


def counter(page) -> str:
    return page.get_by_text(re.compile(r"\d+ of \d+ events")).first.inner_text()


def svg_texts(locator) -> list[str]:
    """Text of SVG nodes (innerText does not apply to SVG)."""
    return locator.evaluate_all("nodes => nodes.map(n => n.textContent)")


def lane_labels(page) -> list[str]:
    chart = page.locator(':is([data-testid="stPlotlyChart"], [data-testid="tlChart"])').first
    return svg_texts(chart.locator(".yaxislayer-above .ytick text"))


def test_timeline_renders_the_dataset(page, app_url):
    open_app(page, app_url)
    assert counter(page).startswith("90 of 90 events")
    timeline = page.locator(':is([data-testid="stPlotlyChart"], [data-testid="tlChart"])').first
    assert timeline.locator(".scatterlayer .point").count() >= 70  # day-dated events as points
    assert timeline.locator(".barlayer .point").count() >= 2  # week and month events as bars
    assert {"Meeting", "Drone attack", "Missile strike"} <= set(lane_labels(page))
    assert not page.locator('[data-testid="stException"]').count()
    assert page.errors == []


def test_drone_attacks_in_november_the_188_drone_night_its_card_and_the_downloads(
    page, app_url, tmp_path, subtests
):
    """One page load of November's drone attacks, its checks one after another: what it shows,
    then a click that opens a card and is cleared (the view as loaded again), then the
    downloads with a title typed in (a page load costs 7.5-9 CPU s: docs/performance.md)."""
    open_app(page, f"{app_url}/?type=drone_attack&from=2024-11-01&to=2024-11-30")
    with subtests.test("the three drone attacks and the 188-drone night"):
        assert counter(page).startswith("3 of 90 events")
        assert lane_labels(page) == ["Drone attack"]
        charts = page.locator(':is([data-testid="stPlotlyChart"], [data-testid="tlChart"])')
        assert "188 drones" in svg_texts(charts.nth(0).locator(".scatterlayer text"))
        assert "188 launched by Russia" in svg_texts(charts.nth(1).locator(".annotation-text"))
    with subtests.test("selecting a point opens its card with the source link"):
        selecting_a_point_opens_its_card_with_the_source_link(page)
    with subtests.test("the download buttons deliver the slide PNG and the filtered CSV"):
        download_buttons_deliver_slide_png_and_filtered_csv(page, tmp_path)


def selecting_a_point_opens_its_card_with_the_source_link(page) -> None:
    """The biggest mark opens the 188-drone night's card and names it in the link; Clear
    selection closes it and takes it out of the link."""
    points = page.locator(':is([data-testid="stPlotlyChart"], [data-testid="tlChart"])').first.locator(
        ".scatterlayer .point"
    )
    biggest = max(range(points.count()), key=lambda i: points.nth(i).bounding_box()["width"])
    box = points.nth(biggest).bounding_box()
    page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    wait_for_rerun(page)
    card = page.locator(f".st-key-card-{RECORD_NIGHT}")
    card.wait_for(timeout=20_000)
    assert "Ukraine reports record overnight attack of 188 Russian drones" in card.inner_text()
    assert card.locator(f'a[href="{SOURCE}"]').inner_text() == "Korea JoongAng Daily"
    assert parse_qs(urlparse(page.url).query)["event"] == [RECORD_NIGHT]
    page.get_by_role("button", name="Clear selection").click()
    wait_for_rerun(page)
    card.wait_for(state="detached", timeout=20_000)
    assert "event" not in parse_qs(urlparse(page.url).query)


def download_buttons_deliver_slide_png_and_filtered_csv(page, tmp_path) -> None:
    title = page.get_by_role("textbox", name="Title", exact=True)
    assert title.input_value() == "Drone attacks, 1–30 Nov 2024"
    title.fill("Record drone night")
    title.press("Enter")
    wait_for_rerun(page)
    assert title.input_value() == "Record drone night"
    with page.expect_download(timeout=90_000) as download:
        page.get_by_role("button", name="PNG", exact=True).click()
    png = tmp_path / download.value.suggested_filename
    download.value.save_as(png)
    data = png.read_bytes()
    assert download.value.suggested_filename == "timeline-slide-16x9.png"
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and struct.unpack(">II", data[16:24]) == (1920, 1080)
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="SVG", exact=True).click()
    svg = tmp_path / "chart.svg"
    download.value.save_as(svg)
    assert "Record drone night" in svg.read_text()
    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="CSV", exact=True).click()
    csv_path = tmp_path / "events.csv"
    download.value.save_as(csv_path)
    text = csv_path.read_text()
    assert text.startswith("# filters: from=2024-11-01; to=2024-11-30; type=drone_attack")
    assert sum(1 for line in text.splitlines() if line.startswith("2024-11-")) == 3


def test_event_parameter_opens_that_card(page, app_url):
    open_app(page, f"{app_url}/?event={RECORD_NIGHT}")
    card = page.locator(f".st-key-card-{RECORD_NIGHT}")
    text = card.inner_text()
    assert "188 drones launched, 76 intercepted" in text
    assert 'reported as "Monday night"' in text
    assert card.locator(f'a[href="{SOURCE}"]').count() == 1


def test_bad_url_shows_a_warning_and_no_exception(page, app_url):
    open_app(page, f"{app_url}/?type=drone_strike&from=2024-99-01&min_count=-3&q=Kyiv")
    warnings = page.locator('[data-testid="stAlertContentWarning"]').all_inner_texts()
    joined = " ".join(warnings)
    assert "drone_strike" in joined and "2024-99-01" in joined and "min_count" in joined
    assert not page.locator('[data-testid="stException"]').count()
    assert page.get_by_role("textbox", name="Search", exact=True).input_value() == "Kyiv"
    assert page.errors == []


def test_a_click_before_the_search_box_is_drawn_keeps_the_linked_search(page, app_url):
    """A slow first load: the analyst clicks while the sidebar is still coming in.

    Holding back the text-input script makes that timing certain. The box must still show
    the search that filters the page, not come up empty."""
    from playwright.sync_api import expect

    held = []
    text_input_script = re.compile(r"/TextInput\.[^/]*\.js$")
    page.route(text_input_script, lambda route: held.append(route))
    open_app(page, f"{app_url}/?q=Kyiv")
    assert held, "no TextInput script requested: has Streamlit renamed it?"
    matching = counter(page)
    page.get_by_role("radio", name="Per week").click()
    wait_for_rerun(page)
    for route in held:
        route.continue_()
    page.unroute(text_input_script)
    expect(page.get_by_role("textbox", name="Search", exact=True)).to_have_value("Kyiv", timeout=20_000)
    assert parse_qs(urlparse(page.url).query) == {"q": ["Kyiv"], "per": ["week"]}
    assert counter(page) == matching


def test_the_back_button_returns_to_the_previous_view(page, app_url):
    open_app(page, f"{app_url}/?type=drone_attack")
    by_type = lane_labels(page)
    page.get_by_role("radio", name="Country").click()
    wait_for_rerun(page)
    assert parse_qs(urlparse(page.url).query)["lanes"] == ["country"]
    assert lane_labels(page) != by_type
    page.go_back()
    wait_for_rerun(page)
    assert "lanes" not in parse_qs(urlparse(page.url).query)
    page.wait_for_function(
        '(labels) => Array.from(document.querySelectorAll(\':is([data-testid="stPlotlyChart"], [data-testid="tlChart"]) .ytick text\'))'
        ".map(n => n.textContent).join('|').includes(labels[0])",
        arg=by_type,
        timeout=20_000,
    )
    assert parse_qs(urlparse(page.url).query)["type"] == ["drone_attack"]
