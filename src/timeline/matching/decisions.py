"""A person's decisions on incidents: confirm, split or merge, with a reason, logged.

Each decision is a line of the dataset's change log (`history`), written under the dataset's
lock like any other change, by an editor or at the command line; it changes no event, so the
dataset's digest before and after is the same. The stored incidents keep the automatic
result (`auto_incident`) and the result with every decision applied in log order
(`incident`): a new `timeline match` re-applies them, and a reverted decision stops
applying. A decision whose events are gone from the dataset is skipped.

- merge: the incidents of the events named become one, represented by the member of the
  highest-precedence source;
- split: each event named leaves its incident and stands alone (the rest keep theirs, with
  a new representative if it was the one that left);
- confirm: the incident of the events named is right as it is: its review flags are cleared.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pyarrow.parquet as pq

from timeline.domain.errors import UserError
from timeline.domain.schema import Col
from timeline.domain.validation import ValidationFailed
from timeline.matching.core import Out
from timeline.matching.decision_log import ACTIONS, AUTO_INCIDENT, CONFIRM, DECISION, MERGE, SPLIT, ids_of
from timeline.storage import datasets, history
from timeline.storage.history import Change, Who

__all__ = ["ACTIONS", "AUTO_INCIDENT", "CONFIRM", "DECISION", "MERGE", "SPLIT", "Refused", "decide", "revert"]


class Refused(UserError):
    """A decision that cannot be made (unknown event, nothing to merge or split); nothing
    was written."""


def decide(path: Path, who: Who, action: str, event_ids: Sequence[str], reason: str | None) -> Change:
    """Check and log one decision, then rewrite the stored incidents with it applied."""
    from timeline.matching import project

    if action not in ACTIONS:
        raise Refused(f"{action!r}: a decision is one of {', '.join(ACTIONS)}")
    problems = history.reason_problems(reason)
    if problems:
        raise ValidationFailed(problems)
    dataset = datasets.at(path)
    target = dataset.target
    named = list(dict.fromkeys(event_ids))
    if not named:
        raise Refused("name at least one event")
    dataset.check_writable(create=False)
    with dataset.locked():
        status = project.status(path)
        if not status.exists:
            raise Refused(f"{path}: no incidents yet; run `timeline match` first")
        if status.stale:
            raise Refused(f"{path}: the incidents are stale (the data changed); run `timeline match` first")
        current = pq.read_table(status.path).to_pandas()
        known = set(current[Col.EVENT_ID].astype(str))
        missing = [e for e in named if e not in known]
        if missing:
            raise Refused(
                f"no such event in the incidents of {path}: {', '.join(missing)}; nothing was written"
            )
        incident = dict(
            zip(current[Col.EVENT_ID].astype(str), current[Out.INCIDENT].astype(str), strict=True)
        )
        sizes = current[Out.INCIDENT].astype(str).value_counts()
        if action == MERGE and len({incident[e] for e in named}) < 2:
            raise Refused("these events are already one incident; nothing to merge")
        if action == SPLIT:
            alone = [e for e in named if sizes[incident[e]] < 2]
            if alone:
                raise Refused(f"{', '.join(alone)}: already an incident of its own; nothing to split")
        if action == CONFIRM and len({incident[e] for e in named}) > 1:
            raise Refused(
                "these events are in different incidents: merge them, or confirm one incident at a time"
            )
        digest = history.prepare(target)
        change = Change(
            change_id=history.new_change_id(target),
            at=history.now_text(),
            who=who.as_json(),
            action=action,
            reason=(reason or "").strip(),
            batch={"decided": named, "incident": incident[named[0]]},
            dataset_before=digest,
            dataset_after=digest,
        )
        history.record(target, change)
        project.rewrite_decisions(path)
    return change


def revert(path: Path, change: Change, who: Who, reason: str) -> Change:
    """Undo a decision: a `revert` line naming it (the decision stops applying), then the
    stored incidents rewritten. `service.revert` sends decisions here."""
    from timeline.matching import project

    dataset = datasets.at(path)
    target = dataset.target
    with dataset.locked():
        digest = history.prepare(target)
        line = Change(
            change_id=history.new_change_id(target),
            at=history.now_text(),
            who=who.as_json(),
            action=history.REVERT,
            reason=reason,
            batch={"decided": ids_of(change)},
            reverts=change.change_id,
            dataset_before=digest,
            dataset_after=digest,
        )
        history.record(target, line)
        if project.status(path).exists:
            project.rewrite_decisions(path)
    return line
