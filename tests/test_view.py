"""The view registry: URL parameters <-> views, titles, and a new filter in one place."""

from dataclasses import replace
from datetime import date

import pytest
from typer.testing import CliRunner

from timeline import view
from timeline.domain.schema import Col
from timeline.view import AnyOf, DateSpan, Role, View

from conftest import CURATED, engine_on


@pytest.fixture(scope="module")
def known(curated_engine):
    return curated_engine.known()


def test_issue_example(known):
    v, warnings = view.parse({"type": ["drone_attack"], "from": ["2024-11-01"], "to": ["2024-11-30"]}, known)
    assert warnings == []
    assert v == View.of(dates=DateSpan(date(2024, 11, 1), date(2024, 11, 30)), type=("drone_attack",))


def test_every_public_parameter_round_trips(known):
    params = {
        "from": ["2024-10-01"],
        "to": ["2024-12-31"],
        "type": ["drone_attack", "missile_strike"],
        "country": ["UKR", "RUS"],
        "actor": ["Ukrainian Air Force"],
        "q": ["Shahed"],
        "confidence": ["confirmed", "reported"],
        "min_count": ["50"],
        "dataset": ["curated"],
        "reports": ["all"],
        "sources": ["2"],
        "only": ["curated"],
        "lanes": ["country"],
        "per": ["week"],
        "strikes": ["drones"],
        "event": ["2024-11-25-ru-drone-attack-ua"],
        "story": ["seed-article"],
        "step": ["3"],
    }
    # incident mode is offered when the dataset's stored incidents are up to date
    known = replace(known, values={**known.values, view.REPORTS_KEY: frozenset({view.INCIDENTS})})
    v, warnings = view.parse(params, known)
    assert warnings == []
    assert view.to_params(v) == params
    assert view.parse(view.to_params(v), known)[0] == v
    assert list(params) == view.url_keys()  # the README's order, from the registry


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"type": ["drone_strike"]}, "type='drone_strike'"),
        ({"from": ["2024-13-01"]}, "from='2024-13-01'"),
        ({"from": ["yesterday"]}, "from='yesterday'"),
        ({"from": ["2024-12-01"], "to": ["2024-11-01"]}, "from=2024-12-01 is after to=2024-11-01"),
        ({"min_count": ["-5"]}, "min_count='-5'"),
        ({"min_count": ["lots"]}, "min_count='lots'"),
        ({"min_count": ["²"]}, "min_count='²'"),  # str.isdigit says yes, int() says no
        ({"min_count": ["9" * 40]}, "min_count='999"),  # beyond a 64-bit count
        ({"country": ["Ukraine"]}, "country='UKRAINE'"),
        ({"confidence": ["sure"]}, "confidence='sure'"),
        ({"lanes": ["weapon"]}, "lanes='weapon'"),
        ({"event": ["no-such-event"]}, "event='no-such-event'"),
        ({"actor": ["Nobody Known"]}, "actor='Nobody Known'"),
        ({"per": ["hour"]}, "per='hour'"),
        ({"strikes": ["<b>x</b>"]}, "strikes='<b>x</b>'"),
    ],
)
def test_bad_values_are_dropped_and_named(known, params, named):
    v, warnings = view.parse({**params, "q": ["Kyiv"]}, known)
    assert len(warnings) == 1 and named in warnings[0]
    assert v.get("q") == "Kyiv"  # the rest of the view still applies
    assert v == view.parse({"q": ["Kyiv"]}, known)[0]


def test_good_values_survive_next_to_bad_ones(known):
    v, warnings = view.parse({"type": ["drone_attack", "nonsense"], "country": ["ukr", "XXX"]}, known)
    assert v.get("type") == ("drone_attack",) and v.get("country") == ("UKR",)
    assert len(warnings) == 2


def test_a_repeated_bad_value_is_one_warning(known):
    v, warnings = view.parse({"type": ["bogus"] * 1000}, known)
    assert warnings == ["type='bogus' is not a known event type; ignored (1,000 times)"]
    assert v == View()


def test_defaults_make_an_empty_query():
    assert view.to_params(View()) == {}


def test_comma_separated_lists_are_accepted(known):
    v, _ = view.parse({"type": ["meeting,call"]}, known)
    assert v.get("type") == ("meeting", "call")


