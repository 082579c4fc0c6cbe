"""The console's translations: gettext catalogs read through Flask-Babel (Simplified Chinese first,
English second).

The messages live in `web/translations/<locale>/LC_MESSAGES/messages.po` (zh_CN and en), extracted
from the code and templates with `scripts/translations` (`babel.cfg`). Message ids are stable keys
("nav.agent", "state.ready"), translated in both locales, so codes can be looked up at run time
(`translate_code("ticket", "in_progress")`). The compiled `.mo` files are build products: they are
written from the `.po` by `scripts/bootstrap` and again here whenever one is missing or older than
its `.po`.

The language comes from the session (switched with POST /lang), then the user's saved preference,
then the browser's Accept-Language; Chinese by default. A message English lacks falls back to
Chinese, then to the key itself, so a missing translation shows up as a readable key rather than an
error.
"""

from __future__ import annotations

import io
import logging
import os
import tempfile
import threading
from pathlib import Path
from typing import Any

import flask_babel
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations
from flask import Flask, has_request_context, request, session
from flask_babel import Babel, Domain, get_locale
from flask_login import current_user

log = logging.getLogger(__name__)

LANGUAGES = ("zh", "en")  # the console's language codes (session, user preference, <html lang>)
LOCALES = {"zh": "zh_CN", "en": "en"}  # their gettext locales (web/translations/<locale>/)
DEFAULT = "zh"
DOMAIN = "messages"
TRANSLATIONS = Path(__file__).resolve().parent / "translations"

_lock = threading.Lock()
_catalogs: dict[str, NullTranslations] = {}
_entries: dict[str, dict[str, str]] = {}


def po_path(lang: str, directory: Path | None = None) -> Path:
    return (directory or TRANSLATIONS) / LOCALES[lang] / "LC_MESSAGES" / f"{DOMAIN}.po"


