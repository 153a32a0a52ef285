"""Output conventions shared by every `timeline` subcommand: problems on stderr, one per
line, prefixed `error:` or `warning:`, and a non-zero exit on any error.

`Boundary` is the one place where an exception that escapes a command is turned into what
the user reads: an expected failure (`errors.UserError`, an `OSError`: a missing folder, a
permission, a full disk, a lock held too long) becomes one `error:` line naming the path or
value and what to do, exit 1; a bug becomes a short "internal error" line pointing at a
saved report, exit 70. With `--debug` (or TIMELINE_DEBUG=1) the traceback is shown instead.

Nothing here imports pandas or the validator at start-up, and `lazy_command` lists a command
whose module is imported only when it runs: `timeline --help` answers before pandas, Ibis,
plotly or Kaleido would have loaded (docs/performance.md, "Command start-up"). `command`
registers every other command so that typer builds it only when it runs, and the commands'
values are converted without pydantic (`flags`).
"""

from __future__ import annotations

import contextlib
import errno
import inspect
import os
import shlex
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from typer.core import TyperCommand, TyperGroup

from timeline.cli import flags
from timeline.domain import errors
from timeline.storage import paths

if TYPE_CHECKING:
    from timeline.domain.validation import Problem


DataOption = Annotated[  # every command's --data: one declaration
    Path,
    typer.Option(
        "--data",
        envvar=paths.ENV_VAR,
        help="Dataset file or folder of parts (default data/events.parquet, or $TIMELINE_DATA).",
    ),
]


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
    from timeline.domain.validation import count, summarise

    fail([*summarise(problems), f"{count(problems):,} problem(s); {what}"])


def _output_closed() -> int:
    """stdout went away (`timeline dump | head`): stop quietly, as other tools do."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    return 1


def explain(err: Exception, command: str = "") -> int:
    """Say what went wrong (stderr) and return the exit code; `command` goes into a bug report."""
    from timeline.domain.validation import ValidationFailed

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


class LazyCommand(TyperCommand):
    """A command that `timeline --help` lists by name and help alone; `load` imports its
    module and builds the real command, when it is the one that runs."""

    loader: Callable[[], Callable[..., Any]]

    def load(self) -> TyperCommand:
        real = typer.Typer(add_completion=False, pretty_exceptions_enable=False, rich_markup_mode=None)
        real.command(self.name)(self.loader())
        return typer.main.get_command(real)


def lazy_command(
    app: typer.Typer, name: str, help: str
) -> Callable[[Callable[[], Callable[..., Any]]], None]:
    """Register `name` in `app` with its `help` (the first paragraph of the real command's, as
    `timeline --help` lists it); the decorated function imports and returns the command's
    function when the command runs."""

    def register(loader: Callable[[], Callable[..., Any]]) -> None:
        cls = type(f"Lazy_{loader.__name__}", (LazyCommand,), {"loader": staticmethod(loader)})
        app.command(name, cls=cls, help=help, add_help_option=False)(_not_loaded)

    return register


def command(app: typer.Typer, name: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """`app.command(name)`, built only when it runs: typer builds every registered command
    (its signature, annotations and each parameter) when the group is made, about 1 ms a
    command on every start (docs/performance.md, "Command start-up"). `timeline --help` lists
    it with its docstring's first paragraph; the function is returned as it is."""

    def register(function: Callable[..., Any]) -> Callable[..., Any]:
        paragraph = inspect.cleandoc(function.__doc__ or "").split("\n\n")[0]
        named = name or function.__name__.replace("_", "-")

        def load() -> Callable[..., Any]:
            return function

        load.__name__ = function.__name__
        lazy_command(app, named, paragraph)(load)
        return function

    return register


def _not_loaded() -> None:
    raise RuntimeError("a lazy command runs only after `Boundary.resolve_command` loads it")


class Boundary(TyperGroup):
    """The `timeline` group, catching what escapes a command (see the module docstring)."""

    def resolve_command(self, ctx: typer.Context, args: list[str]) -> Any:
        name, command, rest = super().resolve_command(ctx, args)
        if isinstance(command, LazyCommand):
            command = command.load()
        if command is not None:  # its values converted without pydantic (cli/flags.py)
            flags.plain(command, ctx)
        return name, command, rest

    def make_context(self, info_name: str | None, args: list[str], *rest: Any, **options: Any) -> Any:
        argv = list(args)  # before parsing consumes them: what was run, for a bug report
        ctx = super().make_context(info_name, args, *rest, **options)
        ctx.meta[_ARGV] = argv
        return ctx

    def parse_args(self, ctx: typer.Context, args: list[str]) -> list[str]:
        flags.plain(self, ctx)  # --debug and --help, without pydantic (cli/flags.py)
        return super().parse_args(ctx, args)

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):  # usage errors, exits: typer's own
            raise
        except Exception as err:
            if ctx.params.get("debug") or errors.debug_requested():
                raise
            raise typer.Exit(explain(err, shlex.join(["timeline", *ctx.meta.get(_ARGV, [])]))) from None
