"""Cadence compliance of the four listenings (四听取): which required meetings each unit held, which are due,
which are overdue.

Periods are calendar-aligned blocks of a kind's cadence (12 → the year, 3 → quarters, 2 → Jan–Feb, Mar–Apr …),
so "this period" means the same to everyone on a given day and a meeting counts for exactly one period. The period
arithmetic is pure functions of a date, which tests call with any `today`; the calendar itself reads the meetings
in one grouped query (per unit, kind and month), never one query per cell.
"""

from __future__ import annotations

import datetime
import enum
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Max, Q
from django.db.models.functions import TruncMonth
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from feedback.models import Meeting, MeetingKind
from households.models import Community, Street
from visits.periods import MONTH_BLOCKS, Period, period_containing
from wenxin.models import User

# The calendar looks back this many months, the current period included.
WINDOW_MONTHS = 24
# The unit a street-held kind's row stands for, as the meeting list's community filter names it.
STREET_UNIT = "street"


# --- Period arithmetic ------------------------------------------------------------------------------------------


def periods_back(today: datetime.date, months: int, span: int = WINDOW_MONTHS) -> list[Period]:
    """The periods of the last `span` months, oldest first, ending with the current one (at least that one)."""
    current = period_containing(today, months)
    periods = [current]
    for _i in range(max(span // months, 1) - 1):
        periods.append(periods[-1].previous())
    return periods[::-1]


def periods_of_year(year: int, months: int) -> list[Period]:
    """Every period of a calendar year, January's first."""
    periods = [period_containing(datetime.date(year, 1, 1), months)]
    while periods[-1].end.month != 12:
        periods.append(periods[-1].next())
    return periods


def cadence_label(months: int | None) -> str:
    """How often a kind must be held, as the office says it: 每年一次, 每季度一次, 每2个月一次."""
    if months is None:
        return _("随时")
    if months == 12:
        return _("每年一次")
    if months == 3:
        return _("每季度一次")
    if months == 1:
        return _("每月一次")
    return _("每%(months)s个月一次") % {"months": months}


# --- States -----------------------------------------------------------------------------------------------------


class CellState(enum.Enum):
    """One period of one unit."""

    HELD = ("held", gettext_lazy("已召开"), "success")
    MISSED = ("missed", gettext_lazy("未召开"), "danger")
    DUE = ("due", gettext_lazy("待召开"), "warning")
    FUTURE = ("future", gettext_lazy("未到"), "secondary")

    def __init__(self, code: str, label, tone: str) -> None:
        self.code = code
        self.label = label
        self.tone = tone


class RowState(enum.Enum):
    """Where a unit stands today on one kind; the order is the calendar's (overdue first)."""

    OVERDUE = ("overdue", gettext_lazy("已逾期"), "danger")
    DUE = ("due", gettext_lazy("本期待召开"), "warning")
    HELD = ("held", gettext_lazy("本期已召开"), "success")

    def __init__(self, code: str, label, tone: str) -> None:
        self.code = code
        self.label = label
        self.tone = tone

    @property
    def rank(self) -> int:
        return list(RowState).index(self)

    @classmethod
    def parse(cls, code: str | None) -> RowState | None:
        return next((state for state in cls if state.code == code), None)


def cell_state(period: Period, count: int, today: datetime.date) -> CellState:
    """Held if any meeting fell in it; otherwise missed once it is over, due while it runs, future before."""
    if count:
        return CellState.HELD
    if period.start > today:
        return CellState.FUTURE
    if period.end < today:
        return CellState.MISSED
    return CellState.DUE


def row_state(current_count: int, previous_count: int) -> RowState:
    """Held if this period has its meeting; overdue if neither this period nor the last one has; due otherwise.

    A period still running is not late yet: a unit is overdue only once a whole period went by without a meeting
    and the next one has none so far (e.g. no community forum in the last two months).
    """
    if current_count:
        return RowState.HELD
    if not previous_count:
        return RowState.OVERDUE
    return RowState.DUE


# --- The calendar -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    period: Period
    count: int
    state: CellState


@dataclass
class CadenceRow:
    """One unit (the street, or one community or cooperative) on one required kind."""

    kind: MeetingKind
    street: Street
    community: Community | None
    cells: list[Cell]
    current: Period
    current_count: int
    previous_count: int
    last_held: datetime.date | None
    today: datetime.date

    @property
    def state(self) -> RowState:
        return row_state(self.current_count, self.previous_count)

    @property
    def unit_name(self) -> str:
        return self.community.name if self.community is not None else self.street.name

    @property
    def unit_param(self) -> str:
        """The meeting list's community filter for this unit."""
        return str(self.community.pk) if self.community is not None else STREET_UNIT

    @property
    def unit_key(self) -> tuple[str, int]:
        return ("community", self.community.pk) if self.community is not None else ("street", self.street.pk)

    @property
    def days_left(self) -> int:
        return self.current.days_left(self.today)

    @property
    def sort_key(self) -> tuple:
        community = self.community
        return (
            self.state.rank,
            self.street.name,
            community is not None,
            community.kind if community else "",
            self.unit_name,
        )


@dataclass
class CadenceSection:
    """The rows of one kind, under the periods of its cadence."""

    kind: MeetingKind
    periods: list[Period]
    rows: list[CadenceRow] = field(default_factory=list)

    @property
    def cadence(self) -> str:
        return cadence_label(self.kind.cadence_months)


@dataclass
class CadenceCalendar:
    """Every section, the states counted before the status filter, and the rows that filter leaves."""

    today: datetime.date
    year: int | None
    kinds: list[MeetingKind]
    sections: list[CadenceSection]
    counts: dict[RowState, int]
    overdue_units: int
    overdue_rows: list[CadenceRow]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def summary(self) -> list[tuple[RowState, int]]:
        return [(state, self.counts[state]) for state in RowState]


def required_kinds(viewer: User) -> list[MeetingKind]:
    """The active kinds that have a cadence to keep (not the online channel), in the office's order."""
    kinds = MeetingKind.objects.visible_to(viewer).filter(is_active=True, cadence_months__isnull=False)
    return [kind for kind in kinds.order_by("sort_order", "name") if kind.cadence_months in MONTH_BLOCKS]


def _unit_key(kind: MeetingKind, street_id: int, community_id: int | None) -> tuple[str, int] | None:
    """Which row a meeting counts for: the street's for a street-held kind, its community's otherwise."""
    if kind.held_by == MeetingKind.HeldBy.STREET:
        return ("street", street_id)
    return ("community", community_id) if community_id is not None else None


def cadence_calendar(
    *,
    viewer: User,
    today: datetime.date,
    year: int | None = None,
    kind: MeetingKind | None = None,
    status: RowState | None = None,
) -> CadenceCalendar:
    """The compliance calendar of the units the viewer sees: the last 24 months, or the periods of `year`.

    Street-held kinds have one row per street the viewer sees; community-held kinds one per community or
    cooperative she sees (a community leader: her own). Five queries whatever the number of units or meetings.
    """
    all_kinds = required_kinds(viewer)
    kinds = [k for k in all_kinds if kind is None or k.pk == kind.pk]
    held_by = {k.held_by for k in kinds}
    streets = list(Street.objects.visible_to(viewer).order_by("name")) if MeetingKind.HeldBy.STREET in held_by else []
    communities = (
        list(Community.objects.visible_to(viewer).select_related("street").order_by("street__name", "kind", "name"))
        if MeetingKind.HeldBy.COMMUNITY in held_by
        else []
    )

    sections: list[CadenceSection] = []
    wanted = Q()
    for k in kinds:
        months = k.cadence_months
        periods = periods_of_year(year, months) if year else periods_back(today, months)
        sections.append(CadenceSection(kind=k, periods=periods))
        # The shown periods, and the current and previous ones that today's state is read from.
        previous = period_containing(today, months).previous()
        current_end = period_containing(today, months).end
        shown = Q(held_on__gte=periods[0].start, held_on__lte=periods[-1].end)
        recent = Q(held_on__gte=previous.start, held_on__lte=current_end)
        wanted |= Q(kind_id=k.pk) & (shown | recent)

    kinds_by_pk = {k.pk: k for k in kinds}
    counts: dict[tuple[int, tuple[str, int], datetime.date], int] = defaultdict(int)
    last_held: dict[tuple[int, tuple[str, int]], datetime.date] = {}
    if kinds:
        visible = Meeting.objects.visible_to(viewer)
        monthly = (
            visible.filter(wanted)
            .annotate(month=TruncMonth("held_on"))
            .values("street_id", "community_id", "kind_id", "month")
            .annotate(n=Count("pk"))
            .order_by()
        )
        for group in monthly:
            k = kinds_by_pk[group["kind_id"]]
            unit = _unit_key(k, group["street_id"], group["community_id"])
            if unit is not None:
                start = period_containing(group["month"], k.cadence_months).start
                counts[(k.pk, unit, start)] += group["n"]
        latest = (
            visible.filter(kind_id__in=kinds_by_pk, held_on__lte=today)
            .values("street_id", "community_id", "kind_id")
            .annotate(last=Max("held_on"))
            .order_by()
        )
        for group in latest:
            unit = _unit_key(kinds_by_pk[group["kind_id"]], group["street_id"], group["community_id"])
            if unit is not None:
                key = (group["kind_id"], unit)
                last_held[key] = max(group["last"], last_held.get(key, group["last"]))

    all_rows: list[CadenceRow] = []
    for section in sections:
        k = section.kind
        units = (
            [(street, None) for street in streets]
            if k.held_by == MeetingKind.HeldBy.STREET
            else [(community.street, community) for community in communities]
        )
        current = period_containing(today, k.cadence_months)
        for street, community in units:
            unit = ("community", community.pk) if community is not None else ("street", street.pk)
            cells = []
            for period in section.periods:
                count = counts[(k.pk, unit, period.start)]
                cells.append(Cell(period=period, count=count, state=cell_state(period, count, today)))
            row = CadenceRow(
                kind=k,
                street=street,
                community=community,
                cells=cells,
                current=current,
                current_count=counts[(k.pk, unit, current.start)],
                previous_count=counts[(k.pk, unit, current.previous().start)],
                last_held=last_held.get((k.pk, unit)),
                today=today,
            )
            all_rows.append(row)
            if status is None or row.state is status:
                section.rows.append(row)
        section.rows.sort(key=lambda r: r.sort_key)

    state_counts = dict.fromkeys(RowState, 0)
    for row in all_rows:
        state_counts[row.state] += 1
    overdue_rows = sorted((r for r in all_rows if r.state is RowState.OVERDUE), key=lambda r: r.sort_key)
    return CadenceCalendar(
        today=today,
        year=year,
        kinds=all_kinds,
        sections=sections,
        counts=state_counts,
        overdue_units=len({row.unit_key for row in overdue_rows}),
        overdue_rows=overdue_rows,
    )
