"""Changes with a history: add, correct, retract, restore, revert, imports; conflicts between
two editors; every change in the log with who, when, what and why; the dataset rebuilt from
an earlier version and the log."""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from timeline import service
from timeline.domain import entry
from timeline.domain.schema import Col
from timeline.domain.validation import ValidationFailed
from timeline.storage import datasets, history, parts, replay, store
from timeline.storage.history import Who

from conftest import CURATED, ROOT, curated_folder, frame, make_row

ALICE = Who("editor", "alice@example.org", "Alice")
BOB = Who("editor", "bob@example.org", "Bob")
RECORD_NIGHT = "2024-11-25-ru-drone-attack-ua"


@pytest.fixture
def curated(tmp_path: Path) -> Path:
    path = tmp_path / "events.parquet"
    shutil.copy(CURATED, path)
    return path


@pytest.fixture(params=["file", "parts"])
def either(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """The curated events in each layout: one file, or a folder of parts."""
    if request.param == "parts":
        return curated_folder(tmp_path / "events")
    path = tmp_path / "events.parquet"
    shutil.copy(CURATED, path)
    return path


@pytest.fixture(params=["file", "parts"])
def small(request: pytest.FixtureRequest, dataset: Path, tmp_path: Path) -> Path:
    """The three-row `dataset` in each layout."""
    if request.param == "file":
        return dataset
    root = tmp_path / "events"
    parts.create_from(root, store.read_schema_table(dataset))
    return root


def opened(path: Path, event_id: str = RECORD_NIGHT) -> tuple[dict, str]:
    """What an editor sees when they open an event: its values and their version."""
    values = service.current(path, event_id)
    assert values is not None
    return values, history.version(values)


def new_event(**fields) -> dict:
    base = {"title": "Drones over Odesa", "event_type": "drone_attack", "outlet": "Test Outlet",
            "confidence": "reported", "when": "Monday night", "published": "2024-11-27",
            "countries": ["UKR", "RUS"], "initiators": ["RUS"], "location": "Odesa"}  # fmt: skip
    raw, _, problems = entry.row(entry.Entry(**(base | fields)))
    assert problems == []
    return raw


def test_an_added_event_is_logged_with_who_when_what(curated: Path):
    saved = service.add(curated, new_event(), ALICE)
    assert saved.change.event_id == "2024-11-25-drones-over-odesa"
    (change,) = history.read(curated).changes
    assert change.action == "add" and change.who == {
        "kind": "editor",
        "id": "alice@example.org",
        "name": "Alice",
    }
    assert change.at.endswith("+00:00")  # UTC
    assert change.before is None and change.after["title"] == "Drones over Odesa"
    assert change.after["date_start"] == "2024-11-25" and change.after["date_text"] == "Monday night"
    assert change.dataset_after == history.file_digest(curated)
    assert service.current(curated, change.event_id)["latitude"] == change.after["latitude"]


def test_a_correction_logs_each_changed_field_before_and_after(curated: Path):
    values, version = opened(curated)
    position = store.load(curated)[Col.EVENT_ID].tolist().index(RECORD_NIGHT)
    saved = service.correct(
        curated, RECORD_NIGHT, version, {"count": 190, "title": " New title "}, ALICE, "recount"
    )
    assert saved.change.before == {"title": values["title"], "count": 188}
    assert saved.change.after == {"title": "New title", "count": 190}  # trimmed, like every row
    assert saved.change.reason == "recount"
    after = store.load(curated)
    assert after[Col.EVENT_ID].tolist().index(RECORD_NIGHT) == position  # the row stays in place
    assert len(after) == 90
    assert service.current(curated, RECORD_NIGHT)["added_at"] == values["added_at"]


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"event_id": "a-new-id"}, "an event's id never changes"),
        ({"added_at": "2024-01-01T00:00:00+00:00"}, "added_at is set when an event is added"),
        ({"colour": "red"}, "'colour' is not a field"),
        ({"count": 188}, "already holds"),
    ],
)
def test_refused_corrections_write_nothing(curated: Path, changes: dict, message: str):
    before = curated.read_bytes()
    _, version = opened(curated)
    with pytest.raises(service.Refused, match=message):
        service.correct(curated, RECORD_NIGHT, version, changes, ALICE, "why not")
    assert curated.read_bytes() == before
    assert history.read(curated).effective() == []


