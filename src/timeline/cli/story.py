"""`timeline validate-story`: check a story file against its rules and the data.

    timeline validate-story seed-article          # a story under data/stories/
    timeline validate-story path/to/draft.toml    # or any file

One line per problem (file, step, field), exit 1 on any; a good story prints its steps.
"""

from __future__ import annotations

from typing import Annotated

import typer

from timeline.cli.kit import DataOption, fail
from timeline.storage import paths


def validate_story(
    story: Annotated[str, typer.Argument(help="A story's name (data/stories/NAME.toml) or a .toml file.")],
    data: DataOption = paths.DEFAULT_PATH,
) -> None:
    """Check a story: its fields, each step's view, and its highlighted events in the data."""
    from timeline import stories  # when it runs: stories reads views, which need Ibis
    from timeline.engine import EngineError, open_engine
    from timeline.storage import store

    try:
        engine = open_engine(data)
        checked = stories.load_checked(story, engine)
    except stories.StoryError as err:
        fail([*err.problems, f"{len(err.problems)} problem(s) in the story"])
    except (store.DatasetError, EngineError) as err:
        fail(str(err))
    for step in checked.steps:
        n = engine.match(step.view).count
        typer.echo(
            f"step {step.number}: {step.title} ({n} events, {len(step.highlight)} highlighted, {step.chart})"
        )
    typer.echo(f"{checked.path}: {len(checked.steps)} steps, no problems")
