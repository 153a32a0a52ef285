"""The editor in a real browser, signed in through a real OpenID Connect provider
(oidc-provider-mock on 127.0.0.1): an editor adds an event, finds it on the timeline,
corrects it and reads its history; two editors correct one event at once; a signed-in
non-editor is refused; nothing writes without a session. Screenshots of each state are saved
in test-artifacts/ when asked (README)."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from e2e.browser import wait_for_app, wait_for_rerun
from e2e.conftest import _require_browser, artifact, screenshot_if_failed, start_server
from e2e.oidc import authorize, run_oidc_provider, set_provider_user, sign_in, write_secrets

from conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
EDITOR, SECOND, VIEWER = "editor@example.org", "second@example.org", "viewer@example.org"
GROUP_MEMBER = "member@example.org"
NEW_ID = "2024-11-25-finland-closes-its-border-crossings-again"


@pytest.fixture(scope="session")
def provider() -> Iterator[str]:
    _require_browser()
    with run_oidc_provider() as url:
        for sub, extra in (
            (EDITOR, {}),
            (SECOND, {}),
            (VIEWER, {}),
            (GROUP_MEMBER, {"groups": ["timeline-editors"]}),
        ):
            claims = {"email": sub, "email_verified": True, "name": sub.split("@")[0].title(), **extra}
            set_provider_user(url, sub, claims)
        yield url


@pytest.fixture(scope="session")
def editor_app(provider: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The app with sign-in configured, on a copy of the curated dataset (its own server:
    the public e2e server runs without secrets)."""
    folder = tmp_path_factory.mktemp("editor-app")
    data = folder / "events.parquet"
    shutil.copy(ROOT / "data" / "events.parquet", data)
    port = free_port()
    secrets = write_secrets(
        folder / "secrets.toml",
        port=port,
        provider=provider,
        emails=[EDITOR, SECOND],
        groups=["timeline-editors"],
    )
    proc, url = start_server(data, folder / "streamlit.log", secrets=secrets, port=port)
    yield url, data
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="session")
def accounts() -> dict[tuple[str, str], list[dict]]:
    """Each account's sign-in cookies per app server, kept from its first sign-in in this worker."""
    return {}


def keep_sign_in(page, app: str, sub: str, accounts: dict) -> None:
    """Keep the cookies of `sub`'s sign-in to `app` for `signed_in`."""
    accounts[(app, sub)] = [c for c in page.context.cookies() if c["name"].startswith("_streamlit_user")]


def signed_in(page, app: str, provider: str, sub: str, accounts: dict) -> None:
    """`sign_in` through the provider the first time `sub` signs in to `app` in this worker; after
    that, for a test that is not about signing in, the cookies that sign-in left (Streamlit's
    signed identity cookie, tied to the app's address) put back in the fresh context: the editor
    page then opens signed in, without the provider's pages and the app's two loads between."""
    if (app, sub) not in accounts:
        sign_in(page, app, provider, sub)
        keep_sign_in(page, app, sub, accounts)
        return
    page.context.add_cookies(accounts[(app, sub)])
    page.goto(f"{app}/editor")
    page.get_by_role("button", name="Sign out").wait_for(timeout=60_000)  # signed in, as sign_in waits
    wait_for_app(page)


@pytest.fixture
def tall_page(browser, request: pytest.FixtureRequest):
    """A fresh page (no cookies) tall enough to screenshot a whole form; screenshotted
    whole if the test failed."""
    context = browser.new_context(viewport={"width": 1440, "height": 2300})
    page = context.new_page()
    page.set_default_timeout(30_000)
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.errors = errors
    yield page
    screenshot_if_failed(page, request)
    context.close()


def shot(page, name: str) -> None:
    """A full-page screenshot of a state of the editor, when asked (`artifact`)."""
    artifact(page, name, full_page=True)


def main(page):
    return page.get_by_test_id("stMain")


def fill(page, label: str, text: str) -> None:
    box = main(page).get_by_label(label, exact=True)
    box.fill(text)
    box.press("Enter" if box.evaluate("e => e.tagName") == "INPUT" else "Control+Enter")
    wait_for_rerun(page)


def choose(page, label: str, option: str, *, new: bool = False) -> None:
    """Pick an option of a select box (or type a new one where new values are allowed)."""
    main(page).get_by_label(label, exact=True).click()
    page.keyboard.type(option)  # filters the list (long lists draw only what is in view)
    if new:
        page.keyboard.press("Enter")
    else:
        page.get_by_role("option", name=option, exact=True).click()
    wait_for_rerun(page)


def alerts(page) -> list[str]:
    return [t.split("\n")[-1] for t in main(page).get_by_test_id("stAlert").all_inner_texts()]


