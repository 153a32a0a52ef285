from pathlib import Path

import pandas as pd

from timeline.domain.schema import Col
from timeline.storage import diff, store

from conftest import frame, make_row


def test_added_removed_and_changed_field_by_field(dataset: Path, tmp_path: Path):
    old = store.load(dataset)
    new = old.copy()
    new.loc[new[Col.EVENT_ID] == "2024-11-25-ru-drone-attack-test", Col.COUNT] = 190
    new = new[new[Col.EVENT_ID] != "2024-10-month-test"]
    other = tmp_path / "other.parquet"
    store.append(other, frame(make_row(event_id="brand-new")))
    new = pd.concat([new, store.load(other)], ignore_index=True)

    result = diff.compare(old, new)
    assert result.added[Col.EVENT_ID].tolist() == ["brand-new"]
    assert result.removed[Col.EVENT_ID].tolist() == ["2024-10-month-test"]
    assert result.changed == {"2024-11-25-ru-drone-attack-test": [diff.Change("count", "188", "190")]}
    text = diff.format_text(result)
    assert "1 added, 1 removed, 1 changed" in text
    assert "count: '188' -> '190'" in text
    assert "+ brand-new" in text and "- 2024-10-month-test" in text


def test_list_and_null_changes_are_seen(dataset: Path):
    old = store.load(dataset)
    new = old.copy()
    actors = [list(v) for v in new[Col.ACTORS]]
    actors[1] = [*actors[1], "Rustem Umerov"]
    new[Col.ACTORS] = pd.Series(actors, dtype=new[Col.ACTORS].dtype, index=new.index)
    new.loc[0, Col.LOCATION] = None
    result = diff.compare(old, new)
    assert result.changed["2024-11-27-meeting-test"] == [
        diff.Change("actors", "Yoon Suk Yeol", "Yoon Suk Yeol; Rustem Umerov")
    ]
    assert diff.Change("location", "Kyiv", "") in result.changed["2024-11-25-ru-drone-attack-test"]


def test_identical_datasets_have_empty_diff(dataset: Path):
    df = store.load(dataset)
    assert diff.compare(df, df.copy()).empty
