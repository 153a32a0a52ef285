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


def test_the_card_sent_with_a_view_is_the_panels_card():
    """The card the page draws at a click (from the view's drawn events) is the card the
    selection panel then shows (from the event's own row): one card, no jump between them."""
    from timeline import view
    from timeline.cards import CARD_COLUMNS, cards_by_id
    from timeline.engine import open_engine

    engine = open_engine(CURATED)
    v, _ = view.parse(
        {"type": ["drone_attack", "missile_strike"], "from": ["2024-11-01"], "to": ["2024-11-30"]}
    )
    sent = cards_by_id(engine.events(v, columns=CARD_COLUMNS))
    assert len(sent) == engine.match(v).count >= 5
    for event_id, html in sent.items():
        assert html == card_html(engine.by_ids([event_id]).iloc[0]), event_id
