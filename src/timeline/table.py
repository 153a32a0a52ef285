"""The events table: the newest matching events in display columns (the dashboard's table)."""

from __future__ import annotations

import pandas as pd

from timeline.cards import WEB_ADDRESS
from timeline.domain import taxonomy
from timeline.domain.schema import Col
from timeline.formatting import count_label, row_dates

MAX_TABLE_ROWS = 1000
HEADERS = {
    "start": "Start",
    "dates": "Dates (as reported)",
    "type": "Type",
    "title": "Title",
    "countries": "Countries",
    "location": "Place",
    "count": "Count",
    "intercepted": "Intercepted",
    "confidence": "Confidence",
    "source": "Source",
    "link": "Link",
    "event_id": "Event ID",
}
"""Column headers as shown, all in sentence case."""


def _text(series: pd.Series) -> list[str]:
    """Text with blanks (not 'None') where the source gave nothing (a plain list: a table has
    at most `MAX_TABLE_ROWS`, where pandas' conversions cost more than the loop)."""
    return ["" if pd.isna(value) else str(value) for value in series.tolist()]


def _dates(newest: pd.DataFrame) -> list[str]:
    """Each row's dates as reported (`row_dates`, without a Series per row)."""
    columns = [Col.DATE_START, Col.DATE_END, Col.DATE_PRECISION, Col.DATE_TEXT]
    return [
        row_dates(dict(zip(columns, row, strict=True)))
        for row in zip(*(newest[c].tolist() for c in columns), strict=True)
    ]


def table_frame(newest: pd.DataFrame) -> pd.DataFrame:
    """Events (already chosen and ordered by `newest`) in display columns: counts with their
    unit ('188 drones'), blanks for missing values, links only to http(s) addresses."""
    weapon = newest[Col.WEAPON] if Col.WEAPON in newest else pd.Series(None, index=newest.index)
    link = newest[Col.SOURCE_URL].astype("object")
    return pd.DataFrame(
        {
            "start": newest[Col.DATE_START],
            "dates": _dates(newest) if len(newest) else pd.Series(dtype="str"),
            "type": newest[Col.EVENT_TYPE].map(taxonomy.LABELS).fillna(newest[Col.EVENT_TYPE]),
            "title": _text(newest[Col.TITLE]),
            "countries": newest[Col.COUNTRIES].map(", ".join),
            "location": _text(newest[Col.LOCATION]),
            "count": [
                count_label(c, u, w)
                for c, u, w in zip(newest[Col.COUNT], newest[Col.COUNT_UNIT], weapon, strict=True)
            ],
            "intercepted": [
                count_label(i, u) if not pd.isna(i) else ""
                for i, u in zip(newest[Col.INTERCEPTED], newest[Col.COUNT_UNIT], strict=True)
            ],
            "confidence": _text(newest[Col.CONFIDENCE]),
            "source": _text(newest[Col.SOURCE_OUTLET]),
            "link": link.where(
                link.map(lambda u: isinstance(u, str) and bool(WEB_ADDRESS.fullmatch(u))), None
            ),
            "event_id": newest[Col.EVENT_ID],
        }
    ).reset_index(drop=True)
