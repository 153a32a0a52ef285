"""Each schema rule, on a batch with one bad value, reports that row, column and reason."""

import pandas as pd
import pytest

from timeline.schema import Col
from timeline.validation import check_columns

from conftest import checked, make_row


def problems_for(**overrides):
    good = make_row(event_id="good-row")
    bad = make_row(**overrides)
    _, problems = checked(good, bad)
    return problems


def test_valid_rows_have_no_problems():
    df, problems = checked(
        make_row(), make_row(event_id="other", count=None, count_unit=None, intercepted=None)
    )
    assert problems == []
    assert len(df) == 2


@pytest.mark.parametrize(
    ("overrides", "column", "reason"),
    [
        ({"event_type": "drone_strike"}, "event_type", "not a known event type"),
        ({"date_start": "2024-11-27", "date_end": "2024-11-25"}, "date_end", "before date_start"),
        ({"date_start": "25/11/2024"}, "date_start", "YYYY-MM-DD"),
        ({"date_precision": "fortnight"}, "date_precision", "not one of"),
        (
            {"date_precision": "week", "date_start": "2024-11-01", "date_end": "2024-11-30"},
            "date_precision",
            "longer than",
        ),
        ({"latitude": 200}, "latitude", "between -90 and 90"),
        ({"longitude": None}, "latitude", "together"),
        ({"count": -3}, "count", "negative"),
        ({"count": "many"}, "count", "whole number"),
        ({"count": 2.5}, "count", "whole number"),
        ({"intercepted": 300}, "intercepted", "larger than count"),
        ({"count_unit": None}, "count_unit", "required when count"),
        ({"count_unit": "balloons"}, "count_unit", "not a known count unit"),
        ({"confidence": "certain"}, "confidence", "not one of"),
        ({"countries": ["UKR", "XYZ"]}, "countries", "ISO 3166-1 alpha-3"),
        ({"countries": "Ukraine"}, "countries", "ISO 3166-1 alpha-3"),
        ({"source_outlet": ""}, "source_outlet", "required"),
        ({"source_url": "example.org/page"}, "source_url", "http(s) URL"),
        ({"other_sources": ["not a url"]}, "other_sources", "http(s) URL"),
        ({"event_id": "Has Spaces"}, "event_id", "slug"),
        ({"event_id": "good-row"}, "event_id", "duplicate"),
        ({"title": ""}, "title", "required"),
        ({"actors": {"a": 1}}, "actors", "list of text"),
    ],
)
def test_each_rule_names_row_column_and_reason(overrides, column, reason):
    problems = problems_for(**overrides)
    assert problems, f"no problem reported for {overrides}"
    assert any(p.column == column and reason in p.reason for p in problems), [str(p) for p in problems]
    assert all(p.row in (1, 2) for p in problems)
    if column != "event_id":
        assert all(p.row == 2 for p in problems)
        assert str(problems[0]).startswith(f"row 2, event_id {make_row()['event_id']}, column ")


def test_missing_and_unknown_columns():
    problems = check_columns(["event_id", "date_start", "evnt_type"])
    text = [str(p) for p in problems]
    assert "column date_end: missing required column date_end" in text
    assert any("evnt_type" in t and "did you mean event_type" in t for t in text)


def test_csv_text_values_are_parsed():
    row = make_row(
        actors="Russian Armed Forces; Ukrainian Air Force",
        countries="RUS;UKR",
        count="188",
        latitude="50.45",
        other_sources="",
    )
    df, problems = checked(row)
    assert problems == []
    assert list(df.loc[0, Col.ACTORS]) == ["Russian Armed Forces", "Ukrainian Air Force"]
    assert df.loc[0, Col.COUNT] == 188
    assert list(df.loc[0, Col.OTHER_SOURCES]) == []


def test_blank_count_is_missing_not_zero():
    df, problems = checked(make_row(count="", intercepted="", count_unit=""))
    assert problems == []
    assert pd.isna(df.loc[0, Col.COUNT]) and pd.isna(df.loc[0, Col.INTERCEPTED])


def test_zero_count_is_kept():
    df, problems = checked(make_row(count=0, intercepted=0))
    assert problems == []
    assert df.loc[0, Col.COUNT] == 0
