"""The editor's Incidents section in a real browser, signed in through the OpenID Connect
provider mock: the 188-drone night matched across the curated row and an Air Force tally,
then split by the editor with a reason. Screenshots in test-artifacts/ when asked."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from e2e.browser import wait_for_rerun
from e2e.test_editor import (  # noqa: F401  (fixtures)
    EDITOR,
    accounts,
    editor_app,
    main,
    provider,
    shot,
    signed_in,
    tall_page,
)
from timeline.cli.main import app as cli
from timeline.domain.schema import Col
from timeline.matching import project
from timeline.matching.core import Out
from timeline.storage import history, store

from conftest import frame, make_row

pytestmark = pytest.mark.e2e
AF = "af-2024-11-25-night-e2e"
NIGHT = "2024-11-25-ru-drone-attack-ua"


def test_an_editor_splits_a_matched_incident(tall_page, provider, editor_app, accounts):  # noqa: F811
    page = tall_page
    url, data = editor_app
    row = make_row(event_id=AF, confidence="claimed", location="Ukraine", latitude=None, longitude=None)
    store.append(data, frame(row), dataset="missile-attacks", create=False)
    assert CliRunner().invoke(cli, ["match", str(data)]).exit_code == 0
    signed_in(page, url, provider, EDITOR, accounts)
    main(page).get_by_text("Incidents", exact=True).click()
    wait_for_rerun(page)
    table = main(page).locator("table.tl-changes")
    table.wait_for()
    assert NIGHT in table.inner_text() and AF in table.inner_text()
    shot(page, "editor-incidents")
    main(page).get_by_text("Split: these events stand alone").click()
    wait_for_rerun(page)
    main(page).get_by_label("Events (their ids, separated by spaces)").fill(AF)
    main(page).get_by_label("Why? (required)").fill("a second wave, counted apart")
    main(page).get_by_label("Why? (required)").press("Enter")
    wait_for_rerun(page)
    main(page).get_by_role("button", name="Save decision").click()
    wait_for_rerun(page)
    main(page).get_by_text("Logged: split").wait_for()
    shot(page, "editor-incidents-split")
    last = history.last_change(data)
    assert last.action == "incident-split" and last.who["id"] == EDITOR
    decided = main(page).locator("table.tl-changes").inner_text()
    assert AF in decided and last.change_id in decided  # the decided row stays in view
    assert main(page).get_by_label("Events (their ids, separated by spaces)").input_value() == ""
    stored = project.load_incidents(data).set_index(str(Col.EVENT_ID))
    assert stored.loc[AF, Out.INCIDENT] == AF
