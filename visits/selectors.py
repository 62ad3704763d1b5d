"""Reads of the visit diary: quota progress, coverage, the planner and the visit-service day.

Every one starts from visible_to(viewer) and counts in the database, so a page's query count does not grow
with the number of workers, households or visits.
"""

from __future__ import annotations

import datetime
import enum
import math
from dataclasses import dataclass

from django.db.models import Case, Count, Exists, F, IntegerField, Max, OuterRef, Q, QuerySet, Value, When
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from households.models import Community, Enterprise, Estate, GridArea, Household, HouseholdCategory, Street
from households.selectors import address_matches
from visits.models import DEFAULT_SERVICE_DAY, QuotaRule, ServiceDayMove, ServiceDayRule, Visit
from visits.periods import Quarter
from wenxin.models import User
from wenxin.roles import Role

# Roles whose quarterly household quota is measured (others may have a person rule).
QUOTA_ROLES = (Role.SOCIAL_WORKER,)
# Department staff whose monthly visit-service day is tracked.
SERVICE_DAY_ROLES = (Role.DEPARTMENT_STAFF, Role.SECTION_CHIEF)


# The targets a visit may have besides a household, one of them set. Fetched by prefetch_related (one small
# query for each kind on the page) rather than joined: PostgreSQL spent 60-120 ms choosing the order of ten
# joins for a page of 25 visits that then ran in 2 ms (docs/performance.md).
OTHER_TARGETS = ("estate", "enterprise", "owners_committee", "property_company", "paired_village", "target_community")


def get_visit_for_user(user: User, pk: int) -> Visit:
    """The visit if the user may see it; otherwise 404, whether it is missing or not theirs."""
    return get_object_or_404(
        Visit.objects.visible_to(user).select_related("visitor", "household__estate").prefetch_related(*OTHER_TARGETS),
        pk=pk,
    )


def visits_list(*, viewer: User) -> QuerySet[Visit]:
    """Visits the viewer may see, with what a diary line shows fetched up front."""
    return (
        Visit.objects.visible_to(viewer)
        .select_related("visitor", "household__estate")
        .prefetch_related(*OTHER_TARGETS, "companions")
        .order_by("-visited_on", "-created_at")
    )


def diary(*, viewer: User, author: User, start: datetime.date, end: datetime.date, q: str = "") -> QuerySet[Visit]:
    """An author's diary for a period (hers, or a colleague's in the viewer's scope), searchable."""
    visits = visits_list(viewer=viewer).filter(pk__in=_taken_part(author, start, end))
    q = q.strip()
    if q:
        text = Q()
        for field in (
            "met_whom",
            "situation",
            "living_conditions",
            "state_of_mind",
            "difficulty",
            "action_taken",
            "household__residents__name",
            "household__estate__name",
            "estate__name",
            "enterprise__name",
        ):
            text |= Q(**{f"{field}__icontains": q})
        visits = visits.filter(pk__in=Visit.objects.filter(text).values("pk"))
    return visits


def _taken_part(person: User, start: datetime.date, end: datetime.date) -> QuerySet:
    """The ids of the visits in start..end that `person` made or joined: her own through the (visitor, date)
    index, united with those she joined through the companions' index. As a join filtered by "visitor or
    companion" it read every visit of the city in the period: 0.8 s for a month, 9 ms this way
    (docs/performance.md)."""
    own = Visit.objects.filter(visitor=person).in_period(start, end).order_by().values("pk")
    joined = (
        Visit.companions.through.objects.filter(user=person, visit__visited_on__gte=start, visit__visited_on__lte=end)
        .order_by()
        .values("visit_id")
    )
    return own.union(joined)


def visit_admin_search(visits: QuerySet[Visit], q: str) -> QuerySet[Visit]:
    """The admin's search of visits: each word typed must match the visitor (name or username), the household's
    address (estate, building, room, "3-2-301") or the difficulty written down.

    Each part is found on its own, through its index (visitors by the visitor index, addresses by the household
    index, the text within the visits in scope), and the parts are united: Django's own search joined every
    visit in scope with its visitor, household and estate before matching, 24 s for a city-wide search
    (docs/performance.md).
    """
    base = visits.order_by().prefetch_related(None).select_related(None)
    for term in q.split():
        visitors = User.objects.filter(Q(full_name__icontains=term) | Q(username__icontains=term)).values("pk")
        households = Household.objects.filter(address_matches(term)).values("pk")
        parts = (
            base.filter(visitor__in=visitors).values("pk"),
            base.filter(household__in=households).values("pk"),
            base.filter(difficulty__icontains=term).values("pk"),
        )
        visits = visits.filter(pk__in=parts[0].union(*parts[1:], all=True))
    return visits


