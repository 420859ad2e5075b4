"""Every user-facing string is translated in both languages, and the catalogs match the code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[1]
LOCALES = ("en", "zh")
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None, "__": None}
PLACEHOLDER = re.compile(r"\{[a-z_]+\}")


def ids_in_source() -> set[str]:
    method_map = [(f"{package}/**.py", "python") for package in ("bot", "handlers", "services")]
    return {
        message if isinstance(message, str) else message[0]
        for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map=method_map, keywords=KEYWORDS
        )
    }


def catalog(locale: str) -> dict[str, object]:
    with (ROOT / "locales" / locale / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return {message.id: message for message in read_po(po, locale=locale) if message.id}


@pytest.mark.parametrize("locale", LOCALES)
def test_catalog_is_current_with_the_code(locale: str) -> None:
    in_code, in_catalog = ids_in_source(), set(catalog(locale))
    assert not in_code - in_catalog, "run scripts/i18n: ids missing from the catalog"
    assert not in_catalog - in_code, "run scripts/i18n: catalog has ids the code no longer uses"


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_is_translated(locale: str) -> None:
    for message_id, message in catalog(locale).items():
        assert message.string, f"{locale}: no translation for {message_id!r}"  # type: ignore[attr-defined]
        assert not message.fuzzy, f"{locale}: fuzzy translation for {message_id!r}"  # type: ignore[attr-defined]
        assert sorted(PLACEHOLDER.findall(message_id)) == sorted(
            PLACEHOLDER.findall(message.string)  # type: ignore[attr-defined]
        ), f"{locale}: placeholders differ in {message_id!r}"


def test_chinese_is_really_chinese() -> None:
    """A catalog copied from English would pass the completeness test; this one would not."""
    for message_id, message in catalog("zh").items():
        if re.search(r"[A-Za-z]{2,}", PLACEHOLDER.sub("", message_id)):  # words to translate
            assert re.search(r"[\u4e00-\u9fff]", message.string), message_id  # type: ignore[attr-defined]
