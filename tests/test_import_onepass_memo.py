"""The per-value lookups remembered across chunks (`onepass.per_value` with a key) map a
chunk exactly as a fresh import maps it: the same rows and the same rejections with the
same reasons, whatever chunks came before it, under each date order a file can have, and
when the memo is full."""

from __future__ import annotations

import pandas as pd
import pytest

from frozen import ORDERS
from test_import_onepass import _hostile, _messy
from timeline.importers import acled, onepass
from timeline.importers.base import Options


def _mapped(frame: pd.DataFrame, options: Options) -> tuple[pd.DataFrame, pd.DataFrame]:
    result = acled.map_chunk(frame, options)
    return result.rows, result.rejected


@pytest.mark.parametrize("order", list(ORDERS))
@pytest.mark.parametrize("room", [onepass.MEMO_VALUES, 5])
def test_a_chunk_maps_the_same_after_other_chunks(order, room, monkeypatch):
    """The hostile rows cut into three chunks: each maps, after the chunks before it and the
    messy fixture filled the memo, to what it maps to with nothing remembered."""
    monkeypatch.setattr(onepass, "MEMO_VALUES", room)
    monkeypatch.setattr(onepass, "_MEMO", {})
    options = Options(date_order=ORDERS[order])
    hostile = _hostile()
    pieces = [hostile.iloc[a : a + 520] for a in range(0, len(hostile), 520)]
    alone = []
    for piece in pieces:
        onepass._MEMO.clear()
        alone.append(_mapped(piece, options))
    onepass._MEMO.clear()
    _mapped(_messy(), options)
    for piece, (rows, rejected) in zip(pieces, alone, strict=True):
        again_rows, again_rejected = _mapped(piece, options)
        pd.testing.assert_frame_equal(again_rows, rows)
        pd.testing.assert_frame_equal(again_rejected, rejected)
    if room > 5:  # the chunks above were mapped from remembered lookups
        assert len(onepass._MEMO) >= 10