def household_visits(*, viewer: User, household: Household) -> QuerySet[Visit]:
    return visits_list(viewer=viewer).filter(household=household)


# --- Quota ------------------------------------------------------------------------------------------------------


def quota_targets(users: list[User]) -> dict[int, int]:
    """Each user's households-per-quarter target: a person's rule over the role's; no rule means no quota."""
    rules = QuotaRule.objects.filter(Q(user__in=users) | Q(user__isnull=True))
    by_user = {r.user_id: r.households_per_quarter for r in rules if r.user_id}
    by_role = {r.role: r.households_per_quarter for r in rules if not r.user_id}
    return {u.pk: by_user.get(u.pk, by_role.get(u.role, 0)) for u in users}


def households_visited(*, workers: list[User], start: datetime.date, end: datetime.date) -> dict[int, int]:
    """Distinct households of her own grid areas each worker visited (as visitor or companion) in start..end.

    A second visit to the same household in the period does not count twice, and a household outside her
    areas does not count at all.
    """
    return households_visited_per_period(workers=workers, periods=[(start, end)])[0]


def households_visited_per_period(
    *, workers: list[User], periods: list[tuple[datetime.date, datetime.date]]
) -> list[dict[int, int]]:
    """households_visited for several periods that do not overlap (a year's quarters), in the same two queries.

    The visits of every period are read once, each tagged with its period in the database, instead of once per
    period (the work report asks for four quarters: docs/performance.md).
    """
    worker_ids = [w.pk for w in workers]
    counts: list[dict[int, int]] = [dict.fromkeys(worker_ids, 0) for _ in periods]
    if not periods or not worker_ids:
        return counts

    def period_of(date_field: str) -> Case:
        return Case(
            *[
                When(**{f"{date_field}__gte": first, f"{date_field}__lte": last}, then=Value(number))
                for number, (first, last) in enumerate(periods)
            ],
            output_field=IntegerField(),
        )

    start, end = min(first for first, _last in periods), max(last for _first, last in periods)
    # Implied by the EXISTS below, but it lets PostgreSQL read only these areas' households (an index) instead of
    # hashing every household of the city to join a street's visits (docs/performance.md).
    areas = GridArea.workers.through.objects.filter(user_id__in=worker_ids).values("gridarea_id")
    own = (
        # order_by(): the default ordering would add the date and time to the DISTINCT, one row per visit.
        Visit.objects.household_visits()
        .in_period(start, end)
        .order_by()
        .filter(visitor__in=worker_ids, household__grid_area__in=areas)
        .filter(
            Exists(
                GridArea.workers.through.objects.filter(
                    gridarea_id=OuterRef("household__grid_area_id"), user_id=OuterRef("visitor_id")
                )
            )
        )
        .values_list("visitor_id", "household_id", period_of("visited_on"))
        .distinct()
    )
    along = (
        Visit.companions.through.objects.filter(
            user_id__in=worker_ids,
            visit__kind__in=Visit.HOUSEHOLD_KINDS,
            visit__visited_on__gte=start,
            visit__visited_on__lte=end,
            visit__household__grid_area__in=areas,
        )
        .filter(
            Exists(
                GridArea.workers.through.objects.filter(
                    gridarea_id=OuterRef("visit__household__grid_area_id"), user_id=OuterRef("user_id")
                )
            )
        )
        .values_list("user_id", "visit__household_id", period_of("visit__visited_on"))
        .distinct()
    )
    for worker_id, _household_id, period in set(own) | set(along):
        if period is not None:
            counts[period][worker_id] += 1
    return counts


