"""The screen (`screen.suspects`) marks every row the rules would reject, so running the rules
on its rows alone gives the problems of the whole frame: the same rows, reasons, messages
and order as the unscreened check and as pandera (`rulebook`, the reference)."""

import hashlib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from test_vectorised import _canonical_hostile, _hostile_frame, _raw, _sorted
from timeline.domain import ruleset, screen, vectorised
from timeline.domain.coercion import coerce_frame
from timeline.domain.schema import Col
from timeline.domain.validation import check

import rulebook
from conftest import make_row


def _interleaved(valid: int = 1_500) -> pd.DataFrame:
    """Hostile rows spread among many valid ones (distinct ids), past `SCREEN_ROWS`: the
    shape of an import chunk with a few bad rows."""
    good = _raw([make_row(event_id=f"ok-{i}") for i in range(valid)])
    bad = _hostile_frame(repeat=2)
    rows = pd.concat([good, bad], ignore_index=True)
    order = np.random.default_rng(5).permutation(len(rows))
    return rows.iloc[order].reset_index(drop=True)


def test_every_row_the_rules_reject_is_marked():
    df = _canonical_hostile()
    marked = screen.suspects(df)
    assert marked is not None, "the canonical frame must be screened, not passed to the rules whole"
    rejected = set(rulebook.failures(df)["index"].astype(int))
    assert rejected, "the hostile rows must break rules"
    assert rejected <= set(np.flatnonzero(marked))


def test_valid_rows_are_not_marked():
    """The point of the screen: rows breaking no rule skip the rules' bookkeeping."""
    df, _ = coerce_frame(_raw([make_row(event_id=f"ok-{i}") for i in range(50)]))
    assert not screen.suspects(df).any()


def test_rows_sharing_an_id_are_all_marked():
    """Unique ids are the one rule across rows: both rows of a repeated id go to the rules."""
    df, _ = coerce_frame(_raw([make_row(event_id=f"ok-{i % 7}") for i in range(10)]))
    assert list(np.flatnonzero(screen.suspects(df))) == [0, 1, 2, 7, 8, 9]


def test_a_frame_not_in_the_canonical_dtypes_is_left_to_the_rules():
    df, _ = coerce_frame(_raw([make_row(event_id="ok-1")]))
    assert screen.suspects(df.astype({str(Col.COUNT): "float64"})) is None
    assert screen.suspects(df.astype({str(Col.TITLE): object})) is None


def test_screened_failures_equal_the_rules_and_pandera(monkeypatch):
    monkeypatch.setattr(vectorised, "SCREEN_ROWS", 0)
    df = _canonical_hostile()
    screened = vectorised.failures(df)
    pd.testing.assert_frame_equal(screened, vectorised.failures(df, screened=False))
    assert _sorted(screened) == _sorted(rulebook.failures(df))


@pytest.mark.parametrize("limit", [None, 2])
def test_a_large_frame_gets_the_same_problems_and_rows_with_the_screen(monkeypatch, limit):
    raw = _interleaved()
    assert len(raw) >= vectorised.SCREEN_ROWS
    got_df, got = check(raw, limit)
    monkeypatch.setattr(vectorised, "SCREEN_ROWS", len(raw) + 1)  # the rules on every row
    expected_df, expected = check(raw, limit)
    assert expected, "the hostile rows must break rules"
    assert [str(p) for p in got] == [str(p) for p in expected]
    pd.testing.assert_frame_equal(got_df, expected_df)


def test_a_large_frame_gets_pandera_s_problems():
    raw = _interleaved()
    _, got = check(raw)
    _, expected = vectorised.check_with(raw, rulebook.failures)
    assert got == expected


SCREENED_RULESET = "fd73344edc98535fd2a69bd8393e9079cadb9e9a9ff3c0ae7e37728bf54aa0e8"
"""sha256 of `domain/ruleset.py` when `screen.py` was last checked to cover each of its rules."""


def test_the_screen_was_checked_against_this_ruleset():
    """The screen restates each rule in Arrow and numpy, and a row it passes is never shown to
    the rules: a rule added to or changed in ruleset.py but not in the screen would let bad rows
    through. The hostile frames above cannot know of a new rule, so any change to ruleset.py
    fails here until someone has checked screen.py against it and updated the digest."""
    source = Path(ruleset.__file__).read_bytes().replace(b"\r\n", b"\n")
    assert hashlib.sha256(source).hexdigest() == SCREENED_RULESET, (
        "domain/ruleset.py changed: make screen.suspects mark every row each new or changed rule "
        "could reject (and add a hostile row for it in test_vectorised), then update SCREENED_RULESET"
    )
