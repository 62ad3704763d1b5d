"""Validators for what residents and staff type: ID numbers (GB 11643), phone numbers and the dates of the work.

Every form field of these kinds uses them (tests/security/test_fuzz_forms.py checks that they do).
"""

from __future__ import annotations

import datetime
import re
import unicodedata

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK_CHARS = "10X98765432"
# ASCII digits only: Python's \d also matches other scripts' digits ("٣", "३"), which would be stored as typed.
_ID_SHAPE = re.compile(r"^[1-9]\d{16}[\dX]$", re.ASCII)
_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}|[2-9]\d{6,7})$", re.ASCII)
# The office's records (visits, payments, meetings, deadlines) fall in these years; a date outside them is a slip
# of the keyboard (0202 for 2026, 20266) and would sort a record out of every list and report.
EARLIEST_WORK_DATE = datetime.date(2000, 1, 1)
LATEST_WORK_DATE = datetime.date(2099, 12, 31)


def normalize_id_number(value: str) -> str:
    """Strip spaces and upper-case the check character, the way a typed or pasted number arrives.

    Full-width digits and letters (a Chinese input method's "３３０１０６…", "ｘ") become ASCII, so one number is
    stored one way only and the uniqueness of ID numbers holds however it was typed.
    """
    return unicodedata.normalize("NFKC", value or "").strip().replace(" ", "").upper()


def id_check_char(first17: str) -> str:
    """The GB 11643 check character of the first 17 digits."""
    total = sum(int(digit) * weight for digit, weight in zip(first17, ID_WEIGHTS, strict=True))
    return ID_CHECK_CHARS[total % 11]


def birth_date_from_id(value: str) -> datetime.date | None:
    """The birth date encoded in positions 7-14, or None if it is not a real date."""
    try:
        return datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return None


def validate_id_number(value: str) -> None:
    """A resident ID number: 18 characters, a real birth date, and the GB 11643 check digit."""
    number = normalize_id_number(value)
    if len(number) != 18:
        raise ValidationError(_("身份证号码应为18位。"), code="id_length")
    if not _ID_SHAPE.match(number):
        raise ValidationError(_("身份证号码只能由数字组成，最后一位可以是 X。"), code="id_shape")
    born = birth_date_from_id(number)
    if born is None:
        raise ValidationError(_("身份证号码中的出生日期不存在。"), code="id_birth_date")
    if born.year < 1900 or born > timezone.localdate():
        raise ValidationError(_("身份证号码中的出生日期不合理。"), code="id_birth_date")
    if id_check_char(number[:17]) != number[17]:
        raise ValidationError(_("身份证号码校验位不正确，请核对。"), code="id_check_digit")


def gender_from_id(value: str) -> str:
    """'M' or 'F' from the 17th digit (odd is male)."""
    return "M" if int(value[16]) % 2 else "F"


def mask_id_number(value: str) -> str:
    """330106********1234: the region and the last four, enough to tell residents apart on a list."""
    if not value:
        return ""
    if len(value) < 10:
        return "*" * len(value)
    return f"{value[:6]}{'*' * (len(value) - 10)}{value[-4:]}"


def validate_phone(value: str) -> None:
    """A mainland mobile number, or a landline with or without its area code, in ASCII digits."""
    if value and not value.isascii() and unicodedata.normalize("NFKC", value).isascii():
        raise ValidationError(_("电话号码请用半角数字填写（请切换到英文输入法）。"), code="phone_width")
    if value and not _PHONE.match(value.strip()):
        raise ValidationError(_("电话号码格式不正确：手机号为11位，固定电话如 0571-88886666。"), code="phone")


def validate_work_date(value: datetime.date | None) -> None:
    """A date of the office's work, typed or picked: a deadline, a review, a pairing, a planned meeting."""
    if value is not None and not EARLIEST_WORK_DATE <= value <= LATEST_WORK_DATE:
        raise _work_date_error()


def validate_recorded_date(value: datetime.date | None) -> None:
    """The date of something that has happened (a visit, a payment, a meeting held): not before the office's years.

    A date in the future is refused by each form or service with its own message ("走访日期不能晚于今天。"), which
    says more than a range would.
    """
    if value is not None and value < EARLIEST_WORK_DATE:
        raise _work_date_error()


def _work_date_error() -> ValidationError:
    return ValidationError(
        _("日期不合理：请填写 %(start)s 年至 %(end)s 年之间的日期。"),
        code="work_date",
        params={"start": EARLIEST_WORK_DATE.year, "end": LATEST_WORK_DATE.year},
    )
