"""Who may edit: read on the server, at the moment of each write, from the identity the
provider vouched for (`st.user`, from Streamlit's signed cookie) and the list of editors in
`.streamlit/secrets.toml` (`[editor] emails` and/or `groups`). Nothing the browser sends
decides it, and nothing is remembered between runs: an editor taken off the list cannot
write from the next click on.

When `[auth]` is not configured the editor is off: `auth_configured()` is false and the app
shows the dashboard alone, saying nothing of editing (docs/editing.md).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import streamlit as st

from timeline.storage.history import Who

DEFAULT_GROUPS_CLAIM = "groups"


class NotAnEditor(PermissionError):
    """A write without a signed-in editor behind it; nothing was written."""


def _secrets_section(name: str) -> Mapping[str, Any]:
    """A section of st.secrets, or {} when there is no secrets file or no such section."""
    try:
        section = st.secrets.get(name)
    except Exception:  # no secrets file: Streamlit raises its own error types here
        return {}
    return section if isinstance(section, Mapping) else {}


def auth_settings() -> Mapping[str, Any]:
    return _secrets_section("auth")


def auth_configured() -> bool:
    """Sign-in is set up: `[auth]` with a redirect URI, a cookie secret and a provider
    (its client id either in `[auth]` itself or in a named `[auth.<provider>]`)."""
    auth = auth_settings()
    if not (auth.get("redirect_uri") and auth.get("cookie_secret")):
        return False
    return bool(auth.get("client_id")) or any(
        isinstance(v, Mapping) and v.get("client_id") for v in auth.values()
    )


def provider() -> str | None:
    """The argument for `st.login`: None for a provider configured in `[auth]` itself, else
    `[editor] provider`, else the one `[auth.<name>]` section."""
    auth = auth_settings()
    if auth.get("client_id"):
        return None
    named = [k for k, v in auth.items() if isinstance(v, Mapping) and v.get("client_id")]
    wanted = _secrets_section("editor").get("provider")
    if wanted in named:
        return str(wanted)
    return named[0] if named else None


@dataclass(frozen=True)
class Editor:
    email: str
    name: str | None = None

    def who(self) -> Who:
        return Who("editor", self.email, self.name)


def _user() -> Mapping[str, Any]:
    """The signed-in user's claims, or {} outside a Streamlit session (a direct call)."""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    if get_script_run_ctx(suppress_warning=True) is None:
        return {}
    try:
        return st.user.to_dict()
    except Exception:  # no session or no auth configured: nobody is signed in
        return {}


def signed_in() -> tuple[str, str | None] | None:
    """(e-mail, name) of the signed-in user, e-mail lower-cased; None if nobody is signed in
    or the provider gave no e-mail."""
    user = _user()
    if user.get("is_logged_in") is not True:
        return None
    email = user.get("email")
    if not isinstance(email, str) or "@" not in email:
        return None
    name = user.get("name")
    return email.strip().lower(), name if isinstance(name, str) else None


def _as_list(value: object) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [str(v) for v in value]
    return []


def refusal() -> str | None:
    """Why the signed-in user may not edit, or None if they may (or nobody is signed in). The
    address itself is not in the message: the page shows it as text above (in a markdown
    message an address would become a link)."""
    person = signed_in()
    if person is None:
        return None
    email, _ = person
    user = _user()
    if user.get("email_verified") is False:
        return "the identity provider has not verified this address"
    settings = _secrets_section("editor")
    emails = {e.strip().lower() for e in _as_list(settings.get("emails"))}
    groups = {g.strip().lower() for g in _as_list(settings.get("groups"))}
    claim = str(settings.get("groups_claim") or DEFAULT_GROUPS_CLAIM)
    theirs = {g.strip().lower() for g in _as_list(user.get(claim))}
    if email in emails or groups & theirs:
        return None
    return "this account is not on the list of editors"


def editor_identity() -> Editor | None:
    """The signed-in editor, or None: not configured, not signed in, or not an editor."""
    if not auth_configured():
        return None
    person = signed_in()
    if person is None or refusal() is not None:
        return None
    return Editor(*person)


JUST_SIGNED_IN_S = 120
"""A sign-in this recent (its ID token's `iat`) has just come back from the provider."""


def just_signed_in(now: float | None = None) -> bool:
    """The signed-in editor's ID token was issued moments ago: this page load is the
    provider's redirect back, which Streamlit sends to the app's root."""
    import time

    if editor_identity() is None:
        return False
    issued = _user().get("iat")
    if not isinstance(issued, int | float):
        return False
    return 0 <= (time.time() if now is None else now) - float(issued) <= JUST_SIGNED_IN_S


def require_editor() -> Who:
    """The editor making this write, checked now; NotAnEditor otherwise."""
    editor = editor_identity()
    if editor is None:
        raise NotAnEditor("only a signed-in editor may change the dataset; nothing was written")
    return editor.who()
