"""Command-line values converted without pydantic, for every command's flags.

typer (0.29) converts each value through a pydantic `TypeAdapter` built per parameter when a
command runs; importing pydantic and building the adapters was about a seventh of the time
`timeline import` takes to reach its first row (docs/performance.md, "Command start-up").
typer offers no other converter: click's types are gone from the click it vendors, and a
`parser=` is itself wrapped in a `TypeAdapter`.

`plain(command, ctx)` gives each parameter of a built command a converter that handles the values
whose conversion is not in doubt (a text, a plain decimal number within the flag's range, a
path, lists of them, and the defaults) and hands every other value to typer's own converter,
built only then. So a value typer would refuse is refused by typer, with its message and exit
2, and a value it would accept comes out the same (`tests/test_flags.py` compares both on every
parameter of every command). This reaches into typer's per-parameter converter
(`_runtime_param`); where a typer release changes that, `plain` leaves the command as it is.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, get_args, get_origin

_INT = re.compile(r"-?(?:0|[1-9][0-9]{0,17})")
_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]{0,17})(?:\.[0-9]{1,17})?")
"""Plain decimals only: every other spelling ('1e3', ' 5', '+1', 'inf') goes to typer."""

_UNSURE = object()
"""A value left to typer's converter."""


def plain(command: Any, ctx: Any) -> None:
    """Give each of `command`'s parameters, its --help among them (made with `ctx`'s help
    option names), the converter below, unless it has a converter already (it has run
    before) or typer is not of the shape this was written for."""
    if not _typer_fits():
        return
    for param in [*command.params, command.get_help_option(ctx)]:
        descriptor = getattr(param, "type_descriptor", None)
        if descriptor is not None and getattr(param, "_runtime_param", _UNSURE) is None:
            param._runtime_param = Converter(descriptor)


def _typer_fits() -> bool:
    """Whether typer still has the two functions used here (already imported by typer)."""
    try:
        from typer._coercion import build_runtime_param  # noqa: F401
        from typer._param_types import coerce_cli_path  # noqa: F401
    except ImportError:
        return False
    return True


class Converter:
    """One parameter's conversion: `coerce` is what typer calls with the value click parsed
    (or the default, or the environment variable's text)."""

    def __init__(self, descriptor: Any):
        self.descriptor = descriptor
        self._typer: Any = None

    def coerce(self, value: Any, param: Any, ctx: Any) -> Any:
        converted = self.convert(value, param, ctx)
        if converted is not _UNSURE:
            return converted
        return self.typer_converter().coerce(value, param=param, ctx=ctx)

    def typer_converter(self) -> Any:
        """typer's own converter for this parameter (pydantic), built on first need."""
        if self._typer is None:
            from typer._coercion import build_runtime_param

            self._typer = build_runtime_param(self.descriptor)
        return self._typer

    def convert(self, value: Any, param: Any, ctx: Any) -> Any:
        """The converted value, or `_UNSURE` for typer to decide."""
        info = self.descriptor.parameter_info
        if info.parser is not None or info.clamp:
            return _UNSURE
        many = param.multiple or param.nargs == -1
        if value is None:
            return () if many else None  # as typer's converter does
        annotation = self.descriptor.annotation
        if not many:
            return self._one(annotation, value, param, ctx)
        if get_origin(annotation) is not list or not isinstance(value, (list, tuple)):
            return _UNSURE
        (kind,) = get_args(annotation)
        items = [self._one(kind, item, param, ctx) for item in value]
        return _UNSURE if any(i is _UNSURE for i in items) else items

    def _one(self, kind: Any, value: Any, param: Any, ctx: Any) -> Any:
        info = self.descriptor.parameter_info
        if kind is str:
            return value if type(value) is str else _UNSURE
        if kind is int or kind is float:
            pattern = _INT if kind is int else _FLOAT
            if type(value) is str and pattern.fullmatch(value):
                number = kind(value)
            elif type(value) is kind:
                number = value
            else:
                return _UNSURE
            low, high = info.min, info.max
            if (low is not None and number < low) or (high is not None and number > high):
                return _UNSURE  # typer says which bound
            return number
        if kind is Path and info.path_type is None:
            if type(value) is str and value:
                value = Path(value)
            if not isinstance(value, Path):
                return _UNSURE
            from typer._param_types import coerce_cli_path  # the checks typer makes of a path

            return coerce_cli_path(value, info, path_type=Path, param=param, ctx=ctx)
        return _UNSURE
