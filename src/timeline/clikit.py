"""Output conventions shared by every `timeline` subcommand: problems on stderr, one per
line, prefixed `error:` or `warning:`, and a non-zero exit on any error.

`Boundary` is the one place where an exception that escapes a command is turned into what
the user reads: an expected failure (`errors.UserError`, an `OSError`: a missing folder, a
permission, a full disk, a lock held too long) becomes one `error:` line naming the path or
value and what to do, exit 1; a bug becomes a short "internal error" line pointing at a
saved report, exit 70. With `--debug` (or TIMELINE_DEBUG=1) the traceback is shown instead.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shlex
import sys
from typing import Any, NoReturn

import typer
from typer.core import TyperGroup

from timeline import errors
from timeline.validation import Problem, ValidationFailed, count, summarise


def fail(lines: list[str] | str, code: int = 1) -> NoReturn:
    for line in [lines] if isinstance(lines, str) else lines:
        typer.echo(f"error: {line}", err=True)
    raise typer.Exit(code)


def fail_unwritten(err: Exception, code: int = 1) -> NoReturn:
    """`fail` with the error's message, saying nothing was written unless it already does."""
    text = str(err)
    fail(text if "nothing was written" in text.lower() else f"{text}; nothing was written", code)


def warn(lines: list[str]) -> None:
    for line in lines:
        typer.echo(f"warning: {line}", err=True)


def report(problems: list[Problem], what: str) -> NoReturn:
    """Every problem (at most 100 per rule, then a count of the rest), then a closing line
    saying how many and what happened (e.g. nothing was written)."""
    fail([*summarise(problems), f"{count(problems):,} problem(s); {what}"])


def _output_closed() -> int:
    """stdout went away (`timeline dump | head`): stop quietly, as other tools do."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 1


def explain(err: Exception, command: str = "") -> int:
    """Say what went wrong (stderr) and return the exit code; `command` goes into a bug report."""
    if isinstance(err, ValidationFailed):
        with contextlib.suppress(typer.Exit):
            report(err.problems, "nothing was written")
        return 1
    if isinstance(err, BrokenPipeError) or (isinstance(err, OSError) and err.errno == errno.EPIPE):
        return _output_closed()
    line = errors.describe(err)
    if line is not None:
        typer.echo(f"error: {line}", err=True)
        return 1
    saved = errors.save_crash_report(err, command)
    where = f"details in {saved}" if saved else "the details could not be saved"
    typer.echo(
        f"error: internal error ({type(err).__name__}), please report it: {where} "
        f"(run again with --debug or {errors.DEBUG_ENV}=1 to see them here)",
        err=True,
    )
    return errors.INTERNAL_ERROR_EXIT


_ARGV = "timeline.argv"


class Boundary(TyperGroup):
    """The `timeline` group, catching what escapes a command (see the module docstring)."""

    def make_context(self, info_name: str | None, args: list[str], *rest: Any, **options: Any) -> Any:
        argv = list(args)  # before parsing consumes them: what was run, for a bug report
        ctx = super().make_context(info_name, args, *rest, **options)
        ctx.meta[_ARGV] = argv
        return ctx

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):  # usage errors, exits: typer's own
            raise
        except Exception as err:
            if ctx.params.get("debug") or errors.debug_requested():
                raise
            raise typer.Exit(explain(err, shlex.join(["timeline", *ctx.meta.get(_ARGV, [])]))) from None
