"""The work report (工作报告) of a period and a scope: the figures the article reports, computed from the records.

Each figure comes from the selector that already computes it for its own page, so the report and that page never
disagree: opinions from feedback.figures.opinion_figures, subsidies and hardship visits from
households.selectors.subsidy_totals, the quota from visits.selectors.quota_progress, coverage from
visits.selectors.coverage, meeting cadence from feedback.cadence.cadence_calendar and spot-check results from
assessment.selectors.spot_check_tallies. Only the visits of leaders and to enterprises, which no page counted per
period, are counted here.

Decisions, so the numbers can be explained to whoever reads them:

- Who: leaders and community leaders (can_review_meetings), and those who review quotas (can_review_quotas, which
  adds section chiefs). Each figure is what the reader may see (visible_to): a community leader's report is his
  community's; a leader in charge's opinions are those of his departments and topics, as on the opinion pages.
- Scope: the reader's whole scope (the street), or one community of it (?community=). A community leader always
  gets his own community.
- Leaders' visits: visits of kind "leadership" (to a community or cooperative) and "paired village" whose visitor
  is a street leader, a leader in charge or a district-managed cadre; person-visits are the visitor plus the
  companions of each (the article's 人次). A community's report counts the leaders' visits to that community.
- Enterprises: distinct enterprises with an enterprise visit in the period (by anyone); problems raised are the
  enterprise visits that recorded a difficulty.
- Hardship households and subsidies: only for readers who see sensitive records (can_see_sensitive_data); for the
  others the figures are None, not 0, and the report says why.
- Quota: every quarter of the period that has begun, the last four at most, each with the workers who have a quota
  and how many met it. The headline quarter is the period's last complete quarter, or the running one while none
  of the period is complete; the per-community chart is of that quarter.
- Coverage: active households (as registered now) with a household visit in the period, of all active households.
- Meeting cadence: of the required meetings whose cadence periods overlap the report period (in the year the period
  ends in), how many were held, missed or are still due; and the units overdue today.
- Spot-checks: the results recorded for sampled visits made in the period by people of the scope.

A bounded number of queries whatever the number of visits, opinions or households: every part groups in the
database, and the quota asks at most four quarters.
"""

from __future__ import annotations

import datetime
import math
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from assessment.selectors import SpotCheckTally, spot_check_tallies
from feedback.cadence import CellState, RowState, cadence_calendar
from feedback.figures import OpinionFigures, opinion_figures
from feedback.figures_views import FiguresPeriod
from households.models import Community
from households.selectors import SubsidyTotals, subsidy_totals
from visits.models import Visit
from visits.periods import Quarter
from visits.selectors import CoverageRow, QuotaRow, coverage, quota_progress_per_quarter
from wenxin.models import User
from wenxin.roles import Role

# The leaders whose visits to communities and paired villages the article counts (街道领导).
LEADER_ROLES = (Role.STREET_LEADER, Role.LEADER_IN_CHARGE, Role.CADRE)
LEADER_VISIT_KINDS = (Visit.Kind.LEADERSHIP, Visit.Kind.PAIRED_VILLAGE)
# The quota table lists at most this many quarters (a year's), whatever the length of the period.
MAX_QUARTERS = 4


def can_read_report(user: User) -> bool:
    """Leaders and community leaders, and those who review quotas (section chiefs)."""
    return user.is_authenticated and (user.can_review_meetings or user.can_review_quotas)


def half_up_percent(part: int, whole: int) -> int | None:
    """part / whole as a whole percentage rounded half up; None when there is no whole."""
    if not whole:
        return None
    return (200 * part + whole) // (2 * whole)


@dataclass(frozen=True)
class LeaderVisits:
    communities: int
    cooperatives: int
    villages: int
    visits: int
    person_visits: int  # visitor plus companions, per visit


@dataclass(frozen=True)
class EnterpriseVisits:
    enterprises: int  # distinct
    visits: int
    problems: int  # visits that recorded a difficulty


@dataclass(frozen=True)
class QuotaQuarter:
    """One quarter: the workers who have a quota, how many met it, their mean completion, and whether it is over."""

    quarter: Quarter
    workers: int
    met: int
    mean_percent: int | None
    complete: bool

    @property
    def met_percent(self) -> int | None:
        return half_up_percent(self.met, self.workers)


@dataclass(frozen=True)
class QuotaCommunity:
    """One community's workers in the headline quarter."""

    pk: int | None
    name: str
    workers: int
    met: int
    mean_percent: int | None

    @property
    def met_percent(self) -> int | None:
        return half_up_percent(self.met, self.workers)


