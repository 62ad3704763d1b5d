"""Quarters are calendar quarters on the office's clock, Asia/Shanghai."""

import datetime
import zoneinfo

import pytest
from django.utils import timezone

from visits.periods import Quarter, months_back


def test_quarter_boundaries():
    q4 = Quarter(2026, 4)
    assert (q4.start, q4.end, q4.days) == (datetime.date(2026, 10, 1), datetime.date(2026, 12, 31), 92)
    assert Quarter(2024, 1).days == 91  # a leap year's first quarter
    assert Quarter.containing(datetime.date(2026, 3, 31)) == Quarter(2026, 1)
    assert Quarter.containing(datetime.date(2026, 4, 1)) == Quarter(2026, 2)
    assert Quarter(2026, 1).previous() == Quarter(2025, 4)
    assert Quarter(2025, 4).next() == Quarter(2026, 1)


def test_the_current_quarter_follows_shanghai_not_utc(settings, monkeypatch):
    # 31 March 2026 17:30 UTC is already 1 April 01:30 in Hangzhou: the second quarter has begun.
    moment = datetime.datetime(2026, 3, 31, 17, 30, tzinfo=datetime.UTC)
    monkeypatch.setattr(timezone, "now", lambda: moment)
    assert moment.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai")).date() == datetime.date(2026, 4, 1)
    assert Quarter.current() == Quarter(2026, 2)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026Q3", Quarter(2026, 3)),
        ("2026q1", Quarter(2026, 1)),
        ("2026Q5", None),
        ("x", None),
        ("", None),
        ("1066Q1", None),
        (None, None),
    ],
)
def test_parse_accepts_only_real_quarters(text, expected):
    assert Quarter.parse(text) == expected


def test_months_back_crosses_the_year():
    assert months_back(datetime.date(2026, 2, 14), 4) == [
        datetime.date(2025, 11, 1),
        datetime.date(2025, 12, 1),
        datetime.date(2026, 1, 1),
        datetime.date(2026, 2, 1),
    ]
