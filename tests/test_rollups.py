"""storage/rollups.py: what a part's rollups hold, where they are written and removed."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from timeline import synth
from timeline.domain.schema import Col
from timeline.storage import parts, rollups

from conftest import frame, make_row


def test_a_strikes_side_is_what_the_engines_sql_makes_of_its_launching_countries():
    """Null items skipped, an empty or missing list '?': the side the counts chart colours by."""
    lists = pa.array([["RUS", None, "BLR"], [], None, ["UKR"], [None], ["RUS", "IRN"]], pa.list_(pa.string()))
    con = duckdb.connect()
    lists_table = pa.table({"l": lists})  # noqa: F841 (read by the SQL below)
    expected = [
        r[0]
        for r in con.execute(
            "SELECT coalesce(nullif(array_to_string(l, '+'), ''), '?') FROM lists_table"
        ).fetchall()
    ]
    assert rollups.compute_side(lists).to_pylist() == expected == ["RUS+BLR", "?", "?", "UKR", "?", "RUS+IRN"]


def test_a_parts_rollups_add_up_to_its_rows_and_strike_sums():
    table = synth.generate(3000, seed=5)
    rolled = rollups.compute(table)
    days, cells = rolled["days"], rolled["cells"]
    assert pc.sum(days[rollups.N]).as_py() == pc.sum(rolled["outlets"][rollups.N]).as_py() == 3000
    assert pc.sum(days[rollups.LAUNCHED]).as_py() == pc.sum(table[str(Col.COUNT)]).as_py()
    assert pc.sum(days[rollups.INTERCEPTED]).as_py() == pc.sum(table[str(Col.INTERCEPTED)]).as_py()
    located = pc.sum(pc.and_(pc.is_valid(table[str(Col.LATITUDE)]), pc.is_valid(table[str(Col.LONGITUDE)])))
    assert pc.sum(cells[rollups.N]).as_py() == located.as_py() > 0
    assert days.num_rows < 3000  # rows of the same day, type, ... are one


def test_every_committed_part_has_its_rollups_and_a_removed_part_loses_them(tmp_path: Path):
    root = tmp_path / "events"
    parts.create_from(root, synth.generate(500, seed=1))
    first = {p.path for p in parts.read_manifest(root).parts}
    assert rollups.files(root, first) is not None
    parts.append(root, frame(make_row()))
    with_new = {p.path for p in parts.read_manifest(root).parts}
    assert rollups.files(root, with_new) is not None
    parts.compact(root)
    now = {p.path for p in parts.read_manifest(root).parts}
    assert rollups.files(root, now) is not None
    gone = (first | with_new) - now
    assert gone and not any(rollups.path_of(root, p, kind).exists() for p in gone for kind in rollups.KINDS)


def test_write_missing_rolls_up_only_the_parts_without(tmp_path: Path):
    root = tmp_path / "events"
    parts.create_from(root, synth.generate(300, seed=2))
    listed = [p.path for p in parts.read_manifest(root).parts]
    rollups.path_of(root, listed[0], "cells").unlink()
    assert rollups.files(root, listed) is None
    assert rollups.write_missing(root) == 1
    assert rollups.files(root, listed) is not None
    assert rollups.write_missing(root) == 0
