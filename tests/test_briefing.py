from datetime import date

import pandas as pd

from timeline import briefing, figures

from conftest import view_of


def test_footer_names_sources_and_as_of_date(curated_engine):
    outlets = curated_engine.outlets(view_of())
    text = briefing.footer(outlets, date(2024, 12, 27))
    assert text.startswith(f"Sources: {outlets.index[0]}, ")
    assert f"and {len(outlets) - 4} others · Data as of 27 Dec 2024 · conflict-timeline" in text


def _timeline(engine):
    return figures.timeline_figure(engine.timeline(view_of()))[0]


def test_style_sets_size_fonts_and_texts_without_touching_the_original(curated_engine):
    fig = _timeline(curated_engine)
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


def test_markers_and_labels_grow_for_slides(curated_engine):
    fig = _timeline(curated_engine)
    styled = briefing.style(fig, title="t", subtitle="s", footer_text="f", size=briefing.SIZES["slide-16x9"])
    before = max(max(t.marker.size) for t in fig.data if t.type == "scatter" and t.mode == "markers+text")
    after = max(max(t.marker.size) for t in styled.data if t.type == "scatter" and t.mode == "markers+text")
    assert after > before
    assert pd.notna(after)
