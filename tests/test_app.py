"""The Streamlit page through streamlit.testing.v1.AppTest: widgets, URL, bad parameters."""

import gc
import os
import subprocess
import sys
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from timeline import view
from timeline.domain import taxonomy
from timeline.engine import backend
from timeline.figures.cache import FIGURES
from timeline.storage import store
from timeline.ui import state

from conftest import APP, CURATED, curated_folder, engine_on, frame, make_row, run_app, shown_charts


def cards_html(at: AppTest) -> str:
    """The event cards as rendered: escaped HTML, never markdown."""
    return " ".join(h.proto.body for h in at.get("html") if "tl-title" in h.proto.body)


def counter(at: AppTest) -> str:
    return next(m.value for m in at.markdown if " events** · data as of" in m.value)


def test_opens_on_the_bundled_dataset(monkeypatch: pytest.MonkeyPatch):
    at = run_app(monkeypatch)
    summary = engine_on(CURATED).summary
    assert counter(at).startswith(f"**{summary.rows} of {summary.rows} events**")
    # the title says what the data covers: its main countries, months and size (never what matches)
    assert (
        at.title[0].value
        == "Russia, Ukraine, North Korea, South Korea · Oct–Dec 2024 · 90 events in the data"
    )
    assert len(shown_charts(at)) == 3  # timeline, counts, map
    assert not at.warning


def test_after_the_first_run_a_collection_walks_only_what_later_runs_made(
    monkeypatch: pytest.MonkeyPatch,
):
    """Streamlit collects garbage after every run; what importing the libraries made is
    frozen after the server's first run (app.py), so each click's collection is small."""
    at = run_app(monkeypatch)
    at.run()
    frozen, walked = gc.get_freeze_count(), len(gc.get_objects())
    print(f"frozen {frozen}, walked {walked}")
    assert frozen > walked  # most of the process is out of the collector's reach
    assert not at.exception


def test_a_later_run_does_not_walk_what_was_frozen(monkeypatch: pytest.MonkeyPatch):
    """Counting the frozen objects walks all of them (20-30 ms a call in the server): after
    the first run the page neither counts nor freezes them again, on every click."""
    at = run_app(monkeypatch)
    walks = []
    monkeypatch.setattr(gc, "get_freeze_count", lambda: walks.append(1) or 1)
    monkeypatch.setattr(gc, "freeze", lambda: walks.append(2))
    at.run()
    assert walks == [] and not at.exception


NOT_BEFORE_THE_FIRST_CHART = (
    "sqlglot.dialects.bigquery",
    "sqlglot.dialects.snowflake",
    "ibis.backends.sql.compilers.postgres",
    "filelock",
    "timeline.matching.project",
    "timeline.importers.pipeline",
    "timeline.ui.editor.page",
    "pandera",
    "kaleido",
    "pptx",
    "openpyxl",
    "pyspark",
)
"""What the dashboard's first run does not need and once imported (Ibis's other SQL compilers
and their dialects, the writers' lock, the matching to find the incidents' file) or could
(the importers, the editor, the exports' libraries): each costs the first chart after
`streamlit run` from a few hundredths to tenths of a CPU second (docs/performance.md)."""


