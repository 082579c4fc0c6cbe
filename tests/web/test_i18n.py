"""The console's translations on Flask-Babel: the gettext catalogs are complete for every message the
code and templates use, the .mo files are compiled from the .po when missing or stale, English falls
back to Chinese, and `_()` in templates is escaped text like any other value."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.pofile import read_po, write_po
from flask import render_template_string

from web import catalogs, i18n


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A copy of web/translations (without compiled files) to break."""
    target = tmp_path / "translations"
    shutil.copytree(i18n.TRANSLATIONS, target, ignore=shutil.ignore_patterns("*.mo"))
    return target


@pytest.fixture
def catalogs_in(copy: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The console reading its catalogs from the copy."""
    monkeypatch.setattr(i18n, "TRANSLATIONS", copy)
    i18n.reload()
    yield copy
    i18n.reload()


def _edit(path: Path, msgid: str, *, string: str = "", fuzzy: bool = False) -> None:
    with path.open("rb") as f:
        catalog = read_po(f)
    message = catalog[msgid]
    assert message is not None
    message.string = string
    if fuzzy:
        message.flags.add("fuzzy")
    with path.open("wb") as f:
        write_po(f, catalog)


def test_every_message_used_in_code_and_templates_is_translated_in_both_locales() -> None:
    assert catalogs.check() == []
    used = {str(m.id) for m in catalogs.extract() if m.id}
    assert {"brand", "nav.agent", "testcall.pending.hold", "record.value.yes", "state.wrap_up"} <= used
    for lang in i18n.LANGUAGES:
        table = i18n.read_entries(lang)
        assert all(table.get(msgid) for msgid in used), lang


def test_a_message_without_translation_or_a_stale_template_is_reported(
        catalogs_in: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _edit(i18n.po_path("en", catalogs_in), "nav.qa")
    _edit(i18n.po_path("zh", catalogs_in), "brand", string="12333", fuzzy=True)
    assert i18n.missing_keys(catalogs_in) == {"zh": ["brand"], "en": ["nav.qa"]}
    problems = catalogs.check()
    assert any("en: untranslated or fuzzy: ['nav.qa']" in p for p in problems)
    template = catalogs_in / "messages.pot"
    with template.open("rb") as f:
        pot = read_po(f)
    pot.delete("testcall.say")
    with template.open("wb") as f:
        write_po(f, pot)
    monkeypatch.setattr(catalogs, "TEMPLATE", template)
    assert any("messages.pot is stale" in p and "'testcall.say'" in p for p in catalogs.check())


def test_mo_files_are_compiled_when_missing_or_older_than_the_po(copy: Path) -> None:
    written = i18n.compile_catalogs(copy)
    assert sorted(p.relative_to(copy).as_posix() for p in written) == [
        "en/LC_MESSAGES/messages.mo", "zh_CN/LC_MESSAGES/messages.mo"]
    assert i18n.compile_catalogs(copy) == []  # fresh: nothing to do
    po = i18n.po_path("en", copy)
    mo = po.with_suffix(".mo")
    _edit(po, "brand", string="12333 Hotline")
    stamp = mo.stat().st_mtime
    os.utime(po, (stamp + 10, stamp + 10))
    assert i18n.compile_catalogs(copy) == [mo]
    assert not list(copy.glob("*/LC_MESSAGES/.messages-*"))  # no temporary file left behind


def test_english_falls_back_to_chinese_then_to_the_key(catalogs_in: Path) -> None:
    _edit(i18n.po_path("en", catalogs_in), "nav.qa")
    assert i18n.translate("nav.qa", "en") == "质检"
    assert i18n.translate("nav.recordings", "en") == "Recordings"
    assert i18n.translate("no.such.key", "en") == "no.such.key"
    assert (catalogs_in / "en" / "LC_MESSAGES" / "messages.mo").exists()  # compiled on first use


def test_a_read_only_package_compiles_in_memory(catalogs_in: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any, **kwargs: Any) -> list[Path]:
        raise PermissionError("read-only")

    monkeypatch.setattr(i18n, "compile_catalogs", refuse)
    assert i18n.translate("nav.qa", "en") == "Quality review"
    assert i18n.translate("nav.qa", "zh") == "质检"
    assert not list(catalogs_in.glob("*/LC_MESSAGES/*.mo"))


def test_flask_babel_selects_the_locale_of_the_console_language(web_app: Any) -> None:
    import flask_babel

    # Locale.parse("zh_CN") is zh_Hans_CN
    cases = [({}, None, "zh_Hans_CN", "坐席"), ({"Accept-Language": "en-GB,en;q=0.8"}, None, "en", "Agent"),
             ({"Accept-Language": "en"}, "zh", "zh_Hans_CN", "坐席"), ({}, "en", "en", "Agent")]
    for headers, chosen, locale, text in cases:
        with web_app.test_request_context("/", headers=headers):
            if chosen:
                from flask import session

                session["lang"] = chosen
            assert str(flask_babel.get_locale()) == locale
            assert flask_babel.gettext("nav.agent") == text
            assert flask_babel.lazy_gettext("nav.agent") == text
            assert render_template_string("{{ _('nav.agent') }}|{{ gettext('nav.agent') }}") == f"{text}|{text}"


def test_translations_in_templates_are_escaped_text_never_formatted(web_app: Any) -> None:
    with web_app.test_request_context("/", headers={"Accept-Language": "zh"}):
        assert render_template_string("{{ _('qa.rate') }}") == "抽样比例%"  # a lone % is not a format
        assert render_template_string("{{ _('<b>x</b>') }}") == "&lt;b&gt;x&lt;/b&gt;"
        assert render_template_string("{{ code('ticket', 'in_progress') }}·{{ code('ticket', 'x') }}") == "办理中·x"