def test_overlong_query_is_shortened(known):
    v, warnings = view.parse({"q": ["x" * 500]}, known)
    assert len(v.get("q")) == 200 and warnings


def test_title_from_filters_matches_the_issue_example():
    v = View.of(type=("drone_attack", "missile_strike"), country=("UKR",),
                dates=DateSpan(date(2024, 11, 1), date(2024, 11, 30)))  # fmt: skip
    assert view.title(v, date(2024, 10, 1), date(2024, 12, 27)) == (
        "Drone attacks and missile strikes involving Ukraine, 1–30 Nov 2024"
    )


def test_title_without_filters_uses_the_data_range_and_group_names():
    assert view.title(View(), date(2024, 10, 1), date(2024, 12, 27)) == "Conflict events, 1 Oct – 27 Dec 2024"
    assert view.subject(("meeting", "call", "visit", "agreement")) == "Diplomacy"
    assert view.subject(("press_conference",)) == "Press conferences"
    assert view.subject(("policy_decision", "other")) == "Policy decisions and others"


def test_details_list_the_filters_a_title_does_not_name():
    v = View.of(actor=("Ukrainian Air Force",), q="Shahed", confidence=("confirmed",), min_count=100)
    assert view.details(v) == [
        "actors: Ukrainian Air Force",
        'matching "Shahed"',
        "confidence: confirmed",
        "count ≥ 100",
    ]


def test_readme_table_is_generated_from_the_registry():
    readme = (CURATED.parent.parent / "README.md").read_text(encoding="utf-8")
    assert view.docs_table() in readme


PRECISION = AnyOf(
    "precision",
    "Date precision",
    "how exactly the source dates the event",
    "precision=week",
    role=Role.QUALIFIER,
    column=Col.DATE_PRECISION,
    choices=("day", "week", "month", "year"),
    what="a date precision",
    normalise=str.lower,
    words=lambda values: "dated to the " + " or ".join(values),
)


def test_a_new_filter_is_one_registry_entry(monkeypatch: pytest.MonkeyPatch, tmp_path):
    """Added to the registry alone, a filter reaches the URL, the query, the title and the CLI."""
    monkeypatch.setattr(view, "FILTERS", (*view.FILTERS, PRECISION))
    engine = engine_on(CURATED)
    v, warnings = view.parse({"precision": ["week"], "type": ["troop_deployment"]}, engine.known())
    assert warnings == [] and v.get("precision") == ("week",)
    assert view.to_params(v) == {"type": ["troop_deployment"], "precision": ["week"]}
    matched = engine.events(v)
    assert len(matched) and set(matched[Col.DATE_PRECISION]) == {"week"}
    assert view.title(v, None, None) == "Troop deployments dated to the week"
    assert "`precision`" in view.docs_table()

    from timeline.cli import main as cli

    app = cli.build_app()
    out = tmp_path / "rows.csv"
    result = CliRunner().invoke(
        app, ["export", "--precision", "week", "--format", "csv", "--data", str(CURATED), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    rows = [line for line in out.read_text().splitlines() if not line.startswith("#")][1:]
    assert len(rows) == engine.count(v.without("type")) > 0
    assert "# filters: precision=week" in out.read_text()


def test_views_are_hashable_and_compare_by_value():
    a = View.of(type=("call",), lanes="actor")
    assert a == replace(View.of(lanes="actor"), values=(("type", ("call",)),))
    assert len({a, View.of(type=("call",), lanes="actor")}) == 1


@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"story": ["../etc/passwd"]}, "story='../etc/passwd' is not a story name"),
        ({"story": ["seed-article"], "step": ["0"]}, "step='0' is not a step number"),
        ({"story": ["seed-article"], "step": ["two"]}, "step='two' is not a step number"),
        ({"step": ["2"]}, "step='2' without a story"),
    ],
)
def test_story_parameters_are_checked(known, params, named):
    v, warnings = view.parse(params, known)
    assert len(warnings) == 1 and named in warnings[0]
    assert v.step in (None, 1)


def test_a_story_link_opens_its_first_step_by_default(known):
    v, warnings = view.parse({"story": ["seed-article"]}, known)
    assert warnings == [] and (v.story, v.step) == ("seed-article", 1)
    assert view.to_params(v) == {"story": ["seed-article"], "step": ["1"]}
