"""Hostile event text in a real browser: markup in actors, titles and summaries, addresses
inside text, is shown as text in lanes, hovers, cards and the table; only the source URL
fields are links, and only to http(s)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from e2e.browser import wait_for_app
from e2e.conftest import ARTIFACTS, start_server
from timeline import store

from conftest import CURATED, frame, make_row

EVIL_ACTOR = '<a href="https://evil.example/actor">Ministry of Defence</a> <b>big</b>'


@pytest.fixture(scope="module")
def hostile_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("hostile")
    data = folder / "events.parquet"
    data.write_bytes(CURATED.read_bytes())
    store.append(
        data,
        frame(
            make_row(
                event_id="hostile-markup",
                title="<img src=x onerror=alert(1)> **bold** see https://evil.example/title",
                summary="[click me](https://evil.example/md) <script>alert(2)</script> www.evil.example",
                actors=[EVIL_ACTOR, '=HYPERLINK("https://evil.example")'],
                countries=["RUS", "UKR"],
                source_url="https://example.org/real-source",
            )
        ),
    )
    proc, url = start_server(data, folder / "streamlit.log")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_markup_in_actor_lanes_is_text(page, hostile_url: str):
    page.goto(f"{hostile_url}/?lanes=actor&q=onerror")
    wait_for_app(page)
    page.wait_for_selector('[data-testid="stPlotlyChart"] .ytick text', timeout=30_000)
    chart = page.locator('[data-testid="stPlotlyChart"]').first
    ticks = chart.locator(".ytick text").evaluate_all("ns => ns.map(n => n.textContent)")
    assert EVIL_ACTOR in ticks  # the markup shown as its characters
    assert chart.locator(".ytick a, .ytick b, .ytick [style*='bold']").count() == 0
    assert page.locator('a[href^="https://evil.example"]').count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "hostile-actor-lanes.png"))


def test_a_card_shows_addresses_and_markup_as_text(page, hostile_url: str):
    page.goto(f"{hostile_url}/?event=hostile-markup")
    wait_for_app(page)
    card = page.locator(".st-key-card-hostile-markup")
    card.wait_for(timeout=30_000)
    text = card.inner_text()
    assert "<img src=x onerror=alert(1)> **bold**" in text and "[click me](https://evil.example/md)" in text
    assert card.locator("img, script, strong, b").count() == 0
    links = card.locator("a").evaluate_all("ns => ns.map(n => n.getAttribute('href'))")
    assert links and all(h.startswith(("https://example.org/", "https://example.org")) for h in links), links
    assert page.locator('a[href*="evil.example"]').count() == 0
    assert page.errors == []
