"""Keys for the dashboard: the same API keys, carried in a cookie instead of a header.

The login page (a plain form, no script) posts a key; when `keys.verify` accepts it the server
sets it as an HttpOnly, SameSite=Strict cookie limited to the dashboard's path, so page scripts
cannot read it and no other site can make the browser send it. Every request to the dashboard
but the login and logout pages passes `gate`, which verifies the cookie's key again
(`keys.verify` remembers a verified key 5 s per worker, so a revoked key stops working within
seconds): without a valid key a page answers with a redirect to the login page and a callback
with an update that sends the browser there. Callbacks then read the key (role and scope) with
`caller()` and pass its scope to every service call, exactly as the API's routes do.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import quote, urlsplit

import flask
from neo4j import Driver
from neo4j.exceptions import AuthError, ServiceUnavailable, SessionExpired, TransientError
from werkzeug.wrappers import Response

from graph_service.api import keys as keystore
from graph_service.api.deps import Forbidden, RateLimiter, TooManyRequests, Unauthorized
from graph_service.config import Settings
from graph_service.db.breaker import Breaker
from graph_service.errors import RETRY_AFTER_S, DatabaseUnavailable

COOKIE = "downline_key"
EXTENSION = "downline"
OPEN = frozenset({"/login", "/logout", "/_favicon.ico"})
UNAVAILABLE = (ServiceUnavailable, SessionExpired, TransientError, AuthError)


@dataclass(frozen=True)
class Backend:
    """What the dashboard needs from the server it is mounted in: settings, the worker's Neo4j
    driver (shared with the API) and the API's rate limiter for expensive requests."""

    settings: Settings
    driver_getter: Callable[[], Driver]
    limiter_getter: Callable[[], RateLimiter | None] | None = None
    prefix: str = "/dashboard/"
    breaker_getter: Callable[[], Breaker | None] | None = None  # the API's (db/breaker.py)

    def breaker(self) -> Breaker | None:
        return self.breaker_getter() if self.breaker_getter is not None else None


@dataclass(frozen=True)
class Caller:
    """The key behind the current request, with what a service call needs."""

    backend: Backend
    key: keystore.ApiKey

    @property
    def driver(self) -> Driver:
        return self.backend.driver_getter()

    @property
    def database(self) -> str:
        return self.backend.settings.neo4j_database

    @property
    def settings(self) -> Settings:
        return self.backend.settings

    @property
    def scope(self) -> str | None:
        return self.key.scope

    @property
    def sees_names(self) -> bool:
        """Whether this key's role sees distributors' names (DOWNLINE_NAMES_ROLE)."""
        return self.key.allows(self.backend.settings.names_role)

    @property
    def active_pv(self) -> Decimal:
        return self.backend.settings.active_threshold

    def allows(self, role: keystore.Role) -> bool:
        return self.key.allows(role)

    def require(self, role: keystore.Role) -> None:
        if not self.key.allows(role):
            raise Forbidden(f"this needs the {role} role (the key is {self.key.role})")

    def may_run_cypher(self) -> bool:
        """The rule of POST /v1/cypher: an analyst or admin key without a scope."""
        return self.key.allows("analyst") and self.key.scope is None

    def expensive(self) -> None:
        """Take a token of the API's per-key budget for expensive requests (queries, exports)."""
        getter = self.backend.limiter_getter
        limiter = getter() if getter is not None else None
        if limiter is None:
            return
        wait = limiter.take(self.key.id)
        if wait > 0:
            raise TooManyRequests(
                f"this key made more than {limiter.per_minute} expensive requests in a minute; "
                f"retry in {wait:.0f} s",
                wait,
            )


def backend() -> Backend:
    found: Backend = flask.current_app.extensions[EXTENSION]
    return found


def caller() -> Caller:
    """The verified key of this request (set by `gate`); Unauthorized when there is none."""
    key = flask.g.get("downline_key")
    if key is None:
        raise Unauthorized("log in with an API key")
    return Caller(backend(), key)


def _verify(text: str | None) -> keystore.ApiKey | None:
    if not text or len(text) > 200:
        return None
    b = backend()
    return keystore.verify(b.driver_getter(), b.settings.neo4j_database, text)


def _login_url(next_path: str | None = None) -> str:
    url = backend().prefix + "login"
    return f"{url}?next={quote(next_path, safe='/')}" if next_path else url


def _safe_next(value: str | None) -> str:
    """Only a path inside the dashboard: never an open redirect to another site."""
    prefix = backend().prefix
    if not value or not value.startswith(prefix) or value.startswith("//") or "\\" in value:
        return prefix
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return prefix
    return value


def trip(exc: BaseException) -> None:
    """A callback found Neo4j unreachable: open the worker's breaker (see db/breaker.py)."""
    breaker = backend().breaker()
    if breaker is not None and isinstance(exc, ServiceUnavailable | SessionExpired):
        breaker.trip()


def redirect_update(target: str) -> dict[str, Any]:
    """A callback answer that changes nothing but sends the browser to `target` (the shell's
    REDIRECT location; see dashboards/ids.py)."""
    from dashboards import ids

    return {"multi": True, "response": {}, "sideUpdate": {ids.REDIRECT: {"href": target}}}