class QuotaStatus(enum.Enum):
    MET = ("met", _("已完成"), "success")
    ON_TRACK = ("on_track", _("进度正常"), "primary")
    BEHIND = ("behind", _("进度落后"), "warning")
    AT_RISK = ("at_risk", _("难以完成"), "danger")
    MISSED = ("missed", _("未完成"), "danger")
    NO_QUOTA = ("no_quota", _("无指标"), "secondary")

    def __init__(self, code: str, label, tone: str) -> None:
        self.code = code
        self.label = label
        self.tone = tone


@dataclass(frozen=True)
class QuotaRow:
    """One worker's quarter: households visited against the target, and the pace the rest needs."""

    worker: User
    visited: int
    target: int
    days_left: int
    days_total: int

    @property
    def remaining(self) -> int:
        return max(self.target - self.visited, 0)

    @property
    def percent(self) -> int:
        return min(100, math.floor(100 * self.visited / self.target)) if self.target else 100

    @property
    def per_week_needed(self) -> float:
        """Households a week still needed to meet the target by the quarter's last day."""
        if not self.remaining:
            return 0.0
        if not self.days_left:
            return math.inf
        return round(self.remaining / (self.days_left / 7), 1)

    @property
    def status(self) -> QuotaStatus:
        if not self.target:
            return QuotaStatus.NO_QUOTA
        if self.visited >= self.target:
            return QuotaStatus.MET
        if not self.days_left:
            return QuotaStatus.MISSED
        elapsed = self.days_total - self.days_left
        expected = self.target * elapsed / self.days_total
        planned_per_day = self.target / self.days_total
        if self.visited >= expected:
            return QuotaStatus.ON_TRACK
        # Needing more than twice the planned pace for the rest of the quarter is unlikely to end well.
        if self.remaining > 2 * planned_per_day * self.days_left:
            return QuotaStatus.AT_RISK
        return QuotaStatus.BEHIND


QUOTA_SORTS = {
    "name": lambda row: (row.worker.community.name if row.worker.community else "", row.worker.get_full_name()),
    "percent": lambda row: (row.percent, row.visited),
    "-percent": lambda row: (-row.percent, -row.visited),
    "pace": lambda row: (-row.per_week_needed, row.percent),
}


def quota_workers(*, viewer: User, community: Community | None = None) -> QuerySet[User]:
    """The workers whose quota the viewer reviews: social workers in the viewer's scope."""
    workers = User.objects.visible_to(viewer).filter(role__in=QUOTA_ROLES, is_active=True)
    if community:
        workers = workers.filter(community=community)
    return workers.select_related("community").order_by("community__name", "full_name", "username")


def quota_progress(
    *,
    viewer: User,
    quarter: Quarter,
    community: Community | None = None,
    sort: str = "name",
    today: datetime.date | None = None,
) -> list[QuotaRow]:
    """Every worker in the viewer's scope for a quarter, in four queries whatever their number."""
    today = today or timezone.localdate()
    workers = list(quota_workers(viewer=viewer, community=community))
    return _quota_rows(workers, quarter=quarter, today=today, sort=sort)


def quota_progress_per_quarter(
    *, viewer: User, quarters: list[Quarter], community: Community | None = None, today: datetime.date | None = None
) -> dict[Quarter, list[QuotaRow]]:
    """quota_progress of several quarters (the work report's year) in four queries, not four per quarter."""
    today = today or timezone.localdate()
    workers = list(quota_workers(viewer=viewer, community=community))
    targets = quota_targets(workers)
    visited = households_visited_per_period(workers=workers, periods=[(q.start, q.end) for q in quarters])
    return {
        quarter: _quota_rows(workers, quarter=quarter, today=today, sort="name", targets=targets, visited=counts)
        for quarter, counts in zip(quarters, visited, strict=True)
    }


def worker_quota(*, worker: User, quarter: Quarter, today: datetime.date | None = None) -> QuotaRow:
    """One worker's quarter, for her own home page."""
    return _quota_rows([worker], quarter=quarter, today=today or timezone.localdate(), sort="name")[0]


def _quota_rows(
    workers: list[User],
    *,
    quarter: Quarter,
    today: datetime.date,
    sort: str,
    targets: dict[int, int] | None = None,
    visited: dict[int, int] | None = None,
) -> list[QuotaRow]:
    if targets is None:
        targets = quota_targets(workers)
    if visited is None:
        visited = households_visited(workers=workers, start=quarter.start, end=quarter.end)
    if today < quarter.start:
        days_left = quarter.days
    elif today > quarter.end:
        days_left = 0
    else:
        days_left = (quarter.end - today).days + 1
    rows = [
        QuotaRow(worker=w, visited=visited[w.pk], target=targets[w.pk], days_left=days_left, days_total=quarter.days)
        for w in workers
    ]
    return sorted(rows, key=QUOTA_SORTS.get(sort, QUOTA_SORTS["name"]))


