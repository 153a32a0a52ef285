"""The editor page: sign in; add an event; correct, retract or restore one; confirm, split
or merge matched incidents; read and revert the change log. Only signed-in editors see the forms, and every write checks again
(`writes.py`). Everything editors typed is shown as text: `st.text`, tables, or markdown with
every special character escaped."""

from __future__ import annotations

from html import escape
from typing import Any

import pyarrow.compute as pc
import pyarrow.parquet as pq
import streamlit as st

from timeline import service
from timeline.domain.errors import UserError
from timeline.domain.schema import COLUMNS, Col
from timeline.domain.validation import Problem, ValidationFailed
from timeline.formatting import escape_markdown
from timeline.storage import datasets, history, store
from timeline.storage.history import Change, Values
from timeline.ui.editor import access, form, writes
from timeline.ui.editor.form import Form
from timeline.ui.safe import inert

SECTIONS = {
    "add": "Add an event",
    "fix": "Correct or retract",
    "retracted": "Retracted events",
    "incidents": "Incidents",
    "history": "History",
}
SECTION = "editor_section"
PICK, OPENED, CONFLICT = "fix_pick", "fix_opened", "fix_conflict"
MAX_PICKS = 200


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


def _say(kind: str, text: str) -> None:
    """A message with every markdown character escaped (it may quote what someone typed)."""
    getattr(st, kind)(escape_markdown(text))


def _flash(where: str, kind: str, text: str) -> None:
    st.session_state[f"{where}_message"] = (kind, text)


def _show_flash(where: str) -> None:
    message = st.session_state.pop(f"{where}_message", None)
    if message:
        _say(*message)


# --- who is here ----------------------------------------------------------------------------


def _account() -> bool:
    """Sign in, or who is signed in and a way out. True when an editor is signed in."""
    person = access.signed_in()
    if person is None:
        st.info(
            "The editor is open to signed-in editors only. Sign in with your organisation's account; "
            "anyone may read the dashboard without signing in.",
            icon=":material/lock:",
        )
        if st.button("Sign in", key="editor_sign_in", type="primary"):
            st.login(access.provider())
        return False
    email, name = person
    left, right = st.columns([5, 1], vertical_alignment="center")
    with left:  # as text: a name from the identity provider is never markdown
        st.html(
            f'<div style="opacity:.75;font-size:.9rem">Signed in as {escape(name or email)} ({escape(email)})</div>'
        )
    if right.button("Sign out", key="editor_sign_out", width="stretch"):
        st.logout()
    why = access.refusal()
    if why is not None:
        st.error(
            f"You cannot edit: {escape_markdown(why)}. The dashboard stays open to you; to edit, ask a "
            "maintainer to add your address (or your group) to the editors.",
            icon=":material/block:",
        )
        return False
    return True


def main() -> None:
    st.set_page_config(page_title="Editor · Conflict timeline", layout="wide")
    st.title("Editor")
    if not access.auth_configured():
        st.info("Editing in the browser is not configured (docs/editing.md).")
        return
    if not _account():
        return
    path = writes.dataset()
    try:
        if not datasets.is_partitioned(path):
            store.check_readable(path)  # a missing file is a message, not a traceback
    except store.DatasetError as err:
        st.error(
            f"Cannot read the dataset: {inert(err)}. {inert(datasets.next_step(path))}",
            icon=":material/error:",
        )
        return
    if datasets.is_partitioned(path):
        st.info(
            "The editor works on a single-file dataset; this one is a folder of parts, changed with the "
            "`timeline` command (docs/editing.md).",
            icon=":material/folder:",
        )
        return
    if st.query_params.get("event") and SECTION not in st.session_state:
        st.session_state[SECTION] = "fix"
    section = st.segmented_control(
        "Section",
        list(SECTIONS),
        format_func=SECTIONS.get,
        key=SECTION,
        default="add",
        label_visibility="collapsed",
        required=True,
    )
    if section == "add":
        _add_section(path)
    elif section == "fix":
        _fix_section(path)
    elif section == "retracted":
        _retracted_section(path)
    elif section == "incidents":
        _incidents_section(path)
    else:
        _history_section(path)


# --- add ------------------------------------------------------------------------------------


