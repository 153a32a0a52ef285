import pandas as pd
import pyarrow as pa

from timeline.domain import schema
from timeline.domain.schema import ARROW_SCHEMA, COLUMNS, Col, empty_frame, from_arrow, to_arrow
from timeline.domain.validation import coerce

from conftest import frame, make_row

ISSUE_COLUMNS = (
    "event_id date_start date_end date_precision date_text event_type title summary actors countries "
    "location latitude longitude count count_unit intercepted weapon confidence source_outlet source_url "
    "source_published other_sources added_at"
).split()


def test_schema_has_the_public_column_names():
    assert [c for c in COLUMNS if c in ISSUE_COLUMNS] == ISSUE_COLUMNS
    assert set(COLUMNS) - set(ISSUE_COLUMNS) == {
        "dataset", "initiator_countries", "geo_precision", "area_code", "key_label",
    }  # fmt: skip
    assert ARROW_SCHEMA.field("date_start").type == pa.date32()
    assert ARROW_SCHEMA.field("actors").type == pa.list_(pa.string())
    assert ARROW_SCHEMA.metadata[schema.SCHEMA_VERSION_KEY] == b"2"


def test_round_trip_keeps_values_and_nulls():
    df, problems = coerce(
        frame(make_row(), make_row(event_id="b", count=None, latitude=None, longitude=None))
    )
    assert problems == []
    back = from_arrow(to_arrow(df))
    assert list(back.columns) == list(COLUMNS)
    assert back.loc[0, Col.COUNT] == 188
    assert pd.isna(back.loc[1, Col.COUNT])  # missing stays missing, never zero
    assert list(back.loc[0, Col.ACTORS]) == ["Russian Armed Forces", "Ukrainian Air Force"]
    assert back.loc[0, Col.DATE_END] == pd.Timestamp("2024-11-26")


def test_files_written_at_different_times_concatenate():
    first, _ = coerce(frame(make_row()))
    second = empty_frame()
    combined = pa.concat_tables([to_arrow(first), to_arrow(second), to_arrow(first)])
    assert combined.num_rows == 2
    assert combined.schema.equals(ARROW_SCHEMA, check_metadata=False)


def test_dtypes_are_canonical():
    df = empty_frame()
    assert str(df[Col.COUNT].dtype) == "Int64"
    assert str(df[Col.DATE_START].dtype) == "datetime64[ms]"
    assert isinstance(df[Col.ACTORS].dtype, pd.ArrowDtype)
