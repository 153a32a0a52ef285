"""Event cards: what the analyst reads about one event."""

import pandas as pd

from timeline.cards import card_html
from timeline.domain.schema import Col
from timeline.storage import store

from conftest import CURATED


def test_coordinates_are_shown_only_for_a_place_not_for_a_region_or_country():
    """'Ukraine (17 regions) (49.60, 32.36)' reads as if the attack were at one point."""
    events = store.load(CURATED)
    wide = events[events[Col.GEO_PRECISION] >= 3]
    exact = events[events[Col.GEO_PRECISION] == 1]
    assert len(wide) and len(exact)
    for _, row in wide.iterrows():
        html = card_html(row)
        assert f"{row[Col.LATITUDE]:.2f}, {row[Col.LONGITUDE]:.2f}" not in html, row[Col.LOCATION]
    row = exact.iloc[0]
    assert f"({row[Col.LATITUDE]:.2f}, {row[Col.LONGITUDE]:.2f})" in card_html(row)
    assert pd.notna(row[Col.LOCATION])
