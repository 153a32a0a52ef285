"""Coercion of columns already in the canonical dtypes (an import's mapped rows): returned as
they are when nothing is wrong, and the same problems as the values given loosely when
something is (a time of day in a date, an infinite number)."""

import numpy as np
import pandas as pd

from timeline.domain.coercion import coerce_frame
from timeline.domain.schema import Col
from timeline.storage import store

from conftest import frame, make_row


def _canonical(n: int = 4) -> pd.DataFrame:
    raw = store.with_append_defaults(frame(*[make_row(event_id=f"ok-{i}") for i in range(n)]))[0]
    return coerce_frame(raw)[0]


def test_canonical_columns_come_back_equal_with_nothing_found():
    df = _canonical()
    again, found = coerce_frame(df)
    assert all(not bad for bad in found.values())
    pd.testing.assert_frame_equal(again, df)


def test_a_time_of_day_and_an_infinity_are_still_found_in_typed_columns():
    df = _canonical()
    df[str(Col.DATE_START)] = df[str(Col.DATE_START)].where(df.index != 1, pd.Timestamp("2024-11-25 13:00"))
    df[str(Col.LATITUDE)] = df[str(Col.LATITUDE)].where(df.index != 2, np.inf)
    out, found = coerce_frame(df)
    reasons = {name: [(r, m.tolist()) for r, m in bad] for name, bad in found.items() if bad}
    assert reasons == {
        str(Col.DATE_START): [("not a date in YYYY-MM-DD form", [False, True, False, False])],
        str(Col.LATITUDE): [("not a finite number", [False, False, True, False])],
    }
    assert out[str(Col.DATE_START)].isna().tolist() == [False, True, False, False]
    assert out[str(Col.LATITUDE)].isna().tolist() == [False, False, True, False]
    assert out[str(Col.DATE_START)].dtype == df[str(Col.DATE_START)].dtype
