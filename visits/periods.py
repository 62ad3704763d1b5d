"""Calendar quarters, months and blocks of months in Asia/Shanghai: the periods quotas, service days, meeting
cadences and the three musts are counted in."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

_QUARTER = re.compile(r"^(\d{4})Q([1-4])$")


@dataclass(frozen=True, order=True)
class Quarter:
    """A calendar quarter, e.g. Quarter(2026, 4) for October to December 2026."""

    year: int
    number: int

    @classmethod
    def containing(cls, day: datetime.date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @classmethod
    def current(cls) -> Quarter:
        """Today's quarter on the office's clock (TIME_ZONE, Asia/Shanghai), not the server's UTC."""
        return cls.containing(timezone.localdate())

    @classmethod
    def parse(cls, text: str | None, default: Quarter | None = None) -> Quarter | None:
        """'2026Q4' → Quarter(2026, 4); anything else → default."""
        match = _QUARTER.match((text or "").strip().upper())
        if not match:
            return default
        year = int(match.group(1))
        if not 2000 <= year <= 2100:
            return default
        return cls(year, int(match.group(2)))

    @property
    def start(self) -> datetime.date:
        return datetime.date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> datetime.date:
        return self.next().start - datetime.timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def next(self) -> Quarter:
        return Quarter(self.year + 1, 1) if self.number == 4 else Quarter(self.year, self.number + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - 1, 4) if self.number == 1 else Quarter(self.year, self.number - 1)

    @property
    def slug(self) -> str:
        return f"{self.year}Q{self.number}"

    def __str__(self) -> str:
        return _("%(year)s年第%(number)s季度") % {"year": self.year, "number": self.number}


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def months_back(last: datetime.date, count: int) -> list[datetime.date]:
    """The first days of `count` months ending with last's month, oldest first."""
    months = []
    year, month = last.year, last.month
    for _i in range(count):
        months.append(datetime.date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return months[::-1]


# --- Calendar-aligned blocks of months: the cadence of meetings, the period of the three musts ------------------

# A block must divide the year, so every year starts a new one: Jan–Feb, Mar–Apr … for two months.
MONTH_BLOCKS = (1, 2, 3, 4, 6, 12)


def add_months(day: datetime.date, months: int) -> datetime.date:
    """The first day of the month `months` after (or before, if negative) the month of `day`."""
    index = day.year * 12 + (day.month - 1) + months
    return datetime.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True, order=True)
class Period:
    """A calendar-aligned block of `months` months starting on `start` (always the first of a month)."""

    start: datetime.date
    months: int

    @property
    def end(self) -> datetime.date:
        return add_months(self.start, self.months) - datetime.timedelta(days=1)

    @property
    def last_month(self) -> int:
        return self.end.month

    def next(self) -> Period:
        return Period(add_months(self.start, self.months), self.months)

    def previous(self) -> Period:
        return Period(add_months(self.start, -self.months), self.months)

    def contains(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end

    def days_left(self, today: datetime.date) -> int:
        """Days from today to the period's last day, both counted; 0 once it is over."""
        return max((self.end - today).days + 1, 0)

    @property
    def short_label(self) -> str:
        """The period within its year: 全年, 第3季度, 3月, 1–2月."""
        if self.months == 12:
            return _("全年")
        if self.months == 3:
            return _("第%(number)s季度") % {"number": (self.start.month - 1) // 3 + 1}
        if self.months == 1:
            return _("%(month)s月") % {"month": self.start.month}
        return _("%(first)s–%(last)s月") % {"first": self.start.month, "last": self.last_month}

    @property
    def label(self) -> str:
        """The period with its year: 2026年, 2026年第3季度, 2026年3月, 2026年1–2月."""
        if self.months == 12:
            return _("%(year)s年") % {"year": self.start.year}
        return _("%(year)s年%(period)s") % {"year": self.start.year, "period": self.short_label}

    def __str__(self) -> str:
        return self.label


def period_containing(day: datetime.date, months: int) -> Period:
    """The period of a `months`-month cadence that holds `day`: cadence 2 on 1 December → November–December."""
    if months not in MONTH_BLOCKS:
        raise ValueError(f"a cadence must divide the year, not {months}")
    first_month = (day.month - 1) // months * months + 1
    return Period(datetime.date(day.year, first_month, 1), months)