def beside(page, label: str) -> str:
    """The message shown right under a field."""
    field = main(page).get_by_label(label, exact=True)
    block = field.locator("xpath=ancestor::div[contains(@class,'stElementContainer')][1]")
    return block.locator("xpath=following-sibling::div[1]").inner_text()


def test_without_sign_in_configured_the_dashboard_says_nothing_of_editing(page, app_url):
    page.goto(app_url)
    wait_for_app(page)
    page.wait_for_selector(':is([data-testid="stPlotlyChart"], [data-testid="tlChart"])')
    assert page.get_by_text("Editor", exact=True).count() == 0
    assert page.get_by_role("button", name="Sign in").count() == 0
    page.goto(f"{app_url}/?event=2024-11-25-ru-drone-attack-ua")
    wait_for_app(page)
    card = page.locator(".st-key-card-2024-11-25-ru-drone-attack-ua")
    card.wait_for()
    assert "Edit" not in card.inner_text() and "changed" not in card.inner_text()


def test_an_editor_adds_an_event_sees_it_corrects_it_and_reads_its_history(
    tall_page, provider, editor_app, accounts
):
    page = tall_page
    app, data = editor_app
    page.goto(app)
    wait_for_app(page)
    page.get_by_role("link", name="Editor").click()  # reachable from the dashboard
    wait_for_app(page)
    # the page's frame can come before its alert on a loaded machine: wait for the alert itself
    main(page).get_by_test_id("stAlert").filter(has_text="open to signed-in editors only").wait_for()
    assert "open to signed-in editors only" in " ".join(alerts(page))
    shot(page, "editor-sign-in")
    sign_in(page, app, provider, EDITOR)  # through the provider, always: this test is about it
    keep_sign_in(page, app, EDITOR, accounts)
    assert main(page).get_by_text(f"Signed in as Editor ({EDITOR})").count() == 1

    # a first try with mistakes: each is said beside its field, nothing is saved
    fill(page, "Title (in our own words)", "Finland closes its border crossings again")
    fill(page, "Date as reported", "last wek")
    fill(page, "Source published", "2024-12-04")
    fill(page, "Source address (http or https)", "javascript:alert(1)")
    main(page).get_by_role("button", name="Save event").click()
    wait_for_rerun(page)
    assert "not understood" in beside(page, "Date as reported")
    assert "not an http(s) URL" in beside(page, "Source address (http or https)")
    assert "required" in beside(page, "Event type")
    shot(page, "editor-add-problems-beside-fields")
    assert not Path(f"{data}.changes.jsonl").exists()

    fill(page, "Date as reported", "last week")
    assert "Means 25 Nov – 1 Dec 2024, dated to the week" in " ".join(alerts(page))  # before saving
    choose(page, "Event type", "Policy decision (policy)")
    main(page).get_by_text("reported", exact=True).click()
    wait_for_rerun(page)
    choose(page, "Countries", "Finland (FIN)")
    choose(page, "Actors", "Finnish government", new=True)
    fill(page, "Place", "Helsinki")
    assert main(page).get_by_text(re.compile(r"Placed 'Helsinki' at 60\.16")).count() == 1
    choose(page, "Source outlet", "Test Outlet", new=True)
    fill(page, "Source address (http or https)", "https://example.org/finland")
    shot(page, "editor-add-filled")
    main(page).get_by_role("button", name="Save event").click()
    wait_for_rerun(page)
    assert any(f"as {NEW_ID}" in a for a in alerts(page)), alerts(page)

    # on the dashboard at once, with its card
    page.goto(f"{app}/?q=Finland+closes&event={NEW_ID}")
    wait_for_app(page)
    # awaited: the frame can be idle before the linked search's run has drawn its header
    expect(page.get_by_text(re.compile(r"1 of 91 events"))).to_have_count(1, timeout=30_000)
    timeline = page.locator(':is([data-testid="stPlotlyChart"], [data-testid="tlChart"])').first
    # drawn as a week-long bar: the chart draws after the script run has ended, so wait for it
    timeline.locator(".barlayer .point").first.wait_for(timeout=30_000)
    card = page.locator(f".st-key-card-{NEW_ID}")
    card.wait_for()
    assert "Finland closes its border crossings again" in card.inner_text()
    assert re.search(r"Last changed on \d{4}-\d\d-\d\d \(1 change\)", card.inner_text())
    shot(page, "editor-card")
    card.get_by_role("link", name="Edit").click()
    wait_for_app(page)

    # corrected from its card: the form holds the event, a reason is required
    assert main(page).get_by_label("Title (in our own words)", exact=True).input_value() == (
        "Finland closes its border crossings again"
    )
    fill(page, "Title (in our own words)", "Finland keeps its border crossings closed")
    main(page).get_by_role("button", name="Save correction").click()
    wait_for_rerun(page)
    assert "a reason is required" in " ".join(alerts(page))
    fill(
        page,
        "Why is it corrected? (required; kept in the history)",
        "The crossings stayed closed; none reopened",
    )
    main(page).get_by_role("button", name="Save correction").click()
    wait_for_rerun(page)
    assert any(f"Saved: title of {NEW_ID}" in a for a in alerts(page)), alerts(page)

    # the history: who, when, what, why
    main(page).get_by_test_id("stButtonGroup").get_by_text("History", exact=True).click()
    wait_for_rerun(page)
    fill(page, "Event (its id; empty for every change)", NEW_ID)
    text = main(page).inner_text()
    assert f"editor {EDITOR} (Editor)  correct  {NEW_ID}" in text
    assert f"editor {EDITOR} (Editor)  add  {NEW_ID}" in text
    assert "why: The crossings stayed closed; none reopened" in text
    assert (
        "title\tFinland closes its border crossings again\tFinland keeps its border crossings closed" in text
    )
    shot(page, "editor-history")

    page.goto(f"{app}/?event={NEW_ID}")
    wait_for_app(page)
    card = page.locator(f".st-key-card-{NEW_ID}")
    card.wait_for()
    assert "Finland keeps its border crossings closed" in card.inner_text()
    assert "(2 changes)" in card.inner_text()
    assert page.errors == []


