"""Key events (`key_label`): called out on the timeline with a leader line to their mark,
before count labels and clear of every other label and mark."""

import itertools
from pathlib import Path

import pandas as pd
import pytest

from timeline import figures
from timeline.domain.schema import Col
from timeline.figures.timeline_layout import LABEL_FONT, key_label_size, label_box
from timeline.storage import store

from conftest import CURATED, engine_on, frame, make_row, view_of

SEED_KEYS = {
    "2024-10-25-prk-troops-reach-kursk": "North Korean troops reach Kursk",
    "2024-10-29-zelensky-yoon-call": "Zelensky calls Yoon",
    "2024-11-07-yoon-press-conference-weapons": "Yoon: arms not ruled out",
    "2024-11-17-us-authorizes-atacms-inside-russia": "US allows ATACMS into Russia",
    "2024-11-19-ua-atacms-strike-bryansk": "First ATACMS strike in Russia",
    "2024-11-21-ru-oreshnik-strike-dnipro": "New IRBM hits Dnipro",
    "2024-11-25-ru-drone-attack-ua": "Record 188-drone night",
    "2024-11-27-umerov-yoon-meeting": "Umerov meets Yoon in Seoul",
}


def boxes(fig, width: float, font: float = LABEL_FONT):
    """(kind, text, box) of every call-out, count label and mark, in plot pixels."""
    x0, x1 = fig.layout.xaxis.range

    def px(x):
        return (x - x0) / (x1 - x0) * width

    out = []
    for a in fig.layout.annotations:
        if a.name == "key-event":
            lines = [line.removeprefix("<b>").removesuffix("</b>") for line in a.text.split("<br>")]
            w, h = key_label_size(lines, font)
            out.append(("key", a.text, (px(a.x) - w / 2, a.y - h / 2, px(a.x) + w / 2, a.y + h / 2)))
    for t in fig.data:
        if t.type != "scatter" or t.customdata is None or "markers" not in (t.mode or ""):
            continue
        for x, y, d, text, position in zip(t.x, t.y, t.marker.size, t.text, t.textposition, strict=True):
            out.append(("mark", "", (px(x) - d / 2, y - d / 2, px(x) + d / 2, y + d / 2)))
            if text:
                out.append(("count", text, label_box(position, px(x), y, d / 2, text, font)))
    return out


def overlaps(a, b) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def test_the_curated_data_marks_the_seed_articles_key_events():
    rows = store.load(CURATED)
    marked = rows[rows[Col.KEY_LABEL].notna()]
    assert dict(zip(marked[Col.EVENT_ID], marked[Col.KEY_LABEL], strict=True)) == SEED_KEYS


@pytest.mark.parametrize("width", [1000, 1700])
def test_every_key_event_is_called_out_clear_of_labels_and_marks(curated_engine, width: int):
    fig, info = figures.timeline_figure(curated_engine.timeline(view_of()), width=width)
    assert set(info.key_events) == set(SEED_KEYS) and info.keys_dropped == ()
    texts = {a.text for a in fig.layout.annotations if a.name == "key-event"}
    assert {t.replace("<b>", "").replace("</b>", "").replace("<br>", " ") for t in texts} == set(
        SEED_KEYS.values()
    )
    found = boxes(fig, width)
    keys = [b for b in found if b[0] == "key"]
    for (kind_a, text_a, a), (kind_b, text_b, b) in itertools.combinations(found, 2):
        if "key" in (kind_a, kind_b) and kind_a != "mark" and kind_b != "mark":
            assert not overlaps(a, b), (text_a, text_b)
    for _, text, box in keys:  # inside the plot
        assert box[0] >= 0 and box[2] <= width and box[1] >= 0, text


def test_a_leader_line_joins_each_label_to_its_mark(curated_engine):
    v = view_of(curated_engine, type="drone_attack", from_="2024-11-01", to="2024-11-30")
    fig, info = figures.timeline_figure(curated_engine.timeline(v), width=900)
    assert info.key_events == ("2024-11-25-ru-drone-attack-ua",)
    (leader,) = [s for s in fig.layout.shapes if s.name == "key-event-leader"]
    (note,) = [a for a in fig.layout.annotations if a.name == "key-event"]
    night = next(
        t for t in fig.data if t.customdata is not None and t.type == "scatter" and "markers" in t.mode
    )
    row = list(night.customdata[:, 0]).index("2024-11-25-ru-drone-attack-ua")
    assert leader.x0 == leader.x1 == night.x[row]  # straight down (or up) to the mark
    top, bottom = sorted([leader.y0, leader.y1])
    radius = night.marker.size[row] / 2
    _, h = key_label_size([note.text.removeprefix("<b>").removesuffix("</b>")], LABEL_FONT)
    above = bottom == pytest.approx(night.y[row] - radius) and top == pytest.approx(note.y + h / 2)
    below = top == pytest.approx(night.y[row] + radius) and bottom == pytest.approx(note.y - h / 2)
    assert above or below  # from the mark's edge to the label's edge


def test_a_narrow_plot_breaks_a_label_over_two_lines_or_says_it_had_no_room(curated_engine):
    fig, info = figures.timeline_figure(curated_engine.timeline(view_of()), width=250)
    assert set(info.key_events) | set(info.keys_dropped) == set(SEED_KEYS)
    assert all(box[2] - box[0] <= 250 for kind, _, box in boxes(fig, 250) if kind == "key")


def test_a_selection_fades_the_other_call_outs(curated_engine):
    night = "2024-11-25-ru-drone-attack-ua"
    fig, _ = figures.timeline_figure(curated_engine.timeline(view_of()), selected=[night])
    opacity = {a.text: a.opacity for a in fig.layout.annotations if a.name == "key-event"}
    assert opacity.pop("<b>Record 188-drone night</b>") == 1.0
    assert set(opacity.values()) == {0.35}


def test_a_key_label_is_text_not_markup(tmp_path: Path):
    path = tmp_path / "e.parquet"
    store.append(path, frame(make_row(key_label="<img src=x onerror=alert(1)> & co")))
    fig, _ = figures.timeline_figure(engine_on(path).timeline(view_of()), width=800)
    (note,) = [a for a in fig.layout.annotations if a.name == "key-event"]
    assert "<img" not in note.text and "&lt;img src=x onerror=alert(1)&gt; &amp; co" in note.text


def test_slides_scale_marks_and_lanes_before_laying_them_out(curated_engine):
    data = curated_engine.timeline(view_of(curated_engine, type="drone_attack"))
    plain, _ = figures.timeline_figure(data, width=1600, font=18)
    large, _ = figures.timeline_figure(data, width=1600, font=18, scale=1.5)
    assert large.layout.height > plain.layout.height
    sizes = [pd.Series(t.marker.size).max() for f in (plain, large) for t in f.data if t.type == "scatter"
             and t.customdata is not None]  # fmt: skip
    assert max(sizes) == pytest.approx(1.5 * 30)
