"""The cards sent with a view for a click's card at once (ui/components/early_cards.py): the
drawn events' own cards, escaped, and none where the page keeps no panel for them."""

from __future__ import annotations

import base64
import json
import zlib
from pathlib import Path

from timeline.cards import card_html
from timeline.ui.components import early_cards

from conftest import frame, make_row, run_app


def _sent(at) -> dict:
    """What the page got, its cards unpacked as the browser unpacks them."""
    found = [c for c in at.get("bidi_component") if c.proto.html_content == early_cards.HTML]
    assert len(found) == 1
    sent = json.loads(found[0].proto.json)
    return sent | {"cards": json.loads(zlib.decompress(base64.b64decode(sent["cards"])))}


def test_a_view_sends_the_cards_of_the_events_it_draws(monkeypatch, curated_engine):
    at = run_app(
        monkeypatch, type=["drone_attack", "missile_strike"], **{"from": "2024-11-01", "to": "2024-11-30"}
    )
    sent = _sent(at)
    assert sent["panel"] and sent["max_cards"] >= 1
    drawn = list(curated_engine.drawn(_view()).event_id)
    assert sorted(sent["cards"]) == sorted(drawn)
    for event_id in drawn:  # the panel's card, from the event's own row
        assert sent["cards"][event_id] == card_html(curated_engine.by_ids([event_id]).iloc[0])


def _view():
    from timeline import view

    v, _ = view.parse(
        {"type": ["drone_attack", "missile_strike"], "from": ["2024-11-01"], "to": ["2024-11-30"]}
    )
    return v


def test_a_hostile_title_is_sent_escaped_and_a_script_address_is_no_link(monkeypatch, tmp_path: Path):
    from timeline.storage import store

    path = tmp_path / "events.parquet"
    store.append(
        path, frame(make_row(title='<img src=x onerror=alert(1)> <a href="javascript:alert(2)">x</a>'))
    )
    (card,) = _sent(run_app(monkeypatch, data=path))["cards"].values()
    assert "&lt;img src=x onerror=alert(1)&gt;" in card and "<img" not in card
    assert 'href="javascript' not in card and "<a href=" not in card.split("tl-source")[0]


def test_a_story_keeps_no_panel_so_no_cards_are_sent(monkeypatch):
    sent = _sent(run_app(monkeypatch, story="seed-article", step="1"))
    assert not sent["panel"] and sent["cards"] == {}
