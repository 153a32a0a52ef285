"""Who launched it: actor names -> the launching side, from a maintained table.

`assets/actor_sides.csv` maps actor names as each source spells them (ACLED's actor1,
UCDP's side_a and side_b) to an ISO alpha-3 side, or to `unknown`. Rows are tried in order;
the first that matches wins. An `exact` row names one actor; a `regex` row a family, and
its side may be `{country}`: the country its `country` group names. A name no row matches
is unknown: a side is never guessed from a place or a bracket (docs/matching.md).
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd

from timeline.importers import countries

TABLE = Path(__file__).parents[1] / "assets" / "actor_sides.csv"
UNKNOWN = "unknown"
FROM_NAME = "{country}"
ANY_SOURCE = "*"
MATCHES = ("exact", "regex")
HEADER = ["source", "actor", "match", "side", "note"]


class SidesError(ValueError):
    """The table breaks a rule (the message names the row and the field)."""


@dataclass(frozen=True)
class Rule:
    line: int
    source: str
    actor: str
    match: str
    side: str
    pattern: re.Pattern[str] | None


def parse(path: Path) -> tuple[Rule, ...]:
    """Read and check the table: every row's fields, every pattern, no row twice."""
    with path.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    if not rows or [h.strip() for h in rows[0]] != HEADER:
        raise SidesError(f"{path}: the header must be {','.join(HEADER)}")
    rules, seen = [], set()
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(HEADER):
            raise SidesError(f"{path}: row {line}: {len(row)} fields, expected {len(HEADER)}")
        source, actor, match, side, _ = (v.strip() for v in row)
        where = f"{path}: row {line}"
        if not source or not actor:
            raise SidesError(f"{where}: source and actor must not be empty")
        if match not in MATCHES:
            raise SidesError(f"{where}: match {match!r} must be one of {', '.join(MATCHES)}")
        pattern = None
        if match == "regex":
            try:
                pattern = re.compile(actor)
            except re.error as err:
                raise SidesError(f"{where}: actor {actor!r} is not a regular expression ({err})") from err
        if side == FROM_NAME:
            if pattern is None or "country" not in pattern.groupindex:
                raise SidesError(
                    f"{where}: side {FROM_NAME} needs a regex actor with a (?P<country>...) group"
                )
        elif side != UNKNOWN and side not in countries.ISO3:
            raise SidesError(
                f"{where}: side {side!r} is not an ISO 3166-1 alpha-3 code, {FROM_NAME} or {UNKNOWN}"
            )
        if (source, actor) in seen:
            raise SidesError(f"{where}: actor {actor!r} of source {source!r} is listed twice")
        seen.add((source, actor))
        rules.append(Rule(line, source, actor, match, side, pattern))
    return tuple(rules)


@cache
def rules() -> tuple[Rule, ...]:
    return parse(TABLE)


@cache
def side_of(actor: str, source: str) -> str | None:
    """The launching side of one actor name as `source` spells it; None when unknown."""
    name = " ".join(actor.split())
    for rule in rules():
        if rule.source not in (ANY_SOURCE, source):
            continue
        if rule.pattern is None:
            if name != rule.actor:
                continue
            found = None
        else:
            found = rule.pattern.match(name)
            if found is None:
                continue
        if rule.side == UNKNOWN:
            return None
        if rule.side == FROM_NAME:
            assert found is not None
            country = found.group("country").strip().removeprefix("the ")
            # a name, not a code: "(AU)" in a bracket is not read as Australia
            return countries.from_name(country) if len(re.sub(r"\s*\(.*?\)", "", country)) > 3 else None
        return rule.side
    return None


def launching(actors: pd.Series, source: str, split: str | None = None) -> pd.Series:
    """Each cell's sides, `;`-separated (a cell may name several actors); missing if none
    is known."""
    table: dict[str, str] = {}
    for value in actors.dropna().unique():
        names = str(value).split(split) if split else [str(value)]
        codes = dict.fromkeys(c for n in names if n.strip() and (c := side_of(n.strip(), source)))
        table[value] = ";".join(codes)
    found = actors.map(table).astype("string")
    return found.mask(found.eq(""))
