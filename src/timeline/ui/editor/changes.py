"""The editor's sections that read the change log: incidents and decisions on them, retracted
events (and restoring one), the history (and reverting a change); and the small helpers the
editor shows text with. Everything shown is text: `st.text`, or tables with every cell escaped."""

from __future__ import annotations

from html import escape
from typing import Any

import streamlit as st

from timeline import service
from timeline.domain.errors import UserError
from timeline.domain.schema import Col
from timeline.domain.validation import ValidationFailed
from timeline.formatting import escape_markdown
from timeline.storage import history
from timeline.storage.history import Change
from timeline.ui.editor import access, form, writes

TABLE_CSS = (
    "<style>.tl-changes{border-collapse:collapse;width:100%;font-size:.88rem}"
    ".tl-changes th,.tl-changes td{border:1px solid rgba(128,128,128,.35);padding:.25rem .5rem;"
    "text-align:left;vertical-align:top;white-space:pre-wrap;overflow-wrap:anywhere}"
    ".tl-changes th{font-weight:600}</style>"
)


def text_table(columns: list[str], rows: list[tuple[str, ...]]) -> None:
    """A small table of values as text: every cell escaped, never markdown or HTML."""
    head = "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(v))}</td>" for v in row) + "</tr>" for row in rows)
    st.html(
        f'{TABLE_CSS}<table class="tl-changes"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'
    )


def say(kind: str, text: str) -> None:
    """A message with every markdown character escaped (it may quote what someone typed)."""
    getattr(st, kind)(escape_markdown(text))


def flash(where: str, kind: str, text: str) -> None:
    st.session_state[f"{where}_message"] = (kind, text)


def show_flash(where: str) -> None:
    message = st.session_state.pop(f"{where}_message", None)
    if message:
        say(*message)


# --- incidents ------------------------------------------------------------------------------

INCIDENT_ROWS = 200
DECISIONS = {"confirm": "Confirm: these reports are one incident", "split": "Split: these events stand alone",
             "merge": "Merge: the incidents of these events are one"}  # fmt: skip


def incidents_section(path: Any) -> None:
    """The incidents `timeline match` stored, those with several reports or a review flag
    first, and a decision on them (docs/matching.md)."""
    from timeline.matching import decisions, project
    from timeline.matching.core import Out, Role

    show_flash("incidents")
    status = project.status(path)
    if not status.exists:
        st.info("No incidents yet: run `timeline match` (docs/matching.md).", icon=":material/join:")
        return
    if status.stale:
        st.warning(
            "The incidents are stale: the data changed since they were matched. Run `timeline match` "
            "again before deciding.",
            icon=":material/update:",
        )
    frame = project.load_incidents(path)
    sizes = frame[Out.INCIDENT].map(frame[Out.INCIDENT].value_counts())
    wanted = (sizes > 1) | (frame[Out.REVIEW] != "") | (frame[decisions.DECISION] != "")
    shown = frame[wanted].sort_values([str(Out.INCIDENT), str(Out.ROLE)], ascending=[True, False])
    st.caption(
        f"{(frame[Out.ROLE] == Role.REPRESENTATIVE).sum():,} incidents from {len(frame):,} reports; "
        f"{len(shown):,} reports in incidents of several reports, flagged for review or decided"
        + (f" (the first {INCIDENT_ROWS} shown)" if len(shown) > INCIDENT_ROWS else "")
    )
    cols = [Out.INCIDENT, Col.DATASET, Col.EVENT_ID, Out.ROLE, Out.REVIEW, decisions.DECISION]
    if shown.empty:
        st.info("Every report is an incident of its own, and none is flagged.", icon=":material/done_all:")
    else:
        text_table(
            ["incident", "dataset", "event", "role", "review", "decision"],
            [
                tuple(str(v) for v in row)
                for row in shown[[str(c) for c in cols]].head(INCIDENT_ROWS).itertuples(index=False)
            ],
        )
    with st.container(border=True, key="incident-decision"):
        st.radio("Decision", list(DECISIONS), format_func=DECISIONS.get, key="incident_action")
        st.text_input("Events (their ids, separated by spaces)", key="incident_events")
        st.text_input("Why? (required)", key="incident_reason")
        form.say_problems(st.session_state.get("incident_problems", []))
        st.button("Save decision", key="incident_save", on_click=_decide)


