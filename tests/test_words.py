"""storage/words.py: what a part's word index holds, and that it is written and deleted with
the part (the engine's answers from it: tests/test_engine_words.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from timeline import synth
from timeline.domain.schema import SEARCH_COLUMN, Col, derived_columns
from timeline.storage import parts, rollups, words


def test_each_word_lists_the_rows_holding_it_once():
    texts = pa.array(["drone attack on kyiv", "kyiv, kyiv again", None, "київ: 136 дронів", "drone-136"])
    vocab = words.vocabulary(texts)
    listed = {w: words.rows_of(g.values.to_numpy()).tolist() for w, g in zip(vocab["word"].to_pylist(), vocab["rows"], strict=True)}  # fmt: skip
    assert listed["kyiv"] == [0, 1]  # twice in row 1, listed once
    assert listed["drone"] == [0, 4]
    assert listed["київ"] == [3] and listed["дронів"] == [3]
    assert "136" not in listed  # a number is not a word the index keeps


def test_each_row_falls_in_the_rollup_group_of_its_own_keys():
    """Summed by the groups the index gives, the rows give each rollup's own counts and sums."""
    table = pa.table(
        {**{c: synth.generate(3000, seed=8).column(c) for c in synth.generate(1, seed=8).column_names}}
    )
    table = table.append_column(SEARCH_COLUMN, derived_columns(table)[SEARCH_COLUMN])
    rolled = rollups.compute(table)
    _, rows = words.compute(table, rolled)
    for kind, kind_table in rolled.items():
        groups = rows[kind].to_numpy()
        assert (
            np.bincount(groups[groups >= 0], minlength=kind_table.num_rows)
            == kind_table[rollups.N].to_numpy()
        ).all()
    days = rows["days"].to_numpy()
    count = pc.fill_null(rows[words.COUNT], 0).to_numpy()
    launched = pc.fill_null(rolled["days"][rollups.LAUNCHED], 0).to_numpy()
    assert (np.bincount(days, weights=count, minlength=len(launched)) == launched).all()
    located = int(
        pc.sum(pc.and_(pc.is_valid(table[str(Col.LATITUDE)]), pc.is_valid(table[str(Col.LONGITUDE)]))).as_py()
    )
    assert int((rows["cells"].to_numpy() >= 0).sum()) == located  # off the map: in no cell


def test_write_missing_indexes_only_the_parts_without(tmp_path: Path):
    root = tmp_path / "events"
    parts.create_from(root, synth.generate(800, seed=2))
    listed = [p.path for p in parts.read_manifest(root).parts]
    assert words.complete(root, listed)
    words.path_of(root, listed[0], "rows").unlink()
    words.remove(root, listed[1])
    rollups.path_of(root, listed[1], "days").unlink()  # without its rollups: not indexed yet
    assert not words.complete(root, listed)
    assert words.write_missing(root) == 1
    assert rollups.write_missing(root) == 1
    assert words.write_missing(root) == 1
    assert words.complete(root, listed)
