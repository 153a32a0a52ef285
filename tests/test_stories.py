"""Stories: the bundled story of the seed article against the data, its links, and the
errors a maintainer gets for a bad story file."""

import re
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from timeline import stories, view
from timeline.cli.main import app
from timeline.domain.schema import Col

from conftest import CURATED, ROOT

STORY = ROOT / "data" / "stories" / "seed-article.toml"
runner = CliRunner()


@pytest.fixture(scope="module")
def seed(curated_engine) -> stories.Story:
    return stories.load(STORY, curated_engine.known())


def in_view(engine, step: stories.Step) -> pd.DataFrame:
    return engine.events(step.view, limit=10_000)


def test_the_seed_article_story_runs_from_the_atacms_decision_to_the_seoul_meeting(seed, curated_engine):
    assert 7 <= len(seed.steps) <= 10
    assert seed.title and seed.author
    first, last = seed.steps[0], seed.steps[-1]
    assert "2024-11-17-us-authorizes-atacms-inside-russia" in first.highlight
    assert any("2024-11-27-umerov-yoon-meeting" in s.highlight for s in seed.steps[-2:])
    assert {s.chart for s in seed.steps} == {"timeline", "counts", "map"}
    assert stories.names(STORY.parent) == ["seed-article"]
    assert last.number == len(seed.steps)


def test_every_highlighted_event_exists_and_is_in_its_steps_view(seed, curated_engine):
    everything = set(curated_engine.events(view.View(), limit=10_000)[Col.EVENT_ID])
    for step in seed.steps:
        shown = set(in_view(curated_engine, step)[Col.EVENT_ID])
        assert step.highlight, f"step {step.number} highlights nothing"
        for event_id in step.highlight:
            assert event_id in everything, (step.number, event_id)
            assert event_id in shown, (step.number, event_id)
    assert stories.check(seed, curated_engine) == []


def test_every_number_in_a_caption_comes_from_its_steps_events(seed, curated_engine):
    """Counts, intercepts, days of the month, the number of events, or a figure the events'
    own titles and summaries give: nothing typed in from elsewhere."""
    for step in seed.steps:
        events = curated_engine.by_ids(list(in_view(curated_engine, step)[Col.EVENT_ID]))
        allowed = {len(events)}
        for col in (Col.COUNT, Col.INTERCEPTED):
            allowed |= {int(x) for x in events[col].dropna()}
        for col in (Col.DATE_START, Col.DATE_END):
            allowed |= {d.day for d in events[col]}
        for text in list(events[Col.TITLE]) + list(events[Col.SUMMARY].dropna()):
            allowed |= {int(n.replace(",", "")) for n in re.findall(r"\b\d[\d,]*\b", text)}
        said = {int(n.replace(",", "")) for n in re.findall(r"\b\d[\d,]*\b", step.caption)}
        assert said <= allowed, (step.number, sorted(said - allowed))
        months = set(re.findall(r"\b\d{1,2} (November|October|December)", step.caption))
        assert months <= {"November"}, step.number  # the story stays in its eleven days


def test_a_step_is_a_link_and_its_view_round_trips(seed, curated_engine):
    known = curated_engine.known()
    for step in seed.steps:
        link = seed.link(step.number)
        assert link == {"story": ["seed-article"], "step": [str(step.number)]}
        parsed, warnings = view.parse(link, known)
        assert warnings == [] and (parsed.story, parsed.step) == ("seed-article", step.number)
        assert view.to_params(parsed) == link
        again, warnings = view.parse(view.to_params(step.view), known)
        assert warnings == [] and again == step.view
    assert seed.step(99) == seed.steps[-1] and seed.step(0) == seed.steps[0]


def write(tmp_path: Path, text: str, name: str = "draft") -> Path:
    path = tmp_path / f"{name}.toml"
    path.write_text(text, encoding="utf-8")
    return path


GOOD_STEP = """
[[steps]]
title = "The record night"
caption = "188 drones."
view = { type = "drone_attack", from = "2024-11-25", to = "2024-11-26" }
highlight = ["2024-11-25-ru-drone-attack-ua"]
"""
HEAD = 'title = "T"\nauthor = "A"\n'


