"""`timeline migrate`: a schema v1 dataset file in schema v2, by documented rules only.

v2 added who acted (`initiator_countries`, required for strikes), how precisely a place is
known (`geo_precision`, `area_code`) and key events (`key_label`). A rule fills what it can
prove; a strike whose launching side no rule decides is listed and nothing is written until
the maintainer decides it (docs/schema.md, "Schema v1 files").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pyarrow as pa

from timeline.domain import taxonomy
from timeline.domain.schema import ARROW_SCHEMA, Col, from_arrow, to_arrow
from timeline.domain.validation import ISO3, ValidationFailed, validate
from timeline.storage import store

ID_COUNTRIES = {
    "ru": "RUS", "rus": "RUS", "ua": "UKR", "ukr": "UKR", "us": "USA", "usa": "USA", "prk": "PRK",
    "dprk": "PRK", "rok": "KOR", "kor": "KOR", "uk": "GBR", "gbr": "GBR", "by": "BLR", "blr": "BLR",
}  # fmt: skip
"""The actor part of a curated id (`2024-11-25-ru-drone-attack-ua`) that names a country."""
CURATED_ID = re.compile(r"^\d{4}-\d{2}-\d{2}-([a-z]+)-")
TALLIES = "missile-attacks"


@dataclass
class Plan:
    frame: pd.DataFrame
    """The rows in v2, initiators filled where a rule decided them."""
    rules: dict[str, int]
    """How many rows each rule decided."""
    undecided: list[tuple[str, str, list[str]]]
    """Strikes no rule decides: (event_id, title, countries)."""


def initiator(row: pd.Series) -> tuple[list[str], str] | None:
    """The launching side of a strike and the rule that says so, or None."""
    if row[Col.DATASET] == TALLIES:
        return ["RUS"], "Air Force tallies: launched by Russia"
    found = CURATED_ID.match(str(row[Col.EVENT_ID]))
    if found and found.group(1) in ID_COUNTRIES:
        return [ID_COUNTRIES[found.group(1)]], "curated id names the acting country"
    countries = list(row[Col.COUNTRIES])
    if len(countries) == 1:
        return countries, "the only country of the row"
    return None


def plan(table: pa.Table, decisions: dict[str, list[str]]) -> Plan:
    """What migrating a v1 table gives; `decisions` (event_id -> initiators) settle strikes."""
    v1 = from_arrow(table)
    frame = v1.reindex(columns=ARROW_SCHEMA.names)
    frame[str(Col.INITIATOR_COUNTRIES)] = [[] for _ in range(len(frame))]
    frame[str(Col.GEO_PRECISION)] = pd.array(
        [1 if pd.notna(v) else None for v in frame[Col.LATITUDE]], "Int64"
    )
    rules: dict[str, int] = {"coordinates: geo_precision 1": int(frame[Col.LATITUDE].notna().sum())}
    undecided = []
    strikes = frame[Col.EVENT_TYPE].isin(taxonomy.STRIKE_TYPES)
    for pos in range(len(frame)):
        row = frame.iloc[pos]
        event_id = str(row[Col.EVENT_ID])
        if event_id in decisions:
            chosen, rule = decisions[event_id], "decided in the decisions file"
        elif strikes.iloc[pos]:
            found = initiator(row)
            if found is None:
                undecided.append((event_id, str(row[Col.TITLE]), list(row[Col.COUNTRIES])))
                continue
            chosen, rule = found
        else:
            continue
        frame.at[frame.index[pos], str(Col.INITIATOR_COUNTRIES)] = chosen
        rules[rule] = rules.get(rule, 0) + 1
    return Plan(from_arrow(to_arrow(frame)), rules, undecided)  # canonical dtypes, through Arrow


def read_decisions(path: Path) -> dict[str, list[str]]:
    """A CSV of `event_id,initiator_countries` (codes ';'-separated); bad codes are refused."""
    try:
        rows = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError, pd.errors.ParserError) as err:
        raise store.DatasetError(f"{path}: not a readable decisions CSV ({err})") from err
    if list(rows.columns[:2]) != ["event_id", "initiator_countries"]:
        raise store.DatasetError(f"{path}: expected the columns event_id,initiator_countries")
    out = {}
    for i, (event_id, codes) in enumerate(zip(rows["event_id"], rows["initiator_countries"], strict=True), 2):
        chosen = [c.strip().upper() for c in codes.split(";") if c.strip()]
        bad = [c for c in chosen if c not in ISO3]
        if bad or not chosen:
            raise store.DatasetError(
                f"{path}: line {i}, {event_id}: {codes!r} is not a list of ISO alpha-3 codes"
            )
        out[event_id] = chosen
    return out


def migrate(path: Path, decisions: dict[str, list[str]], *, dry_run: bool = False) -> Plan:
    """Upgrade the v1 file at `path` in place (a `.bak` keeps the v1 file). Raises
    DatasetError for a file that is not v1, ValidationFailed if a migrated row breaks a rule;
    writes nothing while any strike is undecided (the plan lists them)."""
    with store.locked(path):
        table = store.read_table(path)
        if not store.is_v1(table.column_names):
            raise store.DatasetError(f"{path}: not a schema v1 dataset; nothing to migrate")
        result = plan(table, decisions)
        if result.undecided or dry_run:
            return result
        problems = validate(result.frame)
        if problems:
            raise ValidationFailed(problems)
        store.save(result.frame, path)
    return result
