from pathlib import Path

from timeline import stats
from timeline.storage import parts, store

from conftest import engine_on


def test_stats_count_rows_types_and_range(dataset: Path):
    s = stats.compute(engine_on(dataset))
    assert s.rows == 3
    assert s.first.date().isoformat() == "2024-10-01"
    assert s.last.date().isoformat() == "2024-11-27"
    assert s.by_type == {"meeting": 1, "drone_attack": 2}
    assert s.by_precision == {"day": 2, "month": 1}
    assert s.totals_by_unit == {"drones": 376}
    text = stats.format_text(s)
    assert "rows: 3" in text and "2024-10-01 to 2024-11-27" in text


def test_a_folder_of_parts_gives_the_same_stats(dataset: Path, tmp_path: Path):
    root = tmp_path / "parts"
    parts.create_from(root, store.read_schema_table(dataset))
    assert stats.compute(engine_on(root)) == stats.compute(engine_on(dataset))