def _problems_now(frm: Form, reading: form.Reading, path: Any) -> tuple[list[Problem], list[Values]]:
    """Everything wrong with the form at once: what `entry.row` could not read (a phrase it
    does not know) and what the rules find in the rest (the field a problem of the first
    kind is shown beside is not given a second message for the same cause)."""
    problems, similar = service.check_new(path, reading.raw)
    if frm.text("event_id") is None:  # made from the date and title: their messages say it
        problems = [p for p in problems if not (p.column == Col.EVENT_ID and "required" in p.reason)]
    if not reading.problems:
        return problems, similar
    phrase = frm.get("date_mode", form.PHRASE) == form.PHRASE
    taken = set(form.by_field(reading.problems, phrase))
    rest = [p for p in problems if not set(form.by_field([p], phrase)) & taken]
    return reading.problems + rest, []


def _add_section(path: Any) -> None:
    frm = Form("new")
    _show_flash("add")
    reading = form.read(frm)
    tried = st.session_state.get("add_tried", False)
    problems, similar = _problems_now(frm, reading, path) if tried else ([], [])
    if not tried and reading.raw.get(Col.DATE_START) and reading.raw.get(Col.EVENT_TYPE):
        with _quietly():
            similar = service.similar(path, reading.raw)
    phrase = frm.get("date_mode", form.PHRASE) == form.PHRASE
    form.render(frm, form.options(path), reading, form.by_field(problems, phrase))
    if similar:
        st.warning(
            "A similar event is already in the dataset (same type, overlapping dates, a shared country):",
            icon=":material/content_copy:",
        )
        for s in similar:  # st.text: titles are never markdown, so an address never becomes a link
            st.text(f"• {s[Col.TITLE]} ({s[Col.EVENT_ID]}, {s[Col.DATE_START]})")
    if similar or reading.formulas:
        st.checkbox("Save anyway: I checked the warnings above", key="add_anyway")
    st.button("Save event", type="primary", key="add_save", on_click=_save_add, args=(path,))
    if tried and problems:
        st.caption(f"{len(problems)} problem(s) to fix, each shown beside its field; nothing was saved.")


class _quietly:
    """Warnings are a help, never a reason to fail the page."""

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: object, err: object, tb: object) -> bool:
        return isinstance(err, (OSError, UserError, ValueError))


def _save_add(path: Any) -> None:
    frm = Form("new")
    st.session_state["add_tried"] = True
    reading = form.read(frm)
    problems, similar = _problems_now(frm, reading, path)
    if problems:
        return
    if (similar or reading.formulas) and not st.session_state.get("add_anyway"):
        _flash(
            "add", "warning", "Not saved yet: read the warnings, then tick 'Save anyway' or change the event."
        )
        return
    try:
        saved = writes.add(reading.raw)
    except ValidationFailed:
        return  # shown beside the fields on the rerun
    except (access.NotAnEditor, UserError) as err:
        _flash("add", "error", str(err))
        return
    frm.clear()
    st.session_state["add_tried"] = False
    st.session_state.pop("add_anyway", None)
    _flash(
        "add",
        "success",
        f"Saved “{saved.change.after[Col.TITLE]}” as {saved.change.event_id} "
        f"(change {saved.change.change_id}). It is on the dashboard now.",
    )


# --- correct and retract --------------------------------------------------------------------


def _matches(path: Any, words: str) -> list[tuple[str, str]]:
    """(event_id, label) of events whose id or title has every word, newest first."""
    names = [str(Col.EVENT_ID), str(Col.TITLE), str(Col.DATE_START)]
    table = pq.read_table(store.dataset_target(path), columns=names)
    for word in words.lower().split():
        hay = pc.utf8_lower(pc.binary_join_element_wise(table.column(names[0]), table.column(names[1]), " "))
        table = table.filter(pc.match_substring(hay, word))
    table = table.sort_by([(names[2], "descending"), (names[0], "ascending")]).slice(0, MAX_PICKS)
    return [(r[names[0]], f"{r[names[2]]} · {r[names[1]]} · {r[names[0]]}") for r in table.to_pylist()]


def _open(event_id: str, path: Any) -> Values | None:
    """Load an event into the correction form; remember the version it was opened at."""
    values = service.current(path, event_id)
    st.session_state.pop(CONFLICT, None)
    if values is None:
        st.session_state.pop(OPENED, None)
        return None
    form.load(Form("edit"), values)
    st.session_state[OPENED] = {"event_id": event_id, "values": values, "version": history.version(values)}
    st.session_state["fix_reason"] = ""
    return values


