"""The import path's rules (`vectorised`, no pandera) report exactly what pandera reports."""

import pandas as pd
import pytest

from timeline.domain import vectorised
from timeline.domain.schema import Col
from timeline.domain.validation import check
from timeline.storage import store

from conftest import frame, make_row

HOSTILE = [
    {"event_type": "drone_strike"},
    {"date_start": "2024-11-27", "date_end": "2024-11-25"},
    {"date_start": "25/11/2024"},
    {"date_precision": "fortnight"},
    {"date_precision": "week", "date_start": "2024-11-01", "date_end": "2024-11-30"},
    {"latitude": 200},
    {"longitude": None},
    {"latitude": None, "longitude": None},
    {"count": -3},
    {"count": "many"},
    {"count": 2.5},
    {"intercepted": 300},
    {"intercepted": 3, "count": None},
    {"count_unit": None},
    {"count_unit": "balloons"},
    {"confidence": "certain"},
    {"confidence": None},
    {"countries": ["UKR", "XYZ"]},
    {"countries": "Ukraine"},
    {"initiator_countries": []},
    {"initiator_countries": None, "event_type": "missile_strike"},
    {"source_outlet": ""},
    {"source_url": "example.org/page"},
    {"source_url": "https://e.org/\n"},
    {"other_sources": ["not a url"]},
    {"event_id": "Has Spaces"},
    {"event_id": "abc\n"},
    {"event_id": "good-row"},
    {"event_id": None},
    {"event_id": None, "title": None},
    {"title": ""},
    {"title": None},
    {"actors": {"a": 1}},
    {"actors": ["", "B"]},
    {"count": 2**63},
    {"count": "NaN"},
    {"latitude": "NaN"},
    {"summary": "x" * 5_001},
    {"title": "x" * 201},
    {"actors": ["x" * 201]},
    {"actors": [f"a{i}" for i in range(51)]},
    {"other_sources": [f"https://e.org/{i}" for i in range(21)]},
    {"title": "a\x00b"},
    {"title": "two\nlines"},
    {"summary": "ok\n" * 10 + "\x1b[31m"},
    {"actors": ["A", "B\x07"]},
    {"location": "Ky\u0085iv"},
    {"date_start": "0001-01-01", "date_end": "0001-01-02"},
    {"date_end": "9999-12-31", "date_precision": "day"},
    {"source_published": "2101-01-01"},
    {"geo_precision": 7},
    {"geo_precision": 3, "area_code": "UKR"},
    {"geo_precision": 4, "area_code": "UA-30"},
    {"area_code": "UA-30", "geo_precision": None},
    {"geo_precision": 2, "latitude": None, "longitude": None},
    {"dataset": "Not A Slug"},
    {"date_precision": None, "date_start": None, "event_type": None, "source_outlet": None},
]


def _raw(rows):
    return store.with_append_defaults(frame(*rows))[0]


def _hostile_frame(repeat: int = 1) -> pd.DataFrame:
    rows = [make_row(event_id="good-row")]
    for i, overrides in enumerate(HOSTILE * repeat):
        rows.append(make_row(**{str(Col.EVENT_ID): f"row-{i}", **overrides}))
    return _raw(rows)


@pytest.mark.parametrize("limit", [None, 2])
def test_the_same_problems_as_pandera_on_hostile_rows(limit):
    raw = _hostile_frame(repeat=3)
    expected_df, expected = check(raw, limit)
    got_df, got = vectorised.check(raw, limit)
    assert expected, "the hostile rows must break rules"
    assert [str(p) for p in got] == [str(p) for p in expected]
    assert got == expected
    pd.testing.assert_frame_equal(got_df, expected_df)


def test_valid_rows_have_no_problems(dataset):
    raw = store.load(dataset)
    assert vectorised.check(raw)[1] == check(raw)[1] == []
