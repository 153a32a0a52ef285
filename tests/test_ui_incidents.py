"""Incident mode on the dashboard page (`ui/incidents.py`), through Streamlit's AppTest: the
header counts incidents, the switch shows every report, the card lists both reports of the
188-drone night, and stale incidents are named with the command that refreshes them."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from test_engine_incidents import NIGHT
from timeline.domain.schema import Col
from timeline.storage import store

from conftest import AIR_FORCE_TALLY as TALLY, air_force_row, frame, matched_night, run_app

runner = CliRunner()


@pytest.fixture
def matched(tmp_path: Path) -> Path:
    return matched_night(tmp_path)


def header(at: AppTest) -> str:
    return next(m.value for m in at.markdown if "· data as of" in m.value)


def cards_html(at: AppTest) -> str:
    return " ".join(h.proto.body for h in at.get("html") if "tl-" in h.proto.body)


def test_header_counts_incidents_and_the_switch_shows_every_report(
    monkeypatch: pytest.MonkeyPatch, matched: Path
):
    rows = len(store.load(matched))
    at = run_app(monkeypatch, data=matched)
    assert header(at).startswith(f"**{rows - 1} incidents \\({rows} reports\\) of {rows} reports**")
    switch = next(s for s in at.get("button_group") if s.label == "Reports")
    assert switch.value == "incidents"
    note = next(c.value for c in at.caption if "strikes with launch counts" in c.value).replace("\\", "")
    assert "added together" not in note  # the tally's night is the curated report's incident
    at = run_app(monkeypatch, data=matched, reports="all")
    assert header(at).startswith(f"**{rows} of {rows} events**")
    note = next(c.value for c in at.caption if "strikes with launch counts" in c.value).replace("\\", "")
    assert "are added together" in note
    next(b for b in at.sidebar.button if b.label == "Reset filters").click().run()  # back to incidents
    assert next(s for s in at.get("button_group") if s.label == "Reports").value == "incidents"
    assert header(at).startswith(f"**{rows - 1} incidents")


def test_card_lists_both_reports(monkeypatch: pytest.MonkeyPatch, matched: Path):
    at = run_app(monkeypatch, data=matched, event=NIGHT)
    html = cards_html(at)
    assert "One incident, 2 reports" in html
    night = int(store.load(matched).set_index(str(Col.EVENT_ID)).loc[NIGHT, Col.COUNT])
    assert f"counts: curated: {night} drones; Air Force: {night} drones" in html
    assert "Air Force" in html and "missile-attacks" in html and "curated" in html
    at = run_app(monkeypatch, data=matched, event=TALLY, reports="all")
    assert "One incident, 2 reports" in cards_html(at)


def test_stale_incidents_are_named_with_the_command(monkeypatch: pytest.MonkeyPatch, matched: Path):
    store.append(matched, frame(air_force_row(event_id="af-later", date_start="2024-12-01", date_end="2024-12-01")),
                 dataset="missile-attacks", create=False)  # fmt: skip
    rows = len(store.load(matched))
    at = run_app(monkeypatch, data=matched)
    notice = next(i.value for i in at.info if "out of date" in i.value).replace("\\", "")
    assert f"timeline match {matched}" in notice
    assert header(at).startswith(f"**{rows} of {rows} events**")  # every report, nothing merged
    assert not any(s.label == "Reports" for s in at.get("button_group"))