def test_two_editors_correct_one_event_at_once_and_nothing_is_lost(browser, provider, editor_app, accounts):
    app, _ = editor_app
    event = "2024-11-25-ru-drone-attack-ua"
    pages = []
    for who in (EDITOR, SECOND):
        context = browser.new_context(viewport={"width": 1440, "height": 2300})
        page = context.new_page()
        page.set_default_timeout(30_000)
        signed_in(page, app, provider, who, accounts)
        page.goto(f"{app}/editor?event={event}")
        wait_for_app(page)
        pages.append(page)
    first, second = pages
    fill(first, "Count", "190")
    fill(first, "Why is it corrected? (required; kept in the history)", "Air Force update: 190")
    main(first).get_by_role("button", name="Save correction").click()
    wait_for_rerun(first)
    assert any("Saved: count" in a for a in alerts(first))

    fill(second, "Weapon (';'-separated)", "Shahed-136")
    fill(second, "Why is it corrected? (required; kept in the history)", "weapon named")
    main(second).get_by_role("button", name="Save correction").click()
    wait_for_rerun(second)
    said = " ".join(alerts(second))
    assert (
        "changed by someone else after you opened it" in said and "Your changes are still in the form" in said
    )
    assert main(second).get_by_text(f"Changed by editor {EDITOR} (Editor) at ").count() == 1
    table = main(second).locator("table.tl-changes").first.inner_text()
    assert (
        "count\t188\t190\t188" in table
        and "weapon\tShahed-136/131 and other drones\tShahed-136/131 and other drones\tShahed-136" in table
    )
    assert main(second).get_by_label("Weapon (';'-separated)", exact=True).input_value() == "Shahed-136"
    shot(second, "editor-conflict")
    main(second).get_by_role("button", name="Put my changes on the current version").click()
    wait_for_rerun(second)
    assert main(second).get_by_label("Count", exact=True).input_value() == "190"  # theirs kept
    main(second).get_by_role("button", name="Save correction").click()
    wait_for_rerun(second)
    assert any("Saved: weapon" in a for a in alerts(second)), alerts(second)
    for page in pages:
        page.context.close()


def test_a_signed_in_user_who_is_not_an_editor_is_refused(tall_page, provider, editor_app, accounts):
    page = tall_page
    app, data = editor_app
    before = data.read_bytes()
    signed_in(page, app, provider, VIEWER, accounts)
    said = " ".join(alerts(page))
    assert "You cannot edit: this account is not on the list of editors" in said
    assert main(page).get_by_role("textbox").count() == 0
    assert main(page).get_by_role("button", name=re.compile("Save|Retract|Restore|Revert")).count() == 0
    assert main(page).get_by_text(f"Signed in as Viewer ({VIEWER})").count() == 1
    shot(page, "editor-refused")
    page.goto(f"{app}/?event=2024-11-25-ru-drone-attack-ua")
    wait_for_app(page)
    card = page.locator(".st-key-card-2024-11-25-ru-drone-attack-ua")
    card.wait_for()
    assert card.get_by_role("link", name="Edit").count() == 0
    assert data.read_bytes() == before


def test_a_member_of_the_editors_group_may_edit(tall_page, provider, editor_app, accounts):
    page = tall_page
    app, _ = editor_app
    signed_in(page, app, provider, GROUP_MEMBER, accounts)
    save = main(page).get_by_role("button", name="Save event")
    save.first.wait_for(timeout=30_000)  # the editor's form may come after the page's first idle moment
    assert save.count() == 1


