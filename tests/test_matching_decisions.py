"""Decisions on incidents: confirm, split, merge with a reason, logged, shown by `timeline
history`, undone by `timeline revert`, kept across a new `timeline match`."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from timeline.cli.main import app
from timeline.domain.schema import Col
from timeline.matching import decisions, project
from timeline.matching.core import Out, Role
from timeline.storage import datasets, history, parts, store

from conftest import curated_folder, frame, make_row, matched_night

runner = CliRunner()
CURATED_NIGHT = "2024-11-25-ru-drone-attack-ua"
AF = "af-2024-11-25-1930-shahed-136-131-test"
KURSK = "2024-11-25-ua-atacms-strike-kursk-airfield"


def air_force_row(**overrides: object) -> dict[str, object]:
    """A row as the Air Force tallies import it: no coordinates, a whole-country target."""
    row = make_row(event_id=AF, confidence="claimed", location="Ukraine", latitude=None, longitude=None,
                   source_outlet="Ukrainian Air Force", source_url="https://t.me/kpszsu/1", other_sources=[])  # fmt: skip
    row.update({str(k): v for k, v in overrides.items()})
    return row


@pytest.fixture
def matched(tmp_path: Path) -> Path:
    return matched_night(tmp_path)


def incident_of(path: Path) -> dict[str, str]:
    table = pq.read_table(project.incidents_path(path)).to_pandas()
    return dict(zip(table[Col.EVENT_ID], table[Out.INCIDENT], strict=True))


def decide(path: Path, *args: str):
    return runner.invoke(app, ["incidents", *args, "--data", str(path)])


def test_split_is_logged_applied_and_shown_in_history(matched: Path):
    digest = history.file_digest(matched)
    result = decide(matched, "split", AF, "--reason", "the tally counts a different wave")
    assert result.exit_code == 0, result.output
    inc = incident_of(matched)
    assert inc[AF] == AF and inc[CURATED_NIGHT] == CURATED_NIGHT
    assert history.file_digest(matched) == digest  # no event changed
    shown = runner.invoke(app, ["history", AF, "--data", str(matched)])
    assert shown.exit_code == 0
    assert "incident-split" in shown.stdout and "the tally counts a different wave" in shown.stdout
    stored = pq.read_table(project.incidents_path(matched)).to_pandas().set_index(str(Col.EVENT_ID))
    assert stored.loc[AF, decisions.AUTO_INCIDENT] == CURATED_NIGHT  # the automatic result is kept
    assert stored.loc[AF, decisions.DECISION] == history.last_change(matched).change_id


def test_merge_then_revert(matched: Path):
    result = decide(matched, "merge", KURSK, CURATED_NIGHT, "--reason", "one combined night")
    assert result.exit_code == 0, result.output
    inc = incident_of(matched)
    assert inc[KURSK] == inc[CURATED_NIGHT] == inc[AF]
    change_id = history.last_change(matched).change_id
    undone = runner.invoke(
        app, ["revert", change_id, "--reason", "not the same strike", "--data", str(matched)]
    )
    assert undone.exit_code == 0, undone.output
    inc = incident_of(matched)
    assert inc[KURSK] == KURSK and inc[AF] == CURATED_NIGHT


def test_confirm_clears_review_and_survives_a_new_match(matched: Path):
    result = decide(matched, "confirm", AF, "--reason", "checked both posts")
    assert result.exit_code == 0, result.output
    decide(matched, "split", KURSK, "--reason", "x")  # refused: already alone (below)
    assert runner.invoke(app, ["match", str(matched)]).exit_code == 0
    stored = pq.read_table(project.incidents_path(matched)).to_pandas().set_index(str(Col.EVENT_ID))
    assert stored.loc[AF, decisions.DECISION] != ""
    assert stored.loc[CURATED_NIGHT, Out.ROLE] == Role.REPRESENTATIVE


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["split", KURSK, "--reason", "x"], 1, "already an incident of its own"),
        (["merge", AF, CURATED_NIGHT, "--reason", "x"], 1, "already one incident"),
        (["split", "no-such-event", "--reason", "x"], 1, "no such event"),
        (["split", AF], 1, "reason"),
        (["merge", AF, "--reason", "x"], 2, "at least two"),
    ],
)
def test_refused_decisions_write_nothing(matched: Path, args: list[str], code: int, message: str):
    log = history.log_path(matched)
    before = log.read_bytes() if log.exists() else b""
    result = decide(matched, *args)
    assert result.exit_code == code
    assert message in result.output
    assert (log.read_bytes() if log.exists() else b"") == before


def test_stale_incidents_refuse_decisions_and_show_warns(matched: Path):
    store.append(matched, frame(air_force_row(event_id="af-later", date_start="2024-12-02", date_end="2024-12-02")),
                 dataset="missile-attacks", create=False)  # fmt: skip
    result = decide(matched, "split", AF, "--reason", "x")
    assert result.exit_code == 1 and "stale" in result.output
    shown = decide(matched, "show", AF)
    assert shown.exit_code == 0 and "stale" in shown.output
    assert AF in shown.stdout and CURATED_NIGHT in shown.stdout


def test_show_lists_incidents_with_several_reports(matched: Path):
    result = decide(matched, "show")
    assert result.exit_code == 0, result.output
    assert f"{CURATED_NIGHT}  (2 reports)" in result.stdout
    assert f"missile-attacks: {AF} (duplicate)" in result.stdout


def test_history_json_carries_the_decided_events(matched: Path):
    decide(matched, "split", AF, "--reason", "different wave")
    lines = runner.invoke(app, ["history", "--json", "--data", str(matched)]).stdout.splitlines()
    last = json.loads(lines[-1])
    assert last["action"] == "incident-split" and last["batch"]["decided"] == [AF]
    assert last["dataset_before"] == last["dataset_after"]


def test_a_folder_of_parts_takes_decisions_logged_beside_it(tmp_path: Path):
    """A partitioned dataset keeps its change log beside the folder, so its incidents take the
    same decisions: applied, shown in history, kept by a new match, undone by a revert."""
    folder = curated_folder(tmp_path / "events")
    datasets.at(folder).append(frame(air_force_row()), dataset="missile-attacks", create=False)
    assert runner.invoke(app, ["match", str(folder)]).exit_code == 0
    assert incident_of(folder)[AF] == CURATED_NIGHT
    manifest = parts.manifest_path(folder).read_bytes()

    result = decide(folder, "split", AF, "--reason", "the tally counts a different wave")
    assert result.exit_code == 0, result.output
    assert incident_of(folder)[AF] == AF
    assert parts.manifest_path(folder).read_bytes() == manifest  # no event changed
    shown = runner.invoke(app, ["history", AF, "--data", str(folder)])
    assert "incident-split" in shown.stdout and "different wave" in shown.stdout

    assert runner.invoke(app, ["match", str(folder)]).exit_code == 0
    assert incident_of(folder)[AF] == AF  # a new match re-applies the decision
    change_id = history.last_change(folder).change_id
    undone = runner.invoke(
        app, ["revert", change_id, "--reason", "same wave after all", "--data", str(folder)]
    )
    assert undone.exit_code == 0, undone.output
    assert incident_of(folder)[AF] == CURATED_NIGHT
