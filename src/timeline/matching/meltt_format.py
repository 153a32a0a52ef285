"""The reference implementation's input shape (R package `meltt`), as CSV files.

A dataset file has `dataset, event, date, enddate, latitude, longitude` and one column per
taxonomy; a taxonomy file has `data.source, base.categories` and its levels, most specific
first. The taxonomy's name is the dataset column it describes.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path

import pandas as pd

from timeline.matching.core import Dimension, MatchError, R


class M(StrEnum):
    """Columns of the reference's shape."""

    DATASET = "dataset"
    EVENT = "event"
    DATE = "date"
    ENDDATE = "enddate"
    LATITUDE = "latitude"
    LONGITUDE = "longitude"
    DATA_SOURCE = "data.source"
    BASE_CATEGORIES = "base.categories"


EPOCH = date(1970, 1, 1)


@dataclass(frozen=True)
class TaxonomyTable:
    name: str
    levels: tuple[str, ...]
    table: pd.DataFrame


def read_taxonomy(name: str, path: Path) -> TaxonomyTable:
    """A taxonomy table; its levels are the columns after `data.source, base.categories`."""
    frame = _read_csv(path)
    head = [c.lower() for c in frame.columns[:2]]
    if head != [M.DATA_SOURCE, M.BASE_CATEGORIES]:
        raise MatchError(
            f"{path}: the first two columns must be {M.DATA_SOURCE}, {M.BASE_CATEGORIES} "
            f"(found {', '.join(frame.columns[:2])})"
        )
    levels = tuple(frame.columns[2:])
    if not levels:
        raise MatchError(f"{path}: taxonomy {name!r} has no level columns after {M.BASE_CATEGORIES}")
    frame = frame.rename(
        columns=dict(zip(frame.columns[:2], [M.DATA_SOURCE, M.BASE_CATEGORIES], strict=True))
    )
    frame = frame.apply(lambda s: s.str.strip())
    keys = [str(M.DATA_SOURCE), str(M.BASE_CATEGORIES)]
    dup = frame.duplicated(keys)
    if dup.any():
        row = frame[dup].iloc[0]
        raise MatchError(
            f"{path}: row {int(dup.to_numpy().nonzero()[0][0]) + 2}: category {row[M.BASE_CATEGORIES]!r} "
            f"of {row[M.DATA_SOURCE]!r} is mapped twice"
        )
    return TaxonomyTable(name, levels, frame)


def read_datasets(
    paths: Sequence[Path], taxonomies: Sequence[TaxonomyTable]
) -> tuple[pd.DataFrame, list[Dimension]]:
    """The reports of every file, with each taxonomy's levels looked up; sources in file order."""
    frames = []
    dims = [Dimension(t.name, tuple(f"{t.name}:{level}" for level in t.levels)) for t in taxonomies]
    for path in paths:
        frame = _read_csv(path)
        for col in (M.EVENT, M.DATE, M.LATITUDE, M.LONGITUDE, *[t.name for t in taxonomies]):
            if str(col) not in frame.columns:
                raise MatchError(f"{path}: no column {col!r}")
        source = frame[M.DATASET] if M.DATASET in frame.columns else pd.Series(path.stem, index=frame.index)
        start = _days(frame[M.DATE], path, M.DATE)
        end = _days(frame[M.ENDDATE], path, M.ENDDATE) if M.ENDDATE in frame.columns else start
        reports = pd.DataFrame(
            {
                str(R.SOURCE): source.str.strip(),
                str(R.REPORT): frame[M.EVENT].str.strip(),
                str(R.START): start,
                str(R.END): end,
                str(R.LAT): _numbers(frame[M.LATITUDE], path, M.LATITUDE),
                str(R.LON): _numbers(frame[M.LONGITUDE], path, M.LONGITUDE),
            }
        )
        reports[R.EPISODE] = reports[R.END] > reports[R.START]
        for tax in taxonomies:
            _lookup(reports, frame[tax.name].str.strip(), tax, path)
        frames.append(reports)
    return pd.concat(frames, ignore_index=True), dims


def _lookup(reports: pd.DataFrame, values: pd.Series, tax: TaxonomyTable, path: Path) -> None:
    table = tax.table
    keyed = table.set_index([str(M.DATA_SOURCE), str(M.BASE_CATEGORIES)])
    index = pd.MultiIndex.from_arrays([reports[R.SOURCE], values])
    found = keyed.reindex(index)
    missing = found[tax.levels[0]].isna().to_numpy() & values.notna().to_numpy()
    missing |= ~index.isin(keyed.index)
    if missing.any():
        row = int(missing.nonzero()[0][0])
        cats = sorted(set(values[missing].dropna()))
        raise MatchError(
            f"{path}: row {row + 2}: {tax.name} {values.iloc[row]!r} of {reports[R.SOURCE].iloc[row]!r} "
            f"is not a base category of the {tax.name} taxonomy ({len(cats)} unmapped: "
            f"{', '.join(map(repr, cats[:5]))})"
        )
    for level in tax.levels:
        reports[f"{tax.name}:{level}"] = found[level].to_numpy()


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as err:
        raise MatchError(f"{path}: cannot read ({err})") from err
    if not rows:
        raise MatchError(f"{path}: empty file")
    header, body = rows[0], rows[1:]
    bad = [i for i, r in enumerate(body) if len(r) != len(header)]
    if bad:
        raise MatchError(f"{path}: row {bad[0] + 2} has {len(body[bad[0]])} fields, the header {len(header)}")
    frame = pd.DataFrame(body, columns=[h.strip() for h in header], dtype="string")
    return frame.replace({"": pd.NA, "NA": pd.NA})


def _days(values: pd.Series, path: Path, col: str) -> pd.Series:
    parsed = pd.to_datetime(values, format="%Y-%m-%d", errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        row = int(bad.nonzero()[0][0])
        raise MatchError(f"{path}: row {row + 2}: {col} {values.iloc[row]!r} is not a date (YYYY-MM-DD)")
    return (parsed - pd.Timestamp(EPOCH)).dt.days.astype("int64")


def _numbers(values: pd.Series, path: Path, col: str) -> pd.Series:
    parsed = pd.to_numeric(values, errors="coerce")
    bad = parsed.isna().to_numpy()
    if bad.any():
        row = int(bad.nonzero()[0][0])
        raise MatchError(f"{path}: row {row + 2}: {col} {values.iloc[row]!r} is not a number")
    return parsed.astype("float64")
