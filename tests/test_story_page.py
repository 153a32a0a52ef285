"""The story mode of the page through AppTest: a story link sets the view and shows the caption
as inert text, Next and Previous move and rewrite the link, leaving keeps the view, and bad
links warn instead of failing."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from timeline import stories
from timeline.ui import state

from conftest import ROOT, run_app, shown_charts

SEED = ROOT / "data" / "stories" / "seed-article.toml"


@pytest.fixture(scope="module")
def seed(curated_engine) -> stories.Story:
    return stories.load_checked(SEED, curated_engine)


def panel(at: AppTest) -> str:
    return " ".join(h.proto.body for h in at.get("html") if "tl-story" in h.proto.body)


def link(at: AppTest) -> dict[str, list[str]]:
    values = {k: at.query_params[k] for k in at.query_params}
    return {k: v if isinstance(v, list) else [v] for k, v in values.items()}


def button(at: AppTest, key: str):
    return next(b for b in at.button if b.key == key)


def counter(at: AppTest) -> str:
    return next(m.value for m in at.markdown if " events** · data as of" in m.value)


def test_a_step_link_sets_the_view_and_shows_its_caption(monkeypatch, seed):
    step = seed.steps[5]
    at = run_app(monkeypatch, story="seed-article", step=str(step.number))
    assert f"step {step.number} of {len(seed.steps)}" in panel(at)
    assert step.title.replace("'", "&#x27;") in panel(at)
    assert at.session_state[state.key("type_military")] == ["drone_attack"]
    assert counter(at).startswith("**2 of 90 events**")
    assert link(at) == {"story": ["seed-article"], "step": [str(step.number)]}
    assert not at.warning


def test_next_and_previous_move_through_the_story_and_the_link_follows(monkeypatch, seed):
    at = run_app(monkeypatch, story="seed-article")
    assert button(at, "story-previous").disabled
    button(at, "story-next").click().run()
    assert link(at)["step"] == ["2"]
    assert seed.steps[1].title in panel(at)
    assert at.session_state[state.key("type_statements")] == ["statement"]
    button(at, "story-previous").click().run()
    assert link(at)["step"] == ["1"] and counter(at).startswith("**6 of 90 events**")


def test_explore_from_here_keeps_the_view_and_drops_the_story(monkeypatch, seed):
    step = seed.steps[2]
    at = run_app(monkeypatch, story="seed-article", step=str(step.number))
    button(at, "story-exit").click().run()
    assert panel(at) == ""
    assert link(at) == step.params
    assert counter(at).startswith("**2 of 90 events**")


def test_captions_and_titles_are_text_never_html_or_markdown(monkeypatch, tmp_path: Path):
    folder = tmp_path / "stories"
    folder.mkdir()
    (folder / "hostile.toml").write_text(
        'title = "<b>T</b>"\nauthor = "A"\n[[steps]]\ntitle = "<img src=x onerror=alert(1)>"\n'
        'caption = "<script>alert(1)</script> **bold** [link](javascript:x)"\nview = { type = "meeting" }\n',
        encoding="utf-8",
    )
    monkeypatch.setenv(stories.ENV_VAR, str(folder))
    at = run_app(monkeypatch, story="hostile")
    html = panel(at)
    assert "&lt;script&gt;alert(1)&lt;/script&gt; **bold** [link](javascript:x)" in html
    assert "<script>" not in html and "<img" not in html and 'href="javascript' not in html
    assert all(not getattr(m.proto, "allow_html", False) for m in at.markdown)


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"story": "no-such-story"}, "no story 'no-such-story'"),
        ({"story": "seed-article", "step": "99"}, "step=99: the story has 8 steps; step 8 is shown"),
        ({"story": "seed-article", "step": "zero"}, "is not a step number"),
        ({"story": "Bad Name!"}, "is not a story name"),
    ],
)
def test_bad_story_links_warn_and_the_page_still_works(monkeypatch, params, message):
    at = run_app(monkeypatch, **params)
    shown = [w.value.replace("\\", "") for w in at.warning]  # markdown escapes removed
    assert any(message in w for w in shown), shown
    assert shown_charts(at)


def test_a_highlighted_events_card_opens_without_leaving_the_story(monkeypatch, seed):
    step = seed.steps[6]
    at = run_app(monkeypatch, story="seed-article", step=str(step.number))
    button(at, "story-card-2024-11-27-umerov-yoon-meeting").click().run()
    assert link(at) == {"story": ["seed-article"], "step": ["7"], "event": ["2024-11-27-umerov-yoon-meeting"]}
    assert step.title.replace("'", "&#x27;") in panel(at)
    assert "2 · 27 Nov 2024" in panel(at)  # the card buttons' numbers match the list
