"""Hostile event text in a real browser: markup in actors, titles and summaries, addresses
inside text, is shown as text in lanes, hovers, cards and the table; only the source URL
fields are links, and only to http(s)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from e2e.browser import wait_for_app
from e2e.conftest import _require_browser, artifact, start_server
from timeline.domain.schema import Col
from timeline.storage import store

from conftest import CURATED, frame, make_row

EVIL_ACTOR = '<a href="https://evil.example/actor">Ministry of Defence</a> <b>big</b>'
EVIL_OUTLET = "[phish-outlet](https://evil.example/outlet) **bold** :red[red]"
EVIL_DATASET = "[pwn-dataset](https://evil.example/ds)"
LINK_ACTOR = '<a href="https://evil.example/phish">Ministry</a>'


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
            ),
            make_row(event_id="hostile-outlet", title="Phishing outlet test", source_outlet=EVIL_OUTLET),
        ),
    )
    proc, url = start_server(data, folder / "streamlit.log")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def test_markup_in_actor_lanes_is_text(page, hostile_url: str):
    page.goto(f"{hostile_url}/?lanes=actor&q=onerror")
    wait_for_app(page)
    page.wait_for_selector(
        ':is([data-testid="stPlotlyChart"], [data-testid="tlChart"]) .ytick text', timeout=30_000
    )
    chart = page.locator(':is([data-testid="stPlotlyChart"], [data-testid="tlChart"])').first
    ticks = chart.locator(".ytick text").evaluate_all("ns => ns.map(n => n.textContent)")
    assert EVIL_ACTOR in ticks  # the markup shown as its characters
    assert chart.locator(".ytick a, .ytick b, .ytick [style*='bold']").count() == 0
    assert page.locator('a[href^="https://evil.example"]').count() == 0
    artifact(page, "hostile-actor-lanes")


def a_card_shows_addresses_and_markup_as_text(page) -> None:
    """The panel's card of the hostile event."""
    card = page.locator(".st-key-card-hostile-markup")
    card.wait_for(timeout=30_000)
    text = card.inner_text()
    assert "<img src=x onerror=alert(1)> **bold**" in text and "[click me](https://evil.example/md)" in text
    assert card.locator("img, script, strong, b").count() == 0
    links = card.locator("a").evaluate_all("ns => ns.map(n => n.getAttribute('href'))")
    assert links and all(h.startswith(("https://example.org/", "https://example.org")) for h in links), links
    assert page.locator('a[href*="evil.example"]').count() == 0
    assert page.errors == []


def hrefs(locator) -> list[str]:
    return locator.locator("a[href]").evaluate_all("ns => ns.map(n => n.getAttribute('href'))")


def seen(locator) -> str:
    """The text a reader sees (and copies): the app's invisible word joiners left out."""
    return locator.inner_text().replace("\u2060", "")