def quota_worker_visits(*, viewer: User, worker: User, quarter: Quarter) -> QuerySet[Visit]:
    """The household visits behind a worker's number (drill-down), in her areas or not, flagged by the page."""
    return (
        visits_list(viewer=viewer)
        .household_visits()
        .filter(pk__in=_taken_part(worker, quarter.start, quarter.end))
        .annotate(
            counts=Exists(
                GridArea.workers.through.objects.filter(
                    gridarea_id=OuterRef("household__grid_area_id"), user_id=worker.pk
                )
            )
        )
    )


# --- Coverage ---------------------------------------------------------------------------------------------------


def one_year_before(day: datetime.date) -> datetime.date:
    """The same date a year earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


@dataclass(frozen=True)
class CoverageRow:
    """Households of one grid area, estate or community, and how many were visited in the year and 12 months."""

    pk: int
    name: str
    community: str
    households: int
    visited_year: int
    visited_12_months: int

    @property
    def percent_year(self) -> int:
        return math.floor(100 * self.visited_year / self.households) if self.households else 0

    @property
    def percent_12_months(self) -> int:
        return math.floor(100 * self.visited_12_months / self.households) if self.households else 0


@dataclass(frozen=True)
class Coverage:
    year: int
    grid_areas: list[CoverageRow]
    estates: list[CoverageRow]
    communities: list[CoverageRow]


def coverage(
    *,
    viewer: User,
    community: Community | None = None,
    today: datetime.date | None = None,
    since: datetime.date | None = None,
    twelve_months: bool = True,
) -> Coverage:
    """ "Walk every family": the share of active households visited this year and in the last 12 months.

    With `since`, "this year" becomes since..today: the work report's coverage of its period; with
    twelve_months=False the 12 months are not counted (visited_12_months is 0), which the report does not show.

    The households are counted once, per (grid area, estate) pair, and the grid-area, estate and community rows
    are summed from those pairs (a household lies in exactly one of each); two small queries name the places.
    The visited households are uncorrelated sets read from the visits of the viewer's street(s) alone, through
    the (street, date) index, not from the whole city's visits (docs/performance.md).
    """
    today = today or timezone.localdate()
    year_start = since or today.replace(month=1, day=1)
    twelve_months_ago = one_year_before(today) + datetime.timedelta(days=1)
    # A household visit belongs to the household's street (visits.services), so the street narrows the visits
    # without losing one.
    visits = Visit.objects.household_visits().filter(
        visited_on__lte=today, street__in=Street.objects.visible_to(viewer).values("pk")
    )
    households = Household.objects.visible_to(viewer).active()
    if community:
        households = households.filter(grid_area__community=community)
    # Grouped by the two ids only: a hash of a few hundred groups, no sort of every household by names.
    pairs = list(
        households.order_by()
        .values_list("grid_area", "estate")
        .annotate(
            total=Count("pk"),
            year=Count("pk", filter=Q(pk__in=visits.filter(visited_on__gte=year_start).values("household_id"))),
            months=Count("pk", filter=Q(pk__in=visits.filter(visited_on__gte=twelve_months_ago).values("household_id")))
            if twelve_months
            else Value(0),
        )
    )
    grid_areas = GridArea.objects.filter(pk__in={pair[0] for pair in pairs}).select_related("community")
    estates = Estate.objects.filter(pk__in={pair[1] for pair in pairs}).select_related("community")
    places = {("grid_area", area.pk): area for area in grid_areas} | {("estate", e.pk): e for e in estates}

    def rows(level: str) -> list[CoverageRow]:
        sums: dict[int, list] = {}
        for area_id, estate_id, total, year, months in pairs:
            place = places[("estate", estate_id)] if level == "estate" else places[("grid_area", area_id)]
            if level == "community":
                place = place.community
            community_name = place.name if level == "community" else place.community.name
            row = sums.setdefault(place.pk, [place.name, community_name, 0, 0, 0])
            row[2] += total
            row[3] += year
            row[4] += months
        return [
            CoverageRow(pk=pk, name=n, community=c, households=total, visited_year=year, visited_12_months=months)
            for pk, (n, c, total, year, months) in sorted(sums.items(), key=lambda item: (item[1][1], item[1][0]))
        ]

    return Coverage(
        year=today.year, grid_areas=rows("grid_area"), estates=rows("estate"), communities=rows("community")
    )


@dataclass(frozen=True)
class StaffEstateRow:
    """ "Walk every estate": how many of the street's estates a member of street staff visited this year."""

    person: User
    estates_visited: int
    estates_total: int

    @property
    def percent(self) -> int:
        return math.floor(100 * self.estates_visited / self.estates_total) if self.estates_total else 0


