"""The timeline's chart component (ui/components/plotly_chart.py): what it sends the browser
for a figure and a selection, and where the page loads plotly.js from."""

from __future__ import annotations

import json
from pathlib import Path

import plotly

from timeline.figures import timeline_figure
from timeline.figures.highlight import fade_timeline
from timeline.ui.components import plotly_chart as chart
from timeline.view import View

from conftest import frame, make_row, run_app


def test_a_selection_changes_what_is_faded_not_the_figure_sent(curated_engine):
    v = View()
    fig, info = timeline_figure(curated_engine.timeline(v, curated_engine.match(v)))
    plain = chart.payload(fig, (), info.key_events, {})
    chosen = ["2024-11-21-ru-oreshnik-strike-dnipro"]
    picked = chart.payload(fig, chosen, info.key_events, {})
    # same figure, same revision: the browser keeps the chart it drew and only fades it
    assert picked["figure"] == plain["figure"] and picked["revision"] == plain["revision"]
    assert picked["selected"] == chosen and plain["selected"] == []
    assert picked["key_events"] == list(info.key_events)
    # the figure sent is the one built without a selection: the page fades it
    sent = json.loads(picked["figure"])
    assert sent == json.loads(fig.to_json())
    assert json.loads(fade_timeline(fig, chosen, info.key_events).to_json()) != sent


def test_another_figure_has_another_revision(curated_engine):
    v = View()
    match = curated_engine.match(v)
    by_type, _ = timeline_figure(curated_engine.timeline(v, match))
    by_country, _ = timeline_figure(curated_engine.timeline(v, match), lanes="country")
    assert chart.payload(by_type, (), (), {})["revision"] != chart.payload(by_country, (), (), {})["revision"]


def test_event_text_reaches_the_page_only_inside_the_plotly_json(monkeypatch, tmp_path: Path):
    """The component's own HTML is constant; a hostile title travels only in the figure's JSON,
    escaped for plotly by the figures package, never in markup the component writes."""
    from timeline.storage import store

    hostile = '<img src=x onerror=alert(1)> <a href="javascript:alert(2)">x</a>'
    path = tmp_path / "events.parquet"
    store.append(path, frame(make_row(title=hostile)))
    at = run_app(monkeypatch, data=path)
    sent = json.loads(at.get("bidi_component")[0].proto.json)
    assert "onerror" in sent["figure"]  # the title is there, as text
    assert "<img" not in sent["figure"] and "<a href" not in sent["figure"]
    assert "onerror" not in json.dumps({k: v for k, v in sent.items() if k != "figure"})
    assert at.get("bidi_component")[0].proto.html_content == chart.HTML


def test_plotly_js_is_the_installed_packages_own_copy():
    url = chart.plotly_url()
    assert url.startswith("/component/") and url.endswith("/plotly.min.js")
    served = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert served.is_file()
    assert chart.payload(_figure(), (), (), {"displaylogo": False})["config"] == {
        "displaylogo": False,
        "responsive": True,
    }


def _figure():
    import plotly.graph_objects as go

    return go.Figure(go.Scatter(x=[1, 2], y=[1, 2]))


def test_the_counts_chart_and_the_map_are_sent_unfaded_with_what_their_fade_needs(
    monkeypatch, curated_engine
):
    """The counts chart and the map are the same component: each gets its figure as built
    (the selection is faded in the page), the selection, and for the counts chart each drawn
    event's bin, so a pick on another chart fades its bars without asking Python."""
    from timeline.domain.schema import Col
    from timeline.ui import state

    at = run_app(monkeypatch, type=["drone_attack", "missile_strike"], **{"from": "2024-11-01"})
    before = [json.loads(c.proto.json) for c in at.get("bidi_component") if '"figure"' in c.proto.json]
    chosen = "2024-11-21-ru-oreshnik-strike-dnipro"
    at.session_state[state.EVENT] = [chosen]
    at.run()
    sent = [json.loads(c.proto.json) for c in at.get("bidi_component") if '"figure"' in c.proto.json]
    assert [d["kind"] for d in sent] == ["timeline", "counts", "map"]
    assert [d["revision"] for d in sent] == [d["revision"] for d in before], "no figure sent anew"
    _timeline, counts, map_ = sent
    assert counts["selected"] == map_["selected"] == [chosen]
    assert not counts["pickable"] and map_["pickable"]  # the counts chart's bars are no events
    first_day = curated_engine.by_ids([chosen]).iloc[0][Col.DATE_START]
    assert counts["bins"][chosen] == first_day.value / 1_000_000  # its day's midnight, ms since 1970
    faded = chart.as_drawn(counts)  # the fade the page applies, in Python
    opacity = [
        o for t in faded["data"] if "opacity" in t.get("marker", {}) for o in _values(t["marker"]["opacity"])
    ]
    assert 1.0 in opacity and min(opacity) < 0.3


def _values(value: object) -> list:
    """A figure array as plotly writes it: a list, or typed bytes in base64."""
    import base64

    import numpy as np

    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()
    return list(value) if isinstance(value, list) else [value]
