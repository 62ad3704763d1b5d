"""The opinion figures of a period (issue 5, item 6): what was collected and solved, by source and category.

The article reports them as "60+ opinions collected; solved: 15 resident problems, 5 paired-village problems, 19
enterprise problems". The rules behind each number:

- collected: opinions as residents raised them (Opinion.objects.collected(): a split original counts once, its
  parts do not), by the day they were recorded on the office's clock (Asia/Shanghai);
- solved and explained: what was closed in the period, by closed_at. An opinion split into parts is closed part by
  part, so its parts are what count (the original itself is never closed);
- by category: an opinion is in a category once sorted, so there the parts count and the split originals do not;
- days to close: from the day the resident raised it (a part's original's created_at) to closed_at.
- by month: the category query groups by the month raised (Asia/Shanghai) and the status now as well, so the
  charts of opinions per month by category and by status come from the same rows as the category table.

Everything starts from Opinion.objects.visible_to(viewer), so a community leader's figures are his community's.
A handful of queries whatever the number of opinions: counts are grouped in the database, and the closed
opinions' dates come back as one values_list for the median and the on-time share.
"""

from __future__ import annotations

import datetime
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from feedback.models import Opinion, OpinionCategory
from visits.periods import months_back
from wenxin.models import User

Source = Opinion.Source

# The article's three groups of problems, with the sources each takes in (a source is in exactly one group).
SOURCE_GROUPS: tuple[tuple[str, Promise, tuple[str, ...]], ...] = (
    ("residents", _("居民"), (Source.VISIT, Source.MEETING, Source.ONLINE)),
    ("paired_villages", _("联村结对村"), (Source.PAIRED_VILLAGE,)),
    ("enterprises", _("企业"), (Source.ENTERPRISE,)),
)

_SECONDS_PER_DAY = Decimal(86400)


@dataclass
class Tally:
    """The numbers of one row of a table; `open` only in the category table (open now, not in the period)."""

    collected: int = 0
    resolved: int = 0
    explained: int = 0
    open: int = 0


@dataclass(frozen=True)
class SourceRow:
    source: str
    label: str
    tally: Tally


@dataclass(frozen=True)
class GroupRow:
    """One of the article's groups (residents, paired villages, enterprises) and its sources."""

    code: str
    label: str
    sources: list[SourceRow]
    tally: Tally


@dataclass(frozen=True)
class CategoryRow:
    """One category's numbers; category None gathers opinions not sorted yet."""

    category: OpinionCategory | None
    tally: Tally


@dataclass(frozen=True)
class OpinionFigures:
    """The figures of the period [start, end] (dates on the office's clock), as the viewer may see them."""

    start: datetime.date
    end: datetime.date
    collected: int
    resolved: int
    explained: int
    by_group: list[GroupRow]
    by_category: list[CategoryRow]
    closed: int  # resolved and explained in the period
    median_days_to_close: Decimal | None  # one decimal; None when nothing was closed
    closed_with_due: int  # closed in the period with a completion date
    closed_on_time: int  # … and closed on or before it
    open_now: int
    overdue_now: int
    solved_by_group: dict[str, int] = field(default_factory=dict)  # group code → resolved in the period
    months: list[datetime.date] = field(default_factory=list)  # the first day of each month of the period
    # (month, category id or None, status now) → opinions raised in that month, counted as in the category table
    by_month: dict[tuple[datetime.date, int | None, str], int] = field(default_factory=dict)

    @property
    def on_time_percent(self) -> int | None:
        """The share closed on time, a whole percentage (half up); None when no closed opinion had a due date."""
        if not self.closed_with_due:
            return None
        return (200 * self.closed_on_time + self.closed_with_due) // (2 * self.closed_with_due)

    def category_per_month(self, category: int | None) -> list[int]:
        """The opinions of one category (None: not sorted yet) raised in each month of the period, 0 for none."""
        return self._per_month(lambda category_id, _status: category_id == category)

    def status_per_month(self, status: str) -> list[int]:
        """The opinions raised in each month of the period that are in this status now, 0 for none."""
        return self._per_month(lambda _category, status_now: status_now == status)

    def _per_month(self, wanted: Callable[[int | None, str], bool]) -> list[int]:
        totals = dict.fromkeys(self.months, 0)
        for (month, category_id, status_now), n in self.by_month.items():
            if wanted(category_id, status_now):
                totals[month] += n
        return list(totals.values())


