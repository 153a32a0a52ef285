"""Output conventions shared by every `timeline` subcommand: problems on stderr, one per
line, prefixed `error:` or `warning:`, and a non-zero exit on any error."""

from __future__ import annotations

from typing import NoReturn

import typer

from timeline.validation import Problem


def fail(lines: list[str] | str, code: int = 1) -> NoReturn:
    for line in [lines] if isinstance(lines, str) else lines:
        typer.echo(f"error: {line}", err=True)
    raise typer.Exit(code)


def warn(lines: list[str]) -> None:
    for line in lines:
        typer.echo(f"warning: {line}", err=True)


def report(problems: list[Problem], what: str) -> NoReturn:
    """Every problem, then a closing line saying what happened (e.g. nothing was written)."""
    fail([str(p) for p in problems] + [f"{len(problems)} problem(s); {what}"])