def _serve(data: Path, log: Path) -> Iterator[str]:
    _require_browser()
    proc, url = start_server(data, log)
    yield url
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def rejected_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The curated rows and one written by pyarrow, past `timeline append`, whose dataset
    label is a markdown link (the dashboard leaves the row out and names it)."""
    folder = tmp_path_factory.mktemp("rejected")
    one = folder / "one.parquet"
    store.append(one, frame(make_row(event_id="hostile-dataset")), create=True)
    table = pq.read_table(one)
    column = table.schema.get_field_index(str(Col.DATASET))
    table = table.set_column(
        column, str(Col.DATASET), pa.array([EVIL_DATASET], table.schema.field(column).type)
    )
    curated = pq.read_table(CURATED)
    data = folder / "events.parquet"
    pq.write_table(pa.concat_tables([curated, table.cast(curated.schema)]), data)
    yield from _serve(data, folder / "streamlit.log")


@pytest.fixture(scope="module")
def missing_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("missing")
    yield from _serve(folder / "nowhere" / "events.parquet", folder / "streamlit.log")


def test_a_link_in_a_rejected_value_is_text_in_the_rules_warning(page, rejected_url: str):
    page.goto(rejected_url)
    wait_for_app(page)
    warning = page.locator('[data-testid="stAlert"]', has_text="break the rules")
    warning.wait_for(timeout=30_000)
    assert EVIL_DATASET in seen(warning)
    assert hrefs(warning) == []
    assert [h for h in hrefs(page) if "evil.example" in h] == []


def test_a_link_in_a_url_parameter_is_text_in_the_ignored_warning(page, hostile_url: str):
    page.goto(f"{hostile_url}/?actor={quote(LINK_ACTOR)}")
    wait_for_app(page)
    warning = page.locator('[data-testid="stAlert"]', has_text="Part of the link was ignored")
    warning.wait_for(timeout=30_000)
    assert LINK_ACTOR in seen(warning)
    assert hrefs(warning) == []
    assert [h for h in hrefs(page) if "evil.example" in h] == []


def test_an_outlet_with_markdown_is_text_in_the_export_footer(page, hostile_url: str):
    page.goto(f"{hostile_url}/?q=Phishing")
    wait_for_app(page)
    footer = page.locator('[data-testid="stCaptionContainer"]', has_text="Footer:")
    footer.wait_for(timeout=30_000)
    footer.scroll_into_view_if_needed()
    assert f"Sources: {EVIL_OUTLET}" in seen(footer)  # the link, the stars and the colour as typed
    assert (
        hrefs(footer) == [] and footer.locator("strong, b, span[class*='red'], [style*='color']").count() == 0
    )
    assert [h for h in hrefs(page) if "evil.example" in h] == []
    artifact(footer, "hostile-export-footer")


def test_a_missing_dataset_is_a_message_not_a_traceback(page, missing_url: str):
    page.goto(missing_url)
    wait_for_app(page)
    error = page.locator('[data-testid="stAlert"]')
    error.wait_for(timeout=30_000)
    text = seen(error)
    assert "nowhere/events.parquet: no such dataset file" in text and "--create" in text
    assert page.locator('[data-testid="stException"]').count() == 0
    assert "Traceback" not in page.locator('[data-testid="stApp"]').inner_text()


def test_a_clicked_cards_markup_is_text_before_and_after_the_server_answers_and_in_the_panels_card(
    page, hostile_url: str, subtests
):
    """The card the page draws at a click (`early_cards`) shows a hostile title as its
    characters, as the panel's card does; and whatever HTML reached it, nothing in it runs
    or loads, and only http(s) addresses are links. Then, on the same page load, the panel's
    card the server sent for that click."""
    from e2e.test_analysis import release
    from e2e.test_early_cards import click_held

    spot, hold = click_held(page, f"{hostile_url}/?q=onerror")
    with subtests.test("a clicked card's markup is text before and after the server answers"):
        clicked_cards_markup_is_text(page, spot, hold)
    with subtests.test("a card shows addresses and markup as text"):  # the panel's, the click served
        if hold["on"]:  # (the check above stopped before letting it through)
            release(hold)
        a_card_shows_addresses_and_markup_as_text(page)


def clicked_cards_markup_is_text(page, spot: dict, hold: dict) -> None:
    from e2e.test_analysis import release
    from e2e.test_early_cards import EARLY

    assert spot["id"] == "hostile-markup"
    early = page.locator(EARLY)
    assert "<img src=x onerror=alert(1)> **bold**" in early.inner_text()
    assert early.locator("img, script, strong, b").count() == 0
    links = hrefs(early)
    assert "https://example.org/real-source" in links and all(
        h.startswith("https://example.org/") for h in links
    )
    # HTML no escaping made inert (as if the server's were): tags become text, a script link text
    page.evaluate(
        """() => { const c = document.querySelector('.tl-cards').__tl.cards;
        c['hostile-markup'] = '<div class="tl-title" onclick="window.__ran=1">Title</div>'
          + '<img src=x onerror="window.__ran=1"><script>window.__ran=1</script>'
          + '<a href="javascript:window.__ran=1">source</a> <a href="data:text/html,x">other</a>'
          + '<span class="tl-dot" style="background:url(https://evil.example/x)"></span>';
        window.dispatchEvent(new CustomEvent('tl-charts-card', {detail: ['hostile-markup', 'x']})); }"""
    )
    # 'x' has no card sent: the page leaves that pick to the server
    assert early.locator(".tl-early-card").count() == 1
    page.evaluate(
        "() => window.dispatchEvent(new CustomEvent('tl-charts-card', {detail: ['hostile-markup']}))"
    )
    hostile = page.locator(f"{EARLY} .tl-early-card")
    hostile.locator(".tl-title").click()
    assert "Title" in hostile.inner_text() and "source" in hostile.inner_text()
    assert hostile.locator("img, script, a, [onclick], [style]").count() == 0
    assert page.evaluate("() => window.__ran") is None
    release(hold)
    page.locator(".st-key-card-hostile-markup").wait_for(timeout=30_000)
    assert page.locator('a[href*="evil.example"], a[href^="javascript"]').count() == 0
    assert page.errors == []
