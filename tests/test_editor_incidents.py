"""The editor's Incidents section through AppTest with `st.user` set: a signed-in editor
sees the matched incidents and confirms, splits or merges them with a reason, logged under
their identity; nothing is written without a reason or without a session."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest
from typer.testing import CliRunner

from timeline.cli.main import app
from timeline.matching import project
from timeline.matching.core import Out
from timeline.storage import history, store
from timeline.ui.editor import access, writes

from conftest import CURATED, editor_page, frame, make_row, run_page

EDITOR = "editor@example.org"
NIGHT = "2024-11-25-ru-drone-attack-ua"
AF = "af-night-test"
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
    "editor": {"emails": [EDITOR]},
}


@pytest.fixture
def data(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    copy = tmp_path / "events.parquet"
    shutil.copy(CURATED, copy)
    row = make_row(event_id=AF, confidence="claimed", location="Ukraine", latitude=None, longitude=None)
    store.append(copy, frame(row), dataset="missile-attacks", create=False)
    assert CliRunner().invoke(app, ["match", str(copy)]).exit_code == 0
    monkeypatch.setenv(store.ENV_VAR, str(copy))
    return copy


def incidents_page() -> AppTest:
    at = AppTest.from_function(editor_page, default_timeout=60)
    at.secrets = SECRETS
    at.user = {"is_logged_in": True, "email": EDITOR, "email_verified": True, "name": "Ed Itor"}
    run_page(at, {})
    at.segmented_control(key="editor_section").set_value("incidents").run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def decide(at: AppTest, action: str, events: str, reason: str) -> AppTest:
    at.radio(key="incident_action").set_value(action)
    at.text_input(key="incident_events").input(events)
    at.text_input(key="incident_reason").input(reason)
    at.button(key="incident_save").click().run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def page_text(at: AppTest) -> str:
    kinds = ("markdown", "caption", "success", "error", "warning")
    shown = [str(e.value) for kind in kinds for e in getattr(at, kind)]
    return " ".join([*shown, *(h.proto.body for h in at.get("html"))]).replace("\\", "")


def test_an_editor_sees_the_incident_and_splits_it_with_a_reason(data: Path):
    at = incidents_page()
    shown = page_text(at)
    assert NIGHT in shown and AF in shown  # the incident of two reports is listed
    decide(at, "split", AF, "the tally counts another wave")
    assert "Logged: split" in page_text(at)
    last = history.last_change(data)
    assert last.action == "incident-split" and last.who["id"] == EDITOR
    assert last.reason == "the tally counts another wave"
    stored = project.load_incidents(data).set_index("event_id")
    assert stored.loc[AF, Out.INCIDENT] == AF


def test_a_decision_without_a_reason_writes_nothing(data: Path):
    at = incidents_page()
    decide(at, "merge", f"{AF} 2024-11-25-ua-atacms-strike-kursk-airfield", "")
    assert "reason is required" in page_text(at)
    assert history.last_change(data) is None


def test_a_refused_decision_is_said_and_writes_nothing(data: Path):
    at = incidents_page()
    decide(at, "merge", f"{AF} {NIGHT}", "same night")
    assert "already one incident" in page_text(at)
    assert history.last_change(data) is None


def test_no_decision_without_a_session(data: Path):
    with pytest.raises(access.NotAnEditor):
        writes.decide("incident-split", [AF], "forged")
    assert history.last_change(data) is None