@dataclass(frozen=True)
class CoverageFigures:
    households: int
    visited: int
    communities: list[CoverageRow]

    @property
    def percent(self) -> int | None:
        """Rounded down, as the coverage page rounds each row."""
        return math.floor(100 * self.visited / self.households) if self.households else None


@dataclass(frozen=True)
class CadenceFigures:
    year: int
    held: int
    missed: int
    due: int
    overdue_units: int

    @property
    def required(self) -> int:
        return self.held + self.missed + self.due


@dataclass(frozen=True)
class WorkReport:
    """Everything the report page, its print view and its export show."""

    period: FiguresPeriod
    today: datetime.date
    community: Community | None
    unit: str
    leader_visits: LeaderVisits
    enterprise_visits: EnterpriseVisits
    opinions: OpinionFigures
    subsidies: SubsidyTotals | None  # None: the reader may not see subsidies
    quota_quarters: list[QuotaQuarter]
    quota_headline: QuotaQuarter | None
    quota_by_community: list[QuotaCommunity]
    coverage: CoverageFigures
    cadence: CadenceFigures
    spot_checks: SpotCheckTally

    @property
    def is_this_year(self) -> bool:
        return self.period.kind == "year" and self.period.year == self.today.year


def unit_name(viewer: User, community: Community | None) -> str:
    """Whose report it is: the community's name, or the reader's street's."""
    if community is not None:
        return community.name
    if viewer.street_id:
        return viewer.street.name
    return _("全部街道")


def _visit_figures(
    *, viewer: User, start: datetime.date, end: datetime.date, community: Community | None
) -> tuple[LeaderVisits, EnterpriseVisits]:
    """Leaders' visits to communities, cooperatives and paired villages, and visits to enterprises: two queries."""
    visits = Visit.objects.visible_to(viewer).in_period(start, end)
    if community is not None:
        visits = visits.filter(community=community)
    by_leaders = Q(kind__in=LEADER_VISIT_KINDS, visitor__role__in=LEADER_ROLES)
    to_enterprises = Q(kind=Visit.Kind.ENTERPRISE)
    figures = visits.filter(by_leaders | to_enterprises).aggregate(
        communities=Count(
            "target_community",
            filter=by_leaders & Q(target_community__kind=Community.Kind.COMMUNITY),
            distinct=True,
        ),
        cooperatives=Count(
            "target_community",
            filter=by_leaders & Q(target_community__kind=Community.Kind.COOPERATIVE),
            distinct=True,
        ),
        villages=Count("paired_village", filter=by_leaders, distinct=True),
        leader_visits=Count("pk", filter=by_leaders),
        enterprises=Count("enterprise", filter=to_enterprises, distinct=True),
        enterprise_visits=Count("pk", filter=to_enterprises),
        problems=Count("pk", filter=to_enterprises & ~Q(difficulty="")),
    )
    companions = Visit.companions.through.objects.filter(visit__in=visits.filter(by_leaders)).count()
    return (
        LeaderVisits(
            communities=figures["communities"],
            cooperatives=figures["cooperatives"],
            villages=figures["villages"],
            visits=figures["leader_visits"],
            person_visits=figures["leader_visits"] + companions,
        ),
        EnterpriseVisits(
            enterprises=figures["enterprises"], visits=figures["enterprise_visits"], problems=figures["problems"]
        ),
    )


def report_quarters(start: datetime.date, end: datetime.date, today: datetime.date) -> list[Quarter]:
    """The quarters overlapping start..end that have begun by today, oldest first, the last MAX_QUARTERS."""
    quarters: list[Quarter] = []
    quarter = Quarter.containing(min(end, today))
    while quarter.end >= start and len(quarters) < MAX_QUARTERS:
        if quarter.start <= today:
            quarters.append(quarter)
        quarter = quarter.previous()
    return quarters[::-1]


def _mean_percent(rows: list[QuotaRow]) -> int | None:
    if not rows:
        return None
    return (2 * sum(row.percent for row in rows) + len(rows)) // (2 * len(rows))


