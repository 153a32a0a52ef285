"""The editor through AppTest with `st.user` set: who sees the forms, who may write, what a
form refuses, and what the dashboard shows of the history. Every test works on a copy of the
curated dataset; the write path is also called directly, outside any session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from timeline import service
from timeline.domain import entry
from timeline.storage import history, parts, store
from timeline.ui.editor import access, writes

from conftest import APP, CURATED, curated_folder, editor_page, run_page
from mdlinks import links_in, markdown_of, shown_text

EDITOR, OUTSIDER = "editor@example.org", "reader@example.org"
EVENT = "2024-11-25-ru-drone-attack-ua"
SECRETS = {
    "auth": {
        "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
        "cookie_secret": "a-test-cookie-secret",
        "oidc": {
            "client_id": "conflict-timeline-tests",
            "client_secret": "not-a-secret",
            "server_metadata_url": "http://127.0.0.1:1/.well-known/openid-configuration",
        },
    },
    "editor": {"emails": [EDITOR.upper()], "groups": ["timeline-editors"]},
}
ANONYMOUS: dict[str, object] = {"is_logged_in": False}


def signed_in(email: str, **claims: object) -> dict[str, object]:
    return {"is_logged_in": True, "email": email, "email_verified": True, "name": "Ed Itor", **claims}


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "events.parquet"
    shutil.copy(CURATED, copy)
    monkeypatch.setenv(store.ENV_VAR, str(copy))
    return copy


def run_editor(user: dict[str, object], secrets: dict | None = None, **params: str) -> AppTest:
    at = AppTest.from_function(editor_page, default_timeout=60)
    at.secrets = SECRETS if secrets is None else secrets
    at.user = user
    return run_page(at, params)


def texts(at: AppTest) -> str:
    kinds = ("markdown", "caption", "text", "error", "warning", "info", "success")
    parts = [e.value for kind in kinds for e in getattr(at, kind)]
    return "\n".join(str(p) for p in parts)


def unescape(text: str) -> str:
    return text.replace("\\", "").replace("  \n", "\n")


def errors(at: AppTest) -> str:
    return unescape(" | ".join(e.value for e in at.error))


def log_of(data: Path) -> list[history.Change]:
    return history.read(data).changes


# --- who sees what ------------------------------------------------------------------------------


def test_anonymous_visitors_are_asked_to_sign_in_and_see_no_form(data: Path):
    at = run_editor(ANONYMOUS)
    assert "open to signed-in editors only" in texts(at)
    assert [b.label for b in at.button] == ["Sign in"]
    assert not at.text_input and not at.text_area


def test_a_signed_in_reader_cannot_edit(data: Path):
    at = run_editor(signed_in(OUTSIDER))
    assert "You cannot edit: this account is not on the list of editors" in errors(at)
    assert [b.label for b in at.button] == ["Sign out"]
    assert not at.text_input and not at.text_area


def test_an_unverified_address_on_the_list_cannot_edit(data: Path):
    at = run_editor(signed_in(EDITOR, email_verified=False))
    assert "the identity provider has not verified this address" in errors(at)
    assert not at.text_input


def test_editors_by_address_any_case_or_by_group_see_the_forms(data: Path):
    for user in (signed_in(EDITOR), signed_in("Someone@Example.org", groups=["Timeline-Editors"])):
        at = run_editor(user)
        assert any(b.label == "Save event" for b in at.button)
        assert not at.error


def test_without_sign_in_configured_the_editor_is_off(data: Path):
    at = run_editor(signed_in(EDITOR), secrets={"editor": {"emails": [EDITOR]}})
    assert "not configured" in texts(at)
    assert not at.button and not at.text_input


def test_an_editor_corrects_and_retracts_in_a_partitioned_dataset_with_its_history(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    folder = curated_folder(tmp_path / "events")
    monkeypatch.setenv(store.ENV_VAR, str(folder))
    at = run_editor(signed_in(EDITOR), event=EVENT)
    assert at.text_input(key="edit_title").value.startswith("Ukraine reports record overnight attack")
    others = {a for actors in store.load(CURATED)["actors"] for a in actors} - set(
        service.current(folder, EVENT)["actors"]
    )
    assert others and others <= set(at.multiselect(key="edit_actors").options)  # the data's, from the engine
    at.text_input(key="edit_count").input("190")
    at.text_area(key="fix_reason").input("Air Force update")
    save(at, "fix_save")
    assert f"Saved: count of {EVENT}" in unescape(" ".join(s.value for s in at.success))
    assert service.current(folder, EVENT)["count"] == 190
    assert parts.read_manifest(folder).rows == store.load(CURATED).shape[0]
    [change] = log_of(folder)
    assert (change.action, change.fields_for(EVENT)) == ("correct", {"count": (188, 190)})
    assert history.log_path(folder) == tmp_path / "events.changes.jsonl"  # beside the folder
    at.text_area(key="retract_reason").input("duplicate of another report")
    at.button(key="retract").click().run()
    assert service.current(folder, EVENT) is None
    at.segmented_control(key="editor_section").set_value("history").run()
    assert any("retract" in t.value and EVENT in t.value for t in at.text)
    at.selectbox(key="revert_pick").set_value(log_of(folder)[-1].change_id)
    at.text_input(key="revert_reason").input("not a duplicate after all")
    at.button(key="revert").click().run()
    assert service.current(folder, EVENT)["count"] == 190
    assert [c.action for c in log_of(folder)] == ["correct", "retract", "revert"]


# --- adding -------------------------------------------------------------------------------------


def fill_valid(at: AppTest) -> None:
    at.text_input(key="new_title").input("Finland closes its border crossings again")
    at.selectbox(key="new_event_type").set_value("policy_decision")
    at.radio(key="new_confidence").set_value("reported")
    at.text_input(key="new_when").input("last week")
    at.text_input(key="new_published").input("2024-12-04")
    at.multiselect(key="new_countries").set_value(["FIN"])
    at.text_input(key="new_location").input("Helsinki")
    at.selectbox(key="new_outlet").set_value("UrduPoint (AFP)")
    at.text_input(key="new_url").input("https://example.org/finland")


def save(at: AppTest, key: str = "add_save") -> AppTest:
    at.button(key=key).click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def test_an_editor_adds_an_event_seeing_its_interval_and_place_first(data: Path):
    at = run_editor(signed_in(EDITOR))
    fill_valid(at)
    at.run()
    shown = unescape(texts(at))
    assert "Means **25 Nov – 1 Dec 2024, dated to the week**" in shown  # before saving
    assert "Placed 'Helsinki' at 60.1695, 24.9354" in shown
    assert not log_of(data)
    save(at)
    assert "Saved “Finland closes its border crossings again”" in unescape(
        " ".join(s.value for s in at.success)
    )
    saved = service.current(data, "2024-11-25-finland-closes-its-border-crossings-again")
    assert saved is not None and saved["date_end"] == "2024-12-01" and saved["countries"] == ["FIN"]
    [change] = log_of(data)
    assert (change.action, change.who_text) == ("add", f"editor {EDITOR} (Ed Itor)")


def test_the_form_and_timeline_add_share_one_rule_set(data: Path):
    """The same values through `entry.row` (what `timeline add` calls) and through the form."""
    at = run_editor(signed_in(EDITOR))
    fill_valid(at)
    cli_row, _, problems = entry.row(
        entry.Entry(
            title="Finland closes its border crossings again",
            event_type="policy_decision",
            outlet="Test Outlet",
            confidence="reported",
            when="last week",
            published="2024-12-04",
            countries=["FIN"],
            location="Helsinki",
            url="https://example.org/finland",
        )
    )
    assert not problems
    save(at)
    stored = service.current(data, cli_row["event_id"])
    assert stored is not None
    for name in ("date_start", "date_end", "date_precision", "date_text", "area_code", "geo_precision"):
        assert stored[name] == cli_row[name], name
    assert (stored["latitude"], stored["longitude"]) == pytest.approx(
        (cli_row["latitude"], cli_row["longitude"])
    )


def test_a_similar_event_is_flagged_and_only_saved_when_confirmed(data: Path):
    at = run_editor(signed_in(EDITOR))
    at.text_input(key="new_title").input("Another record drone night")
    at.selectbox(key="new_event_type").set_value("drone_attack")
    at.radio(key="new_confidence").set_value("claimed")
    at.radio(key="new_date_mode").set_value("Exact dates")
    at.run()
    at.text_input(key="new_start").input("2024-11-25")
    at.text_input(key="new_published").input("2024-11-26")
    at.multiselect(key="new_countries").set_value(["UKR", "RUS"])
    at.multiselect(key="new_initiators").set_value(["RUS"])
    at.selectbox(key="new_outlet").set_value("UrduPoint (AFP)")
    at.run()
    assert "A similar event is already in the dataset" in unescape(" ".join(w.value for w in at.warning))
    listed = " ".join(t.value for t in at.text)  # as plain text, never markdown
    assert "Ukraine reports record overnight attack of 188 Russian drones" in listed
    save(at)
    assert "Not saved yet" in unescape(" ".join(w.value for w in at.warning))
    assert not log_of(data)
    at.checkbox(key="add_anyway").check().run()
    save(at)
    assert len(log_of(data)) == 1


HOSTILE = {
    "new_title": ("x" * 5000, "title"),
    "new_summary": ("line\x00with a NUL and \x1b[31m an escape", "summary"),
    "new_key_label": (
        "<script>alert(1)</script> a label far longer than sixty characters in all",
        "key_label",
    ),
    "new_url": ("javascript:alert(document.cookie)", "url"),
}


def test_hostile_values_are_refused_beside_their_fields_and_nothing_is_saved(data: Path):
    before = data.read_bytes()
    at = run_editor(signed_in(EDITOR))
    fill_valid(at)
    for key, (value, _) in HOSTILE.items():
        (at.text_area if key == "new_summary" else at.text_input)(key=key).input(value)
    at.radio(key="new_date_mode").set_value("Exact dates")
    at.run()
    at.text_input(key="new_start").input("1066-10-14")
    at.text_input(key="new_end").input("2024-02-30")
    save(at)
    said = errors(at)
    assert "not an http(s) URL" in said
    assert "control character" in said
    assert "longer than 200 characters" in said and "longer than 60 characters" in said
    assert "outside the plausible range 1900-01-01 to 2100-12-31" in said  # 1066
    assert "not a date in YYYY-MM-DD form" in said  # 30 February
    assert "problem(s) to fix, each shown beside its field; nothing was saved" in texts(at)
    assert data.read_bytes() == before and not log_of(data)
    # what was typed is shown back only inside widgets and escaped messages, never as HTML
    assert not any("<script>" in h.proto.body for h in at.get("html"))


def test_a_formula_is_kept_as_text_only_when_confirmed(data: Path):
    at = run_editor(signed_in(EDITOR))
    fill_valid(at)
    at.text_input(key="new_title").input('=HYPERLINK("http://evil.example","click")')
    at.run()
    assert "as a spreadsheet formula does" in unescape(" ".join(w.value for w in at.warning))
    save(at)
    assert not log_of(data)
    at.checkbox(key="add_anyway").check().run()
    save(at)
    [change] = log_of(data)
    assert change.after["title"].startswith("=HYPERLINK")


# --- the write path checks on the server ---------------------------------------------------------


def test_the_write_path_called_directly_without_a_session_writes_nothing(data: Path):
    before = data.read_bytes()
    raw, _, _ = entry.row(
        entry.Entry(
            title="Forged", event_type="statement", outlet="O", confidence="reported", start="2024-11-27"
        )
    )
    values = service.current(data, EVENT)
    assert values is not None
    calls = (
        lambda: writes.add(raw),
        lambda: writes.correct(EVENT, history.version(values), {"title": "Forged"}, "forged"),
        lambda: writes.retract(EVENT, history.version(values), "forged"),
        lambda: writes.restore(EVENT, "forged"),
        lambda: writes.revert("20240101T000000.000000Z", "forged"),
    )
    for call in calls:
        with pytest.raises(access.NotAnEditor):
            call()
    assert data.read_bytes() == before and not log_of(data)


def test_an_editor_taken_off_the_list_cannot_save_a_form_already_open(data: Path):
    at = run_editor(signed_in(EDITOR))
    fill_valid(at)
    at.run()
    at.secrets = {**SECRETS, "editor": {"emails": []}}  # the list changes while the page is open
    save(at)
    assert not log_of(data)
    assert service.current(data, "2024-11-25-finland-closes-its-border-crossings-again") is None


# --- correcting, retracting, restoring ----------------------------------------------------------


def test_a_correction_needs_a_reason_and_is_logged_with_it(data: Path):
    at = run_editor(signed_in(EDITOR), event=EVENT)
    assert at.text_input(key="edit_title").value.startswith("Ukraine reports record overnight attack")
    at.text_input(key="edit_count").input("190")
    save(at, "fix_save")
    assert "reason is required" in errors(at)
    assert not log_of(data)
    at.text_area(key="fix_reason").input("Air Force update")
    save(at, "fix_save")
    assert f"Saved: count of {EVENT}" in unescape(" ".join(s.value for s in at.success))
    [change] = log_of(data)
    assert (change.action, change.reason, change.fields_for(EVENT)) == (
        "correct",
        "Air Force update",
        {"count": (188, 190)},
    )


def test_a_stale_correction_shows_both_changes_and_loses_neither(data: Path):
    at = run_editor(signed_in(EDITOR), event=EVENT)
    opened = service.current(data, EVENT)
    assert opened is not None
    other = history.Who("editor", "other@example.org", "Other")
    service.correct(data, EVENT, history.version(opened), {"count": 190}, other, "their update")
    at.text_input(key="edit_weapon").input("Shahed-136")
    at.text_area(key="fix_reason").input("weapon named")
    save(at, "fix_save")
    assert "changed by someone else after you opened it" in unescape(" ".join(w.value for w in at.warning))
    assert any("Changed by editor other@example.org (Other)" in t.value for t in at.text)
    assert service.current(data, EVENT)["weapon"] != "Shahed-136"  # not saved over theirs
    assert at.text_input(key="edit_weapon").value == "Shahed-136"  # and not lost
    at.button(key="conflict_keep").click().run()
    assert (
        at.text_input(key="edit_count").value == "190"
        and at.text_input(key="edit_weapon").value == "Shahed-136"
    )
    save(at, "fix_save")
    now = service.current(data, EVENT)
    assert now is not None and (now["count"], now["weapon"]) == (190, "Shahed-136")


def test_retract_then_restore_keeps_the_identifier_and_the_history(data: Path):
    at = run_editor(signed_in(EDITOR), event=EVENT)
    at.button(key="retract").click().run()
    assert "reason is required" in errors(at)
    assert service.current(data, EVENT) is not None
    at.text_area(key="retract_reason").input("duplicate of another report")
    at.button(key="retract").click().run()
    assert service.current(data, EVENT) is None
    at.segmented_control(key="editor_section").set_value("retracted").run()
    assert any(EVENT in t.value and "why: duplicate of another report" in t.value for t in at.text)
    at.text_input(key=f"restore_reason_{EVENT}").input("not a duplicate after all")
    at.button(key=f"restore_{EVENT}").click().run()
    assert service.current(data, EVENT) is not None
    assert [c.action for c in log_of(data)] == ["retract", "restore"]


# --- the dashboard ------------------------------------------------------------------------------


def run_dashboard(user: dict[str, object], secrets: dict | None, **params: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    if secrets is not None:
        at.secrets = secrets
    at.user = user
    return run_page(at, params)


def card_footer(at: AppTest) -> str:
    return " ".join(c.value for c in at.caption if "Last changed" in c.value)


def edit_links(at: AppTest) -> list[str]:
    return [p.proto.label for p in at.get("page_link") if p.proto.label == "Edit"]


def test_the_card_says_when_an_event_last_changed_and_editors_get_edit_and_history(data: Path):
    opened = service.current(data, EVENT)
    assert opened is not None
    who = history.Who("editor", EDITOR, None)
    service.correct(data, EVENT, history.version(opened), {"count": 190}, who, "update")
    for user, is_editor in ((ANONYMOUS, False), (signed_in(OUTSIDER), False), (signed_in(EDITOR), True)):
        at = run_dashboard(user, SECRETS, event=EVENT)
        assert "Last changed on" in card_footer(at) and "(1 change)" in card_footer(at)
        assert bool(edit_links(at)) is is_editor
        assert any(e.label.startswith("Full history") for e in at.expander) is is_editor


def test_without_sign_in_configured_the_dashboard_says_nothing_of_editing(data: Path):
    at = run_dashboard(signed_in(EDITOR), None, event=EVENT)
    assert not edit_links(at)
    assert "Sign in" not in [b.label for b in at.button]
    assert "Editor" not in texts(at)


def test_addresses_typed_into_the_form_are_never_links_in_its_messages(data: Path):
    """The messages quote what was typed (the place as read, the saved title): as text."""
    at = run_editor(signed_in(EDITOR))
    fill_valid(at)
    at.text_input(key="new_title").input("Finland closes its border, see https://evil.example/t")
    at.text_input(key="new_location").input("near www.evil.example")
    at.run()
    assert "www.evil.example" in shown_text(" ".join(markdown_of(at)))  # the place as read
    assert [t for t in markdown_of(at) if links_in(t)] == []
    save(at)
    assert "see https://evil.example/t" in shown_text(" ".join(s.value for s in at.success))
    assert [t for t in markdown_of(at) if links_in(t)] == []


def test_a_missing_dataset_is_one_message_in_the_editor_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    missing = tmp_path / "nowhere" / "events.parquet"
    monkeypatch.setenv(store.ENV_VAR, str(missing))
    at = run_editor(signed_in(EDITOR), event=EVENT)  # the correction section, which reads the file
    (said,) = [e.value for e in at.error]  # run_page fails on an exception box
    assert f"{missing}: no such dataset file" in shown_text(said) and "--create" in shown_text(said)
    assert not at.text_input and not missing.parent.exists()
