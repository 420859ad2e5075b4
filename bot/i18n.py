"""Translations: the gettext catalogs in locales/, compiled in memory at start.

Compiling at start means a `pip install` or a fresh checkout needs no build step, and a
translator's edit to a .po file shows after a restart.
"""

from __future__ import annotations

import gettext
from importlib.resources import files
from io import BytesIO
from pathlib import Path

from aiogram.utils.i18n import I18n
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

DOMAIN = "messages"


def locales_dir() -> Path:
    return Path(str(files("locales")))


class CatalogI18n(I18n):
    """aiogram's I18n reading .po catalogs directly instead of pre-compiled .mo files."""

    def find_locales(self) -> dict[str, gettext.GNUTranslations]:
        translations: dict[str, gettext.GNUTranslations] = {}
        for po_path in sorted(self.path.glob(f"*/LC_MESSAGES/{self.domain}.po")):
            locale = po_path.parent.parent.name
            with po_path.open("rb") as po_file:
                catalog = read_po(po_file, locale=locale)
            compiled = BytesIO()
            write_mo(compiled, catalog, use_fuzzy=False)
            compiled.seek(0)
            translations[locale] = gettext.GNUTranslations(compiled)
        return translations


def build_i18n(default_locale: str) -> CatalogI18n:
    return CatalogI18n(path=locales_dir(), default_locale=default_locale, domain=DOMAIN)
