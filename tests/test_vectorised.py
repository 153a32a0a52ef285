"""The rule check (`vectorised`, no pandera) reports exactly what pandera reports when it
runs the same rules (`rulebook`, the reference): on hostile rows that break every rule."""

import dataclasses
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from timeline.domain import vectorised
from timeline.domain.coercion import coerce_frame
from timeline.domain.ruleset import (
    CONTROL,
    CONTROL_MULTILINE,
    MAX_ITEMS,
    MAX_LENGTH,
    ROW_RULES,
    column_rules,
    control_rows,
)
from timeline.domain.schema import FIELDS, PANDAS_DTYPES, Col, Kind
from timeline.domain.validation import check, validate
from timeline.storage import store

import rulebook
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
    {"longitude": 200},
    {"intercepted": -1, "count": 5},
    {"initiator_countries": ["XYZ"]},
]


def _every_field_broken() -> list[dict[str, object]]:
    """Per text field: too long, and a control character; per list: too many items; per
    required field: empty."""
    rows: list[dict[str, object]] = []
    for f in FIELDS:
        name = str(f.col)
        if f.col in MAX_LENGTH and f.kind is Kind.LIST:
            too_many = [f"i{i}" for i in range(MAX_ITEMS[f.col] + 1)]
            rows += [{name: ["x" * (MAX_LENGTH[f.col] + 1)]}, {name: ["a\x07b"]}, {name: too_many}]
        elif f.col in MAX_LENGTH:
            rows += [{name: "x" * (MAX_LENGTH[f.col] + 1)}, {name: "a\x07b"}]
        if f.required:
            rows.append({name: None})
    return rows


CANONICAL_ONLY = {
    Col.TITLE: "",
    Col.SOURCE_OUTLET: "",
    Col.ACTORS: [" "],
    Col.COUNTRIES: None,
    Col.INITIATOR_COUNTRIES: None,
    Col.OTHER_SOURCES: None,
    Col.ADDED_AT: None,
}
"""Values that parsing never produces (a blank becomes empty, a missing list an empty one,
`added_at` is filled in), set in the canonical frame itself so those rules are compared too."""


def _raw(rows):
    return store.with_append_defaults(frame(*rows))[0]


def _hostile_frame(repeat: int = 1) -> pd.DataFrame:
    rows = [make_row(event_id="good-row")]
    for i, overrides in enumerate((HOSTILE + _every_field_broken()) * repeat):
        rows.append(make_row(**{str(Col.EVENT_ID): f"row-{i}", **overrides}))
    return _raw(rows)


def _canonical_hostile() -> pd.DataFrame:
    """The hostile rows parsed, plus one row per `CANONICAL_ONLY` value, a duplicated id and a
    row empty throughout (which pandera's frame-wide checks let pass)."""
    df, _ = coerce_frame(_hostile_frame().reset_index(drop=True))
    extra = df.iloc[[0] * (len(CANONICAL_ONLY) + 2)].reset_index(drop=True)
    for i, (col, value) in enumerate(CANONICAL_ONLY.items()):
        values = extra[str(col)].tolist()
        values[i] = value
        extra[str(col)] = pd.Series(values, dtype=extra[str(col)].dtype)
    extra.iloc[-1] = None
    return pd.concat([df, extra], ignore_index=True)


def _sorted(failures: pd.DataFrame) -> list[tuple[str, str, int]]:
    return sorted(zip(failures["reason"], failures["column"], failures["index"].astype(int), strict=True))


def test_the_hostile_rows_break_every_rule():
    """What the comparisons below cover: each check of each column, each frame-wide rule,
    each required field empty and the unique id repeated."""
    found = {(r, c) for r, c, _ in _sorted(rulebook.failures(_canonical_hostile()))}
    every = {(r.error, str(r.column)) for r in ROW_RULES}
    for col, spec in column_rules().items():
        every |= {(r.error, str(col)) for r in spec.rules}
        every |= set() if spec.nullable else {(vectorised.BUILTIN_REASONS["not_nullable"], str(col))}
        every |= {(vectorised.BUILTIN_REASONS["field_uniqueness"], str(col))} if spec.unique else set()
    assert every - found == set()


def test_the_same_failures_as_pandera_on_canonical_frames():
    df = _canonical_hostile()
    assert _sorted(vectorised.failures(df)) == _sorted(rulebook.failures(df))
    assert validate(df) == vectorised.rule_problems(rulebook.failures(df), df, None)


@pytest.mark.parametrize("limit", [None, 2])
def test_the_same_problems_as_pandera_on_hostile_rows(limit):
    raw = _hostile_frame(repeat=3)
    expected_df, expected = vectorised.check_with(raw, rulebook.failures, limit)
    got_df, got = check(raw, limit)
    assert expected, "the hostile rows must break rules"
    assert [str(p) for p in got] == [str(p) for p in expected]
    assert got == expected
    pd.testing.assert_frame_equal(got_df, expected_df)


