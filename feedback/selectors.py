"""Reads of meetings and opinions. Each starts from visible_to(viewer) and counts in the database."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.shortcuts import get_object_or_404

from feedback.models import Meeting, Opinion, OpinionCategory, TopicMeeting
from wenxin.models import User
from wenxin.roles import Role

OPINION_RELATED = (
    "category",
    "community",
    "estate",
    "responsible",
    "leader_in_charge",
    "department",
    "meeting__kind",
    "enterprise",
    "paired_village",
    "topic_meeting",
)


def get_opinion_for_user(user: User, pk: int) -> Opinion:
    """The opinion if the user may see it; otherwise 404, whether it is missing or not theirs."""
    return get_object_or_404(Opinion.objects.visible_to(user).select_related(*OPINION_RELATED, "parent"), pk=pk)


def get_meeting_for_user(user: User, pk: int) -> Meeting:
    return get_object_or_404(Meeting.objects.visible_to(user).select_related("kind", "community", "recorded_by"), pk=pk)


def get_topic_meeting_for_user(user: User, pk: int) -> TopicMeeting:
    return get_object_or_404(TopicMeeting.objects.visible_to(user).select_related("chaired_by"), pk=pk)


@dataclass(frozen=True)
class OpinionFilters:
    """What the opinion list is narrowed by, as read from the query string (each value already in scope)."""

    status: str = ""
    category: OpinionCategory | None = None
    source: str = ""
    community_id: int | None = None
    overdue: bool = False
    q: str = ""


def opinion_list(*, viewer: User, filters: OpinionFilters, today: datetime.date) -> QuerySet[Opinion]:
    """The opinions the viewer may see, narrowed by the filters, newest first."""
    opinions = Opinion.objects.visible_to(viewer).select_related(*OPINION_RELATED)
    if filters.status:
        opinions = opinions.filter(status=filters.status)
    if filters.category is not None:
        opinions = opinions.filter(category=filters.category)
    if filters.source:
        opinions = opinions.filter(source=filters.source)
    if filters.community_id:
        opinions = opinions.filter(community_id=filters.community_id)
    if filters.overdue:
        opinions = opinions.overdue(today)
    q = filters.q.strip()
    if q:
        text = Q(text__icontains=q) | Q(location__icontains=q) | Q(estate__name__icontains=q)
        if q.lstrip("#").isdecimal():  # not isdigit(): "²" is a digit that int() refuses
            text |= Q(pk=int(q.lstrip("#")))
        opinions = opinions.filter(text)
    return opinions.order_by("-created_at", "-pk")


def my_tasks(*, viewer: User) -> QuerySet[Opinion]:
    """The opinions the viewer is responsible for and has not closed, the nearest deadline first."""
    return (
        Opinion.objects.visible_to(viewer)
        .filter(responsible=viewer, status__in=Opinion.ASSIGNED_STATUSES)
        .select_related(*OPINION_RELATED)
        .order_by("due_on", "pk")
    )


def overdue_opinions(*, viewer: User, today: datetime.date) -> QuerySet[Opinion]:
    """Past their completion date and not closed; for a leader in charge, those of his departments and topics."""
    opinions = Opinion.objects.visible_to(viewer).overdue(today)
    if viewer.is_leader_in_charge:
        opinions = opinions.filter(
            Q(leader_in_charge=viewer)
            | Q(department__in=viewer.overseen_departments.values("pk"))
            | Q(topic_meeting__chaired_by=viewer)
        )
    return opinions.select_related(*OPINION_RELATED).order_by("due_on", "pk")


def waiting_for_dispatch(*, viewer: User) -> QuerySet[Opinion]:
    """New and sorted opinions that still need a category or a responsible person."""
    return (
        Opinion.objects.visible_to(viewer)
        .filter(status__in=(Opinion.Status.NEW, Opinion.Status.SORTED))
        .select_related(*OPINION_RELATED)
        .order_by("created_at", "pk")
    )


@dataclass(frozen=True)
class OpinionCounts:
    by_status: list[tuple[str, str, int]]  # (value, label, count), every status
    by_category: list[tuple[OpinionCategory | None, int]]
    by_source: list[tuple[str, str, int]]
    overdue: int


def opinion_counts(*, viewer: User, today: datetime.date) -> OpinionCounts:
    """How many opinions the viewer sees, per status, category and source: four queries whatever the size."""
    visible = Opinion.objects.visible_to(viewer)
    # The overdue count rides on the per-status query: overdue is "assigned or in progress, past the date".
    per_status = list(
        visible.values_list("status").annotate(n=Count("pk"), late=Count("pk", filter=Q(due_on__lt=today))).order_by()
    )
    statuses = {status: n for status, n, _late in per_status}
    overdue = sum(late for status, _n, late in per_status if status in Opinion.ASSIGNED_STATUSES)
    sources = dict(visible.values_list("source").annotate(n=Count("pk")).order_by())
    per_category = dict(visible.values_list("category").annotate(n=Count("pk")).order_by())
    categories = {c.pk: c for c in OpinionCategory.objects.filter(pk__in=[k for k in per_category if k])}
    by_category = sorted(
        ((categories.get(pk), n) for pk, n in per_category.items()),
        key=lambda pair: (pair[0] is None, pair[0].group if pair[0] else "", pair[0].sort_order if pair[0] else 0),
    )
    return OpinionCounts(
        by_status=[(s.value, s.label, statuses.get(s.value, 0)) for s in Opinion.Status],
        by_category=by_category,
        by_source=[(s.value, s.label, sources.get(s.value, 0)) for s in Opinion.Source],
        overdue=overdue,
    )


def opinion_history(opinion: Opinion):
    """The opinion's steps, oldest first, with who took each."""
    return opinion.events.select_related("actor").order_by("at", "pk")


