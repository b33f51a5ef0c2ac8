"""What every page handler uses: the signed-in officer (`Page`), rendering a template in the
officer's language, and an API's refusal turned into sentences next to the form's fields.

A page handler takes `page: Page = Depends(signed_in)`: a request without a live session is
sent to sign in (and comes back to the same address); an unsafe method without the session's
CSRF token is refused before the handler runs.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from console.domain.officer import Officer
from console.domain.session import Session
from console.entrypoints import i18n
from console.entrypoints.posts import post_label
from console.entrypoints.words import RULES, UNKNOWN_RULE, WORDS
from console.service_layer.apis import FieldRefusal, OfficerApis, Refused, idempotency_key

SESSION_COOKIE = "__Host-puebla-session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class SignInNeeded(Exception):
    """No live session: the officer is sent to sign in, then back to `next_path`."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class TooLarge(Exception):
    """A request body over `MAX_BODY` (declared): refused before anything reads it."""


# The largest thing an officer sends is a manifest's spreadsheet (a few hundred KB at most).
MAX_BODY = 5 * 1024 * 1024


class CsrfRefused(Exception):
    """An unsafe request without this session's token (or from another site)."""


@dataclass
class Page:
    request: Request
    session: Session
    apis: OfficerApis
    locale: str
    post_label: str | None = None  # the officer's post by its name (entrypoints.posts)

    @property
    def officer(self) -> Officer:
        return self.session.officer

    @property
    def csrf_token(self) -> str:
        return self.session.csrf_token

    @property
    def warn_at(self) -> str:
        return str(
            self.request.app.state.console.sessions.lifetimes.warn_at(self.session).isoformat()
        )

    @property
    def ends_at(self) -> str:
        return str(
            self.request.app.state.console.sessions.lifetimes.ends_at(self.session).isoformat()
        )

    def new_key(self) -> str:
        """An `Idempotency-Key` for a form rendered now: sent twice, it is applied once."""
        return idempotency_key()

    def gettext(self, message: str, **values: Any) -> str:
        text = str(i18n.translations(self.locale).ugettext(message))
        return text % values if values else text

    def word(self, kind: str, code: str | None) -> str:
        return word(self.locale, kind, code)

    def render(self, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        return render(self.request, template, status_code=status_code, page=self, **context)


def word(locale: str, kind: str, code: str | None) -> str:
    if code is None or code == "":
        return "—"
    message = WORDS.get(kind, {}).get(code)
    return str(i18n.translations(locale).ugettext(message)) if message else code


def rule_sentence(locale: str, rule: str, extra: Mapping[str, str] | None = None) -> str:
    message = (extra or {}).get(rule) or RULES.get(rule)
    t = i18n.translations(locale)
    if message:
        return str(t.ugettext(message))
    return str(t.ugettext(UNKNOWN_RULE)) % {"rule": rule}


@dataclass
class FormErrors:
    """Sentences by form field (`by_field`), and those no field of the form holds (`general`)."""

    by_field: dict[str, list[str]] = field(default_factory=dict)
    general: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.by_field or self.general)

    def of(self, name: str) -> list[str]:
        return self.by_field.get(name, [])

    def add(self, name: str | None, sentence: str) -> None:
        if name is None:
            self.general.append(sentence)
        else:
            self.by_field.setdefault(name, []).append(sentence)


def form_errors(
    locale: str,
    refused: Refused,
    *,
    fields: Callable[[str], str | None] | Mapping[str, str] | None = None,
    rules: Mapping[str, str] | None = None,
) -> FormErrors:
    """The API's refusal as the form shows it. `fields` maps the API's field path (e.g.
    `schedule.arrival`) to the form's field name (or None: not on this form); by default
    the path's last part. Nothing the API said is dropped: a refusal naming no field of the
    form is a general error at the form's top."""
    errors = FormErrors()
    found: list[FieldRefusal] = refused.fields
    for refusal in found:
        name = _field_name(refusal.field, fields)
        errors.add(name, rule_sentence(locale, refusal.rule, rules))
    if not found:
        errors.add(None, rule_sentence(locale, refused.code, rules))
    return errors


