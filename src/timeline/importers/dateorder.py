"""Day-first or month-first: decided once per file from the first all-digit date that shows
it (a number above 12); a file that shows both is refused, never guessed per row."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pyarrow.compute as pc

from timeline.domain.errors import InputError
from timeline.importers.base import Format
from timeline.importers.fields import DAY_FIRST, MONTH_FIRST, DateOrder, numeric_parts
from timeline.importers.onepass import per_value, source_text
from timeline.importers.reading import Piece


def _numeric_parts(s: pd.Series) -> pd.DataFrame | None:
    """`fields.numeric_parts` (`a`, `b`) read once per distinct value (`onepass.per_value`,
    remembered across chunks): a file repeats a few thousand dates, and this runs on every
    chunk of an import. None when no value is all digits (ISO and spelled-out dates), told
    from the distinct values without spreading them back to every row: on the thread that
    checks the chunks, in file order."""
    encoded = pc.dictionary_encode(source_text(s.to_frame(), s.name))
    parts = per_value(encoded.dictionary, lambda v: {k: numeric_parts(v)[k] for k in ("a", "b")}, _PARTS)
    if parts["a"].null_count == len(parts["a"]):
        return None
    return pd.DataFrame(
        {k: parts[k].take(encoded.indices).to_numpy(zero_copy_only=False) for k in ("a", "b")}, index=s.index
    )


_PARTS = ("dateorder", "numeric_parts")
"""`per_value`'s memo key: the parts depend on the value alone."""


def numeric_evidence(piece: Piece, columns: tuple[str, ...]) -> tuple[bool, dict[str, tuple[int, str, str]]]:
    """Whether the piece has all-digit dates, and the first row showing each order:
    {order: (row, column, value)}."""
    found: dict[str, tuple[int, str, str]] = {}
    any_numeric = False
    for name in columns:
        if name not in piece.rows.columns:
            continue
        parts = _numeric_parts(piece.rows[name])
        if parts is None:
            continue
        any_numeric = True
        for order, shows in ((DAY_FIRST, (parts["a"] > 12) & (parts["b"] <= 12)),
                             (MONTH_FIRST, (parts["b"] > 12) & (parts["a"] <= 12))):  # fmt: skip
            if shows.any() and order not in found:
                row = int(shows.idxmax())
                found[order] = (row, name, str(piece.rows.at[row, name]).strip())
    return any_numeric, found


def first_numeric(chunk: pd.DataFrame, columns: tuple[str, ...]) -> tuple[int, str, str]:
    """The first all-digit date of the chunk: (row, column, value)."""
    for name in columns:
        if name in chunk.columns:
            parts = _numeric_parts(chunk[name])
            if parts is not None:
                row = int(parts["a"].notna().idxmax())
                return row, name, str(chunk.at[row, name]).strip()
    raise AssertionError("no all-digit date in the chunk")


def mixed_dates(path: Path, found: dict[str, tuple[int, str, str]]) -> InputError:
    (r1, c1, v1), (r2, c2, v2) = found[DAY_FIRST], found[MONTH_FIRST]
    return InputError(
        f"{path}: the all-digit dates are written both day-first ({c1} {v1!r} at row {r1:,}) and "
        f"month-first ({c2} {v2!r} at row {r2:,}), as when a spreadsheet converted only some of them; "
        "nothing was imported. Fix the file, or give --date-format %d/%m/%Y (day first) or "
        "--date-format %m/%d/%Y (month first) to read every date one way (the dates that do not fit "
        "it are then rejected)"
    )


def first_evidence(fmt: Format, pieces: Iterator[Piece]) -> dict[str, tuple[int, str, str]]:
    """The first row, in the rest of the file, that shows the order of its all-digit dates."""
    for piece in pieces:
        _, found = numeric_evidence(piece, fmt.date_columns)
        if found:
            return dict([min(found.items(), key=lambda item: item[1][0])])
    return {}


class FileOrder:
    """Day-first or month-first for the whole file, by the first date that shows it (a number
    above 12), seen chunk by chunk; a file showing both is refused (nothing is written before
    the end, so a later chunk can still refuse it). `ahead` reads the file again from the
    start, for when the chunk that needs an order has only ambiguous dates."""

    def __init__(self, fmt: Format, path: Path, ahead: Callable[[], Iterator[Piece]]):
        self.fmt, self.path, self.ahead = fmt, path, ahead
        self.evidence: dict[str, tuple[int, str, str]] = {}  # the first row showing each order

    def see(self, chunk: pd.DataFrame, decided: DateOrder | None) -> DateOrder | None:
        """The order newly decided by this chunk, if it is the first with all-digit dates."""
        numeric, found = numeric_evidence(Piece(chunk), self.fmt.date_columns)
        for order_seen, where in found.items():
            self.evidence.setdefault(order_seen, where)
        if len(self.evidence) == 2:
            raise mixed_dates(self.path, self.evidence)
        if not numeric or decided is not None:
            return None
        if not self.evidence:  # only ambiguous dates so far: look ahead for one that tells
            self.evidence = first_evidence(self.fmt, self.ahead())
        if self.evidence:
            order, (row, name, value) = min(self.evidence.items(), key=lambda item: item[1][0])
            return DateOrder(order, f"{name} {value!r} at row {row:,}")
        _, name, value = first_numeric(chunk, self.fmt.date_columns)
        return DateOrder(None, f"{name} {value!r}")
