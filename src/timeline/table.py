"""The events table: the newest matching events in display columns (dashboard and exports)."""

from __future__ import annotations

import pandas as pd

from timeline import taxonomy
from timeline.formatting import row_dates
from timeline.schema import Col

MAX_TABLE_ROWS = 1000


def table_frame(newest: pd.DataFrame) -> pd.DataFrame:
    """Events (already chosen and ordered by `newest`) in display columns."""
    return pd.DataFrame(
        {
            "start": newest[Col.DATE_START],
            "dates": newest.apply(row_dates, axis=1) if len(newest) else pd.Series(dtype="str"),
            "type": newest[Col.EVENT_TYPE].map(taxonomy.LABELS),
            "title": newest[Col.TITLE],
            "countries": newest[Col.COUNTRIES].map(", ".join),
            "location": newest[Col.LOCATION],
            "count": newest[Col.COUNT],
            "unit": newest[Col.COUNT_UNIT],
            "intercepted": newest[Col.INTERCEPTED],
            "confidence": newest[Col.CONFIDENCE],
            "source": newest[Col.SOURCE_OUTLET],
            "link": newest[Col.SOURCE_URL],
            "event_id": newest[Col.EVENT_ID],
        }
    ).reset_index(drop=True)
