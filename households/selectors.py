"""Reads of the household registry. Every one starts from visible_to(viewer)."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone

from households.models import (
    AssistanceMeasure,
    AssistancePair,
    AssistancePlan,
    Community,
    Estate,
    GridArea,
    Household,
    HouseholdCategory,
    PlanSection,
    Resident,
    Subsidy,
    in_key_category,
)
from wenxin.models import User

_ID_TAIL = re.compile(r"^\d{3,17}[\dXx]?$")
# The digits of an ID number a masked number shows at its end (wenxin.validators.mask_id_number).
ID_TAIL_SHOWN = 4


def get_household_for_user(user: User, pk: int) -> Household:
    """The household if the user may see it; otherwise 404, whether it is missing or not theirs."""
    return get_object_or_404(Household.objects.visible_to(user).select_related("estate", "grid_area__community"), pk=pk)


def get_resident_for_user(user: User, pk: int) -> Resident:
    return get_object_or_404(Resident.objects.visible_to(user).select_related("household__estate"), pk=pk)


@dataclass(frozen=True)
class HouseholdFilters:
    """What the household list is narrowed by; empty values mean no filter."""

    q: str = ""
    community: Community | None = None
    estate: Estate | None = None
    grid_area: GridArea | None = None
    category: HouseholdCategory | None = None
    key_only: bool = False
    include_moved_out: bool = False
    without_head: bool = False
    key_without_phone: bool = False


def household_search(queryset: QuerySet[Household], q: str, *, full_id_numbers: bool = False) -> QuerySet[Household]:
    """Match a resident's name, a phone number, the address, or the last digits of an ID number.

    Without full_id_numbers (the viewer's can_see_sensitive_data) only the last four, which every masked number
    shows, are matched: a longer tail would let her find the hidden digits out one by one.
    """
    q = q.strip()
    if not q:
        return queryset
    # Each table is searched on its own and the parts are OR-ed: residents through a correlated EXISTS, never a
    # join, so the result stays one row per household and the search starts from the households in scope (a
    # worker's few hundred are probed one by one; a street's are matched against the trigram indexes of
    # names and phones on PostgreSQL, households/migrations/0006). docs/performance.md has the measurements.
    resident_matches = Q(name__icontains=q) | Q(phone__contains=q)
    if _ID_TAIL.match(q) and len(q) >= 4 and (full_id_numbers or len(q) <= ID_TAIL_SHOWN):
        resident_matches |= Q(id_number__endswith=q.upper())
    matches = (
        Exists(Resident.objects.filter(resident_matches, household=OuterRef("pk")))
        | Q(phone__contains=q)
        | address_matches(q)
    )
    return queryset.filter(matches)


def address_matches(q: str) -> Q:
    """Households whose address fits q: the estate's name, a building or room number, or "3-2-301" / "3幢301"
    (every number typed must appear in building, unit and room)."""
    q = q.strip()
    matches = Q(estate__in=Estate.objects.filter(name__icontains=q).values("pk"))
    if not any(char.isascii() and char.isalnum() for char in q):
        # A name ("王秀英", "文新") is no building or room number, and comparing those columns of a city's
        # households with it is a scan of them all.
        return matches
    matches |= Q(building=q) | Q(room=q)
    numbers = re.findall(r"\d+", q)
    if 2 <= len(numbers) <= 3 and not q.isdigit():
        address = Q(building=numbers[0]) & Q(room=numbers[-1])
        if len(numbers) == 3:
            address &= Q(unit=numbers[1])
        matches |= address
    return matches


def household_list(*, viewer: User, filters: HouseholdFilters) -> QuerySet[Household]:
    """The households the viewer may see, filtered, with what the list shows fetched in a fixed number of queries."""
    households = Household.objects.visible_to(viewer)
    if not filters.include_moved_out:
        households = households.active()
    if filters.community:
        households = households.filter(grid_area__community=filters.community)
    if filters.estate:
        households = households.filter(estate=filters.estate)
    if filters.grid_area:
        households = households.filter(grid_area=filters.grid_area)
    if filters.category:
        households = households.filter(categories=filters.category)
    if filters.key_only:
        households = households.key()
    if filters.without_head:
        households = households.exclude(_has_head())
    if filters.key_without_phone:
        households = households.key().filter(phone="")
    households = household_search(households, filters.q, full_id_numbers=viewer.can_see_sensitive_data)
    return (
        households.with_head_name()
        .select_related("estate", "grid_area__community")
        .prefetch_related(Prefetch("categories", queryset=HouseholdCategory.objects.order_by("sort_order")))
        # A subquery, not Count("residents"): a join would group every household in scope before the page's 25
        # are picked (260,945 rows sorted on disk for a street of 100,000 households, docs/performance.md).
        .annotate(resident_count=_resident_count())
        .order_by("estate__name", "building", "unit", "room", "pk")
    )


def _resident_count() -> Coalesce:
    """How many residents a household has (0 for none), counted for the rows of the page only."""
    residents = Resident.objects.filter(household=OuterRef("pk")).order_by().values("household")
    return Coalesce(Subquery(residents.annotate(n=Count("pk")).values("n"), output_field=IntegerField()), 0)


def _has_head() -> Exists:
    """Whether the household has a head, asked of each household through the one-head index: NOT IN the city's
    2,000,000 heads took 28 ms for a worker's 900 households (docs/performance.md)."""
    return Exists(Resident.objects.filter(household=OuterRef("pk"), relation=Resident.Relation.HEAD))


def household_detail_residents(household: Household) -> QuerySet[Resident]:
    """The head of household first, then the others by name."""
    head_first = Case(When(relation=Resident.Relation.HEAD, then=0), default=1)
    return household.residents.order_by(head_first, "name")


@dataclass
class HomeSummary:
    """What a person sees first: the size of their part of the street and the registry gaps to fill."""

    households: int
    key_households: int
    residents: int
    households_without_head: int
    key_households_without_phone: int
    grid_areas: list[GridArea]
    communities: int


def home_summary(*, viewer: User) -> HomeSummary:
    households = Household.objects.visible_to(viewer).active()
    # One row per household (the scope's joins are to one grid area, community and street each).
    counts = households.annotate(is_key=in_key_category()).aggregate(
        total=Count("pk"),
        key=Count("pk", filter=Q(is_key=True)),
        without_phone=Count("pk", filter=Q(is_key=True, phone="")),
    )
    return HomeSummary(
        households=counts["total"],
        key_households=counts["key"],
        residents=Resident.objects.visible_to(viewer).filter(household__status=Household.Status.ACTIVE).count(),
        households_without_head=households.exclude(_has_head()).count(),
        key_households_without_phone=counts["without_phone"],
        grid_areas=list(
            GridArea.objects.visible_to(viewer)
            .filter(workers=viewer)
            .select_related("community")
            .annotate(household_count=Count("households", filter=Q(households__status=Household.Status.ACTIVE)))
        ),
        communities=Community.objects.visible_to(viewer).count(),
    )


# --- One household, one plan; pairing and the monthly caring visit; subsidies ----------------------------------------


def plan_queryset(*, viewer: User) -> QuerySet[AssistancePlan]:
    """Plans the viewer may see, annotated with how many of the five musts are recorded and whether complete.

    The fifth must, assistance measures, counts as recorded when the section is written or a measure exists.
    """
    sections = PlanSection.objects.filter(plan=OuterRef("pk"))
    return (
        AssistancePlan.objects.visible_to(viewer)
        .select_related("household__estate", "household__grid_area__community")
        .annotate(
            written=Count("sections", filter=~Q(sections__must=PlanSection.Must.MEASURES), distinct=True),
            measures_written=Exists(sections.filter(must=PlanSection.Must.MEASURES)),
            has_measures=Exists(AssistanceMeasure.objects.filter(plan=OuterRef("pk"))),
        )
        .annotate(
            musts_recorded=F("written") + Case(When(Q(measures_written=True) | Q(has_measures=True), then=1), default=0)
        )
        .annotate(is_complete=Case(When(musts_recorded=5, then=True), default=False, output_field=BooleanField()))
    )


def get_plan_for_user(user: User, household_pk: int) -> AssistancePlan:
    """A household's plan if the user may see it; 404 otherwise."""
    return get_object_or_404(plan_queryset(viewer=user), household_id=household_pk)


def missing_musts(plan: AssistancePlan) -> list[str]:
    """The five musts still to record, in their order, for a plan whose sections and measures are prefetched."""
    recorded = {section.must for section in plan.sections.all()}
    if plan.measures.all():
        recorded.add(PlanSection.Must.MEASURES)
    return [must for must in PlanSection.Must.values if must not in recorded]


@dataclass(frozen=True)
class PlanWorkRow:
    """One grid area's (or community's) plan work: key households, without a plan, incomplete, overdue."""

    pk: int
    name: str
    community: str
    key_households: int
    without_plan: int
    incomplete: int
    overdue: int


def plan_work(*, viewer: User, group: str = "grid_area", today: datetime.date | None = None) -> list[PlanWorkRow]:
    """Per grid area (group="grid_area") or community ("grid_area__community"): the plans still to make or mend."""
    today = today or timezone.localdate()
    if not viewer.can_see_sensitive_data:
        return []
    plans = plan_queryset(viewer=viewer).filter(household=OuterRef("pk"))
    key = (
        Household.objects.visible_to(viewer)
        .active()
        .key()
        .annotate(
            has_plan=Exists(plans),
            plan_incomplete=Exists(plans.filter(is_complete=False)),
            plan_overdue=Exists(plans.filter(review_on__lt=today)),
        )
    )
    name = f"{group}__name"
    community = "grid_area__community__name"
    grouped = (
        key.order_by()
        .values(group, name, community)
        .annotate(
            total=Count("pk"),
            without=Count("pk", filter=Q(has_plan=False)),
            incomplete=Count("pk", filter=Q(plan_incomplete=True)),
            overdue=Count("pk", filter=Q(plan_overdue=True)),
        )
        .order_by(community, name)
    )
    return [
        PlanWorkRow(
            pk=g[group],
            name=g[name],
            community=g[community],
            key_households=g["total"],
            without_plan=g["without"],
            incomplete=g["incomplete"],
            overdue=g["overdue"],
        )
        for g in grouped
    ]


def key_households_without_plan(*, viewer: User) -> QuerySet[Household]:
    if not viewer.can_see_sensitive_data:
        return Household.objects.none()
    return (
        Household.objects.visible_to(viewer)
        .active()
        .key()
        # NOT EXISTS per household (the plan's unique household index), not NOT IN every plan of the city.
        .exclude(Exists(AssistancePlan.objects.filter(household=OuterRef("pk"))))
        .select_related("estate", "grid_area__community")
        .with_head_name()
        .order_by("grid_area__community__name", "grid_area__name", "estate__name", "building", "unit", "room")
    )


def plans_due_for_review(*, viewer: User, today: datetime.date | None = None) -> QuerySet[AssistancePlan]:
    today = today or timezone.localdate()
    return plan_queryset(viewer=viewer).filter(review_on__lt=today).order_by("review_on")


def key_households_without_caring_visit(
    *, viewer: User, month: datetime.date | None = None, today: datetime.date | None = None
) -> QuerySet[Household]:
    """The viewer's key households with no caring visit (每月一次爱心走访) recorded yet this month."""
    from visits.models import Visit

    today = today or timezone.localdate()
    month = (month or today).replace(day=1)
    next_month = (month + datetime.timedelta(days=32)).replace(day=1)
    caring = Visit.objects.filter(
        household=OuterRef("pk"), kind=Visit.Kind.CARING, visited_on__gte=month, visited_on__lt=next_month
    )
    return (
        Household.objects.visible_to(viewer)
        .active()
        .key()
        .exclude(Exists(caring))
        .select_related("estate", "grid_area")
        .with_head_name()
        .order_by("estate__name", "building", "unit", "room")
    )


@dataclass(frozen=True)
class PairMonthsRow:
    """A pairing and, per month, whether its staff member's caring visit was recorded (None: not due)."""

    pair: AssistancePair
    kept: list[bool | None]

    @property
    def missed(self) -> int:
        return sum(1 for k in self.kept if k is False)


def caring_visit_compliance(
    *, viewer: User, months: list[datetime.date], today: datetime.date | None = None
) -> list[PairMonthsRow]:
    """Per pair and month: a caring visit by the paired staff member (visitor or companion) to the household.

    A month outside the pairing, or not over yet with nothing recorded, is not due; a month over with none is missed.
    """
    from visits.models import Visit

    today = today or timezone.localdate()
    first, last = months[0], (months[-1] + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
    pairs = list(
        AssistancePair.objects.visible_to(viewer)
        .filter(starts_on__lte=last)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=first))
        .select_related("staff", "household__estate", "household__grid_area")
        .order_by("household__grid_area__name", "household__estate__name", "household__building", "household__room")
    )
    caring = Visit.objects.filter(
        kind=Visit.Kind.CARING,
        household__in=[p.household_id for p in pairs],
        visited_on__gte=first,
        visited_on__lte=last,
    )
    done = set(caring.values_list("household_id", "visitor_id", "visited_on"))
    done |= set(
        Visit.companions.through.objects.filter(visit__in=caring).values_list(
            "visit__household_id", "user_id", "visit__visited_on"
        )
    )
    kept_months = {(h, u, d.replace(day=1)) for h, u, d in done}
    rows = []
    for pair in pairs:
        kept = []
        for month in months:
            month_end = (month + datetime.timedelta(days=32)).replace(day=1) - datetime.timedelta(days=1)
            visited = (pair.household_id, pair.staff_id, month) in kept_months
            outside = month_end < pair.starts_on or (pair.ends_on and month > pair.ends_on) or month > today
            if outside or (month_end >= today and not visited):
                kept.append(None)  # not the pairing's month, or a month not over with nothing yet
            else:
                kept.append(visited)
        rows.append(PairMonthsRow(pair=pair, kept=kept))
    return rows


