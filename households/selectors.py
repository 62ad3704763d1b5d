"""Reads of the household registry. Every one starts from visible_to(viewer)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db.models import Case, Count, Prefetch, Q, QuerySet, When
from django.shortcuts import get_object_or_404

from households.models import Community, Estate, GridArea, Household, HouseholdCategory, Resident
from wenxin.models import User

_ID_TAIL = re.compile(r"^\d{3,17}[\dXx]?$")


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


def household_search(queryset: QuerySet[Household], q: str) -> QuerySet[Household]:
    """Match a resident's name, a phone number, the address, or the last digits of an ID number."""
    q = q.strip()
    if not q:
        return queryset
    matches = (
        Q(residents__name__icontains=q)
        | Q(phone__contains=q)
        | Q(residents__phone__contains=q)
        | Q(estate__name__icontains=q)
        | Q(building=q)
        | Q(room=q)
    )
    # "3-2-301" or "3幢301" style addresses: every number typed must appear in building/unit/room.
    numbers = re.findall(r"\d+", q)
    if 2 <= len(numbers) <= 3 and not q.isdigit():
        address = Q(building=numbers[0]) & Q(room=numbers[-1])
        if len(numbers) == 3:
            address &= Q(unit=numbers[1])
        matches |= address
    if _ID_TAIL.match(q) and len(q) >= 4:
        matches |= Q(residents__id_number__endswith=q.upper())
    # A subquery keeps the result one row per household, however many residents matched.
    return queryset.filter(pk__in=Household.objects.filter(matches).values("pk"))


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
        households = households.filter(pk__in=Household.objects.key().values("pk"))
    if filters.without_head:
        households = households.exclude(pk__in=_heads())
    if filters.key_without_phone:
        households = households.filter(pk__in=Household.objects.key().values("pk"), phone="")
    households = household_search(households, filters.q)
    return (
        households.with_head_name()
        .select_related("estate", "grid_area__community")
        .prefetch_related(Prefetch("categories", queryset=HouseholdCategory.objects.order_by("sort_order")))
        .annotate(
            resident_count=Count("residents", distinct=True),
        )
        .order_by("estate__name", "building", "unit", "room", "pk")
    )


def _heads() -> QuerySet[Resident]:
    return Resident.objects.filter(relation=Resident.Relation.HEAD).values("household_id")


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
    key_ids = Household.objects.key().values("pk")
    counts = households.aggregate(
        total=Count("pk", distinct=True),
        key=Count("pk", filter=Q(pk__in=key_ids), distinct=True),
        without_phone=Count("pk", filter=Q(pk__in=key_ids, phone=""), distinct=True),
    )
    return HomeSummary(
        households=counts["total"],
        key_households=counts["key"],
        residents=Resident.objects.visible_to(viewer).filter(household__status=Household.Status.ACTIVE).count(),
        households_without_head=households.exclude(pk__in=_heads()).count(),
        key_households_without_phone=counts["without_phone"],
        grid_areas=list(
            GridArea.objects.visible_to(viewer)
            .filter(workers=viewer)
            .select_related("community")
            .annotate(household_count=Count("households", filter=Q(households__status=Household.Status.ACTIVE)))
        ),
        communities=Community.objects.visible_to(viewer).count(),
    )