def compile_catalogs(directory: Path | None = None, *, force: bool = False) -> list[Path]:
    """Write each `<locale>/LC_MESSAGES/messages.mo` that is missing or older than its `.po`; return
    the files written. Atomic (temporary file, then rename), so concurrent workers never read half a
    file. Fuzzy entries are left out, as `pybabel compile` does."""
    written = []
    for po in sorted((directory or TRANSLATIONS).glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        mo = po.with_suffix(".mo")
        if not force and mo.exists() and mo.stat().st_mtime >= po.stat().st_mtime:
            continue
        with po.open("rb") as f:
            catalog = read_po(f, locale=po.parent.parent.name, domain=DOMAIN)
        fd, tmp = tempfile.mkstemp(dir=po.parent, prefix=".messages-", suffix=".mo")
        try:
            with os.fdopen(fd, "wb") as out:
                write_mo(out, catalog)
            os.replace(tmp, mo)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        written.append(mo)
    return written


def _load(lang: str) -> NullTranslations:
    """One language's compiled catalog, compiled first when stale. Where the package directory is
    read-only (an installed wheel without .mo files), the `.po` is compiled in memory instead."""
    try:
        compile_catalogs()
    except OSError as exc:
        log.warning("cannot write the compiled catalogs into %s (%s): compiling in memory", TRANSLATIONS, exc)
        po = po_path(lang)
        if not po.exists():
            return NullTranslations()
        buffer = io.BytesIO()
        with po.open("rb") as f:
            write_mo(buffer, read_po(f, locale=LOCALES[lang], domain=DOMAIN))
        buffer.seek(0)
        return Translations(buffer, domain=DOMAIN)
    return Translations.load(str(TRANSLATIONS), [LOCALES[lang]], DOMAIN)


def catalog(lang: str) -> NullTranslations:
    """The translations of one console language (English falls back to Chinese), loaded once."""
    lang = lang if lang in LANGUAGES else DEFAULT
    with _lock:
        found = _catalogs.get(lang)
    if found is not None:
        return found
    loaded = _load(lang)
    if lang != DEFAULT:
        loaded.add_fallback(catalog(DEFAULT))
    with _lock:
        return _catalogs.setdefault(lang, loaded)


def read_entries(lang: str, directory: Path | None = None) -> dict[str, str]:
    """msgid → msgstr of one language as written in its `.po` (untranslated and fuzzy entries as
    empty strings)."""
    with po_path(lang, directory).open("rb") as f:
        messages = read_po(f, locale=LOCALES[lang], domain=DOMAIN)
    return {str(m.id): ("" if m.fuzzy or not isinstance(m.string, str) else m.string) for m in messages if m.id}


def entries(lang: str) -> dict[str, str]:
    """`read_entries` of the console's catalogs, read once (what `has` reads)."""
    with _lock:
        found = _entries.get(lang)
    if found is not None:
        return found
    table = read_entries(lang)
    with _lock:
        return _entries.setdefault(lang, table)


def reload() -> None:
    """Forget the loaded catalogs (after the `.po` files changed)."""
    with _lock:
        _catalogs.clear()
        _entries.clear()


def current_language() -> str:
    lang = session.get("lang")
    if lang in LANGUAGES:
        return str(lang)
    if current_user and current_user.is_authenticated and getattr(current_user, "language", None) in LANGUAGES:
        return str(current_user.language)
    best = request.accept_languages.best_match(LANGUAGES) if request else None
    return best or DEFAULT


def select_locale() -> str:
    """Flask-Babel's locale selector: the console language's gettext locale."""
    return LOCALES[current_language() if has_request_context() else DEFAULT]


def _language_of_locale(locale: Any) -> str:
    """A babel Locale's console language (Locale.parse("zh_CN") is zh_Hans_CN: its language is zh)."""
    language = getattr(locale, "language", None)
    return language if language in LANGUAGES else DEFAULT


class ConsoleDomain(Domain):
    """Flask-Babel's domain reading the catalogs above, so `gettext`/`_` in code and templates and
    `translate` share one load and English's fallback to Chinese."""

    def get_translations(self) -> NullTranslations:
        return catalog(_language_of_locale(get_locale()))


def init_i18n(app: Flask) -> None:
    """Flask-Babel on the app: stale catalogs compiled now, the locale selected per request, `_` and
    `gettext` in templates."""
    try:
        compile_catalogs()
    except OSError as exc:  # a read-only install: `catalog` compiles in memory
        log.warning("cannot write the compiled catalogs into %s (%s)", TRANSLATIONS, exc)
    babel = Babel(app, locale_selector=select_locale, default_locale=LOCALES[DEFAULT], default_domain=DOMAIN,
                  default_translation_directories=str(TRANSLATIONS))
    babel.domain_instance = ConsoleDomain(translation_directories=[str(TRANSLATIONS)], domain=DOMAIN)
    # Old-style gettext in Jinja: `_('key')` returns plain text that autoescaping escapes, and is
    # never %-formatted (newstyle would trust the translation as markup and choke on "比例%").
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=flask_babel.gettext, ngettext=flask_babel.ngettext, pgettext=flask_babel.pgettext,
        npgettext=flask_babel.npgettext, newstyle=False)


def N_(key: str) -> str:  # gettext's name for "mark for extraction, translate later"
    """Mark a message id for `pybabel extract` where it is translated later (`translate`, `code`)."""
    return key


def has(key: str) -> bool:
    return key in entries(DEFAULT)


def translate(key: str, lang: str | None = None) -> str:
    return catalog(lang or current_language()).gettext(key)


def translate_code(prefix: str, code: object, lang: str | None = None) -> str:
    """A code shown to users ("connected", "in_progress") in the console's language; unknown codes
    are shown as they are rather than as a catalog key."""
    if code in (None, ""):
        return ""
    key = f"{prefix}.{code}"
    return translate(key, lang) if has(key) else str(code)


def missing_keys(directory: Path | None = None) -> dict[str, list[str]]:
    """Messages lacking a translation in a language: listed in the template (`messages.pot`) or in
    any `.po`, and absent, empty or fuzzy in that language's `.po` (the i18n tests assert this is
    empty)."""
    template = (directory or TRANSLATIONS) / f"{DOMAIN}.pot"
    ids: set[str] = set()
    if template.exists():
        with template.open("rb") as f:
            ids = {str(m.id) for m in read_po(f) if m.id}
    tables = {lang: read_entries(lang, directory) for lang in LANGUAGES}
    for table in tables.values():
        ids |= set(table)
    return {lang: sorted(k for k in ids if not tables[lang].get(k)) for lang in LANGUAGES}