def test_valid_rows_have_no_problems(dataset):
    raw = store.load(dataset)
    assert check(raw)[1] == vectorised.check_with(raw, rulebook.failures)[1] == []


@pytest.mark.parametrize("limit", [None, 2])
def test_parts_checked_together_get_the_problems_each_gets_alone(limit):
    """`timeline validate` of a folder checks its parts in one call (`check_parts`): each
    part's problems, rows and counts are those of the part checked alone; an id repeated in
    two parts is no problem of either (the folder-wide check reports it)."""
    raw = _hostile_frame(repeat=2)
    raw.loc[5, str(Col.EVENT_ID)] = raw.loc[4, str(Col.EVENT_ID)]  # a repeat inside a part
    raw.loc[len(raw) - 1, str(Col.EVENT_ID)] = raw.loc[0, str(Col.EVENT_ID)]  # across parts
    sizes = [3, 0, 40, 1, len(raw) - 44]
    alone = [check(raw.iloc[a : a + n], limit)[1] for a, n in zip([0, 3, 3, 43, 44], sizes, strict=True)]
    assert vectorised.check_parts(raw, sizes, limit) == alone
    assert [bool(found) for found in alone] == [True, False, True, True, True]
    assert any(p.reason.startswith("duplicate event_id") for p in alone[2])  # the repeat inside
    good = _raw([make_row(event_id=f"ok-{i}") for i in range(6)])
    assert vectorised.check_parts(good, [2, 4], limit) == [[], []]


def test_control_characters_are_found_in_the_bytes_as_the_pattern_finds_them():
    """`ruleset.control_rows` reads UTF-8 bytes instead of running `CONTROL` per value: every
    character up to U+0800 and a few beyond, alone and inside other text, in slices of both
    Arrow string layouts, is refused exactly where the pattern refuses it."""
    chars = [chr(c) for c in range(0x800)] + ["\u2028", "\ufeff", "\U0001f600", "\u00c2"]
    values = chars + [f"ab{c}cd" for c in chars] + ["Київ\x85", "Â\x80", "\xc2", "", None]
    for pattern, multiline in ((CONTROL, False), (CONTROL_MULTILINE, True)):
        expected = np.array([v is not None and re.search(pattern, v) is not None for v in values])
        assert expected.any() and not expected.all()
        for arrow_type in (pa.string(), pa.large_string()):
            arr = pa.array(values, arrow_type)
            assert (control_rows(arr, multiline) == expected).all()
            for start, stop in ((1, 700), (650, 2100), (2000, len(values))):
                assert (control_rows(arr.slice(start, stop - start), multiline) == expected[start:stop]).all()


def _unquoted_missing(problems):
    return [dataclasses.replace(p, value=None) if p.value in ("nan", "None", "<NA>") else p for p in problems]


@pytest.mark.parametrize("limit", [None, 2])
def test_typed_columns_get_the_problems_of_the_same_values_as_objects(limit):
    """An import hands the check Arrow-backed text, Arrow lists and float columns, which take
    a faster path than the loose values of a JSON file: the same problems, the same frame."""
    raw = _hostile_frame(repeat=2)
    typed = raw.copy()
    for f in FIELDS:
        name = str(f.col)
        values = raw[name]
        if f.kind is Kind.STRING:
            typed[name] = values.astype(PANDAS_DTYPES[Kind.STRING])
        elif f.kind is Kind.LIST and values.map(lambda v: v is None or isinstance(v, list)).all():
            typed[name] = pd.Series(
                pd.array(values.tolist(), dtype=PANDAS_DTYPES[Kind.LIST]), index=raw.index
            )
    (typed_df, typed_problems), (raw_df, raw_problems) = check(typed, limit), check(raw, limit)
    assert typed_problems  # a missing value is quoted as the input holds it: nan, None, <NA>
    assert _unquoted_missing(typed_problems) == _unquoted_missing(raw_problems)
    pd.testing.assert_frame_equal(typed_df, raw_df)
    numbers = pd.Series([1.5, float("nan"), float("inf"), -float("inf"), 200.0, None])
    rows = _raw([make_row()] * 6)
    as_float = coerce_frame(rows.assign(latitude=numbers))
    as_object = coerce_frame(rows.assign(latitude=numbers.astype(object)))
    pd.testing.assert_frame_equal(as_float[0], as_object[0])
    assert [(r, m.tolist()) for r, m in as_float[1]["latitude"]] == [
        (r, m.tolist()) for r, m in as_object[1]["latitude"]
    ]