def test_no_write_without_a_session(tall_page, editor_app, monkeypatch):
    page = tall_page
    app, data = editor_app
    before = data.read_bytes()
    # a browser that never signed in, and one with a forged identity cookie
    page.goto(f"{app}/editor")
    wait_for_app(page)
    # the frame can say "not running" before the page's script has run once: wait for the
    # button it draws, then for that run to end, before counting what else it drew
    expect(main(page).get_by_role("button", name="Sign in")).to_have_count(1, timeout=30_000)
    wait_for_app(page)
    assert main(page).get_by_role("textbox").count() == 0
    forged = json.dumps({"email": EDITOR, "is_logged_in": True, "origin": app})
    page.context.add_cookies([{"name": "_streamlit_user", "value": forged, "url": app}])
    page.goto(f"{app}/editor")
    wait_for_app(page)
    expect(main(page).get_by_role("button", name="Sign in")).to_have_count(1, timeout=30_000)
    wait_for_app(page)
    assert main(page).get_by_role("textbox").count() == 0
    # the write path called directly, outside any session
    from timeline.domain import entry
    from timeline.ui.editor import access, writes

    monkeypatch.setenv("TIMELINE_DATA", str(data))
    raw, _, _ = entry.row(
        entry.Entry(
            title="Forged", event_type="statement", outlet="O", confidence="reported", start="2024-11-27"
        )
    )
    with pytest.raises(access.NotAnEditor):
        writes.add(raw)
    with pytest.raises(access.NotAnEditor):
        writes.retract("2024-11-25-ru-drone-attack-ua", "any", "forged")
    assert data.read_bytes() == before


@pytest.fixture(scope="session")
def folder_app(provider: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The app with sign-in configured, on the curated events as a folder of parts (the
    layout of `timeline synth --out FOLDER/` and `import --into FOLDER/`)."""
    from timeline.storage import parts, store

    top = tmp_path_factory.mktemp("editor-folder")
    data = top / "events"
    parts.create_from(data, store.read_schema_table(ROOT / "data" / "events.parquet"))
    port = free_port()
    secrets = write_secrets(top / "secrets.toml", port=port, provider=provider, emails=[EDITOR], groups=[])
    proc, url = start_server(data, top / "streamlit.log", secrets=secrets, port=port)
    yield url, data
    proc.terminate()
    proc.wait(timeout=20)


def test_an_editor_corrects_a_partitioned_dataset_and_the_history_and_dashboard_show_it(
    tall_page, provider, folder_app, accounts
):
    page = tall_page
    app, data = folder_app
    event = "2024-11-25-ru-drone-attack-ua"
    signed_in(page, app, provider, EDITOR, accounts)
    page.goto(f"{app}/editor?event={event}")
    wait_for_app(page)
    # the page's run fills the form from the link; on a loaded machine wait_for_app can return
    # before that run is drawn (a CI run at load 11 read ''): the value is awaited, bounded
    expect(main(page).get_by_label("Count", exact=True)).to_have_value("188", timeout=30_000)
    fill(page, "Count", "190")
    fill(page, "Why is it corrected? (required; kept in the history)", "Air Force update: 190")
    main(page).get_by_role("button", name="Save correction").click()
    wait_for_rerun(page)
    assert any(f"Saved: count of {event}" in a for a in alerts(page)), alerts(page)
    logged = [json.loads(line) for line in (data.parent / "events.changes.jsonl").read_text().splitlines()]
    assert [(c["action"], c["after"]) for c in logged] == [("correct", {"count": 190})]

    main(page).get_by_test_id("stButtonGroup").get_by_text("History", exact=True).click()
    wait_for_rerun(page)
    text = main(page).inner_text()
    assert f"editor {EDITOR} (Editor)  correct  {event}" in text and "why: Air Force update: 190" in text
    shot(page, "editor-folder-history")

    page.goto(f"{app}/?event={event}")
    wait_for_app(page)
    card = page.locator(f".st-key-card-{event}")
    card.wait_for()
    assert "190 drones" in card.inner_text() and "(1 change)" in card.inner_text()
    shot(page, "editor-folder-card")
    assert page.errors == []


def test_after_sign_in_an_editor_lands_on_the_editor(browser, provider, editor_app):
    """Sign in from the editor page: the provider sends the browser back to the app's root,
    and the app takes the editor on to the editor (it used to leave them on the dashboard)."""
    url, _ = editor_app
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    try:
        authorize(page, url, provider, EDITOR)
        page.wait_for_url(re.compile(re.escape(url) + r"/editor"), timeout=30_000)
        wait_for_app(page)
        assert page.get_by_text(EDITOR).count() >= 1  # signed in, on the editor page
        artifact(page, "editor-after-sign-in")
    finally:
        context.close()