@dataclass(frozen=True)
class SubsidyTotals:
    """Hardship subsidies and hardship visits in a period: the article's "194 households, 367,800 yuan"."""

    start: datetime.date
    end: datetime.date
    total: Decimal
    payments: int
    households_paid: int
    hardship_households_visited: int
    by_community: list[dict]
    by_kind: list[dict]
    by_month: list[dict]


def subsidy_totals(
    *, viewer: User, start: datetime.date, end: datetime.date, community: Community | None = None
) -> SubsidyTotals:
    """Totals exact to the fen (Decimal, summed by the database), per community, type and month."""
    from django.db.models.functions import TruncMonth

    from visits.models import Visit

    subsidies = Subsidy.objects.visible_to(viewer).filter(paid_on__gte=start, paid_on__lte=end)
    households = Household.objects.visible_to(viewer) if viewer.can_see_sensitive_data else Household.objects.none()
    if community:
        subsidies = subsidies.filter(household__grid_area__community=community)
        households = households.filter(grid_area__community=community)
    # Two reads of the period's subsidies instead of four: per community (with the households paid, which a
    # household's one community lets us add up), and per type and month; the totals are summed here, exactly
    # (Decimal). Each read is a scan of the period's subsidies (docs/performance.md).
    by_community = list(
        subsidies.order_by()
        .values("household__grid_area__community", "household__grid_area__community__name")
        .annotate(total=Sum("amount"), payments=Count("pk"), households=Count("household", distinct=True))
        .order_by("household__grid_area__community__name")
    )
    kinds: dict[str, dict] = {}
    months: dict[datetime.date, dict] = {}
    for row in (
        subsidies.order_by()
        .annotate(month=TruncMonth("paid_on"))
        .values("kind", "month")
        .annotate(total=Sum("amount"), payments=Count("pk"))
    ):
        for key, group in ((row["kind"], kinds), (row["month"], months)):
            sums = group.setdefault(key, {"total": Decimal(0), "payments": 0})
            sums["total"] += row["total"]
            sums["payments"] += row["payments"]
    visited = (
        households.key()
        .filter(
            Exists(
                Visit.objects.household_visits().filter(
                    household=OuterRef("pk"), visited_on__gte=start, visited_on__lte=end
                )
            )
        )
        .count()
    )
    zero = Decimal("0.00")
    return SubsidyTotals(
        start=start,
        end=end,
        total=sum((row["total"] for row in by_community), zero),
        payments=sum(row["payments"] for row in by_community),
        households_paid=sum(row["households"] for row in by_community),
        hardship_households_visited=visited,
        by_community=by_community,
        by_kind=sorted(
            ({"kind": kind, **sums, "label": Subsidy.Kind(kind).label} for kind, sums in kinds.items()),
            key=lambda row: row["total"],
            reverse=True,
        ),
        by_month=[{"month": month, **months[month]} for month in sorted(months)],
    )


def household_subsidies(*, viewer: User, household: Household) -> QuerySet[Subsidy]:
    return Subsidy.objects.visible_to(viewer).filter(household=household).select_related("recorded_by")
