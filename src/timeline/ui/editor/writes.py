"""The editor's only way to change the dataset. Each function checks, on the server and at
the moment it is called, that a signed-in editor is behind it (`access.require_editor`),
then writes through `timeline.service` as that editor: the same lock, rules, atomic write
and change log as the `timeline` command. A forged rerun, a stale page or a direct call
without a session writes nothing (tests/test_editor_access.py)."""

from __future__ import annotations

from pathlib import Path

from timeline import service
from timeline.storage import history, store
from timeline.storage.history import Values
from timeline.ui.editor.access import require_editor


def dataset() -> Path:
    return store.default_path()


def add(values: Values) -> service.Saved:
    who = require_editor()
    return service.add(dataset(), values, who)


def correct(event_id: str, version: str, changes: Values, reason: str) -> service.Saved:
    who = require_editor()
    return service.correct(dataset(), event_id, version, changes, who, reason)


def retract(event_id: str, version: str, reason: str) -> service.Saved:
    who = require_editor()
    return service.retract(dataset(), event_id, version, who, reason)


def restore(event_id: str, reason: str) -> service.Saved:
    who = require_editor()
    return service.restore(dataset(), event_id, who, reason)


def revert(change_id: str, reason: str) -> service.Saved:
    who = require_editor()
    return service.revert(dataset(), change_id, who, reason)


def decide(action: str, event_ids: list[str], reason: str) -> history.Change:
    """Confirm, split or merge incidents (`matching.decisions`), as the signed-in editor."""
    from timeline.matching import decisions

    who = require_editor()
    return decisions.decide(dataset(), who, action, event_ids, reason)