def test_the_first_run_imports_only_what_the_dashboard_draws():
    """In a fresh process, as a new server's first session: the page is drawn whole, and none
    of `NOT_BEFORE_THE_FIRST_CHART` was imported for it."""
    code = (
        "import sys\nfrom streamlit.testing.v1 import AppTest\n"
        f"at = AppTest.from_file({APP!r}, default_timeout=120).run()\n"
        "print(sum('\"figure\"' in c.proto.json for c in at.get('bidi_component')), not at.exception)\n"
        f"print(' '.join(m for m in {NOT_BEFORE_THE_FIRST_CHART!r} if m in sys.modules))"
    )
    env = {**os.environ, store.ENV_VAR: str(CURATED)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    charts, loaded = done.stdout.splitlines()[-2:]
    assert charts == "3 True"  # timeline, counts chart and map, no error
    assert loaded == ""


def test_url_parameters_set_the_widgets(monkeypatch: pytest.MonkeyPatch):
    at = run_app(monkeypatch, type="drone_attack", **{"from": "2024-11-01", "to": "2024-11-30"})
    assert counter(at).startswith("**3 of 90 events**")
    assert at.session_state[state.group_key(view.filter_named("type"), "military")] == ["drone_attack"]
    assert tuple(str(d) for d in at.session_state[state.key("dates")]) == ("2024-11-01", "2024-11-30")


def test_widget_change_updates_the_url(monkeypatch: pytest.MonkeyPatch):
    at = run_app(monkeypatch)
    at.text_input(key=state.key("q")).input("Umerov").run()
    assert counter(at).startswith("**6 of 90 events**")
    assert at.query_params["q"] in ("Umerov", ["Umerov"])
    at.segmented_control(key=state.key("lanes")).set_value("country").run()
    assert at.query_params["lanes"] in ("country", ["country"])


def test_every_view_widget_is_resent_on_each_run(monkeypatch: pytest.MonkeyPatch):
    """A widget missing from view_keys() could show an empty value over a filtered page."""
    at = run_app(monkeypatch, q="Kyiv", lanes="country")
    seeded = {key for key in at.session_state if key.startswith("view_")}
    assert seeded - {state.EVENT} == set(state.view_keys())


@pytest.mark.parametrize(
    "params",
    [
        {"type": "drone_strike"},
        {"from": "2024-31-12"},
        {"from": "2024-12-01", "to": "2024-11-01"},
        {"min_count": "-1"},
        {"lanes": "sideways", "event": "nope"},
        {"country": ["UKR", "Narnia"], "confidence": "maybe"},
    ],
)
def test_bad_parameters_warn_and_render_the_rest(monkeypatch: pytest.MonkeyPatch, params):
    at = run_app(monkeypatch, q="Kyiv", **params)
    assert at.warning, "a bad value must be named in a warning"
    assert len(at.warning) == 1 and "Part of the link was ignored" in at.warning[0].value
    assert counter(at).startswith("**")  # the page rendered
    assert at.session_state[state.key("q")] == "Kyiv"  # the good parameter still applies


def test_event_parameter_opens_its_card(monkeypatch: pytest.MonkeyPatch):
    at = run_app(monkeypatch, event="2024-11-25-ru-drone-attack-ua")
    assert any("Selected: 1 event" in m.value for m in at.markdown)
    card = cards_html(at)
    assert "188 drones launched, 76 intercepted" in card
    assert 'href="https://koreadailyus.com/' in card


def test_no_results_explains_which_filter_to_loosen(monkeypatch: pytest.MonkeyPatch):
    at = run_app(monkeypatch, type="visit", country="UKR")
    assert counter(at).startswith("**0 of 90 events**")
    assert "without the **countries** filter: 1 events" in at.info[0].value
    assert not shown_charts(at)


def test_appended_rows_appear_on_the_next_rerun(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    data = tmp_path / "events.parquet"
    data.write_bytes(CURATED.read_bytes())
    at = run_app(monkeypatch, data=data)
    assert counter(at).startswith("**90 of 90")
    store.append(data, frame(make_row(event_id="appended-while-running", actors=["Someone New"])))
    at.run()
    assert counter(at).startswith("**91 of 91")


def test_a_folder_of_parts_is_shown_and_a_logged_retraction_leaves_it_on_the_next_rerun(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    from timeline import service
    from timeline.storage import history

    folder = curated_folder(tmp_path / "events")
    rows = engine_on(CURATED).summary.rows
    at = run_app(monkeypatch, data=folder)
    assert counter(at).startswith(f"**{rows} of {rows} events**") and not at.warning
    event = "2024-11-25-ru-drone-attack-ua"
    values = service.current(folder, event)
    service.retract(folder, event, history.version(values), history.cli_user(), "a duplicate")
    at.run()
    assert counter(at).startswith(f"**{rows - 1} of {rows - 1} events**")
    empty = tmp_path / "not-a-dataset"
    empty.mkdir()
    at = run_app(monkeypatch, data=empty)
    assert "Cannot read the dataset" in at.error[0].value and "timeline validate" in at.error[0].value


def test_unreadable_dataset_is_an_error_message_not_a_traceback(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    bad = tmp_path / "events.parquet"
    bad.write_text("not parquet")
    at = run_app(monkeypatch, data=bad)
    assert "Cannot read the dataset" in at.error[0].value


def test_event_text_is_never_rendered_as_html(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    data = tmp_path / "events.parquet"
    store.append(
        data, frame(make_row(title="<script>alert(1)</script> **bold**", summary="[link](javascript:x)"))
    )
    at = run_app(monkeypatch, data=data, event="2024-11-25-ru-drone-attack-test")
    card = cards_html(at)
    assert "<script>" not in card and "&lt;script&gt;alert(1)&lt;/script&gt; **bold**" in card
    assert "[link](javascript:x)" in card and 'href="javascript' not in card  # shown as text, no link
    assert all(not getattr(m.proto, "allow_html", False) for m in at.markdown)


def test_export_panel_offers_every_format(monkeypatch: pytest.MonkeyPatch):
    at = run_app(monkeypatch, type="drone_attack", **{"from": "2024-11-01", "to": "2024-11-30"})
    assert at.text_input(key="x_title").value == "Drone attacks, 1–30 Nov 2024"
    labels = [b.proto.label for b in at.get("download_button")]
    assert labels == ["PNG", "SVG", "PDF", "HTML", "PowerPoint", "CSV", "Excel", "Parquet"]


def test_title_follows_filters_until_edited(monkeypatch: pytest.MonkeyPatch):
    at = run_app(monkeypatch, type="drone_attack")
    at.text_input(key=state.key("q")).input("Kyiv").run()
    assert at.text_input(key="x_title").value.startswith("Drone attacks")
    at.text_input(key="x_title").input("My slide").run()
    at.text_input(key=state.key("q")).input("").run()
    assert at.text_input(key="x_title").value == "My slide"


def test_without_chromium_image_buttons_say_what_to_install(monkeypatch: pytest.MonkeyPatch):
    from timeline.export import images as export_images

    monkeypatch.setattr(export_images, "find_chromium", lambda: None)
    at = run_app(monkeypatch)
    buttons = {b.proto.label: b.proto for b in at.get("download_button")}
    assert buttons["PNG"].disabled and "apt-get install chromium" in buttons["PNG"].help
    assert not buttons["HTML"].disabled and not buttons["CSV"].disabled
    assert any("apt-get install chromium" in i.value for i in at.info)


def test_empty_dataset_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from timeline.domain.schema import empty_frame

    data = tmp_path / "events.parquet"
    store.save(empty_frame(), data, backup=False)
    at = run_app(monkeypatch, data=data, type="drone_attack")
    assert "holds no events yet" in at.info[0].value


def test_counts_from_several_datasets_carry_a_double_counting_note(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
):
    data = tmp_path / "events.parquet"
    data.write_bytes(CURATED.read_bytes())
    store.append(
        data,
        frame(make_row(event_id="af-2024-11-25-1930-shahed", actors=["Air Force"])),
        dataset="missile-attacks",
    )
    at = run_app(monkeypatch, data=data, type="drone_attack")
    note = next(c.value for c in at.caption if "strikes with launch counts" in c.value).replace("\\", "")
    assert "Counts from 2 datasets (curated, missile-attacks) are added together" in note
    at = run_app(monkeypatch, data=data, type="drone_attack", dataset="curated")
    note = next(c.value for c in at.caption if "strikes with launch counts" in c.value).replace("\\", "")
    assert "datasets" not in note


def test_close_cards_closes_the_card_and_clears_the_link(monkeypatch: pytest.MonkeyPatch):
    at = run_app(monkeypatch, event="2024-11-25-ru-drone-attack-ua")
    assert any("Selected: 1 event" in m.value for m in at.markdown)
    next(b for b in at.button if b.label == "Clear selection").click().run()
    assert not any("Selected:" in m.value for m in at.markdown)
    assert "event" not in at.query_params


def test_a_selection_of_several_stays_in_the_link_and_the_panel(monkeypatch: pytest.MonkeyPatch):
    chosen = ["2024-11-25-ru-drone-attack-ua", "2024-11-21-ru-oreshnik-strike-dnipro"]
    at = run_app(monkeypatch, event=chosen)
    assert any("Selected: 2 event(s)" in m.value for m in at.markdown)
    assert "188 drones launched, 76 intercepted" in cards_html(at)
    assert at.query_params["event"] == chosen  # repeated, in the order picked
    at.segmented_control(key=state.key("lanes")).set_value("country").run()  # any later rerun
    assert at.query_params["event"] == chosen, "the selection stays until cleared"
    at.run()  # the lanes switch reran only its chart: the whole page again, with its buttons
    next(b for b in at.button if b.label == "Clear selection").click().run()
    assert "event" not in at.query_params


def test_date_preset_counts_back_from_the_newest_event(monkeypatch: pytest.MonkeyPatch):
    at = run_app(monkeypatch)
    at.segmented_control(key=state.PRESET).set_value("7d").run()
    assert tuple(str(d) for d in at.session_state[state.key("dates")]) == ("2024-12-21", "2024-12-27")
    assert at.query_params["from"] in ("2024-12-21", ["2024-12-21"])
    assert counter(at).startswith("**6 of 90 events**")  # 22-23, 23 (two), 25, 26-27 and 27 Dec


def test_an_open_card_keeps_its_event_bright_on_the_map_and_counts(monkeypatch: pytest.MonkeyPatch):

    chosen = "2024-11-21-ru-oreshnik-strike-dnipro"
    at = run_app(monkeypatch, event=chosen, type="drone_attack,missile_strike", **{"from": "2024-11-01"})
    _timeline, counts, map_ = shown_charts(at)
    marks = {}  # event id -> opacity of its map marker
    for trace in map_["data"]:
        opacity = trace.get("marker", {}).get("opacity")
        if opacity is not None and not isinstance(opacity, float) and trace.get("customdata"):
            rows = zip(trace["customdata"], array(opacity), strict=True)
            marks.update({row[0]: o for row, o in rows})
    assert marks[chosen] > 0.9 and len(marks) > 1
    assert all(o < 0.5 for event, o in marks.items() if event != chosen)
    bright = [
        x
        for t in counts["data"]
        if t["type"] == "bar" and not isinstance(t["marker"].get("opacity", 1.0), float)
        for x, o in zip(array(t["x"]), array(t["marker"]["opacity"]), strict=True)
        if o == 1.0
    ]
    assert bright and {day(x) for x in bright} == {"2024-11-21"}


def day(x: object) -> str:
    """A date axis value (milliseconds or an ISO string) as YYYY-MM-DD."""
    import pandas as pd

    return str(pd.Timestamp(x, unit="ms").date() if isinstance(x, float | int) else x)[:10]


def array(value: object) -> list:
    """A figure array as plotly writes it: a list, or typed bytes in base64."""
    import base64

    import numpy as np

    if isinstance(value, dict):
        return np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"]).tolist()
    return list(value)


@pytest.mark.parametrize(("option", "value"), [("lanes", "country"), ("per", "week"), ("strikes", "drones")])
def test_a_chart_option_asks_the_engine_one_question_at_most(monkeypatch: pytest.MonkeyPatch, option, value):
    """A chart option reads the view's kept matches once, for its own chart; the match,
    the other charts, the table and the sources are not asked again."""
    at = run_app(monkeypatch, q="drone")  # a filtered view, its matches kept
    duckdb = backend("duckdb")
    before = duckdb.queries
    at.segmented_control(key=state.key(option)).set_value(value).run()
    assert duckdb.queries - before <= 1
    assert at.query_params[option] in (value, [value])
    if option == "lanes":  # and the timeline did change: one lane per country
        lanes = shown_charts(at)[0]["layout"]["yaxis"]["ticktext"]
        assert "Ukraine (UKR)" in lanes and taxonomy.LABELS["drone_attack"] not in lanes


def calls_to(monkeypatch: pytest.MonkeyPatch, *functions: tuple[object, str]) -> list[str]:
    """The names of these (module, function) pairs, in the order they are called from now on."""
    called: list[str] = []
    for module, name in functions:
        original = getattr(module, name)
        monkeypatch.setattr(
            module, name, lambda *a, _f=original, _n=name, **k: (called.append(_n), _f(*a, **k))[1]
        )
    return called


@pytest.mark.parametrize(("option", "value"), [("lanes", "actor"), ("per", "week"), ("strikes", "side")])
def test_a_chart_option_reruns_only_its_chart(monkeypatch: pytest.MonkeyPatch, option, value):
    """A chart option reruns its chart alone (a fragment) and the share link: the table, the
    export panel and the other charts are not drawn again, and the address bar, the share link
    and the downloads follow the option."""
    from timeline.ui import cards, export_panel, page

    # Without the early view, whose whole-dataset figure for a new option is built by the next
    # whole-page run (once per dataset version and options: its own cost, docs/performance.md, flt27)
    monkeypatch.setattr(page, "EARLY_MAX_EVENTS", 0)
    at = run_app(monkeypatch, type="drone_attack")
    drawn = calls_to(monkeypatch, (cards, "render_table"), (export_panel, "render"))
    built = FIGURES.builds
    at.segmented_control(key=state.key(option)).set_value(value).run()
    assert drawn == []  # neither the table nor the export panel ran again
    assert FIGURES.builds - built == 1  # the option's own chart, nothing else
    assert len(shown_charts(at)) == 1  # only that chart was sent again
    assert at.query_params[option] in (value, [value])
    assert at.query_params["type"] in ("drone_attack", ["drone_attack"])
    share = next(c.value for c in at.code if "?" in c.value)
    assert f"{option}={value}" in share and "type=drone_attack" in share
    at.run()  # the next rerun of the whole page keeps the option and builds nothing new
    assert at.session_state[state.key(option)] == value
    assert at.query_params[option] in (value, [value])
    assert FIGURES.builds - built == 1
    assert sorted(drawn) == ["render", "render_table"]  # a whole-page run is seen by the spies


def test_a_selection_rebuilds_no_figure(monkeypatch: pytest.MonkeyPatch):
    """Selecting events fades copies of the kept figures in place: no chart is built again
    (the panel's column is kept from the start, so the timeline keeps its width); picking
    other events then builds nothing, and the faded timeline is the one a build with the
    selection draws (`test_figures`)."""
    at = run_app(monkeypatch, type=["drone_attack", "missile_strike"], **{"from": "2024-11-01"})
    _timeline, counts, map_ = shown_charts(at)
    kept = set(FIGURES.items)
    at.session_state[state.EVENT] = ["2024-11-21-ru-oreshnik-strike-dnipro"]  # what a click sets
    at.run()
    assert set(FIGURES.items) == kept, "the first selection builds nothing either"
    _timeline, faded_counts, faded_map = shown_charts(at)
    assert [t.get("x") for t in faded_counts["data"]] == [t.get("x") for t in counts["data"]]  # same bars
    assert faded_map != map_ and faded_counts != counts  # only the highlight changed
    builds = FIGURES.builds
    chosen = ["2024-11-25-ru-drone-attack-ua", "2024-11-21-ru-oreshnik-strike-dnipro"]
    at.session_state[state.EVENT] = chosen  # another click, the panel open
    at.run()
    assert FIGURES.builds == builds, "a selection builds no figure"
    shown = shown_charts(at)[0]
    bright = [
        array(t["marker"]["opacity"])
        for t in shown["data"]
        if t.get("customdata") and isinstance(t.get("marker", {}).get("opacity"), (list, dict))
    ]
    assert sum(o.count(max(o)) for o in bright) == len(chosen)  # the two picked, the rest faded


def test_a_new_selection_reruns_only_what_shows_it(monkeypatch: pytest.MonkeyPatch):
    """A card opened (here from a phone's list; a click on a chart calls the same callback)
    reruns the panel, the charts' fades, the table and the share link only: the sidebar and
    the export panel are not run again, no figure is built, and the card, the highlight and
    the address bar follow. "Clear selection" does the same the other way."""
    from timeline.ui import export_panel, sidebar, viewport

    monkeypatch.setattr(viewport, "current", lambda: viewport.Viewport(True, 300, True))  # a phone
    at = run_app(monkeypatch, type="drone_attack")
    drawn = calls_to(monkeypatch, (sidebar, "render"), (export_panel, "render"))
    builds = FIGURES.builds
    chosen = "2024-11-25-ru-drone-attack-ua"
    at.button(key=f"open-{chosen}").click().run()
    assert drawn == [], "only the fragments that show the selection ran"
    assert FIGURES.builds == builds
    assert at.query_params["event"] in (chosen, [chosen])
    card = f'<div class="tl-id">{chosen} · '
    assert card in cards_html(at)  # its card (not only its row in the list)
    assert any(m.value == "**Selected: 1 event(s)**" for m in at.markdown)  # in the panel
    _timeline, counts, map_ = shown_charts(at)  # every chart faded to it
    for figure in (counts, map_):
        opacity = [array(t["marker"]["opacity"]) for t in figure["data"] if "opacity" in t.get("marker", {})]
        assert opacity, "the chart shows the highlight"
    at.button(key=next(b.key for b in at.button if b.label == "Clear selection")).click().run()
    assert drawn == []
    assert "event" not in at.query_params
    assert card not in cards_html(at)
    assert not any(m.value.startswith("**Selected:") for m in at.markdown)
    at.run()
    assert sorted(drawn) == ["render", "render"]  # a whole-page run is seen by the spies


def test_the_back_button_brings_the_previous_view_back(monkeypatch: pytest.MonkeyPatch):
    """The browser's back button changes the address, not the widgets: the page follows the
    address whenever it is not what the page last wrote there."""
    at = run_app(monkeypatch, type="drone_attack")
    at.segmented_control(key=state.key("lanes")).set_value("country").run()
    assert at.query_params["lanes"] in ("country", ["country"])
    at.query_params.pop("lanes")  # back: the previous address
    at.run()
    assert at.session_state[state.key("lanes")] == "type"
    assert at.session_state[state.group_key(view.filter_named("type"), "military")] == ["drone_attack"]
    lanes = shown_charts(at)[0]["layout"]["yaxis"]["ticktext"]
    assert taxonomy.LABELS["drone_attack"] in lanes


def test_a_pick_on_a_chart_reruns_the_panel_table_and_link_but_no_chart(monkeypatch: pytest.MonkeyPatch):
    """Every chart fades itself in the browser when events are picked on any of them
    (`plotly_chart.js`), so the pick reruns the card, the table and the share link only; a
    pick elsewhere (a table row, a phone's card) reruns the charts' fades as well."""
    import types

    reran: list[list[str]] = []
    fake = types.SimpleNamespace(session_state={state.PANEL_KEPT: True}, rerun=reran.append)
    monkeypatch.setattr(state, "st", fake)
    state.take_ids(["2024-11-21-ru-oreshnik-strike-dnipro"], picked_on="map_chart")
    assert reran == [[state.PANEL, state.TABLE, state.SHARE]]
    assert fake.session_state[state.EVENT] == ["2024-11-21-ru-oreshnik-strike-dnipro"]
    state.take_ids(["2024-11-25-ru-drone-attack-ua"])
    assert reran[-1] == [state.PANEL, state.TIMELINE, state.COUNTS, state.MAP, state.TABLE, state.SHARE]