def staff_estate_coverage(*, viewer: User, today: datetime.date | None = None) -> list[StaffEstateRow]:
    """Street staff in the viewer's scope and the distinct estates each visited this year (estate visits)."""
    today = today or timezone.localdate()
    staff = list(
        User.objects.visible_to(viewer)
        .filter(
            role__in=(Role.DEPARTMENT_STAFF, Role.SECTION_CHIEF, Role.LEADER_IN_CHARGE, Role.CADRE, Role.STREET_LEADER),
            is_active=True,
        )
        .select_related("department")
        .annotate(
            estates_visited=Count(
                "visits__estate",
                filter=Q(
                    visits__kind=Visit.Kind.ESTATE,
                    visits__visited_on__gte=today.replace(month=1, day=1),
                    visits__visited_on__lte=today,
                ),
                distinct=True,
            )
        )
        .order_by("department__name", "full_name")
    )
    totals = dict(
        Street.objects.filter(pk__in={s.street_id for s in staff})
        .annotate(n=Count("communities__estates"))
        .values_list("pk", "n")
    )
    return [
        StaffEstateRow(person=s, estates_visited=s.estates_visited, estates_total=totals.get(s.street_id, 0))
        for s in staff
    ]


def staff_unvisited_estates(*, viewer: User, person: User, year: int) -> QuerySet[Estate]:
    """The estates of the street that a member of staff has not visited this year: where to go next."""
    visited = Visit.objects.filter(visitor=person, kind=Visit.Kind.ESTATE, visited_on__year=year).values("estate_id")
    # The person walks her own street's estates; a system administrator's view spans every street.
    return (
        Estate.objects.visible_to(viewer)
        .filter(community__street_id=person.street_id)
        .exclude(pk__in=visited)
        .select_related("community")
    )


# --- Planner ----------------------------------------------------------------------------------------------------


def visit_planner(*, worker: User) -> QuerySet[Household]:
    """Her households never visited or longest unvisited, key households first."""
    key = HouseholdCategory.objects.filter(is_key=True, households=OuterRef("pk"))
    return (
        Household.objects.visible_to(worker)
        .active()
        .filter(grid_area__workers=worker)
        .select_related("estate", "grid_area")
        .annotate(
            is_key=Exists(key),
            last_visited_on=Max("visits__visited_on", filter=Q(visits__kind__in=Visit.HOUSEHOLD_KINDS)),
        )
        # Never visited first: PostgreSQL would put NULL dates last, SQLite first.
        .order_by("-is_key", F("last_visited_on").asc(nulls_first=True), "estate__name", "building", "unit", "room")
    )


# --- Visit-service day -------------------------------------------------------------------------------------------


def service_day(
    street: Street | int, month: datetime.date, *, rules: dict | None = None, moves: dict | None = None
) -> datetime.date:
    """The department staff's visit-service day of a month: the street's day (the 20th), unless moved."""
    street_id = street if isinstance(street, int) else street.pk
    month = month.replace(day=1)
    if moves is None:
        moves = {
            (m.street_id, m.month): m.moved_to for m in ServiceDayMove.objects.filter(street_id=street_id, month=month)
        }
    if (street_id, month) in moves:
        return moves[(street_id, month)]
    if rules is None:
        rules = dict(ServiceDayRule.objects.filter(street_id=street_id).values_list("street_id", "day_of_month"))
    return month.replace(day=rules.get(street_id, DEFAULT_SERVICE_DAY))