def _decide() -> None:
    from timeline.matching import decisions

    action = st.session_state.get("incident_action") or "confirm"
    ids = [e for e in (st.session_state.get("incident_events") or "").replace(",", " ").split() if e]
    reason = st.session_state.get("incident_reason")
    problems = [p.reason for p in service.reason_problems(reason)]
    if not ids:
        problems.append("name the events (their ids)")
    st.session_state["incident_problems"] = problems
    if problems:
        return
    names = {"confirm": decisions.CONFIRM, "split": decisions.SPLIT, "merge": decisions.MERGE}
    try:
        change = writes.decide(names[action], ids, reason or "")
    except ValidationFailed as err:
        st.session_state["incident_problems"] = [str(p) for p in err.problems]
        return
    except (access.NotAnEditor, UserError) as err:
        flash("incidents", "error", str(err))
        return
    for key in ("incident_events", "incident_reason"):
        st.session_state[key] = ""
    flash("incidents", "success", f"Logged: {action} {', '.join(ids)} (change {change.change_id}).")


# --- retracted ------------------------------------------------------------------------------


def retracted_section(path: Any) -> None:
    show_flash("retracted")
    gone = service.retracted(path)
    if not gone:
        st.info("No retracted events.", icon=":material/inbox:")
        return
    for event_id, change in reversed(gone):
        with st.container(border=True, key=f"retracted-{event_id}"):
            title = (change.before or {}).get(Col.TITLE, "")
            st.text(
                f"{title}\n{event_id}\nretracted {change.at} by {change.who_text}\nwhy: {change.reason or ''}"
            )
            key = f"restore_reason_{event_id}"
            st.text_input("Why restore it? (required)", key=key)
            form.say_problems(st.session_state.get(f"{key}_problems", []))
            st.button("Restore", key=f"restore_{event_id}", on_click=_restore, args=(event_id, key))


def _restore(event_id: str, key: str) -> None:
    reason = st.session_state.get(key)
    problems = service.reason_problems(reason)
    st.session_state[f"{key}_problems"] = [p.reason for p in problems]
    if problems:
        return
    try:
        saved = writes.restore(event_id, reason or "")
    except ValidationFailed as err:
        st.session_state[f"{key}_problems"] = [str(p) for p in err.problems]
        return
    except (access.NotAnEditor, UserError) as err:
        flash("retracted", "error", str(err))
        return
    flash("retracted", "success", f"Restored {event_id} (change {saved.change.change_id}).")


# --- history --------------------------------------------------------------------------------


def show_changes(changes: list[Change], event_id: str | None = None, limit: int = 100) -> None:
    """Changes as text: who, when, what, why, and each field before and after."""
    if not changes:
        st.caption("No logged changes.")
        return
    for change in changes[:limit]:
        with st.container(border=True):
            lines = history.describe_change(change, event_id)
            st.text(lines[0])
            if change.reason:
                st.text(f"why: {change.reason}")
            ids = [event_id] if event_id else ([change.event_id] if change.event_id else [])
            rows = [
                (one, name, history.display(old), history.display(new))
                for one in ids
                for name, (old, new) in change.fields_for(one).items()
                if history.display(old) or history.display(new)  # an empty field added empty: nothing to say
            ]
            if change.batch and not event_id:
                batch = change.batch
                st.text(
                    f"{len(batch.get('added', []))} added, {len(batch.get('changed', {}))} changed, "
                    f"{len(batch.get('removed', []))} removed"
                )
            if rows and event_id:  # one event: its id is in the line above
                text_table(["field", "before", "after"], [row[1:] for row in rows])
            elif rows:
                text_table(["event", "field", "before", "after"], rows)
    if len(changes) > limit:
        st.caption(f"The newest {limit:,} of {len(changes)} changes; `timeline history` lists them all.")


def history_section(path: Any) -> None:
    show_flash("history")
    wanted = st.text_input("Event (its id; empty for every change)", key="history_event")
    log = history.read(path, wanted.strip() or None)
    if log.damaged:
        st.caption(
            f"{len(log.damaged)} line(s) of the log cannot be read (a write interrupted while logged)."
        )
    changes = log.changes[::-1]
    revertible = [c.change_id for c in changes if not c.marker and c.action]
    if revertible:
        with st.expander("Revert a change"):
            st.caption(
                "Writes the opposite of one change, checked like any other; refused if a later change "
                "touched the same fields."
            )
            st.selectbox("Change", revertible, key="revert_pick")
            st.text_input("Why revert it? (required)", key="revert_reason")
            form.say_problems(st.session_state.get("revert_problems", []))
            st.button("Revert", key="revert", on_click=_revert)
    show_changes(changes, wanted.strip() or None)


def _revert() -> None:
    change_id, reason = st.session_state.get("revert_pick"), st.session_state.get("revert_reason")
    problems = service.reason_problems(reason)
    st.session_state["revert_problems"] = [p.reason for p in problems]
    if problems or not change_id:
        return
    try:
        saved = writes.revert(change_id, reason or "")
    except ValidationFailed as err:
        st.session_state["revert_problems"] = [str(p) for p in err.problems]
        return
    except (access.NotAnEditor, UserError) as err:
        flash("history", "error", str(err))
        return
    flash("history", "success", f"Reverted {change_id} as change {saved.change.change_id}.")
