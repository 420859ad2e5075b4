"""Identity numbers: the GB 11643 check, plausible passports and permits, and masking."""

from __future__ import annotations

import random
from datetime import date

import pytest

from services.identity import (
    DocumentType,
    InvalidDocument,
    Reason,
    birth_date_of,
    check_character,
    generate_prc_id,
    mask_document_number,
    mask_name,
    validate_document,
    validate_passport,
    validate_prc_id,
    validate_travel_permit,
)

STANDARD_EXAMPLE = "11010519491231002X"  # GB 11643-1999's own example
TODAY = date(2026, 11, 22)


def reason(raw: str, kind: DocumentType = DocumentType.PRC_ID) -> Reason:
    with pytest.raises(InvalidDocument) as refused:
        validate_document(kind, raw, today=TODAY)
    return refused.value.reason


def test_the_standards_example_is_valid_with_its_birth_date() -> None:
    document = validate_prc_id(STANDARD_EXAMPLE, today=TODAY)
    assert document.type is DocumentType.PRC_ID
    assert document.number == STANDARD_EXAMPLE
    assert document.birth_date == date(1949, 12, 31)
    assert birth_date_of(STANDARD_EXAMPLE) == date(1949, 12, 31)
    assert check_character(STANDARD_EXAMPLE[:17]) == "X"


def test_typed_forms_are_normalized() -> None:
    assert validate_prc_id("110105 19491231 002x", today=TODAY).number == STANDARD_EXAMPLE
    full_width = "１１０１０５１９４９１２３１００２Ｘ"
    assert validate_prc_id(full_width, today=TODAY).number == STANDARD_EXAMPLE


@pytest.mark.parametrize("wrong", ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"])
def test_a_wrong_check_character_is_refused_with_its_reason(wrong: str) -> None:
    assert reason(STANDARD_EXAMPLE[:17] + wrong) is Reason.BAD_CHECK_CHARACTER


def test_one_mistyped_digit_is_caught() -> None:
    typo = STANDARD_EXAMPLE[:15] + "3" + STANDARD_EXAMPLE[16:]  # 002X -> 003X
    assert reason(typo) is Reason.BAD_CHECK_CHARACTER


@pytest.mark.parametrize(
    "birth",
    ["19490230", "19491331", "19490001", "18991231"],  # no 30 Feb, no month 13 or 0, before 1900
)
def test_an_impossible_birth_date_is_refused(birth: str) -> None:
    body = "110105" + birth + "002"
    assert reason(body + check_character(body)) is Reason.BAD_BIRTH_DATE


def test_a_birth_date_in_the_future_is_refused() -> None:
    body = "110105" + "20270101" + "002"
    assert reason(body + check_character(body)) is Reason.BIRTH_DATE_IN_FUTURE


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("", Reason.EMPTY),
        ("   ", Reason.EMPTY),
        ("11010519491231002", Reason.WRONG_LENGTH),
        ("110105491231002", Reason.WRONG_LENGTH),  # the old 15-digit numbers are withdrawn
        ("11010519491231002XX", Reason.WRONG_LENGTH),
        ("1101051949123100AX", Reason.BAD_CHARACTERS),
        ("X10105194912310021", Reason.BAD_CHARACTERS),
        ("99010519491231002X", Reason.BAD_REGION),
        ("00010519491231002X", Reason.BAD_REGION),
    ],
)
def test_each_problem_has_its_reason(raw: str, expected: Reason) -> None:
    assert reason(raw) is expected


def test_generated_ids_are_valid_and_hold_their_birth_date() -> None:
    rng = random.Random(11643)
    for _ in range(200):
        number = generate_prc_id(rng=rng)
        assert validate_prc_id(number, today=TODAY).number == number
    chosen = generate_prc_id(born=date(1990, 2, 28), region="330483", sequence=7)
    assert chosen.startswith("33048319900228007")
    assert birth_date_of(chosen) == date(1990, 2, 28)


@pytest.mark.parametrize("number", ["E12345678", "EA1234567", "G12345678", "X1234", "AB1234567"])
def test_plausible_passports_pass(number: str) -> None:
    assert validate_passport(number).number == number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("E123", Reason.WRONG_LENGTH),
        ("E" + "1" * 17, Reason.WRONG_LENGTH),
        ("ABCDEFGH", Reason.NO_DIGITS),
        ("E1234_678", Reason.BAD_CHARACTERS),
        ("", Reason.EMPTY),
    ],
)
def test_implausible_passports_are_refused(raw: str, expected: Reason) -> None:
    assert reason(raw, DocumentType.PASSPORT) is expected


@pytest.mark.parametrize(
    "number",
    ["C12345678", "CA1234567", "H12345678", "M1234567890", "12345678", "1234567890", "L12345678"],
)
def test_plausible_travel_permits_pass(number: str) -> None:
    assert validate_travel_permit(number).number == number


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("C123456", Reason.WRONG_LENGTH),
        ("C1234567", Reason.BAD_FORMAT),
        ("X12345678", Reason.BAD_FORMAT),
        ("H1234567A", Reason.BAD_FORMAT),
        ("C-1234-5678!", Reason.BAD_CHARACTERS),
    ],
)
def test_implausible_travel_permits_are_refused(raw: str, expected: Reason) -> None:
    assert reason(raw, DocumentType.TRAVEL_PERMIT) is expected


@pytest.mark.parametrize(
    ("name", "masked"),
    [
        ("戴美玲", "戴*玲"),
        ("王五", "王*"),
        ("欧阳娜娜", "欧**娜"),
        ("李", "*"),
        ("阿依古丽·买买提", "阿***·**提"),
        ("Dai Lingling", "D*** Lingling"),
        ("  dai   Lingling ", "d*** Lingling"),
        ("Maria del Carmen", "M*** d*** Carmen"),
        ("Madonna", "M***"),
        ("", ""),
    ],
)
def test_names_are_masked(name: str, masked: str) -> None:
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("number", "masked"),
    [
        (STANDARD_EXAMPLE, "110***********002X"),
        ("E12345678", "E1*****78"),
        ("C12345678", "C1*****78"),
        ("12345678", "12****78"),
        ("X1234", "X***4"),
    ],
)
def test_document_numbers_are_masked(number: str, masked: str) -> None:
    assert mask_document_number(number) == masked
    assert len(masked) == len(number)
