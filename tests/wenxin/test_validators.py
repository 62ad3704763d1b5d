"""Resident ID numbers (GB 11643) and phone numbers, as staff type them."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from tests.factories import make_id_number
from wenxin.validators import (
    birth_date_from_id,
    gender_from_id,
    id_check_char,
    mask_id_number,
    normalize_id_number,
    validate_id_number,
    validate_phone,
)

# A published sample number with an X check character (GB 11643 appendix example).
VALID_WITH_X = "11010519491231002X"


def test_it_accepts_a_valid_number():
    validate_id_number(VALID_WITH_X)
    validate_id_number(make_id_number(42))


def test_it_computes_the_check_character_of_the_standard_example():
    assert id_check_char("11010519491231002") == "X"


def test_it_accepts_a_lower_case_x_and_spaces_once_normalised():
    assert normalize_id_number(" 110105 19491231002x ") == VALID_WITH_X
    validate_id_number(" 11010519491231002x")


@pytest.mark.parametrize(
    ("number", "code"),
    [
        ("1101051949123100", "id_length"),
        ("1101051949123100201", "id_length"),
        ("", "id_length"),
        ("11010519491231002Y", "id_shape"),
        ("01010519491231002X", "id_shape"),
        ("1101051949123A002X", "id_shape"),
        ("110105194902300021", "id_birth_date"),  # 30 February
        ("110105194913010021", "id_birth_date"),  # month 13
        ("110105180001010021", "id_birth_date"),  # before 1900
        ("110105194912310021", "id_check_digit"),  # 002X changed to 0021
    ],
)
def test_it_refuses_bad_numbers_with_the_reason(number, code):
    with pytest.raises(ValidationError) as error:
        validate_id_number(number)
    assert error.value.code == code


def test_it_refuses_a_birth_date_in_the_future():
    tomorrow = datetime.date.today() + datetime.timedelta(days=400)  # noqa: DTZ011 - any later date will do
    first17 = f"330106{tomorrow:%Y%m%d}001"
    with pytest.raises(ValidationError) as error:
        validate_id_number(first17 + id_check_char(first17))
    assert error.value.code == "id_birth_date"


def test_every_single_digit_typo_is_caught_by_the_check_digit():
    number = make_id_number(7)
    for position in range(17):
        digit = int(number[position])
        typo = number[:position] + str((digit + 1) % 10) + number[position + 1 :]
        with pytest.raises(ValidationError):
            validate_id_number(typo)


def test_the_message_is_in_chinese():
    with pytest.raises(ValidationError) as error:
        validate_id_number("110105194912310021")
    assert "校验位" in str(error.value.messages[0])


def test_birth_date_and_gender_follow_from_the_number():
    assert birth_date_from_id(VALID_WITH_X) == datetime.date(1949, 12, 31)
    assert gender_from_id(VALID_WITH_X) == "F"  # 17th digit 2 is even
    assert gender_from_id("110105194912310011"[:17] + "1") == "M"


def test_masking_keeps_the_region_and_last_four():
    assert mask_id_number("330106198001011234") == "330106********1234"
    assert mask_id_number("") == ""
    assert mask_id_number("12345") == "*****"


@pytest.mark.parametrize("phone", ["13812345678", "0571-88886666", "057188886666", "88886666", ""])
def test_it_accepts_mobile_and_landline_numbers(phone):
    validate_phone(phone)


@pytest.mark.parametrize("phone", ["12812345678", "1381234567", "phone", "138-1234-5678x", "000"])
def test_it_refuses_malformed_phone_numbers(phone):
    with pytest.raises(ValidationError):
        validate_phone(phone)
