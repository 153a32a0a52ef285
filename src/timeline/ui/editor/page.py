"""The editor page: sign in; add an event; correct or retract one, on a dataset of either
layout (a file, or a folder of parts). The sections that read the change log (incidents,
retracted events, history and revert) are in `changes.py`. Only signed-in editors see the
forms, and every write checks again (`writes.py`). Everything editors typed is shown as text:
`st.text`, tables, or markdown with every special character escaped."""

from __future__ import annotations

from html import escape
from typing import Any

import streamlit as st

from timeline import service
from timeline.domain.errors import UserError
from timeline.domain.schema import COLUMNS, Col
from timeline.domain.validation import Problem, ValidationFailed
from timeline.formatting import escape_markdown
from timeline.storage import datasets, history, store
from timeline.storage.history import Change, Values
from timeline.ui.editor import access, form, writes
from timeline.ui.editor.changes import (
    flash,
    history_section,
    incidents_section,
    retracted_section,
    say,
    show_changes,
    show_flash,
    text_table,
)
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
    try:  # either layout: a file, or a folder of parts; a missing one is a message, not a traceback
        datasets.at(path).check_readable()
    except store.DatasetError as err:
        st.error(
            f"Cannot read the dataset: {inert(err)}. {inert(datasets.next_step(path))}",
            icon=":material/error:",
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
        retracted_section(path)
    elif section == "incidents":
        incidents_section(path)
    else:
        history_section(path)


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
    show_flash("add")
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
        flash(
            "add", "warning", "Not saved yet: read the warnings, then tick 'Save anyway' or change the event."
        )
        return
    try:
        saved = writes.add(reading.raw)
    except ValidationFailed:
        return  # shown beside the fields on the rerun
    except (access.NotAnEditor, UserError) as err:
        flash("add", "error", str(err))
        return
    frm.clear()
    st.session_state["add_tried"] = False
    st.session_state.pop("add_anyway", None)
    flash(
        "add",
        "success",
        f"Saved “{saved.change.after[Col.TITLE]}” as {saved.change.event_id} "
        f"(change {saved.change.change_id}). It is on the dashboard now.",
    )


# --- correct and retract --------------------------------------------------------------------


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
    show_flash("fix")
    wanted = st.query_params.get("event")
    if wanted and st.session_state.get("fix_from_link") != wanted:
        st.session_state["fix_from_link"] = wanted
        st.session_state["fix_q"] = wanted
    words = st.text_input("Find an event (words of its title, or its id)", key="fix_q")
    found = service.find(path, words or "", MAX_PICKS)
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
            say("warning", f"{pick} is no longer in the dataset (retracted?). See Retracted events.")
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
        flash("fix", "info", "Nothing to save: the form holds what the event already says.")
        return
    if reading.formulas and not st.session_state.get("fix_anyway"):
        flash(
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
        flash("fix", "error", str(err))
        return
    _open(opened["event_id"], path)
    st.session_state["fix_tried"] = False
    fields = ", ".join(saved.change.after or {})
    flash("fix", "success", f"Saved: {fields} of {saved.change.event_id} (change {saved.change.change_id}).")


def _conflict_panel(path: Any) -> None:
    """Someone else saved first: their change and this editor's, side by side; nothing lost."""
    conflict = st.session_state.get(CONFLICT)
    if not conflict:
        return
    since = [Change.from_json(c, 0) for c in conflict["since"]]
    last = since[-1] if since else None
    current, base, attempted = conflict["current"], conflict["base"], conflict["attempted"]
    what = "retracted" if current is None else "changed"
    say(
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
        flash("fix", "info", "Your changes are on the current version now: check them and save again.")


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
        flash("fix", "error", str(err))
        return
    for key in (OPENED, PICK, "retract_reason", "fix_from_link"):
        st.session_state.pop(key, None)
    flash(
        "fix",
        "success",
        f"Retracted {saved.change.event_id} (change {saved.change.change_id}). It can be "
        "restored from Retracted events.",
    )
