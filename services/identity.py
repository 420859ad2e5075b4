"""Identity documents: checking the numbers people type, and masking what is shown of them.

PRC resident identity numbers follow GB 11643-1999: 18 characters, a 6-digit administrative
region code (GB/T 2260), the birth date as YYYYMMDD, a 3-digit sequence (odd for men, even for
women) and a check character computed with ISO 7064 MOD 11-2 (0-9 or X). `11010519491231002X`
is the standard's own example.

Other documents have no public check digit, so they get a plausible-format check:

- passport: 5-17 letters and digits with at least one digit (Chinese passports are E + 8 digits
  or E + a letter + 7 digits; older ones G + 8 digits; foreign ones vary);
- HK/Macau/Taiwan travel permit: the exit-entry permit for Hong Kong and Macau (C + 8 characters:
  C12345678, CA1234567), the home-return permit of Hong Kong and Macau residents (H or M + 8 or 10
  digits), the permit of Taiwan residents (8 or 10 digits), and the mainland residents' permit
  for Taiwan (L + 8 digits).

Every refusal carries a `Reason`, a stable code the bot turns into a sentence in the person's
language.

Masking (what a certificate, the verification page and a front desk see):

- a Chinese name keeps its first and last character: 戴*玲, 欧**娜; a two-character name keeps
  the first: 王*; a middle dot (·) in minority and transliterated names stays;
- a Latin-script name keeps its last word whole and shows the other words as an initial and
  three stars, whatever their length (the length would tell too much): "Dai Lingling" becomes
  "D*** Lingling", "Maria del Carmen" becomes "M*** d*** Carmen"; a one-word name shows its
  initial only: "Madonna" becomes "M***";
- a document number keeps its first 3 and last 4 characters when at least half stays hidden
  (14 characters or more: `110***********002X`); shorter numbers such as passports keep the
  first 2 and last 2 (`E1*****78`), and numbers under 8 characters the first and the last.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

__all__ = [
    "PROVINCE_CODES",
    "Document",
    "DocumentType",
    "InvalidDocument",
    "Reason",
    "birth_date_of",
    "check_character",
    "generate_prc_id",
    "is_chinese_name",
    "mask_document_number",
    "mask_name",
    "normalize_document_number",
    "validate_document",
    "validate_passport",
    "validate_prc_id",
    "validate_travel_permit",
]


class DocumentType(StrEnum):
    PRC_ID = "prc_id"  # 居民身份证
    PASSPORT = "passport"  # 护照
    TRAVEL_PERMIT = "travel_permit"  # 港澳台通行证 / 回乡证 / 台胞证


class Reason(StrEnum):
    """Why a document number was refused: stable codes, translated by the caller."""

    EMPTY = "empty"
    WRONG_LENGTH = "wrong_length"
    BAD_CHARACTERS = "bad_characters"
    BAD_REGION = "bad_region"  # the first 6 digits are no region code
    BAD_BIRTH_DATE = "bad_birth_date"  # no such day (19490230), or before 1900
    BIRTH_DATE_IN_FUTURE = "birth_date_in_future"
    BAD_CHECK_CHARACTER = "bad_check_character"  # a typo, most likely
    NO_DIGITS = "no_digits"  # a passport number with letters only
    BAD_FORMAT = "bad_format"  # not the shape of any permit of that kind


class InvalidDocument(ValueError):
    """A document number that cannot be right; `reason` says why."""

    def __init__(self, reason: Reason, number: str = "") -> None:
        super().__init__(reason.value)
        self.reason = reason
        self.number = number


@dataclass(frozen=True)
class Document:
    """A document number that passed its check, normalized (upper case, no spaces)."""

    type: DocumentType
    number: str
    birth_date: date | None = None  # read from a PRC ID; None for other documents

    @property
    def masked(self) -> str:
        return mask_document_number(self.number)


# Province-level codes of GB/T 2260 (the first two digits of a region code); 83 is used by the
# residence permits of Taiwan residents, 81 and 82 by those of Hong Kong and Macau residents.
PROVINCE_CODES = frozenset(
    {
        "11", "12", "13", "14", "15",
        "21", "22", "23",
        "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46",
        "50", "51", "52", "53", "54",
        "61", "62", "63", "64", "65",
        "71", "81", "82", "83",
    }
)  # fmt: skip

_WEIGHTS = tuple(pow(2, 17 - i, 11) for i in range(17))  # 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2
_CHECK_CHARACTERS = "10X98765432"  # indexed by the weighted sum mod 11
_EARLIEST_BIRTH = date(1900, 1, 1)
_SEPARATORS = re.compile(r"[\s\-‐‑–—]+")


def normalize_document_number(raw: str) -> str:
    """Full-width characters made plain (NFKC), spaces and dashes dropped, letters upper-cased."""
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw)).upper()


def check_character(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character of the first 17 digits of a PRC ID number."""
    if len(first17) != 17 or not first17.isascii() or not first17.isdigit():
        raise ValueError("needs exactly 17 digits")
    total = sum(int(digit) * weight for digit, weight in zip(first17, _WEIGHTS, strict=True))
    return _CHECK_CHARACTERS[total % 11]


