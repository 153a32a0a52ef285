"""What is in a dataset, at a glance: `timeline stats`."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from timeline import taxonomy
from timeline.schema import Col


@dataclass(frozen=True)
class Stats:
    rows: int
    first: pd.Timestamp | None
    last: pd.Timestamp | None
    by_type: dict[str, int]
    by_precision: dict[str, int]
    by_confidence: dict[str, int]
    by_dataset: dict[str, int]
    totals_by_unit: dict[str, int]


def _counts(series: pd.Series, order: tuple[str, ...] = ()) -> dict[str, int]:
    counts = series.value_counts(dropna=False)
    keys = [k for k in order if k in counts.index] + sorted(k for k in counts.index if k not in order)
    return {str(k): int(counts[k]) for k in keys}


def compute(df: pd.DataFrame) -> Stats:
    totals = df.groupby(Col.COUNT_UNIT, dropna=True)[Col.COUNT].sum()
    return Stats(
        rows=len(df),
        first=df[Col.DATE_START].min() if len(df) else None,
        last=df[Col.DATE_END].max() if len(df) else None,
        by_type=_counts(df[Col.EVENT_TYPE], taxonomy.EVENT_TYPE_KEYS),
        by_precision=_counts(df[Col.DATE_PRECISION], taxonomy.PRECISIONS),
        by_confidence=_counts(df[Col.CONFIDENCE], taxonomy.CONFIDENCES),
        by_dataset=_counts(df[Col.DATASET]),
        totals_by_unit={str(k): int(v) for k, v in totals.items()},
    )


def format_text(stats: Stats) -> str:
    def day(ts: pd.Timestamp | None) -> str:
        return ts.date().isoformat() if ts is not None and not pd.isna(ts) else "-"

    lines = [f"rows: {stats.rows:,}", f"dates: {day(stats.first)} to {day(stats.last)}"]
    sections = (
        ("by type", stats.by_type),
        ("by date precision", stats.by_precision),
        ("by confidence", stats.by_confidence),
        ("by dataset", stats.by_dataset),
        ("count totals by unit", stats.totals_by_unit),
    )
    for title, mapping in sections:
        if not mapping:
            continue
        lines.append(f"{title}:")
        width = max(len(k) for k in mapping)
        lines += [f"  {k:<{width}}  {v:>10,}" for k, v in mapping.items()]
    return "\n".join(lines)