@pytest.mark.parametrize(
    ("step", "field", "message"),
    [
        ('view = { type = "drone_strike" }', "step 2: view.type", "'drone_strike' is not a known event type"),
        ('view = { from = "yesterday" }', "step 2: view.from", "'yesterday' is not a date"),
        ('view = { colour = "red" }', "step 2: view.colour", "not a view parameter"),
        ('view = { event = "x" }', "step 2: view.event", "not a view parameter"),
        ('view = { from = "2024-12-01", to = "2024-11-01" }', "step 2: view.from", "is after to=2024-11-01"),
        ('view = { actor = "Nobody Known" }', "step 2: view.actor", "'Nobody Known' is not an actor"),
        ("view = { min_count = true }", "step 2: view.min_count", "a string, a whole number"),
        ('view = {}\nchart = "pie"', "step 2: chart", "'pie' is not one of timeline, counts, map"),
        ("view = {}\nmap_extent = [10, 50, 5, 60]", "step 2: map_extent", "west 10 and east 5"),
        ("view = {}\nmap_extent = [1, 2, 3]", "step 2: map_extent", "[west, south, east, north]"),
        ('view = {}\nhighlight = "x"', "step 2: highlight", "a list of event_ids"),
        ('view = {}\nnotes = "x"', "step 2: notes", "unknown field"),
        ("", "step 2: view", "missing"),
    ],
)
def test_a_bad_step_names_the_file_the_step_and_the_field(tmp_path, curated_engine, step, field, message):
    path = write(tmp_path, HEAD + GOOD_STEP + f'\n[[steps]]\ntitle = "Bad"\ncaption = "C"\n{step}\n')
    with pytest.raises(stories.StoryError) as caught:
        stories.load(path, curated_engine.known())
    (problem,) = caught.value.problems
    assert problem.startswith(f"{path}: {field}: "), problem
    assert message in problem, problem


def test_missing_fields_and_every_problem_at_once(tmp_path, curated_engine):
    path = write(tmp_path, 'title = ""\nsteps = [{ view = {} }]\ncolour = 1\n')
    with pytest.raises(stories.StoryError) as caught:
        stories.load(path, curated_engine.known())
    problems = caught.value.problems
    assert f"{path}: colour: unknown field (a story has author, steps, summary, title)" in problems
    assert f"{path}: title: must be a non-empty string" in problems
    assert f"{path}: author: missing" in problems
    assert f"{path}: step 1: title: missing" in problems
    assert f"{path}: step 1: caption: missing" in problems


def test_not_toml_and_not_there(tmp_path):
    path = write(tmp_path, "title = \n")
    with pytest.raises(stories.StoryError, match=r"draft\.toml: not valid TOML"):
        stories.load(path)
    with pytest.raises(stories.StoryError, match=r"no story 'nothing' in .* \(stories there: draft\)"):
        stories.load("nothing", where=tmp_path)
    with pytest.raises(stories.StoryError, match="is not a story name"):
        stories.load("Seed Article!", where=tmp_path)
    with pytest.raises(stories.StoryError, match=r"cannot be read: .*No such file"):
        stories.load("../elsewhere/nothing.toml", where=tmp_path)  # a path is read as a path


def test_highlights_are_checked_against_the_data(tmp_path, curated_engine):
    path = write(
        tmp_path,
        HEAD
        + GOOD_STEP
        + """
[[steps]]
title = "Wrong events"
caption = "C"
view = { type = "meeting", from = "2024-11-27", to = "2024-11-27" }
highlight = ["2024-11-25-ru-drone-attack-ua", "no-such-event", "2024-11-27-umerov-yoon-meeting"]

[[steps]]
title = "Nothing"
caption = "C"
view = { type = "visit", from = "2024-10-01", to = "2024-10-02" }
""",
    )
    story = stories.load(path, curated_engine.known())
    assert stories.check(story, curated_engine) == [
        f"{path}: step 2: highlight: '2024-11-25-ru-drone-attack-ua' is not in the step's view "
        "(type=meeting&from=2024-11-27&to=2024-11-27)",
        f"{path}: step 2: highlight: 'no-such-event' is not in the dataset",
        f"{path}: step 3: view: no events match type=visit&from=2024-10-01&to=2024-10-02",
    ]


def test_validate_story_command(tmp_path):
    result = runner.invoke(app, ["validate-story", "seed-article", "--data", str(CURATED)])
    assert result.exit_code == 0, result.output
    assert (
        "step 1: Washington lets Kyiv fire ATACMS into Russia (6 events, 2 highlighted, timeline)"
        in result.output
    )
    assert result.output.rstrip().endswith("8 steps, no problems")
    bad = write(tmp_path, HEAD + GOOD_STEP.replace("drone_attack", "drone_strike"))
    result = runner.invoke(app, ["validate-story", str(bad), "--data", str(CURATED)])
    assert result.exit_code == 1
    assert f"error: {bad}: step 1: view.type: type='drone_strike' is not a known event type" in result.output
    assert "1 problem(s) in the story" in result.output
