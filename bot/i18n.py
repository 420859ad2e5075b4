"""Translations: the gettext catalogs in locales/, compiled at start.

Compiling at start means a `pip install` or a fresh checkout needs no build step, and a
translator's edit to a .po file shows after a restart.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from tempfile import TemporaryDirectory

from aiogram.utils.i18n import I18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "messages"


def locales_dir() -> Path:
    return Path(str(files("locales")))


def compile_catalogs(source: Path, target: Path) -> None:
    """Write a .mo beside the layout of every .po: target/<locale>/LC_MESSAGES/messages.mo."""
    for po_path in sorted(source.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        locale = po_path.parent.parent.name
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=locale)
        mo_path = target / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"
        mo_path.parent.mkdir(parents=True)
        with mo_path.open("wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=False)


def build_i18n(default_locale: str) -> I18n:
    """aiogram's I18n over freshly compiled catalogs (it reads them into memory at once)."""
    with TemporaryDirectory(prefix="linkage-locales-") as compiled:
        compile_catalogs(locales_dir(), Path(compiled))
        return I18n(path=compiled, default_locale=default_locale, domain=DOMAIN)