def validate_prc_id(raw: str, *, today: date | None = None) -> Document:
    """Check a PRC resident ID number; raise InvalidDocument with the first problem found."""
    number = normalize_document_number(raw)
    if not number:
        raise InvalidDocument(Reason.EMPTY)
    if len(number) != 18:
        raise InvalidDocument(Reason.WRONG_LENGTH, number)
    body, last = number[:17], number[17]
    if not (body.isascii() and body.isdigit() and (last == "X" or last in "0123456789")):
        raise InvalidDocument(Reason.BAD_CHARACTERS, number)
    if number[:2] not in PROVINCE_CODES:
        raise InvalidDocument(Reason.BAD_REGION, number)
    try:
        born = date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise InvalidDocument(Reason.BAD_BIRTH_DATE, number) from None
    if born < _EARLIEST_BIRTH:
        raise InvalidDocument(Reason.BAD_BIRTH_DATE, number)
    if born > (today or date.today()):
        raise InvalidDocument(Reason.BIRTH_DATE_IN_FUTURE, number)
    if check_character(body) != last:
        raise InvalidDocument(Reason.BAD_CHECK_CHARACTER, number)
    return Document(DocumentType.PRC_ID, number, born)


_PASSPORT = re.compile(r"^[A-Z0-9]{5,17}$")
_TRAVEL_PERMITS = (
    re.compile(r"^C[A-Z0-9]\d{7}$"),  # exit-entry permit for Hong Kong and Macau (往来港澳通行证)
    re.compile(r"^[HM](\d{8}|\d{10})$"),  # home-return permit (港澳居民来往内地通行证)
    re.compile(r"^(\d{8}|\d{10})$"),  # permit of Taiwan residents (台湾居民来往大陆通行证)
    re.compile(r"^L\d{8}$"),  # mainland residents' permit for Taiwan (大陆居民往来台湾通行证)
)


def validate_passport(raw: str) -> Document:
    number = normalize_document_number(raw)
    if not number:
        raise InvalidDocument(Reason.EMPTY)
    if not (number.isascii() and number.isalnum()):
        raise InvalidDocument(Reason.BAD_CHARACTERS, number)
    if not _PASSPORT.match(number):
        raise InvalidDocument(Reason.WRONG_LENGTH, number)
    if not any(character.isdigit() for character in number):
        raise InvalidDocument(Reason.NO_DIGITS, number)
    return Document(DocumentType.PASSPORT, number)


def validate_travel_permit(raw: str) -> Document:
    number = normalize_document_number(raw)
    if not number:
        raise InvalidDocument(Reason.EMPTY)
    if not (number.isascii() and number.isalnum()):
        raise InvalidDocument(Reason.BAD_CHARACTERS, number)
    if not 8 <= len(number) <= 11:
        raise InvalidDocument(Reason.WRONG_LENGTH, number)
    if not any(pattern.match(number) for pattern in _TRAVEL_PERMITS):
        raise InvalidDocument(Reason.BAD_FORMAT, number)
    return Document(DocumentType.TRAVEL_PERMIT, number)


def validate_document(kind: DocumentType | str, raw: str, *, today: date | None = None) -> Document:
    """Check a number as the given kind of document; raise InvalidDocument(reason) if wrong."""
    kind = DocumentType(kind)
    if kind is DocumentType.PRC_ID:
        return validate_prc_id(raw, today=today)
    if kind is DocumentType.PASSPORT:
        return validate_passport(raw)
    return validate_travel_permit(raw)


def birth_date_of(prc_id: str) -> date:
    """The birth date inside a PRC ID number (checked first; InvalidDocument if wrong)."""
    found = validate_prc_id(prc_id).birth_date
    assert found is not None
    return found


def generate_prc_id(
    *,
    born: date | None = None,
    region: str = "330483",  # Tongxiang, Zhejiang (Wuzhen)
    sequence: int | None = None,
    rng: random.Random | None = None,
) -> str:
    """A valid PRC ID number for tests and demonstrations (random birth date and sequence)."""
    rng = rng or random.Random()
    if len(region) != 6 or not region.isdigit() or region[:2] not in PROVINCE_CODES:
        raise ValueError(f"not a region code: {region!r}")
    if born is None:
        born = date.fromordinal(
            rng.randint(date(1940, 1, 1).toordinal(), date(2005, 12, 31).toordinal())
        )
    if sequence is None:
        sequence = rng.randint(0, 999)
    if not 0 <= sequence <= 999:
        raise ValueError("sequence is 0-999")
    body = f"{region}{born:%Y%m%d}{sequence:03d}"
    return body + check_character(body)


# --- masking ------------------------------------------------------------------------------------

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_NAME_DOTS = "·•・‧"


def is_chinese_name(name: str) -> bool:
    return bool(_HAN.search(name))


def mask_name(name: str) -> str:
    """What a certificate shows of a name: 戴*玲, 王*, D*** Lingling (see the module doc)."""
    name = " ".join(unicodedata.normalize("NFKC", name).split())
    if not name:
        return ""
    if is_chinese_name(name):
        characters = [c for c in name if not c.isspace()]
        if len(characters) == 1:
            return "*"
        if len(characters) == 2:
            return characters[0] + "*"
        middle = ["" if c.isspace() else c if c in _NAME_DOTS else "*" for c in characters[1:-1]]
        return characters[0] + "".join(middle) + characters[-1]
    words = name.split(" ")
    if len(words) == 1:
        return words[0][0] + "***"
    return " ".join([word[0] + "***" for word in words[:-1]] + [words[-1]])


def mask_document_number(number: str) -> str:
    """First 3 and last 4 when at least half stays hidden, else less (see the module doc)."""
    number = normalize_document_number(number)
    if len(number) >= 14:
        head, tail = 3, 4
    elif len(number) >= 8:
        head, tail = 2, 2
    elif len(number) >= 3:
        head, tail = 1, 1
    else:
        return "*" * len(number)
    return number[:head] + "*" * (len(number) - head - tail) + number[-tail:]
