"""Incident mode in a real browser: the curated data plus Air Force tallies of 24-25 Nov 2024
(a small CSV in the Air Force file's shape, through the real importer), matched by
`timeline match`. The 188-drone night is one point and one 188 bar; the switch shows both
reports; the card names both. Screenshots in test-artifacts/incidents-*.png when asked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from e2e.browser import wait_for_app, wait_for_rerun
from e2e.conftest import ROOT, _require_browser, artifact, start_server
from e2e.test_analysis import POINTS_JS
from timeline.cli.main import app as cli
from timeline.domain.schema import Col
from timeline.storage import store

pytestmark = pytest.mark.e2e
NIGHTS = ("2024-11-24-ru-drone-attack-ua", "2024-11-25-ru-drone-attack-ua")
NIGHT = NIGHTS[1]
HEADER = (ROOT / "tests" / "fixtures" / "import" / "missile_attacks_messy.csv").read_text().splitlines()[0]
# (time_start, time_end, model, launch_place, target, target_main, launched, destroyed), 14 empty, source
LINE = (
    "{start} 19:00,{end} 09:00,Shahed-136/131,Kursk oblast,Ukraine,,{n},{down}"
    + "," * 13
    + ",kpszsu/posts/{post}"
)


def tally_csv(folder: Path) -> Path:
    """The Air Force's tallies of the two curated drone nights, with the curated figures."""
    curated = store.load(ROOT / "data" / "events.parquet").set_index(str(Col.EVENT_ID))
    lines = []
    for i, event_id in enumerate(NIGHTS):
        row = curated.loc[event_id]
        start = pd.Timestamp(row[Col.DATE_START]).date()
        down = "" if pd.isna(row[Col.INTERCEPTED]) else int(row[Col.INTERCEPTED])
        lines.append(
            LINE.format(
                start=start, end=start + pd.Timedelta(days=1), n=int(row[Col.COUNT]), down=down, post=i
            )
        )
    path = folder / "air-force.csv"
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def matched_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    _require_browser()
    folder = tmp_path_factory.mktemp("e2e-incidents")
    data = folder / "events.parquet"
    data.write_bytes((ROOT / "data" / "events.parquet").read_bytes())
    runner = CliRunner()
    imported = runner.invoke(
        cli, ["import", "--format", "missile-attacks", str(tally_csv(folder)), "--into", str(data)]
    )
    assert imported.exit_code == 0, imported.output
    assert runner.invoke(cli, ["match", str(data)]).exit_code == 0
    proc, url = start_server(data, folder / "streamlit.log")
    yield url, data
    proc.terminate()
    proc.wait(timeout=20)


def tallies(data: Path) -> dict[str, str]:
    """The imported Air Force rows' ids by start day."""
    rows = store.load(data)
    rows = rows[rows[Col.DATASET] == "missile-attacks"]
    return {
        str(pd.Timestamp(d).date()): i for d, i in zip(rows[Col.DATE_START], rows[Col.EVENT_ID], strict=True)
    }


def open_view(page, url: str) -> None:
    page.goto(url)
    wait_for_app(page)
    page.wait_for_selector(
        ':is([data-testid="stPlotlyChart"], [data-testid="tlChart"]) .scatterlayer .point', timeout=30_000
    )


def points(page) -> set[str]:
    chart = page.locator(':is([data-testid="stPlotlyChart"], [data-testid="tlChart"])').first.locator(
        ".js-plotly-plot"
    )
    return {p["id"] for p in chart.evaluate(POINTS_JS)}


def counts_annotations(page, showing: str) -> list[str]:
    """The counts chart's annotations once one reads `showing`: the chart is drawn in the page
    after the run that sends it, and redrawn after a switch, so a read at once can see none or
    the last view's."""
    chart = page.locator(':is([data-testid="stPlotlyChart"], [data-testid="tlChart"])').nth(1)
    chart.locator(".annotation-text", has_text=showing).first.wait_for(timeout=30_000)
    return chart.locator(".annotation-text").evaluate_all("nodes => nodes.map(n => n.textContent)")


def shot(page, name: str) -> None:
    artifact(page, name, full_page=True)


def header(page) -> str:
    return page.locator('[data-testid="stMarkdown"]').filter(has_text="data as of").first.inner_text()


def test_one_incident_per_night_and_the_switch_shows_both_reports(page, matched_app):
    url, data = matched_app
    night = int(store.load(data).set_index(str(Col.EVENT_ID)).loc[NIGHT, Col.COUNT])
    af = tallies(data)
    rows = len(store.load(data))
    query = "/?type=drone_attack&from=2024-11-24&to=2024-11-26"
    open_view(page, url + query)
    assert len(af) == len(NIGHTS)
    n = len(NIGHTS)
    assert header(page).startswith(f"{n} incidents ({2 * n} reports) of {rows} reports")
    shown = points(page)
    assert set(NIGHTS) <= shown and not set(af.values()) & shown  # each night once, by its curated report
    notes = counts_annotations(page, f"{night} launched by Russia")
    assert f"{night} launched by Russia" in notes and f"{2 * night} launched by Russia" not in notes
    shot(page, "incidents-one-per-night")

    page.locator('[data-testid="stSidebar"]').get_by_role("radio", name="Every report").click()
    wait_for_rerun(page)
    page.wait_for_selector(
        ':is([data-testid="stPlotlyChart"], [data-testid="tlChart"]) .scatterlayer .point', timeout=30_000
    )
    shown = points(page)
    assert set(NIGHTS) | set(af.values()) <= shown  # both reports of each night
    notes = counts_annotations(page, f"{2 * night} launched by Russia")  # added together, as said
    assert f"{2 * night} launched by Russia" in notes
    assert "reports=all" in page.url
    shot(page, "incidents-every-report")
    assert page.errors == []


def test_the_card_names_both_reports(page, matched_app):
    url, _ = matched_app
    open_view(page, f"{url}/?event={NIGHT}")
    card = page.locator(".tl-reports").first
    card.wait_for(timeout=30_000)
    text = card.inner_text()
    assert "One incident, 2 reports" in text
    assert "curated" in text and "Air Force" in text and "missile-attacks" in text
    assert card.locator("a[href^='https://']").count() == 2  # both sources, as links
    shot(page, "incidents-card")
    assert page.errors == []
