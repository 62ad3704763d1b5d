"""Calendar quarters and months in Asia/Shanghai: the periods quotas and service days are counted in."""

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