def _fix_section(path: Any) -> None:
    _show_flash("fix")
    wanted = st.query_params.get("event")
    if wanted and st.session_state.get("fix_from_link") != wanted:
        st.session_state["fix_from_link"] = wanted
        st.session_state["fix_q"] = wanted
    words = st.text_input("Find an event (words of its title, or its id)", key="fix_q")
    found = _matches(path, words or "")
    labels = dict(found)
    ids = list(labels)
    opened = st.session_state.get(OPENED)
    if opened and opened["event_id"] not in labels:
        labels[opened["event_id"]] = opened["event_id"]
        ids.insert(0, opened["event_id"])
    if wanted in labels and st.session_state.get(PICK) is None:
        st.session_state[PICK] = wanted
    pick = st.selectbox(
        "Event",
        ids,
        format_func=labels.get,
        index=None,
        key=PICK,
        placeholder=f"{len(found)} event(s) match; pick one",
    )
    if pick is None:
        return
    if not opened or opened["event_id"] != pick:
        if _open(pick, path) is None:
            _say("warning", f"{pick} is no longer in the dataset (retracted?). See Retracted events.")
            return
        opened = st.session_state[OPENED]
    _conflict_panel(path)
    frm = Form("edit", base=opened["values"])
    reading = form.read(frm)
    tried = st.session_state.get("fix_tried", False)
    problems: list[Problem] = []
    if tried:
        problems = list(reading.problems)
        if not problems:
            problems = service.check_correction(opened["values"], reading.raw)[1]
        problems += service.reason_problems(st.session_state.get("fix_reason"))
    count = history.summary(path).get(pick)
    changes_note = f" · {count.changes} logged change(s), the last on {count.last_at[:10]}" if count else ""
    st.caption(
        f"Editing {escape_markdown(pick)}{escape_markdown(changes_note)}. The identifier never changes."
    )
    phrase = frm.get("date_mode", form.PHRASE) == form.PHRASE
    shown = form.by_field(problems, phrase)
    form.render(frm, form.options(path), reading, shown)
    st.text_area("Why is it corrected? (required; kept in the history)", key="fix_reason", height=70)
    form.say_problems(shown.get("reason", []))
    if reading.formulas:
        st.checkbox("Save anyway: I checked the warnings above", key="fix_anyway")
    st.button("Save correction", type="primary", key="fix_save", on_click=_save_fix, args=(path,))
    with st.expander("Retract this event"):
        st.caption(
            "A retracted event leaves the dashboard and the dataset file. Its values stay in the history, "
            "and it can be restored under the same identifier."
        )
        st.text_area("Why is it retracted? (required)", key="retract_reason", height=70)
        form.say_problems(st.session_state.get("retract_problems", []))
        st.button("Retract event", key="retract", on_click=_retract, args=(path,))
    with st.expander("History of this event"):
        show_changes(history.read(path, pick).changes[::-1], pick)


def _save_fix(path: Any) -> None:
    opened = st.session_state.get(OPENED)
    if not opened:
        return
    st.session_state["fix_tried"] = True
    frm = Form("edit", base=opened["values"])
    reading = form.read(frm)
    reason = st.session_state.get("fix_reason")
    if reading.problems or service.reason_problems(reason):
        return
    changes, problems = service.check_correction(opened["values"], reading.raw)
    if problems:
        return
    if not changes:
        _flash("fix", "info", "Nothing to save: the form holds what the event already says.")
        return
    if reading.formulas and not st.session_state.get("fix_anyway"):
        _flash(
            "fix", "warning", "Not saved yet: read the warnings, then tick 'Save anyway' or change the text."
        )
        return
    try:
        saved = writes.correct(opened["event_id"], opened["version"], changes, reason or "")
    except service.Conflict as conflict:
        st.session_state[CONFLICT] = {
            "current": conflict.current,
            "attempted": changes,
            "base": opened["values"],
            "since": [c.as_json() for c in conflict.since],
        }
        return
    except ValidationFailed:
        return
    except (access.NotAnEditor, UserError) as err:
        _flash("fix", "error", str(err))
        return
    _open(opened["event_id"], path)
    st.session_state["fix_tried"] = False
    fields = ", ".join(saved.change.after or {})
    _flash("fix", "success", f"Saved: {fields} of {saved.change.event_id} (change {saved.change.change_id}).")