@pytest.mark.parametrize(
    "reason, problem",
    [(None, "a reason is required"), ("   ", "a reason is required"), ("x" * 1001, "too long"),
     ("ok\x1b[31m", "control character U+001B")],
)  # fmt: skip
def test_a_correction_needs_a_reason(curated: Path, reason, problem: str):
    before = curated.read_bytes()
    _, version = opened(curated)
    with pytest.raises(ValidationFailed) as err:
        service.correct(curated, RECORD_NIGHT, version, {"count": 101}, ALICE, reason)
    assert [(p.column, problem in p.reason) for p in err.value.problems] == [("reason", True)]
    assert curated.read_bytes() == before


@pytest.mark.parametrize(
    "changes, column",
    [
        ({"title": "x" * 201}, "title"),
        ({"summary": "a\x00b"}, "summary"),
        ({"date_start": "9999-01-01", "date_end": "9999-01-02"}, "date_start"),
        ({"source_url": "javascript:alert(1)"}, "source_url"),
        ({"intercepted": 500}, "intercepted"),
        ({"countries": ["Narnia"]}, "countries"),
    ],
)
def test_a_correction_breaking_a_rule_names_the_field_and_writes_nothing(curated: Path, changes, column):
    before = curated.read_bytes()
    _, version = opened(curated)
    with pytest.raises(ValidationFailed) as err:
        service.correct(curated, RECORD_NIGHT, version, changes, ALICE, "hostile")
    assert column in {p.column for p in err.value.problems}
    assert curated.read_bytes() == before
    assert not history.log_path(curated).exists()


def test_the_second_of_two_editors_sees_the_first_change_and_keeps_their_own(curated: Path):
    _, version = opened(curated)  # both open the same version
    service.correct(curated, RECORD_NIGHT, version, {"count": 190}, ALICE, "Alice's recount")
    written = curated.read_bytes()
    with pytest.raises(service.Conflict) as err:
        service.correct(curated, RECORD_NIGHT, version, {"count": 200, "weapon": "Shahed"}, BOB, "Bob's")
    conflict = err.value
    assert conflict.current["count"] == 190  # what the other editor saved
    assert conflict.attempted == {"count": 200, "weapon": "Shahed"}  # Bob's own, not lost
    assert (
        conflict.since[-1].who["id"] == "alice@example.org" and conflict.since[-1].reason == "Alice's recount"
    )
    assert "was changed by editor alice@example.org (Alice)" in str(conflict)
    assert curated.read_bytes() == written
    # Bob starts again from the current version: his change goes in on top of Alice's
    _, now = opened(curated)
    service.correct(curated, RECORD_NIGHT, now, conflict.attempted, BOB, "Bob's, after reading Alice's")
    assert service.current(curated, RECORD_NIGHT)["count"] == 200


