"""What is in a dataset, at a glance: `timeline stats`."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from timeline.domain import taxonomy
from timeline.domain.schema import Col
from timeline.engine import Engine
from timeline.view import View


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


def _ordered(counts: dict[str, int], order: tuple[str, ...] = ()) -> dict[str, int]:
    keys = [k for k in order if k in counts] + sorted(k for k in counts if k not in order)
    return {k: counts[k] for k in keys}


def compute(engine: Engine) -> Stats:
    """The figures of `timeline stats`, asked of the query engine, so that a folder of a
    hundred million events is counted where it lies rather than loaded."""
    s = engine.summary
    every = View()
    precision = engine.value_counts(every, Col.DATE_PRECISION)
    totals = engine.totals(every, Col.COUNT_UNIT, Col.COUNT)
    return Stats(
        rows=s.rows,
        first=pd.Timestamp(s.first_day) if s.first_day else None,
        last=pd.Timestamp(s.last_day) if s.last_day else None,
        by_type=_ordered(s.counts[str(Col.EVENT_TYPE)], taxonomy.EVENT_TYPE_KEYS),
        by_precision=_ordered(precision, taxonomy.PRECISIONS),
        by_confidence=_ordered(s.counts[str(Col.CONFIDENCE)], taxonomy.CONFIDENCES),
        by_dataset=_ordered(s.counts[str(Col.DATASET)]),
        totals_by_unit=_ordered(totals),
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
