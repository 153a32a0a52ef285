"""The card of an event picked on a chart, shown by the page at the click (issue #17), before
the server's rerun opens it in the selection panel (0.3-0.7 s later, more under load).

The view's drawn events' cards (`timeline.cards.card_html`, the panel's own) are sent once
per view with this component, which draws no element of its own: on a pick announced by the
charts (`plotly_chart.js`) it lays the picked cards over the panel's column (a bottom sheet on
a phone) until the panel the server sends holds them (`early_cards.js`).
"""

from __future__ import annotations

import base64
import json
import zlib
from collections.abc import Mapping
from pathlib import Path

import streamlit as st

KEY = "early-cards"
HTML = '<div class="tl-cards" data-testid="tlCards"></div>'
CSS = """
.st-key-early-cards{display:none}
.tl-early{position:fixed;z-index:999989;box-sizing:border-box;border:1px solid rgba(128,128,128,.35);
  border-radius:.5rem;padding:.6rem .8rem;max-height:calc(100vh - 4.5rem);overflow-y:auto}
.tl-early-phone{left:0;right:0;top:auto;bottom:0;max-height:45vh;border-radius:.8rem .8rem 0 0;
  box-shadow:0 -6px 18px rgba(0,0,0,.25)}
.tl-early-head{font-weight:600;margin:0 0 1rem}
.tl-early-button{box-sizing:border-box;display:flex;align-items:center;justify-content:center;width:100%;
  min-height:2.5rem;margin:0 0 1rem;border-radius:.5rem;border:1px solid rgba(49,51,63,.2)}
.tl-early-note{font-size:.875rem;opacity:.6;margin:0 0 1rem}
.tl-early-card{border:1px solid rgba(49,51,63,.2);border-radius:.5rem;padding:calc(1em - 1px);margin:0 0 1rem}
"""
"""The panel's look (`ui/cards.PANEL_CSS`) and a bordered container's, as Streamlit draws them."""

_CARDS = st.components.v2.component(
    "timeline.early_cards",
    html=HTML,
    css=CSS,
    js=Path(__file__).with_name("early_cards.js").read_text(encoding="utf-8"),
    isolate_styles=False,  # the cards' classes are styled by the page (`timeline.cards.CARD_CSS`)
)


def packed(cards: Mapping[str, str]) -> str:
    """`cards` as the page gets them: JSON, deflated (zlib), in base64. Cards repeat their
    markup and labels, so packed they are a fraction of their JSON (docs/performance.md);
    the browser unpacks them once per view."""
    return base64.b64encode(zlib.compress(json.dumps(dict(cards)).encode(), 6)).decode("ascii")


def early_cards(cards: str, *, max_cards: int, panel: bool) -> None:
    """Mount the page's early cards: `cards` (`packed`: event_id -> `card_html`) of the events
    drawn one by one; `panel`: whether the page keeps a selection panel for them to stand in for."""
    _CARDS(key=KEY, data={"cards": cards, "max_cards": max_cards, "panel": panel})
