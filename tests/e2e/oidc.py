"""A real OpenID Connect provider for the browser tests: oidc-provider-mock (from the package
registry, offline) on 127.0.0.1, and a `streamlit run` server signed in through it.

127.0.0.1 everywhere: the redirect URI, the provider and the address the browser opens must
agree, or the sign-in cookie is silently refused (docs/editing.md).
"""

from __future__ import annotations

import json
import os
import re
import threading
import urllib.request
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import quote

HOST = "127.0.0.1"
ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def run_oidc_provider() -> Iterator[str]:
    """oidc-provider-mock in a thread on 127.0.0.1 (its own `run_server_in_thread` binds
    'localhost'); yields its base URL. Any client id and secret are accepted."""
    with warnings.catch_warnings():
        # Authlib warns of its own deprecations on import, after putting a filter of its own
        # ("always") before pyproject's: let it, then put "ignore" before that one
        import authlib.deprecate  # noqa: F401

        warnings.simplefilter("ignore")
        import oidc_provider_mock
    import werkzeug.serving

    app = oidc_provider_mock.app(require_client_registration=False, require_nonce=True)
    server = werkzeug.serving.make_server(HOST, 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://{HOST}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def set_provider_user(provider: str, sub: str, claims: dict[str, object]) -> None:
    """The claims the provider puts in the ID token of user `sub` (PUT /users/<sub>)."""
    request = urllib.request.Request(
        f"{provider}/users/{quote(sub, safe='')}",
        data=json.dumps(claims).encode(),
        headers={"Content-Type": "application/json"},
        method="PUT",
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 204, response.status


def write_secrets(
    path: Path, *, port: int, provider: str, emails: Sequence[str], groups: Sequence[str] = ()
) -> Path:
    """A `.streamlit/secrets.toml` for the test server (the keys of secrets.example.toml)."""
    path.write_text(
        f"""[auth]
redirect_uri = "http://{HOST}:{port}/oauth2callback"
cookie_secret = "test-only-cookie-secret-{os.getpid()}-0123456789abcdef"

[auth.oidc]
client_id = "conflict-timeline-tests"
client_secret = "the-mock-accepts-any-secret"
server_metadata_url = "{provider}/.well-known/openid-configuration"

[editor]
emails = {json.dumps(list(emails))}
groups = {json.dumps(list(groups))}
""",
        encoding="utf-8",
    )
    return path


def authorize(page, app: str, provider: str, sub: str) -> None:
    """Click 'Sign in' on the editor page and authorize `sub` at the provider, which sends
    the browser back to the app."""
    from e2e.browser import wait_for_app

    page.goto(f"{app}/editor")
    wait_for_app(page)
    page.get_by_test_id("stMain").get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(re.escape(provider) + r"/oauth2/authorize\?"), timeout=30_000)
    page.get_by_placeholder("sub").fill(sub)
    page.get_by_role("button", name="Authorize").click()


def sign_in(page, app: str, provider: str, sub: str) -> None:
    """`authorize`, then open the editor page once the app has taken the browser back to
    its root."""
    from e2e.browser import wait_for_app

    authorize(page, app, provider, sub)
    page.wait_for_url(re.compile(re.escape(app) + r"/(\?.*)?$"), timeout=30_000)
    wait_for_app(page)
    page.goto(f"{app}/editor")
    # the page's frame can say "not running" before its script has run once: wait for the
    # account line's Sign out button, then for that run to end
    page.get_by_role("button", name="Sign out").wait_for(timeout=60_000)
    wait_for_app(page)