@dataclass(frozen=True)
class ServiceDayRow:
    """A member of department staff and, for each month, whether a visit was recorded on the service day."""

    person: User
    kept: list[bool | None]  # None: the day has not come (or is today, with nothing recorded yet)

    @property
    def kept_count(self) -> int:
        return sum(1 for k in self.kept if k)

    @property
    def due_count(self) -> int:
        return sum(1 for k in self.kept if k is not None)


def service_day_people(*, viewer: User) -> QuerySet[User]:
    """Department staff the viewer reviews: a chief his department, a leader in charge the departments he
    oversees, street leaders and administrators everyone in scope."""
    people = User.objects.visible_to(viewer).filter(role__in=SERVICE_DAY_ROLES, is_active=True)
    if viewer.is_section_chief:
        people = people.filter(department_id=viewer.department_id)
    elif viewer.is_leader_in_charge:
        people = people.filter(department__in=viewer.overseen_departments.all())
    return people.select_related("department").order_by("department__name", "full_name", "username")


@dataclass(frozen=True)
class ServiceDayTable:
    """The months, each street's service day of each month (and which were moved), and a row per person."""

    months: list[datetime.date]
    days: dict[tuple[int, datetime.date], datetime.date]
    moved: set[tuple[int, datetime.date]]
    rows: list[ServiceDayRow]


def service_day_compliance(
    *, viewer: User, months: list[datetime.date], today: datetime.date | None = None
) -> ServiceDayTable:
    """For each reviewed person and month, whether a visit is recorded on that month's service day.

    The days are worked out for the people's streets and the viewer's own, so a page can head its columns with
    them even when nobody is listed.
    """
    today = today or timezone.localdate()
    people = list(service_day_people(viewer=viewer))
    streets = {p.street_id for p in people} | ({viewer.street_id} if viewer.street_id else set())
    rules = dict(ServiceDayRule.objects.filter(street_id__in=streets).values_list("street_id", "day_of_month"))
    moves = {
        (m.street_id, m.month): m.moved_to
        for m in ServiceDayMove.objects.filter(street_id__in=streets, month__in=months)
    }
    days = {(s, m): service_day(s, m, rules=rules, moves=moves) for s in streets for m in months}
    wanted = Q(pk__in=[])
    for (street_id, _month), day in days.items():
        wanted |= Q(visitor__street_id=street_id, visited_on=day)
    recorded = set(Visit.objects.filter(wanted, visitor__in=people).values_list("visitor_id", "visited_on").distinct())
    rows = []
    for person in people:
        kept = []
        for month in months:
            day = days[(person.street_id, month)]
            done = (person.pk, day) in recorded
            # The day itself is not missed until it is over.
            kept.append(None if day > today or (day == today and not done) else done)
        rows.append(ServiceDayRow(person=person, kept=kept))
    return ServiceDayTable(months=months, days=days, moved=set(moves), rows=rows)


# --- Visits per place (enterprises and estates) --------------------------------------------------------------------


def enterprise_visit_summary(*, viewer: User) -> QuerySet:
    """Each enterprise in scope with its visits, the last one, and the problems raised."""
    return (
        Enterprise.objects.visible_to(viewer)
        .annotate(
            visit_count=Count("visits", distinct=True),
            last_visited_on=Max("visits__visited_on"),
            problem_count=Count("visits", filter=~Q(visits__difficulty=""), distinct=True),
        )
        .order_by(F("last_visited_on").desc(nulls_last=True), "name")
    )


def estate_visit_summary(*, viewer: User) -> QuerySet[Estate]:
    """Each estate in scope with its estate visits, the last one, and the problems raised."""
    return (
        Estate.objects.visible_to(viewer)
        .select_related("community")
        .annotate(
            visit_count=Count("visits", distinct=True),
            last_visited_on=Max("visits__visited_on"),
            problem_count=Count("visits", filter=~Q(visits__difficulty=""), distinct=True),
        )
        .order_by("community__name", "name")
    )


def place_visits(*, viewer: User, place) -> QuerySet[Visit]:
    """The visits behind a place's numbers."""
    target = "estate" if isinstance(place, Estate) else "enterprise"
    # Joined here (one table), so its prefetch has nothing left to fetch.
    return visits_list(viewer=viewer).filter(**{target: place}).select_related(target)