UNAVAILABLE_MESSAGE = "Neo4j is unavailable: the figures will be back when it is; try again in a few seconds"


def notice_update(message: str) -> dict[str, Any]:
    """A callback answer that changes nothing but shows `message` in the shell's banner."""
    from dashboards import ids

    return {"multi": True, "response": {}, "sideUpdate": {ids.NOTICE: {"children": message}}}


def gate() -> Response | None:
    """Flask `before_request`: a valid key in the cookie, or no further."""
    path = flask.request.path
    if path in OPEN:
        return None
    breaker = backend().breaker()
    try:
        if breaker is not None:
            breaker.check()  # Neo4j known to be down: say so now, not after timeouts
        key = _verify(flask.request.cookies.get(COOKIE))
    except (DatabaseUnavailable, *UNAVAILABLE) as exc:
        trip(exc)
        if path == "/_dash-update-component":  # a 503 there would show nothing in the page
            return flask.jsonify(notice_update(UNAVAILABLE_MESSAGE))
        return flask.Response(UNAVAILABLE_MESSAGE, status=503, headers={"Retry-After": str(RETRY_AFTER_S)})
    flask.g.downline_key = key
    if key is not None:
        return None
    if path == "/_dash-update-component":
        return flask.jsonify(redirect_update(_login_url()))
    if flask.request.method == "GET" and not path.startswith("/_"):
        here = backend().prefix + path.lstrip("/")
        query = flask.request.query_string.decode("latin-1")
        return flask.redirect(_login_url(here + (f"?{query}" if query else "")), code=303)
    return flask.Response("log in with an API key", status=401, mimetype="text/plain")


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>downline: log in</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<style>
body {{ font-family: system-ui, sans-serif; background: #f5f7fa; margin: 0; }}
main {{ max-width: 440px; margin: 12vh auto; background: white; padding: 28px 32px;
        border-radius: 8px; box-shadow: 0 1px 4px rgba(0,0,0,.12); }}
h1 {{ font-size: 20px; margin: 0 0 4px; }} p {{ color: #455a64; font-size: 14px; }}
input[type=password] {{ width: 100%; box-sizing: border-box; padding: 9px; font-size: 14px;
        border: 1px solid #b0bec5; border-radius: 4px; }}
button {{ margin-top: 14px; padding: 8px 18px; font-size: 14px; background: #1565c0; color: white;
        border: 0; border-radius: 4px; cursor: pointer; }}
.error {{ color: #c62828; }}
code {{ background: #eceff1; padding: 1px 4px; border-radius: 3px; }}
</style></head>
<body><main>
<h1>downline dashboard</h1>
<p>Log in with an API key (<code>downline keys create --role viewer</code>, or the admin key
that <code>downline up</code> printed).</p>
{message}
<form id="login-form" method="post" action="{action}">
<input type="hidden" name="next" value="{next}">
<label for="login-key">API key</label>
<input id="login-key" name="key" type="password" autocomplete="off" autofocus required>
<button id="login-submit" type="submit">Log in</button>
</form>
</main></body></html>
"""


def _login_page(message: str = "", next_path: str = "", status: int = 200) -> flask.Response:
    body = _PAGE.format(
        message=f'<p id="login-error" class="error">{html.escape(message)}</p>' if message else "",
        action=html.escape(backend().prefix + "login"),
        next=html.escape(next_path),
    )
    return flask.Response(body, status=status, mimetype="text/html", headers={"Cache-Control": "no-store"})


def _same_origin() -> bool:
    """A login form posted from another site is refused (login CSRF)."""
    origin = flask.request.headers.get("Origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == flask.request.host


def login() -> Response:
    if flask.request.method == "GET":
        return _login_page(next_path=_safe_next(flask.request.args.get("next")))
    if not _same_origin():
        return _login_page("This form must be sent from the dashboard itself.", status=403)
    text = (flask.request.form.get("key") or "").strip()
    next_path = _safe_next(flask.request.form.get("next"))
    try:
        key = _verify(text)
    except UNAVAILABLE:
        return _login_page("Neo4j is unavailable; try again shortly.", next_path, status=503)
    if key is None:
        return _login_page("That key is not valid (unknown or revoked).", next_path, status=401)
    response = flask.redirect(next_path, code=303)
    response.set_cookie(
        COOKIE,
        text,
        httponly=True,
        samesite="Strict",
        secure=flask.request.is_secure,
        path=backend().prefix,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def logout() -> Response:
    response = flask.redirect(_login_url(), code=303)
    response.delete_cookie(COOKIE, path=backend().prefix, httponly=True, samesite="Strict")
    return response


def install(server: flask.Flask, b: Backend) -> None:
    """The login and logout routes and the gate, on the Dash app's Flask server."""
    server.extensions[EXTENSION] = b
    server.add_url_rule("/login", "downline_login", login, methods=["GET", "POST"])
    server.add_url_rule("/logout", "downline_logout", logout, methods=["GET"])
    server.before_request(gate)
