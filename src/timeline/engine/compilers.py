"""Ibis's SQL compilers imported one at a time, as a backend asks for its own.

`ibis.backends.sql.compilers` imports the compiler of every SQL engine Ibis knows (BigQuery,
ClickHouse, Snowflake, Trino, ... twenty of them) and with them sqlglot's dialects, when the
DuckDB backend needs only DuckDB's: about 0.4 CPU s of the dashboard's first chart and of
every command that queries (docs/performance.md, "a cold start without Ibis's other SQL
dialects"). `lean()` puts a stand-in
for that package in `sys.modules` before Ibis imports it: the same package (its folder, so
its submodules import as before), whose names (`DuckDBCompiler`, `sc.duckdb`,
`sc.pyspark`) import their own module when first read.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import sys
from pathlib import Path
from types import ModuleType

PACKAGE = "ibis.backends.sql.compilers"
_IMPORTED = re.compile(rf"^from {re.escape(PACKAGE)}\.(\w+) import (\w+)$", re.MULTILINE)


def lean() -> None:
    """Install the stand-in, unless the package is already imported (then nothing changes), or
    this Ibis lists its compilers otherwise than as `from ...compilers.x import XCompiler`
    lines (then Ibis imports it whole, as without this)."""
    if PACKAGE in sys.modules:
        return
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or spec.origin is None:
        return
    classes = {
        name: module for module, name in _IMPORTED.findall(Path(spec.origin).read_text(encoding="utf-8"))
    }
    if not classes:
        return
    package = importlib.util.module_from_spec(spec)  # not executed: its imports are the cost
    package.__all__ = sorted(classes)
    package.__getattr__ = _reader(package, classes)
    sys.modules[PACKAGE] = package
    parent, _, child = PACKAGE.rpartition(".")
    setattr(importlib.import_module(parent), child, package)


def _reader(package: ModuleType, classes: dict[str, str]):
    """The package's `__getattr__` (PEP 562): a compiler class or a compiler module, imported
    when first read and kept on the package."""

    def read(name: str) -> object:
        if name.startswith("__"):
            raise AttributeError(name)
        wanted = f"{PACKAGE}.{classes.get(name, name)}"
        try:
            module = importlib.import_module(wanted)
        except ModuleNotFoundError as missing:
            if missing.name != wanted:  # the compiler exists and lacks a library: say so
                raise
            raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}") from missing
        found = getattr(module, name) if name in classes else module
        setattr(package, name, found)
        return found

    return read
