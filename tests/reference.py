"""The pandas path the query engine replaced, kept as the reference its results are checked
against: one vectorised mask per filter over the whole frame in memory (as the dashboard
did up to the engine's introduction). Test code only."""

from __future__ import annotations

import numpy as np
import pandas as pd

from timeline.domain.schema import Col
from timeline.view import View, words


def _list_has_any(lists: pd.Series, wanted: tuple[str, ...]) -> np.ndarray:
    chosen = set(wanted)
    return np.array([bool(chosen.intersection(v if v is not None else ())) for v in lists], dtype=bool)


def mask(df: pd.DataFrame, v: View) -> np.ndarray:
    keep = np.ones(len(df), dtype=bool)
    span = v.span
    if span.start is not None:
        keep &= (df[Col.DATE_END] >= pd.Timestamp(span.start)).to_numpy()
    if span.end is not None:
        keep &= (df[Col.DATE_START] <= pd.Timestamp(span.end)).to_numpy()
    for name, col in (("type", Col.EVENT_TYPE), ("confidence", Col.CONFIDENCE), ("dataset", Col.DATASET)):
        if v.get(name):
            keep &= df[col].isin(v.get(name)).to_numpy()
    if v.get("country"):
        keep &= _list_has_any(df[Col.COUNTRIES], v.get("country"))
    if v.get("actor"):
        keep &= _list_has_any(df[Col.ACTORS], v.get("actor"))
    if v.get("min_count") is not None:
        keep &= (df[Col.COUNT] >= v.get("min_count")).fillna(False).to_numpy(dtype=bool)
    if v.get("q"):
        text = (
            df[Col.TITLE].fillna("") + " " + df[Col.SUMMARY].fillna("") + " " + df[Col.LOCATION].fillna("")
            + " " + df[Col.ACTORS].map(lambda a: " ".join(a) if a is not None else "")
        ).str.lower()  # fmt: skip
        for word in words(v.get("q")):
            keep &= text.str.contains(word, regex=False).to_numpy(dtype=bool)
    return keep


def ids(df: pd.DataFrame, v: View) -> set[str]:
    return set(df.loc[mask(df, v), Col.EVENT_ID])