def _day_start(day: datetime.date) -> datetime.datetime:
    """Midnight of `day` on the office's clock, whatever time zone the request runs in."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=timezone.get_default_timezone())


def median_days(durations: list[datetime.timedelta]) -> Decimal | None:
    """The median of the durations in days, with one decimal (half up); None for none."""
    if not durations:
        return None
    middle = statistics.median(Decimal(d.total_seconds()) / _SECONDS_PER_DAY for d in durations)
    return Decimal(middle).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def period_months(start: datetime.date, end: datetime.date) -> list[datetime.date]:
    """The first days of the months from start's to end's, both included."""
    count = (end.year - start.year) * 12 + end.month - start.month + 1
    return months_back(end, count)


def opinion_figures(
    *,
    viewer: User,
    start: datetime.date,
    end: datetime.date,
    today: datetime.date | None = None,
    community_id: int | None = None,
) -> OpinionFigures:
    """Collected, solved and explained in [start, end] by source group and category; days to close; on time.

    community_id narrows them to one community's opinions (the work report of one community)."""
    today = today or timezone.localdate()
    since, until = _day_start(start), _day_start(end + datetime.timedelta(days=1))
    visible = Opinion.objects.visible_to(viewer)
    if community_id is not None:
        visible = visible.filter(community_id=community_id)
    # When the resident raised it: a part of a split opinion was raised with its original.
    raised = visible.annotate(raised_at=Coalesce(F("parent__created_at"), F("created_at")))

    # 1. Collected, per source: the opinions as raised.
    collected_by_source = dict(
        visible.collected()
        .filter(created_at__gte=since, created_at__lt=until)
        .values_list("source")
        .annotate(n=Count("pk"))
        .order_by()
    )
    # 2. Collected, per category: what was sorted (parts, and originals not split), by when it was raised; grouped
    # by the month raised (on the office's clock) and the status now too, for the charts of the months.
    office = timezone.get_default_timezone()
    by_month: dict[tuple[datetime.date, int | None, str], int] = {}
    collected_by_category: dict[int | None, int] = {}
    for category, month, status, n in (
        raised.exclude(status=Opinion.Status.SPLIT)
        .filter(raised_at__gte=since, raised_at__lt=until)
        .annotate(month=TruncMonth("raised_at", tzinfo=office))
        .values_list("category", "month", "status")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        key = (month.astimezone(office).date(), category, status)
        by_month[key] = by_month.get(key, 0) + n
        collected_by_category[category] = collected_by_category.get(category, 0) + n
    # 3. Closed in the period: one row each, for the counts, the median and the on-time share.
    closed_rows = list(
        raised.filter(status__in=Opinion.CLOSED_STATUSES, closed_at__gte=since, closed_at__lt=until)
        .values_list("source", "category", "status", "closed_at", "raised_at", "due_on")
        .order_by()
    )
    # 4. Open now, per category, and how many of those are past their completion date.
    open_by_category = {
        category: (n, overdue)
        for category, n, overdue in visible.open()
        .values_list("category")
        .annotate(
            n=Count("pk"),
            overdue=Count("pk", filter=Q(status__in=Opinion.ASSIGNED_STATUSES, due_on__lt=today)),
        )
        .order_by()
    }

    by_source = {value: Tally(collected=collected_by_source.get(value, 0)) for value in Source.values}
    by_category: dict[int | None, Tally] = {pk: Tally(collected=n) for pk, n in collected_by_category.items()}
    for pk, (n, _overdue) in open_by_category.items():
        by_category.setdefault(pk, Tally()).open = n
    durations: list[datetime.timedelta] = []
    with_due = on_time = 0
    for source, category, status, closed_at, raised_at, due_on in closed_rows:
        tallies = (by_source.setdefault(source, Tally()), by_category.setdefault(category, Tally()))
        for tally in tallies:
            if status == Opinion.Status.RESOLVED:
                tally.resolved += 1
            else:
                tally.explained += 1
        durations.append(closed_at - raised_at)
        if due_on is not None:
            with_due += 1
            on_time += timezone.localtime(closed_at, office).date() <= due_on

    groups = []
    for code, label, sources in SOURCE_GROUPS:
        rows = [SourceRow(value, Source(value).label, by_source[value]) for value in sources]
        total = Tally(
            collected=sum(r.tally.collected for r in rows),
            resolved=sum(r.tally.resolved for r in rows),
            explained=sum(r.tally.explained for r in rows),
        )
        groups.append(GroupRow(code, str(label), rows, total))

    # 5. The categories, in their order; an inactive one only when it has something to show.
    categories = [
        c
        for c in OpinionCategory.objects.visible_to(viewer).order_by("group", "sort_order", "name")
        if c.is_active or c.pk in by_category
    ]
    category_rows = [CategoryRow(c, by_category.get(c.pk, Tally())) for c in categories]
    if None in by_category:
        category_rows.append(CategoryRow(None, by_category[None]))

    return OpinionFigures(
        start=start,
        end=end,
        collected=sum(collected_by_source.values()),
        resolved=sum(1 for row in closed_rows if row[2] == Opinion.Status.RESOLVED),
        explained=sum(1 for row in closed_rows if row[2] == Opinion.Status.EXPLAINED),
        by_group=groups,
        by_category=category_rows,
        closed=len(closed_rows),
        median_days_to_close=median_days(durations),
        closed_with_due=with_due,
        closed_on_time=on_time,
        open_now=sum(n for n, _overdue in open_by_category.values()),
        overdue_now=sum(overdue for _n, overdue in open_by_category.values()),
        solved_by_group={group.code: group.tally.resolved for group in groups},
        months=period_months(start, end),
        by_month=by_month,
    )