def _field_name(
    path: str, fields: Callable[[str], str | None] | Mapping[str, str] | None
) -> str | None:
    if path in ("", "body"):
        return None
    if fields is None:
        return path.rsplit(".", 1)[-1]
    if callable(fields):
        return fields(path)
    return fields.get(path)


@cache
def environment(locale: str) -> Environment:
    """One Jinja environment per language (its translations installed once, never swapped
    under a request being rendered)."""
    env = Environment(
        loader=PackageLoader("console.entrypoints", "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        extensions=["jinja2.ext.i18n"],
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_translations(i18n.translations(locale), newstyle=True)  # type: ignore[attr-defined]
    env.globals.update(
        locale=locale,
        locales=i18n.LOCALES,
        word=lambda kind, code: word(locale, kind, code),
        when=lambda value, tz=None: i18n.format_when(value, tz, locale),
        time=lambda value, tz=None: i18n.format_time(value, tz, locale),
        day=lambda value: i18n.format_day(value, locale),
        zone_name=lambda tz: i18n.zone_name(tz, locale),
        country=lambda code: i18n.country_name(code, locale),
        asset=asset_url,
        offline_words=lambda: _offline_words(locale),
    )
    return env


def _offline_words(locale: str) -> dict[str, object]:
    # The border pages' offline script has no catalog of its own: its words travel in the page.
    from console.entrypoints.pages.border_offline import script_words

    return {locale: script_words(locale)}


def asset_url(name: str) -> str:
    from console.entrypoints.assets import url_of

    return url_of(name)


def render(
    request: Request, template: str, *, status_code: int = 200, **context: Any
) -> HTMLResponse:
    locale: str = getattr(request.state, "locale", i18n.DEFAULT_LOCALE)
    context.setdefault("page", getattr(request.state, "page", None))
    html = (
        environment(locale)
        .get_template(template)
        .render(request=request, path=request.url.path, query=request.url.query, **context)
    )
    return HTMLResponse(html, status_code=status_code)


def locale_of(request: Request) -> str:
    locale = i18n.choose_locale(
        request.cookies.get(i18n.LANGUAGE_COOKIE), request.headers.get("accept-language")
    )
    request.state.locale = locale
    return locale


def local_path(value: str | None, default: str = "/") -> str:
    """Only a path of this console: `//evil.example` or `https://…` is never a `next`."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return default
    return value


async def _locale(request: Request) -> str:
    return locale_of(request)


# Dependencies are `async def`: FastAPI runs a plain `def` one on a worker thread, a thread
# hop on every request for a function that never blocks.
Locale = Annotated[str, Depends(_locale)]


async def signed_in(request: Request, locale: Locale) -> Page:
    runtime = request.app.state.console
    session = await runtime.sessions.load(request.cookies.get(SESSION_COOKIE))
    if session is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise SignInNeeded(target if request.method in SAFE_METHODS else request.url.path)
    if request.method not in SAFE_METHODS:
        declared = request.headers.get("content-length", "0")
        if not declared.isdigit() or int(declared) > MAX_BODY:
            raise TooLarge()
        await _check_csrf(request, session)
    page = Page(request, session, runtime.officer_apis(session, locale), locale)
    page.post_label = await post_label(page.apis, lambda kind: word(locale, "post_kind", kind))
    request.state.page = page
    return page


async def _check_csrf(request: Request, session: Session) -> None:
    # Browsers say where a request comes from; another site's form never reaches a handler.
    site = request.headers.get("sec-fetch-site")
    if site not in (None, "same-origin", "none"):
        raise CsrfRefused()
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent, session.csrf_token):
        raise CsrfRefused()


SignedIn = Annotated[Page, Depends(signed_in)]
