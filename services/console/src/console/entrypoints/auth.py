"""Signing in and out (OpenID Connect, authorization code + PKCE S256, confidential client).

- `GET /auth/login?next=…` seals the sign-in's state, PKCE verifier and nonce in a short-lived
  `__Host-puebla-login` cookie (`SameSite=Lax`: Keycloak, another site, sends the browser back
  with a top-level GET) and sends the browser to Keycloak's page in the officer's language.
- `GET /auth/callback` checks the state, trades the code (with the verifier and the client's
  secret) for tokens, and opens a session: the browser gets `__Host-puebla-session` only.
- `POST /auth/logout` ends the console's session, clears the site's data, and sends the
  browser to Keycloak's logout (RP-initiated), which comes back to the console's front page.
- `POST /auth/backchannel-logout`: Keycloak says a session ended (signed out elsewhere, an
  administrator ended it); every console session of that `sid` ends.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response

from console.adapters.keycloak import TokenInvalid
from console.adapters.sealing import Sealer
from console.entrypoints import i18n
from console.entrypoints.web import SESSION_COOKIE, Locale, SignedIn, local_path, render
from console.service_layer.sessions import SignInFailed

LOGIN_COOKIE = "__Host-puebla-login"
LOGIN_SECONDS = 600  # a sign-in left on Keycloak's page longer than this starts again

router = APIRouter()


def _sealer(request: Request) -> Sealer:
    return Sealer(request.app.state.console.settings.session_key.get_secret_value())


def _cookie(response: Response, name: str, value: str, *, max_age: int | None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path="/", secure=True, httponly=True, samesite="lax"
    )


@router.get("/auth/login", include_in_schema=False)
async def login(
    request: Request,
    locale: Locale,
    next: str | None = None,
    acr: str | None = None,
    max_age: int | None = None,
) -> Response:
    """`acr` and `max_age` come from an API's step-up challenge (a page that needs a second
    factor, or a sign-in no older than `max_age` seconds): Keycloak is asked for them."""
    console = request.app.state.console
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
    state, nonce = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    attempt = {"state": state, "verifier": verifier, "nonce": nonce, "next": local_path(next)}
    url = console.keycloak.authorization_url(
        state=state,
        challenge=challenge.decode(),
        nonce=nonce,
        locale=locale,
        acr_values=acr if acr and re.fullmatch(r"[\w. -]{1,40}", acr) else None,
        max_age=max_age if max_age is not None and 0 <= max_age <= 86400 else None,
    )
    response = RedirectResponse(url, status_code=303)
    _cookie(response, LOGIN_COOKIE, _sealer(request).seal(attempt).decode(), max_age=LOGIN_SECONDS)
    return response


@router.get("/auth/callback", include_in_schema=False)
async def callback(
    request: Request,
    locale: Locale,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> Response:
    console = request.app.state.console
    sealed = request.cookies.get(LOGIN_COOKIE)
    attempt = _sealer(request).open(sealed.encode(), ttl=LOGIN_SECONDS) if sealed else None
    valid = (
        attempt is not None
        and error is None
        and code is not None
        and state is not None
        and hmac.compare_digest(state, str(attempt["state"]))
    )
    if not valid or attempt is None or code is None:
        return _sign_in_failed(request)
    # A session this browser still had (another officer's, on a shared PC) ends now.
    await console.sessions.end_cookie(request.cookies.get(SESSION_COOKIE))
    try:
        cookie, _ = await console.sessions.begin(
            code=code, verifier=str(attempt["verifier"]), nonce=str(attempt["nonce"])
        )
    except SignInFailed:
        return _sign_in_failed(request)
    response = RedirectResponse(local_path(str(attempt["next"])), status_code=303)
    response.delete_cookie(LOGIN_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    # A session cookie (no Max-Age): closing the browser forgets it; the server ends it anyway
    # after the idle and absolute times.
    _cookie(response, SESSION_COOKIE, cookie, max_age=None)
    return response


def _sign_in_failed(request: Request) -> Response:
    response = render(request, "shell/sign_in_failed.html", status_code=400)
    response.delete_cookie(LOGIN_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    return response


@router.post("/auth/logout", include_in_schema=False)
async def logout(request: Request, page: SignedIn) -> Response:
    console = request.app.state.console
    await console.sessions.end(page.session)
    url = console.keycloak.logout_url(
        id_token=page.session.tokens.id_token,
        post_logout_uri=f"{console.settings.public_url}/",
        locale=page.locale,
    )
    response = RedirectResponse(url, status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/", secure=True, httponly=True, samesite="lax")
    # A shared computer keeps nothing of this officer: cookies, storage and the cache.
    response.headers["Clear-Site-Data"] = '"cache", "cookies", "storage"'
    return response


@router.post("/auth/backchannel-logout", include_in_schema=False)
async def backchannel_logout(
    request: Request, logout_token: Annotated[str, Form()] = ""
) -> Response:
    console = request.app.state.console
    try:
        claims = await console.keycloak.logout_claims(logout_token)
    except TokenInvalid:
        return JSONResponse({"error": "invalid_request"}, status_code=400)
    await console.sessions.end_everywhere_of(str(claims["sid"]))
    return Response(status_code=200)


@router.post("/session/keepalive", include_in_schema=False)
async def keep_alive(request: Request, page: SignedIn) -> Response:
    console = request.app.state.console
    session = await console.sessions.keep_alive(page.session)
    lifetimes = console.sessions.lifetimes
    return JSONResponse(
        {
            "warn_at": lifetimes.warn_at(session).isoformat(),
            "ends_at": lifetimes.ends_at(session).isoformat(),
        }
    )


@router.get("/language", include_in_schema=False)
async def switch_language(to: str, next: str | None = None) -> Response:
    """The language switch: a preference only (no personal data), kept a year."""
    response = RedirectResponse(local_path(next), status_code=303)
    if to in i18n.LOCALES:
        response.set_cookie(
            i18n.LANGUAGE_COOKIE,
            to,
            max_age=365 * 24 * 3600,
            path="/",
            secure=True,
            httponly=True,
            samesite="lax",
        )
    return response
