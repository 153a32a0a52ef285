"""cli/flags.py: every flag's value converted as typer would, without pydantic.

A maintainer notices if a flag's value changes on the way in (a `--lat 50.45` stored as
50.4, a `--data` path read as text) or if a mistyped flag is no longer refused with typer's
message and exit 2; so each parameter of each command is converted both ways, on values
typer accepts and values it refuses, and the results compared.
"""

import enum
from pathlib import Path
from typing import get_args

import pytest
from typer._click.exceptions import BadParameter
from typer.main import get_command
from typer.testing import CliRunner

from timeline.cli import flags
from timeline.cli.kit import LazyCommand
from timeline.cli.main import app

TEXTS = ["Kyiv", "", " spaced ", "ünïcode – dash", "--not-a-flag", "1.5", "a;b"]
INTS = ["5", "0", "-3", "1", "10000000000", "10000000001", "007", "-0", "+1", " 5", "1e3", "1.0", "1_000",
        "abc", "", "99999999999999999999", "٣"]  # fmt: skip
FLOATS = ["50.45", "-30.5234", "0", "-0", "0.1", "1e3", "inf", "nan", "-inf", "1.", ".5", "00.5", " 2",
          "abc", "", "1,5", "12345678901234567.123456789"]  # fmt: skip
PATHS = ["a/b.parquet", "", "-", "/no/such/folder/x.parquet", ".", "~/x", "with space.csv"]


def _commands() -> dict[str, object]:
    group = get_command(app)
    found = {"timeline": group}
    for name, command in group.commands.items():
        found[name] = command.load() if isinstance(command, LazyCommand) else command
    return found


def _samples(annotation: object, default: object, existing: Path) -> list[object]:
    kind = (get_args(annotation) or [annotation])[0]
    values: list[object] = {str: TEXTS, int: INTS, float: FLOATS, Path: [*PATHS, str(existing)]}.get(kind, [])
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        values = [*(m.value for m in kind), "no-such-choice"]
    if kind is bool:
        values = ["1", "true", "no", "", "maybe"]
    if annotation is not kind:  # a repeatable flag: click hands over a tuple
        values = [(), tuple(values[:3]), tuple(values)]
    return [None, default, *values]


def _outcome(convert, value, param, ctx):
    try:
        result = convert(value, param=param, ctx=ctx)
    except BadParameter as err:
        return "refused", err.format_message()
    return type(result), result


@pytest.mark.parametrize("name", sorted(_commands()))
def test_every_flag_converts_as_typer_does(name: str, tmp_path: Path):
    command = _commands()[name]
    existing = tmp_path / "there.csv"
    existing.write_text("x\n")
    ctx = command.context_class(command, info_name=name)
    params = [p for p in [*command.params, command.get_help_option(ctx)] if hasattr(p, "type_descriptor")]
    assert params, name
    compared = 0
    for param in params:
        descriptor = param.type_descriptor
        for value in _samples(descriptor.annotation, param.default, existing):
            ours = flags.Converter(descriptor)
            theirs = flags.Converter(descriptor).typer_converter()
            expected = _outcome(theirs.coerce, value, param, ctx)
            got = _outcome(ours.coerce, value, param, ctx)
            if isinstance(expected[1], float) and expected[1] != expected[1]:  # nan
                assert got[0] is float and got[1] != got[1], (name, param.name, value)
            else:
                assert got == expected, (name, param.name, value)
            compared += 1
    assert compared > len(params), name


def test_plain_values_need_no_pydantic(tmp_path: Path):
    """The values people type (and every default) are converted here; only what typer must
    judge (a bool from the environment, an enum's choice, an unusual number) goes to it."""
    add = _commands()["add"]
    ctx = add.context_class(add, info_name="add")
    by_name = {p.name: p for p in add.params}
    typed = {"title": "A call", "lat": "50.45", "count": "12", "data": str(tmp_path / "e.parquet"),
             "country": ("UKR", "RUS")}  # fmt: skip

    def ours(param, value):
        return flags.Converter(param.type_descriptor).convert(value, param, ctx)

    for name, value in typed.items():
        assert ours(by_name[name], value) is not flags._UNSURE, name
    assert ours(by_name["lat"], "50.45") == 50.45
    assert ours(by_name["data"], "e.parquet") == Path("e.parquet")
    for param in add.params:  # every default, as click hands it over when the flag is not given
        if param.type_descriptor.annotation is not bool:
            assert ours(param, param.default) is not flags._UNSURE, param.name


def test_a_bad_flag_is_still_refused_with_typers_message():
    runner = CliRunner()
    for args, flag, reason in (
        (["synth", "--events", "0", "--out", "s.parquet"], "--events", "greater than or equal to 1"),
        (["synth", "--events", "5", "--seed", "-1", "--out", "s.parquet"], "--seed", "greater than or equal to 0"),
        (["import", "--format", "acled", "x.csv", "--out", "o.parquet", "--chunk-rows", "1e3"], "--chunk-rows",
         "valid integer"),
        (["add", "--title", "t", "--type", "call", "--outlet", "o", "--confidence", "reported", "--lat", "north"],
         "--lat", "valid number"),
    ):  # fmt: skip
        result = runner.invoke(app, args)
        assert result.exit_code == 2, (args, result.output)
        assert f"Invalid value for '{flag}'" in result.output and reason in result.output, result.output


def test_debug_from_the_environment_is_read_by_typer(tmp_path: Path):
    """TIMELINE_DEBUG arrives as text: typer decides what counts as true."""
    missing = str(tmp_path / "none.parquet")
    refused = CliRunner().invoke(app, ["validate", missing], env={"TIMELINE_DEBUG": "maybe"})
    assert refused.exit_code == 2, refused.output
    assert "Invalid value for '--debug' (env var: 'TIMELINE_DEBUG')" in refused.output
    shown = CliRunner().invoke(app, ["validate", missing], env={"TIMELINE_DEBUG": "1"})
    assert shown.exit_code == 1 and shown.exception is not None  # --debug: the error is raised, not summed up