@pytest.mark.slow  # two real processes
def test_two_processes_correcting_at_once_one_conflict_and_nothing_lost(curated: Path):
    _, version = opened(curated)
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from timeline import service
        from timeline.storage import history
        who = history.Who("editor", sys.argv[1])
        try:
            service.correct(Path({str(curated)!r}), {RECORD_NIGHT!r}, {version!r},
                            {{"count": int(sys.argv[2])}}, who, "at once")
            print("saved")
        except service.Conflict:
            print("conflict")
        """
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", script, who, count], stdout=subprocess.PIPE, text=True, cwd=ROOT
        )
        for who, count in (("a@example.org", "101"), ("b@example.org", "102"))
    ]
    outcomes = sorted(p.communicate(timeout=120)[0].strip() for p in procs)
    assert outcomes == ["conflict", "saved"]
    (change,) = history.read(curated).effective()
    assert service.current(curated, RECORD_NIGHT)["count"] == change.after["count"]


def test_a_retracted_event_leaves_the_dataset_stays_in_the_history_and_comes_back(either: Path):
    curated = either
    values, version = opened(curated)
    service.retract(curated, RECORD_NIGHT, version, ALICE, "duplicate of another report")
    assert service.current(curated, RECORD_NIGHT) is None
    assert len(datasets.load(curated)) == len(store.load(CURATED)) - 1
    [(event_id, change)] = service.retracted(curated)
    assert (
        event_id == RECORD_NIGHT
        and change.before == values
        and change.reason == "duplicate of another report"
    )
    with pytest.raises(service.Refused, match="no retraction"):
        service.restore(curated, "2024-11-27-never-there", BOB, "try")
    service.restore(curated, RECORD_NIGHT, BOB, "not a duplicate after all")
    assert service.current(curated, RECORD_NIGHT) == values  # same id, same values
    assert service.retracted(curated) == []
    with pytest.raises(service.Refused, match="is in the dataset"):
        service.restore(curated, RECORD_NIGHT, BOB, "again")
    assert [c.action for c in history.read(curated, RECORD_NIGHT).changes] == ["retract", "restore"]


def test_retracting_a_changed_event_is_a_conflict(curated: Path):
    _, version = opened(curated)
    service.correct(curated, RECORD_NIGHT, version, {"count": 190}, ALICE, "recount")
    with pytest.raises(service.Conflict):
        service.retract(curated, RECORD_NIGHT, version, BOB, "duplicate")
    assert service.current(curated, RECORD_NIGHT)["count"] == 190


def test_revert_undoes_one_change_through_the_checked_path(either: Path):
    curated = either
    _, version = opened(curated)
    fix = service.correct(curated, RECORD_NIGHT, version, {"count": 190}, ALICE, "recount").change
    _, version = opened(curated)
    service.correct(curated, RECORD_NIGHT, version, {"weapon": "Shahed"}, ALICE, "weapon")
    undo = service.revert(curated, fix.change_id[:18], BOB, "the first count was right").change
    assert (undo.action, undo.reverts, undo.before, undo.after) == (
        "revert",
        fix.change_id,
        {"count": 190},
        {"count": 188},
    )
    assert service.current(curated, RECORD_NIGHT)["weapon"] == "Shahed"  # the later change stays
    with pytest.raises(service.Refused, match="already reverted"):
        service.revert(curated, fix.change_id, BOB, "again")
    # an add reverted is a retraction; that revert reverted restores the event
    added = service.add(curated, new_event(), ALICE).change
    gone = service.revert(curated, added.change_id, BOB, "wrong").change
    assert service.current(curated, added.event_id) is None
    service.revert(curated, gone.change_id, BOB, "right after all")
    assert service.current(curated, added.event_id) == added.after


def test_revert_is_refused_when_a_later_change_touched_the_same_field(curated: Path):
    _, version = opened(curated)
    first = service.correct(curated, RECORD_NIGHT, version, {"count": 190}, ALICE, "a").change
    _, version = opened(curated)
    later = service.correct(curated, RECORD_NIGHT, version, {"count": 191}, BOB, "b").change
    before = curated.read_bytes()
    with pytest.raises(service.Refused, match=f"count changed since {first.change_id}.*{later.change_id}"):
        service.revert(curated, first.change_id, ALICE, "undo")
    assert curated.read_bytes() == before


def test_unknown_and_ambiguous_change_ids(curated: Path):
    with pytest.raises(service.Refused, match="no change 'nope'"):
        service.revert(curated, "nope", ALICE, "x")
    _, version = opened(curated)
    service.correct(curated, RECORD_NIGHT, version, {"count": 101}, ALICE, "a")
    _, version = opened(curated)
    service.correct(curated, RECORD_NIGHT, version, {"count": 102}, ALICE, "b")
    with pytest.raises(service.Refused, match="matches 2 changes"):
        service.revert(curated, "2", ALICE, "x")


def test_an_append_of_many_rows_is_one_batch_change(small: Path):
    dataset = small
    rows = frame(*(make_row(event_id=f"batch-{i}", actors=[f"A{i}"]) for i in range(3)))
    _, change = service.append_rows(dataset, rows, history.cli_user())
    assert change.batch["added"] == ["batch-0", "batch-1", "batch-2"]
    assert history.read_rows(dataset, change.batch["rows"]).num_rows == 3
    assert [c.action for c in history.read(dataset, "batch-1").changes] == ["append"]
    assert history.summary(dataset)["batch-2"].changes == 1


def test_an_import_is_one_batch_change_listing_what_it_added_and_changed(small: Path):
    dataset = small
    who = history.import_user("csv test.csv")
    first = service.import_rows(dataset, _checked("imp-1", "imp-2"), who, dataset="test")
    assert first.added == 2
    second = service.import_rows(dataset, _checked("imp-1", "imp-2", title="Renamed"), who, dataset="test")
    assert second.changed == 2
    a, b = history.read(dataset).changes
    assert (a.action, a.batch["added"], a.batch["changed"]) == ("import", ["imp-1", "imp-2"], {})
    assert b.batch["added"] == [] and b.batch["changed"]["imp-1"] == {
        "title": ["Test drone attack", "Renamed"]
    }
    assert b.who["kind"] == "import" and b.who["detail"] == "csv test.csv"
    # reverting the second import puts the first one's rows back
    service.revert(dataset, b.change_id, ALICE, "bad import")
    assert service.current(dataset, "imp-1")["title"] == "Test drone attack"
    service.revert(dataset, a.change_id, ALICE, "bad import too")
    assert service.current(dataset, "imp-2") is None
    assert len(datasets.load(dataset)) == 3  # back to the rows it started with


def _checked(*ids: str, **overrides):
    from conftest import checked

    rows, problems = checked(*(make_row(event_id=i, actors=[i], **overrides) for i in ids))
    assert problems == []
    return rows


def test_the_dataset_is_rebuilt_from_an_earlier_version_and_the_log(curated: Path, tmp_path: Path):
    base = tmp_path / "base.parquet"
    shutil.copy(curated, base)
    _, version = opened(curated)
    service.correct(curated, RECORD_NIGHT, version, {"count": 190}, ALICE, "recount")
    added = service.add(curated, new_event(), ALICE).change
    _, version = opened(curated, added.event_id)
    service.retract(curated, added.event_id, version, BOB, "dup")
    service.restore(curated, added.event_id, BOB, "not dup")
    service.append_rows(
        curated, frame(*(make_row(event_id=f"b-{i}", actors=[str(i)]) for i in range(2))), ALICE
    )
    service.import_rows(curated, _checked("imp-1"), history.import_user("csv x"), dataset="test")
    service.import_rows(
        curated, _checked("imp-1", title="Changed"), history.import_user("csv x"), dataset="test"
    )
    service.revert(curated, history.read(curated).changes[0].change_id, ALICE, "undo the recount")
    table, applied = replay.rebuild(curated, base)
    assert len(applied) == 8
    assert table.equals(store.read_schema_table(curated).cast(table.schema))
    # from a middle version too: the backup of the last write
    table, applied = replay.rebuild(curated, store.backup_path(curated))
    assert len(applied) == 1 and table.equals(store.read_schema_table(curated).cast(table.schema))


def test_similar_events_same_day_type_and_country(curated: Path):
    found = service.similar(curated, new_event())
    assert RECORD_NIGHT in [f["event_id"] for f in found]
    assert service.similar(curated, new_event(countries=["KOR"], initiators=["PRK"])) == []
    assert service.similar(curated, new_event(event_type="protest")) == []
