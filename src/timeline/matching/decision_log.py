"""The decisions in force on a dataset's incidents, and the incidents with them applied.

Reading only: `decisions` writes them (decide, revert), `project` applies them to each new
match. Kept apart so that applying decisions needs neither the writer nor the service.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from timeline.domain.schema import Col
from timeline.matching.core import Out, Role
from timeline.storage import history
from timeline.storage.history import Change

CONFIRM, SPLIT, MERGE = history.INCIDENT_CONFIRM, history.INCIDENT_SPLIT, history.INCIDENT_MERGE
ACTIONS = (CONFIRM, SPLIT, MERGE)
AUTO_INCIDENT = "auto_incident"
DECISION = "decision"
"""The id of the last logged decision that changed the row's incident or review ('' if none)."""


def decisions(dataset: Path) -> list[Change]:
    """The decisions in force, in log order: logged, not voided, not reverted."""
    effective = history.read(dataset).effective()
    reverted = {c.reverts for c in effective if c.reverts}
    return [c for c in effective if c.action in ACTIONS and c.change_id not in reverted]


def ids_of(change: Change) -> list[str]:
    return list((change.batch or {}).get("decided", []))


def overlay(frame: pd.DataFrame, changes: Sequence[Change], sources: Sequence[str]) -> pd.DataFrame:
    """The incidents with `changes` applied in order (frame: the stored columns, its
    `incident` the automatic result)."""
    out = frame.copy()
    out[AUTO_INCIDENT] = out[Out.INCIDENT]
    out[DECISION] = ""
    if not changes:
        return out
    rank = {s: i for i, s in enumerate(sources)}
    ids = out[Col.EVENT_ID].astype(str).tolist()
    pos = {e: i for i, e in enumerate(ids)}
    incident = dict(zip(ids, out[Out.INCIDENT].astype(str), strict=True))
    review = dict(zip(ids, out[Out.REVIEW].astype(str), strict=True))
    decided = dict.fromkeys(ids, "")
    order = {
        e: (rank.get(str(d), len(rank)), i)
        for i, (e, d) in enumerate(zip(ids, out[Col.DATASET], strict=True))
    }

    def members(label: str) -> list[str]:
        return [e for e, i in incident.items() if i == label]

    def relabel(group: list[str], change_id: str) -> None:
        lead = min(group, key=order.__getitem__)
        for e in group:
            incident[e] = lead
            decided[e] = change_id

    for change in changes:
        named = [e for e in ids_of(change) if e in pos]
        if not named:
            continue
        if change.action == MERGE:
            labels = {incident[e] for e in named}
            relabel([e for label in labels for e in members(label)], change.change_id)
        elif change.action == SPLIT:
            for e in named:
                rest = [m for m in members(incident[e]) if m != e]
                incident[e] = e
                decided[e] = change.change_id
                if rest:
                    relabel(rest, change.change_id)
        elif change.action == CONFIRM:
            for e in members(incident[named[0]]):
                review[e] = ""
                decided[e] = change.change_id
    out[Out.INCIDENT] = [incident[e] for e in ids]
    out[Out.ROLE] = [str(Role.REPRESENTATIVE) if incident[e] == e else str(Role.DUPLICATE) for e in ids]
    out[Out.MATCHED_TO] = ["" if incident[e] == e else incident[e] for e in ids]
    out[Out.REVIEW] = [review[e] for e in ids]
    out[DECISION] = [decided[e] for e in ids]
    return out
