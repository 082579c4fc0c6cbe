"""Keeping the console's message catalogs (`scripts/translations`, or `python -m web.catalogs`).

    extract   write web/translations/messages.pot from the code and templates (babel.cfg)
    update    merge messages.pot into each locale's messages.po (new ids arrive untranslated)
    compile   write the .mo files that are missing or older than their .po (--force: all)
    check     exit 1 when messages.pot is stale or a message lacks a translation in a locale

The keywords are gettext's (`_`, `gettext`, `ngettext`, `N_`, …) plus `translate`, the console's
lookup with an explicit language. Ids built at run time are marked with `N_` (web/i18n_codes.py).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po, write_po

from web.i18n import DOMAIN, LANGUAGES, LOCALES, TRANSLATIONS, compile_catalogs, missing_keys, po_path, reload

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "babel.cfg"
TEMPLATE = TRANSLATIONS / f"{DOMAIN}.pot"
KEYWORDS = {**DEFAULT_KEYWORDS, "translate": None}
WIDTH = 120
PROJECT = ("hotline12333", "0.1.0")


def _in_web(dirpath: str) -> bool:
    parts = Path(dirpath).resolve().relative_to(ROOT).parts
    return (not parts or parts[0] == "web") and not any(p.startswith((".", "_")) for p in parts)


def extract() -> Catalog:
    """The messages the code and templates use, with the files that use them."""
    with CONFIG.open() as f:
        method_map, options_map = parse_mapping_cfg(f, filename=str(CONFIG))
    catalog = Catalog(project=PROJECT[0], version=PROJECT[1], domain=DOMAIN, fuzzy=False,
                      copyright_holder="hotline12333 contributors", msgid_bugs_address="")
    for filename, lineno, message, comments, context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS, directory_filter=_in_web):
        catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def _write(path: Path, catalog: Catalog) -> None:
    with path.open("wb") as f:
        write_po(f, catalog, width=WIDTH, sort_output=True, include_lineno=False)


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as f:
        return read_po(f, locale=locale, domain=DOMAIN)


def write_template() -> Path:
    _write(TEMPLATE, extract())
    return TEMPLATE


def update() -> list[Path]:
    """Bring each locale's .po in line with messages.pot: new ids added untranslated, ids no longer
    used kept as obsolete (#~) entries, no fuzzy guesses (keys are not sentences)."""
    template = _read(TEMPLATE)
    written = []
    for lang in LANGUAGES:
        path = po_path(lang)
        catalog = _read(path, LOCALES[lang])
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        _write(path, catalog)
        written.append(path)
    reload()
    return written


def check() -> list[str]:
    """What is wrong with the catalogs (empty when all is well)."""
    problems = []
    used = {m.id for m in extract() if m.id}
    listed = {m.id for m in _read(TEMPLATE) if m.id}
    if used != listed:
        problems.append(f"{TEMPLATE.name} is stale (run scripts/translations extract and update): "
                        f"new {sorted(map(str, used - listed))}, gone {sorted(map(str, listed - used))}")
    for lang in LANGUAGES:
        if not po_path(lang).exists():
            problems.append(f"{po_path(lang)} is missing")
            continue
        lacking = {str(i) for i in listed} - set(_ids(lang))
        if lacking:
            problems.append(f"{LOCALES[lang]}: not in messages.po (run scripts/translations update): {sorted(lacking)}")
    for lang, keys in missing_keys().items():
        if keys:
            problems.append(f"{LOCALES[lang]}: untranslated or fuzzy: {keys}")
    return problems


def _ids(lang: str) -> list[str]:
    return [str(m.id) for m in _read(po_path(lang), LOCALES[lang]) if m.id]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="scripts/translations", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=("extract", "update", "compile", "check"))
    parser.add_argument("--force", action="store_true", help="compile: rewrite every .mo")
    args = parser.parse_args(argv)
    if args.command == "extract":
        print(f"wrote {write_template().relative_to(ROOT)}")
    elif args.command == "update":
        for path in update():
            print(f"updated {path.relative_to(ROOT)}")
    elif args.command == "compile":
        for path in compile_catalogs(force=args.force):
            print(f"compiled {path.relative_to(ROOT)}")
    else:
        problems = check()
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            return 1
        print("catalogs complete: every message is translated in " + ", ".join(LOCALES.values()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
