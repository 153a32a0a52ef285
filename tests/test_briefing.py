from datetime import date

import pandas as pd

from timeline import briefing, figures, store
from timeline.filters import Filters

from conftest import CURATED


def test_title_from_filters_matches_the_issue_example():
    f = Filters(
        types=("drone_attack", "missile_strike"),
        countries=("UKR",),
        start=date(2024, 11, 1),
        end=date(2024, 11, 30),
    )
    assert briefing.default_title(f, date(2024, 10, 1), date(2024, 12, 27)) == (
        "Drone attacks and missile strikes involving Ukraine, 1–30 Nov 2024"
    )


def test_title_without_filters_uses_the_data_range_and_group_names():
    assert (
        briefing.default_title(Filters(), date(2024, 10, 1), date(2024, 12, 27))
        == "Conflict events, 1 Oct – 27 Dec 2024"
    )
    diplomacy = ("meeting", "call", "visit", "agreement")
    assert briefing.subject(diplomacy) == "Diplomacy"
    assert briefing.subject(("press_conference",)) == "Press conferences"
    assert briefing.subject(("policy_decision", "other")) == "Policy decisions and others"


def test_subtitle_lists_the_other_filters():
    f = Filters(actors=("Ukrainian Air Force",), text="Shahed", confidence=("confirmed",), min_count=100)
    assert briefing.default_subtitle(f, 37) == (
        '37 events · actors: Ukrainian Air Force · matching "Shahed" · confidence: confirmed · count ≥ 100'
    )


def test_footer_names_sources_and_as_of_date():
    events = store.load(CURATED)
    text = briefing.footer(events, date(2024, 12, 27))
    top = events["source_outlet"].value_counts().index[0]
    assert text.startswith(f"Sources: {top}, ")
    assert "others · Data as of 27 Dec 2024 · conflict-timeline" in text


def test_style_sets_size_fonts_and_texts_without_touching_the_original():
    fig, _ = figures.timeline_figure(store.load(CURATED))
    size = briefing.SIZES["slide-4x3"]
    styled = briefing.style(fig, title="T <b>", subtitle="S", footer_text="Sources: X", size=size)
    assert (styled.layout.width, styled.layout.height) == (1600, 1200)
    assert styled.layout.title.text == "<b>T &lt;b&gt;</b>" and styled.layout.title.subtitle.text == "S"
    assert styled.layout.font.size >= 16  # readable when projected
    assert styled.layout.xaxis.rangeselector.visible is False
    assert any(a.text == "Sources: X" for a in styled.layout.annotations)
    assert fig.layout.width is None  # the dashboard's figure is unchanged


def test_size_presets():
    assert {k: s.pixels for k, s in briefing.SIZES.items()} == {
        "slide-16x9": (1920, 1080),
        "slide-4x3": (1600, 1200),
        "a4-landscape": (2246, 1588),
        "square": (1080, 1080),
    }
    a4 = briefing.SIZES["a4-landscape"]
    assert round(a4.width / 96 * 25.4) == 297 and round(a4.height / 96 * 25.4) == 210  # PDF page in mm


def test_markers_and_labels_grow_for_slides():
    fig, _ = figures.timeline_figure(store.load(CURATED))
    styled = briefing.style(fig, title="t", subtitle="s", footer_text="f", size=briefing.SIZES["slide-16x9"])
    before = max(max(t.marker.size) for t in fig.data if t.type == "scatter" and t.mode == "markers+text")
    after = max(max(t.marker.size) for t in styled.data if t.type == "scatter" and t.mode == "markers+text")
    assert after > before
    assert pd.notna(after)