def _conflict_panel(path: Any) -> None:
    """Someone else saved first: their change and this editor's, side by side; nothing lost."""
    conflict = st.session_state.get(CONFLICT)
    if not conflict:
        return
    since = [Change.from_json(c, 0) for c in conflict["since"]]
    last = since[-1] if since else None
    current, base, attempted = conflict["current"], conflict["base"], conflict["attempted"]
    what = "retracted" if current is None else "changed"
    _say(
        "warning",
        f"Not saved: this event was {what} by someone else after you opened it. Your changes are still "
        "in the form and listed below next to theirs.",
    )
    # who and why as plain text: an address or a reason is never a link or markdown
    st.text(
        f"{what.capitalize()} by {last.who_text} at {last.at}"
        if last
        else f"{what.capitalize()} outside the editor"
    )
    if last is not None and last.reason:
        st.text(f"Their reason: {last.reason}")
    names = [n for n in COLUMNS if n in attempted or (current and current.get(n) != base.get(n))]
    text_table(
        ["field", "when you opened it", "now (their change)", "yours"],
        [
            (
                n,
                history.display(base.get(n)),
                history.display((current or {}).get(n)),
                history.display(attempted.get(n, base.get(n))),
            )
            for n in names
        ],
    )
    if current is None:
        return
    keep, drop = st.columns(2)
    keep.button(
        "Put my changes on the current version", key="conflict_keep", on_click=_rebase, args=(path, True)
    )
    drop.button(
        "Discard mine and load the current version", key="conflict_drop", on_click=_rebase, args=(path, False)
    )


def _rebase(path: Any, keep_mine: bool) -> None:
    """Start again from the event as it is now: with this editor's changes on top (to review
    and save again), or without them."""
    conflict = st.session_state.pop(CONFLICT, None)
    opened = st.session_state.get(OPENED)
    if not conflict or not opened:
        return
    reason = st.session_state.get("fix_reason")
    current = _open(opened["event_id"], path)
    if current is None:
        return
    if keep_mine:
        form.load(Form("edit"), current | conflict["attempted"])
        st.session_state["fix_reason"] = reason
        _flash("fix", "info", "Your changes are on the current version now: check them and save again.")


def _retract(path: Any) -> None:
    opened = st.session_state.get(OPENED)
    if not opened:
        return
    reason = st.session_state.get("retract_reason")
    problems = service.reason_problems(reason)
    st.session_state["retract_problems"] = [p.reason for p in problems]
    if problems:
        return
    try:
        saved = writes.retract(opened["event_id"], opened["version"], reason or "")
    except service.Conflict as conflict:
        st.session_state[CONFLICT] = {
            "current": conflict.current,
            "attempted": {},
            "base": opened["values"],
            "since": [c.as_json() for c in conflict.since],
        }
        return
    except (access.NotAnEditor, UserError) as err:
        _flash("fix", "error", str(err))
        return
    for key in (OPENED, PICK, "retract_reason", "fix_from_link"):
        st.session_state.pop(key, None)
    _flash(
        "fix",
        "success",
        f"Retracted {saved.change.event_id} (change {saved.change.change_id}). It can be "
        "restored from Retracted events.",
    )


# --- incidents ------------------------------------------------------------------------------

INCIDENT_ROWS = 200
DECISIONS = {"confirm": "Confirm: these reports are one incident", "split": "Split: these events stand alone",
             "merge": "Merge: the incidents of these events are one"}  # fmt: skip


def _incidents_section(path: Any) -> None:
    """The incidents `timeline match` stored, those with several reports or a review flag
    first, and a decision on them (docs/matching.md)."""
    from timeline.matching import decisions, project
    from timeline.matching.core import Out, Role

    _show_flash("incidents")
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
        _flash("incidents", "error", str(err))
        return
    for key in ("incident_events", "incident_reason"):
        st.session_state[key] = ""
    _flash("incidents", "success", f"Logged: {action} {', '.join(ids)} (change {change.change_id}).")


# --- retracted ------------------------------------------------------------------------------


def _retracted_section(path: Any) -> None:
    _show_flash("retracted")
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
        _flash("retracted", "error", str(err))
        return
    _flash("retracted", "success", f"Restored {event_id} (change {saved.change.change_id}).")


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


def _history_section(path: Any) -> None:
    _show_flash("history")
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
        _flash("history", "error", str(err))
        return
    _flash("history", "success", f"Reverted {change_id} as change {saved.change.change_id}.")