def _quota_figures(
    *, viewer: User, quarters: list[Quarter], community: Community | None, today: datetime.date
) -> tuple[list[QuotaQuarter], QuotaQuarter | None, list[QuotaCommunity]]:
    """Each quarter's workers with a quota and those who met it; per community for the headline quarter."""
    summaries: list[QuotaQuarter] = []
    rows_of: dict[Quarter, list[QuotaRow]] = {}
    # Every quarter's visits read in one pass (visits.selectors.quota_progress_per_quarter).
    progress = quota_progress_per_quarter(viewer=viewer, quarters=quarters, community=community, today=today)
    for quarter in quarters:
        rows = [row for row in progress[quarter] if row.target]
        rows_of[quarter] = rows
        summaries.append(
            QuotaQuarter(
                quarter=quarter,
                workers=len(rows),
                met=sum(1 for row in rows if row.visited >= row.target),
                mean_percent=_mean_percent(rows),
                complete=quarter.end < today,
            )
        )
    complete = [summary for summary in summaries if summary.complete]
    headline = complete[-1] if complete else (summaries[-1] if summaries else None)
    by_community: list[QuotaCommunity] = []
    if headline is not None:
        grouped: dict[Community | None, list[QuotaRow]] = defaultdict(list)
        for row in rows_of[headline.quarter]:
            grouped[row.worker.community].append(row)
        for place, rows in sorted(grouped.items(), key=lambda item: (item[0] is None, str(item[0] or ""))):
            by_community.append(
                QuotaCommunity(
                    pk=place.pk if place else None,
                    name=place.name if place else "—",
                    workers=len(rows),
                    met=sum(1 for row in rows if row.visited >= row.target),
                    mean_percent=_mean_percent(rows),
                )
            )
    return summaries, headline, by_community


def _coverage_figures(
    *, viewer: User, start: datetime.date, end: datetime.date, community: Community | None, today: datetime.date
) -> CoverageFigures:
    result = coverage(viewer=viewer, community=community, today=min(end, today), since=start, twelve_months=False)
    rows = result.communities
    return CoverageFigures(
        households=sum(row.households for row in rows),
        visited=sum(row.visited_year for row in rows),
        communities=rows,
    )


def _cadence_figures(
    *, viewer: User, start: datetime.date, end: datetime.date, community: Community | None, today: datetime.date
) -> CadenceFigures:
    """The required meetings of the units in scope whose cadence periods overlap start..end."""
    year = min(end.year, today.year)
    calendar = cadence_calendar(viewer=viewer, today=today, year=year)
    held = missed = due = 0
    overdue: set[tuple[str, int]] = set()
    for section in calendar.sections:
        for row in section.rows:
            if community is not None and (row.community is None or row.community.pk != community.pk):
                continue
            if row.state is RowState.OVERDUE:
                overdue.add(row.unit_key)
            for cell in row.cells:
                if cell.period.end < start or cell.period.start > end:
                    continue
                held += cell.state is CellState.HELD
                missed += cell.state is CellState.MISSED
                due += cell.state is CellState.DUE
    return CadenceFigures(year=year, held=held, missed=missed, due=due, overdue_units=len(overdue))


def _spot_check_figures(
    *, viewer: User, start: datetime.date, end: datetime.date, community: Community | None
) -> SpotCheckTally:
    people = User.objects.visible_to(viewer)
    if community is not None:
        people = people.filter(community=community)
    total = SpotCheckTally()
    for tally in spot_check_tallies(people=list(people.only("pk")), start=start, end=end).values():
        total.confirmed += tally.confirmed
        total.not_confirmed += tally.not_confirmed
        total.discrepancy += tally.discrepancy
    return total


def work_report(
    *, viewer: User, period: FiguresPeriod, community: Community | None, today: datetime.date
) -> WorkReport:
    """The report of `period` for the viewer's scope, or one community of it (already checked to be in scope)."""
    start, end = period.start, period.end
    leaders, enterprises = _visit_figures(viewer=viewer, start=start, end=end, community=community)
    opinions = opinion_figures(
        viewer=viewer, start=start, end=end, today=today, community_id=community.pk if community else None
    )
    subsidies = (
        subsidy_totals(viewer=viewer, start=start, end=end, community=community)
        if viewer.can_see_sensitive_data
        else None
    )
    quarters, headline, by_community = _quota_figures(
        viewer=viewer, quarters=report_quarters(start, end, today), community=community, today=today
    )
    return WorkReport(
        period=period,
        today=today,
        community=community,
        unit=unit_name(viewer, community),
        leader_visits=leaders,
        enterprise_visits=enterprises,
        opinions=opinions,
        subsidies=subsidies,
        quota_quarters=quarters,
        quota_headline=headline,
        quota_by_community=by_community,
        coverage=_coverage_figures(viewer=viewer, start=start, end=end, community=community, today=today),
        cadence=_cadence_figures(viewer=viewer, start=start, end=end, community=community, today=today),
        spot_checks=_spot_check_figures(viewer=viewer, start=start, end=end, community=community),
    )
