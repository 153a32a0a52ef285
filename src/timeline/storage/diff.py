"""Compare two versions of the dataset row by row, keyed by event_id.

Parquet is binary, so a pull request that changes `data/events.parquet` is reviewed with
`timeline diff OLD NEW`: added and removed rows, and changed rows field by field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from timeline.domain.schema import COLUMNS, Col, as_arrow


@dataclass(frozen=True)
class Change:
    column: str
    old: str
    new: str


@dataclass
class Diff:
    added: pd.DataFrame
    removed: pd.DataFrame
    changed: dict[str, list[Change]] = field(default_factory=dict)

    @property
    def empty(self) -> bool:
        return not (len(self.added) or len(self.removed) or self.changed)


def display(value: object) -> str:
    """One readable text form per value, used for comparing and for printing."""
    if value is None or value is pd.NA or value is pd.NaT:
        return ""
    if isinstance(value, float) and np.isnan(value):
        return ""
    if isinstance(value, (list, tuple, np.ndarray)):
        return "; ".join(str(v) for v in value)
    if isinstance(value, pd.Timestamp):
        return value.isoformat() if value.tz is not None else value.date().isoformat()
    return str(value)


def _comparable(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.ArrowDtype) and pa.types.is_list(series.dtype.pyarrow_dtype):
        joined = pc.binary_join(as_arrow(series), "; ")
        return pd.Series(joined.to_numpy(zero_copy_only=False), index=series.index).fillna("")
    return series


def _differs(left: pd.Series, right: pd.Series) -> np.ndarray:
    """Positions where the two aligned columns differ, nulls equal to nulls (vectorised)."""
    x, y = _comparable(left), _comparable(right)
    both_null = x.isna().to_numpy() & y.isna().to_numpy()
    equal = x.eq(y.to_numpy()).fillna(False).to_numpy(dtype=bool)
    return np.flatnonzero(~(equal | both_null))


def compare(old: pd.DataFrame, new: pd.DataFrame, *, ignore: tuple[str, ...] = ()) -> Diff:
    key = str(Col.EVENT_ID)
    old_ids, new_ids = pd.Index(old[key]), pd.Index(new[key])
    added = new[~new_ids.isin(old_ids)]
    removed = old[~old_ids.isin(new_ids)]
    common = new_ids.intersection(old_ids)
    a = old.set_index(key).loc[common]
    b = new.set_index(key).loc[common]
    changed: dict[str, list[Change]] = {}
    for col in COLUMNS:
        if col == key or col in ignore:
            continue
        for pos in _differs(a[col], b[col]):
            change = Change(col, display(a[col].iloc[pos]), display(b[col].iloc[pos]))
            changed.setdefault(common[pos], []).append(change)
    return Diff(added=added, removed=removed, changed=changed)


def _row_line(row: pd.Series) -> str:
    dates = display(row[Col.DATE_START])
    if row[Col.DATE_END] != row[Col.DATE_START]:
        dates += f"..{display(row[Col.DATE_END])}"
    return (
        f"{row[Col.EVENT_ID]}  [{row[Col.EVENT_TYPE]}, {dates}, {row[Col.DATE_PRECISION]}]  {row[Col.TITLE]}"
    )


def format_text(diff: Diff, *, limit: int = 200) -> str:
    """A review-friendly summary; `limit` caps rows listed per section."""
    lines = [f"{len(diff.added)} added, {len(diff.removed)} removed, {len(diff.changed)} changed"]
    for label, sign, frame in (("Added", "+", diff.added), ("Removed", "-", diff.removed)):
        if len(frame):
            lines += ["", f"{label}:"]
            lines += [f"{sign} {_row_line(row)}" for _, row in frame.head(limit).iterrows()]
            if len(frame) > limit:
                lines.append(f"  … and {len(frame) - limit} more")
    if diff.changed:
        lines += ["", "Changed:"]
        for event_id, changes in list(diff.changed.items())[:limit]:
            lines.append(f"~ {event_id}")
            lines += [f"    {c.column}: {c.old!r} -> {c.new!r}" for c in changes]
        if len(diff.changed) > limit:
            lines.append(f"  … and {len(diff.changed) - limit} more")
    return "\n".join(lines)


def format_json(diff: Diff) -> str:
    def rows(frame: pd.DataFrame) -> list[dict[str, str]]:
        return [{c: display(v) for c, v in row.items()} for _, row in frame.iterrows()]

    return json.dumps(
        {
            "added": rows(diff.added),
            "removed": rows(diff.removed),
            "changed": {k: [c.__dict__ for c in v] for k, v in diff.changed.items()},
        },
        indent=2,
        ensure_ascii=False,
    )
