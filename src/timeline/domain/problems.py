"""What is wrong with a batch of rows, said so a maintainer can act on it: a `Problem` names
the row, event_id, column, value and reason; with a `limit`, at most that many are made per
rule, the last counting the rest (`Problem.more`), and `summarise` prints them that way.
Coercion (`coercion.py`) and the rules (`validation.py`) both report these."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from timeline.domain.schema import Col

PROBLEMS_PER_RULE = 100
"""Problems listed per rule before `summarise` counts the rest."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one value; `row` is 1-based within the checked batch. `more`
    counts further rows with the same problem that were not listed (see `limit`)."""

    reason: str
    row: int | None = None
    event_id: str | None = None
    column: str | None = None
    value: str | None = None
    rule: str | None = None
    more: int = 0

    @property
    def key(self) -> str:
        """The rule this is a case of, for summaries: `rule`, else column and reason."""
        return self.rule or (f"{self.column}: {self.reason}" if self.column else self.reason)

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.event_id:
            where.append(f"event_id {self.event_id}")
        if self.column:
            where.append(f"column {self.column}")
        head = ", ".join(where) or "file"
        value = f" = {self.value!r}" if self.value is not None else ""
        return f"{head}{value}: {self.reason}"


class ValidationFailed(Exception):
    """Raised by write paths; carries every problem found (or, with a limit, the first ones
    per rule and counts of the rest)."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(summarise(problems)))


def count(problems: Iterable[Problem]) -> int:
    """How many problems, counting those a limited list only counts (`Problem.more`)."""
    return sum(1 + p.more for p in problems)


def summarise(problems: Iterable[Problem], per_rule: int = PROBLEMS_PER_RULE) -> list[str]:
    """One line per problem, in order, but at most `per_rule` per rule; then, per rule with
    more, '... and N more <rule> problems'."""
    lines: list[str] = []
    shown: dict[str, int] = {}
    hidden: dict[str, int] = {}
    for p in problems:
        n = shown.get(p.key, 0)
        if n < per_rule:
            lines.append(str(p))
            shown[p.key] = n + 1
            hidden[p.key] = hidden.get(p.key, 0) + p.more
        else:
            hidden[p.key] = hidden.get(p.key, 0) + 1 + p.more
    lines += [f"... and {n:,} more '{key}' problems" for key, n in hidden.items() if n]
    return lines


def short(value: object, limit: int = 80) -> str:
    try:
        text = str(value) if not isinstance(value, np.ndarray) else str(value.tolist())
    except (RecursionError, ValueError):
        return f"<{type(value).__name__} too deeply nested to show>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def first_control(value: object, pattern: str, limit: int = 60) -> tuple[str, str]:
    """The part of a value around its first forbidden control character (which may be far in,
    past what `short` would show), and which character it is, where."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    text = " ".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
    found = re.search(pattern, text)
    if found is None:
        return short(text), "a control character"
    at = found.start()
    start = max(0, at - 20)
    snippet = (
        ("…" if start else "") + text[start : start + limit] + ("…" if start + limit < len(text) else "")
    )
    return snippet, f"U+{ord(text[at]):04X} at character {at + 1:,}"


def _ids(df: pd.DataFrame) -> pd.Series:
    if str(Col.EVENT_ID) in df.columns:
        return df[str(Col.EVENT_ID)].astype("object")
    return pd.Series([None] * len(df), index=df.index, dtype="object")


def problems_at(
    df: pd.DataFrame, mask: pd.Series | np.ndarray, column: str, reason: str, limit: int | None = None
) -> list[Problem]:
    """One problem per True in `mask` (positions are the frame's row order)."""
    return problems_for(df, np.flatnonzero(np.asarray(mask, dtype=bool)), column, reason, limit)


def problems_for(
    df: pd.DataFrame, positions: np.ndarray, column: str, reason: str, limit: int | None = None,
    control: str | None = None,
) -> list[Problem]:  # fmt: skip
    """One problem per position; with `limit`, only the first `limit`, the last of them
    counting the rest in `more`, so millions of bad rows cost a few objects. With `control`
    (the pattern of the control characters a rule refuses), each value is shown around its
    first such character."""
    if not len(positions):
        return []
    rest = 0
    if limit is not None and len(positions) > limit:
        positions, rest = positions[:limit], len(positions) - limit
    ids = _ids(df).iloc[positions].to_numpy()
    values = df[column].iloc[positions].to_numpy(dtype=object) if column in df.columns else None
    pattern = control
    out = []
    for i, pos in enumerate(positions):
        event_id = ids[i]
        value, why = None, reason
        if values is not None and pattern:
            value, where = first_control(values[i], pattern)
            why = reason.replace("a control character", f"control character {where}", 1)
        elif values is not None:
            value = short(values[i])
        out.append(
            Problem(
                reason=why,
                row=int(pos) + 1,
                event_id=None if pd.isna(event_id) else str(event_id),
                column=column,
                value=value,
                rule=f"{column}: {reason}",
            )
        )
    if rest:
        out[-1] = replace(out[-1], more=rest)
    return out