def assignable_users(*, viewer: User) -> QuerySet[User]:
    """Whom the viewer may name as responsible: active colleagues in her scope."""
    return User.objects.visible_to(viewer).filter(is_active=True).order_by("full_name", "username")


def leaders_in_charge(*, viewer: User) -> QuerySet[User]:
    """Who may be named leader in charge of an opinion: the street's leaders in charge and main leaders.

    Street-wide, not the viewer's scope: a community leader who assigns an opinion names the street's deputy.
    """
    if not (viewer.is_authenticated and viewer.is_active):
        return User.objects.none()
    leaders = User.objects.filter(is_active=True, role__in=[Role.LEADER_IN_CHARGE, Role.STREET_LEADER])
    if not viewer.sees_everything:
        leaders = leaders.filter(street_id=viewer.street_id) if viewer.street_id else leaders.none()
    return leaders.order_by("full_name", "username")


@dataclass(frozen=True)
class OpinionTodo:
    """The home card of opinions: what waits for this person. One query."""

    mine: int
    mine_overdue: int
    waiting: int | None  # new or sorted, for those who dispatch; None for others
    overdue: int | None  # overdue in the viewer's charge, for those who dispatch


def opinion_todo(*, viewer: User, today: datetime.date) -> OpinionTodo:
    mine = Q(responsible=viewer, status__in=Opinion.ASSIGNED_STATUSES)
    overdue = Q(status__in=Opinion.ASSIGNED_STATUSES, due_on__lt=today)
    if viewer.is_leader_in_charge:
        overdue &= (
            Q(leader_in_charge=viewer)
            | Q(department__in=viewer.overseen_departments.values("pk"))
            | Q(topic_meeting__chaired_by=viewer)
        )
    counts = Opinion.objects.visible_to(viewer).aggregate(
        mine=Count("pk", filter=mine),
        mine_overdue=Count("pk", filter=mine & Q(due_on__lt=today)),
        waiting=Count("pk", filter=Q(status__in=(Opinion.Status.NEW, Opinion.Status.SORTED))),
        overdue=Count("pk", filter=overdue),
    )
    dispatches = viewer.can_dispatch_opinions
    return OpinionTodo(
        mine=counts["mine"],
        mine_overdue=counts["mine_overdue"],
        waiting=counts["waiting"] if dispatches else None,
        overdue=counts["overdue"] if dispatches else None,
    )


def topic_meeting_list(*, viewer: User) -> QuerySet[TopicMeeting]:
    """The topic meetings the viewer sees, newest first, each counting only the opinions she may see."""
    return (
        TopicMeeting.objects.filter(pk__in=TopicMeeting.objects.visible_to(viewer).values("pk"))
        .select_related("chaired_by")
        .annotate(opinion_count=Count("opinions", filter=Q(opinions__in=Opinion.objects.visible_to(viewer))))
        .order_by("-held_on", "-pk")
    )


def topic_candidates(*, viewer: User, category: OpinionCategory | None = None) -> QuerySet[Opinion]:
    """Open opinions a topic meeting may take up, oldest first, of one category if asked."""
    opinions = Opinion.objects.visible_to(viewer).open().select_related("category", "community", "estate")
    if category is not None:
        opinions = opinions.filter(category=category)
    return opinions.order_by("created_at", "pk")
