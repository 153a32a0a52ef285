"""`timeline match DATASET`: this project's schema, incidents stored beside the dataset."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from timeline.cli.main import app
from timeline.domain.schema import Col
from timeline.matching import project
from timeline.matching.core import Out, Role
from timeline.storage import store

from conftest import CURATED, air_force_row, frame, make_row

runner = CliRunner()
CURATED_NIGHT = "2024-11-25-ru-drone-attack-ua"


@pytest.fixture
def both(tmp_path: Path) -> Path:
    """The curated dataset plus the Air Force row for the 188-drone night."""
    path = tmp_path / "events.parquet"
    shutil.copy(CURATED, path)
    store.append(path, frame(air_force_row()), dataset="missile-attacks", create=False)
    return path


def incidents_of(path: Path) -> pd.DataFrame:
    return pq.read_table(project.incidents_path(path)).to_pandas()


def test_188_drone_night_is_one_incident_naming_both_reports(both: Path):
    result = runner.invoke(app, ["match", str(both)])
    assert result.exit_code == 0, result.output
    inc = incidents_of(both).set_index(str(Col.EVENT_ID))
    af = "af-2024-11-25-1930-shahed-136-131-test"
    assert inc.loc[af, Out.INCIDENT] == inc.loc[CURATED_NIGHT, Out.INCIDENT] == CURATED_NIGHT
    members = inc[inc[Out.INCIDENT] == CURATED_NIGHT]
    assert set(members.index) == {CURATED_NIGHT, af}
    assert inc.loc[CURATED_NIGHT, Out.ROLE] == Role.REPRESENTATIVE  # curated comes first
    assert inc.loc[af, Out.ROLE] == Role.DUPLICATE
    assert inc.loc[af, Out.MATCHED_TO] == CURATED_NIGHT
    # every row of the dataset is in the result, once
    ids = pq.read_table(both, columns=[str(Col.EVENT_ID)]).column(0).to_pylist()
    assert sorted(inc.index) == sorted(ids)
    assert "missile-attacks" in result.stdout and "curated + missile-attacks: 1" in result.stdout


def test_a_different_side_or_type_is_another_incident(tmp_path: Path):
    path = tmp_path / "events.parquet"
    shutil.copy(CURATED, path)
    rows = [
        air_force_row(event_id="af-ukr-launched", initiator_countries=["UKR"]),
        air_force_row(event_id="af-missiles", event_type="missile_strike", count=188, count_unit="missiles"),
    ]
    store.append(path, frame(*rows), dataset="missile-attacks", create=False)
    result = project.run(path)
    inc = result.reports.set_index("report")
    assert inc.loc["af-ukr-launched", Out.ROLE] == Role.REPRESENTATIVE
    assert inc.loc["af-missiles", Out.ROLE] == Role.REPRESENTATIVE


def test_zolote_clash_one_incident_both_casualty_figures(tmp_path: Path):
    """UCDP (2 killed) and ACLED (0 killed), 1 km and a day apart: one incident; the figures
    stay in their rows, both reachable from the incident."""
    path = tmp_path / "events.parquet"
    base = {
        "event_type": "armed_clash",
        "countries": ["UKR"],
        "actors": ["Military Forces of Ukraine"],
        "location": "Zolote",
        "date_text": None,
        "count_unit": "people",
        "intercepted": None,
        "weapon": None,
        "confidence": "reported",
        "other_sources": [],
    }
    ucdp = make_row(
        **base,
        event_id="ucdp-zolote",
        title="Clash at Zolote",
        date_start="2018-10-10",
        date_end="2018-10-10",
        latitude=48.697,
        longitude=38.518,
        count=2,
        initiator_countries=[],
        source_outlet="UCDP GED",
    )
    acled = make_row(
        **base,
        event_id="acled-zolote",
        title="Clash near Zolote",
        date_start="2018-10-11",
        date_end="2018-10-11",
        latitude=48.706,
        longitude=38.518,
        count=0,
        initiator_countries=["RUS"],
        source_outlet="ACLED",
    )
    store.append(path, frame(ucdp), dataset="ucdp", create=True)
    store.append(path, frame(acled), dataset="acled", create=False)
    result = runner.invoke(app, ["match", str(path), "--summary-json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["matches"] == 1 and summary["unique"] == 1
    inc = incidents_of(path).set_index(str(Col.EVENT_ID))
    assert inc.loc["ucdp-zolote", Out.INCIDENT] == "acled-zolote"  # ACLED precedes UCDP
    assert 0.9 < inc.loc["ucdp-zolote", Out.KM] < 1.1
    assert inc.loc["ucdp-zolote", Out.DAYS_APART] == 1
    figures = store.load(path).set_index(str(Col.EVENT_ID))[str(Col.COUNT)]
    assert sorted(int(figures[i]) for i in inc.index) == [0, 2]


def test_stored_result_is_stamped_and_goes_stale(both: Path):
    assert runner.invoke(app, ["match", str(both), "--km", "5"]).exit_code == 0
    st = project.status(both)
    assert st.exists and not st.stale
    assert st.settings["km"] == 5 and st.settings["precedence"][0] == "curated"
    assert project.stored_settings(both).km == 5
    store.append(both, frame(air_force_row(event_id="af-another", date_start="2024-12-01", date_end="2024-12-01")),
                 dataset="missile-attacks", create=False)  # fmt: skip
    assert project.status(both).stale
    assert runner.invoke(app, ["match", str(both)]).exit_code == 0
    assert not project.status(both).stale


def test_dry_run_stores_nothing(both: Path):
    result = runner.invoke(app, ["match", str(both), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert not project.incidents_path(both).exists()


def test_partitioned_dataset_keeps_incidents_inside(tmp_path: Path):
    folder = tmp_path / "events"
    assert runner.invoke(app, ["synth", "--events", "2000", "--out", f"{folder}/"]).exit_code == 0
    result = runner.invoke(app, ["match", str(folder), "--summary-json"])
    assert result.exit_code == 0, result.output
    stored = folder / "_incidents.parquet"
    assert stored.exists()
    assert json.loads(result.stdout)["observations"] == pq.read_metadata(stored).num_rows
    from timeline.storage import parts

    assert stored not in parts.files(folder)  # never read as a part of the dataset


def test_bad_input_is_one_line(tmp_path: Path):
    result = runner.invoke(app, ["match", str(tmp_path / "missing.parquet")])
    assert result.exit_code == 1
    assert "missing.parquet" in result.output and "Traceback" not in result.output
    result = runner.invoke(app, ["match", str(CURATED), str(CURATED)])
    assert result.exit_code == 2
    result = runner.invoke(app, ["match", str(CURATED), "--taxonomy", "x=y.csv"])
    assert result.exit_code == 2


def test_unknown_engine_is_a_bad_flag():
    result = runner.invoke(app, ["match", str(CURATED), "--engine", "oracle", "--dry-run"])
    assert result.exit_code == 2
    assert "choose duckdb or spark" in result.output


@pytest.mark.slow  # 3,000 events matched whole and in slices
def test_sliced_match_of_a_partitioned_dataset(tmp_path: Path):
    folder = tmp_path / "events"
    assert runner.invoke(app, ["synth", "--events", "3000", "--out", f"{folder}/"]).exit_code == 0
    whole = runner.invoke(app, ["match", str(folder), "--summary-json"])
    assert whole.exit_code == 0, whole.output
    stored_whole = pq.read_table(folder / "_incidents.parquet").to_pandas().set_index(str(Col.EVENT_ID))
    sliced = runner.invoke(app, ["match", str(folder), "--slice-days", "20", "--summary-json"])
    assert sliced.exit_code == 0, sliced.output
    stored = pq.read_table(folder / "_incidents.parquet").to_pandas().set_index(str(Col.EVENT_ID))
    assert sorted(stored.index) == sorted(stored_whole.index)
    assert json.loads(sliced.stdout)["observations"] == json.loads(whole.stdout)["observations"]
    differ = (stored[Out.INCIDENT] != stored_whole.loc[stored.index, Out.INCIDENT]).sum()
    assert differ <= len(stored) // 100
    assert project.stamp_of(folder / "_incidents.parquet")["slice_days"] == 20
    assert not project.status(folder).stale


def test_slice_flag_combinations_are_bad_flags(both: Path):
    result = runner.invoke(app, ["match", str(both), "--slice-days", "10", "--dry-run"])
    assert result.exit_code == 2 and "--slice-days" in result.output
    result = runner.invoke(app, ["match", str(both), "--slice-days", "0"])
    assert result.exit_code == 2


def test_the_imported_air_force_tally_joins_the_curated_night(tmp_path: Path):
    """Through the real importer: the tally's 188 Shahed row of 25-26 Nov 2024 is the
    curated night's incident; its Iskander row (another type) is not."""
    path = tmp_path / "events.parquet"
    shutil.copy(CURATED, path)
    fixture = Path(__file__).parent / "fixtures" / "import" / "missile_attacks_messy.csv"
    assert (
        runner.invoke(
            app, ["import", "--format", "missile-attacks", str(fixture), "--into", str(path)]
        ).exit_code
        == 0
    )
    assert runner.invoke(app, ["match", str(path)]).exit_code == 0
    rows = store.load(path).set_index(str(Col.EVENT_ID))
    inc = incidents_of(path).set_index(str(Col.EVENT_ID))
    tallies = rows[
        (rows[Col.DATASET] == "missile-attacks") & (rows[Col.DATE_START].astype(str) == "2024-11-25")
    ]
    drones = tallies[tallies[Col.EVENT_TYPE] == "drone_attack"]
    missiles = tallies[tallies[Col.EVENT_TYPE] == "missile_strike"]
    assert len(drones) == 1 and int(drones[Col.COUNT].iloc[0]) == int(rows.loc[CURATED_NIGHT, Col.COUNT])
    assert inc.loc[drones.index[0], Out.INCIDENT] == CURATED_NIGHT
    assert len(missiles) >= 1
    assert all(inc.loc[m, Out.INCIDENT] != CURATED_NIGHT for m in missiles.index)
