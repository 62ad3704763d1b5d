"""The four listenings (四听取) pages: the meetings a user sees, recording and correcting one, its page with the
opinions it collected, and the cadence calendar of which required meetings were held, are due or are overdue.

Every page starts from Meeting.objects.visible_to(user): a meeting outside her scope answers 404, whether it
exists or not; a role without the right answers 403. Writes go through feedback.services.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from feedback import services
from feedback.cadence import STREET_UNIT, RowState, cadence_calendar, cadence_label
from feedback.meeting_forms import MeetingForm
from feedback.models import Meeting, MeetingKind, Opinion
from feedback.selectors import get_meeting_for_user
from households.models import Community
from wenxin.models import User

PAGE_SIZE = 25
# How many years back the calendar's year choice offers.
CALENDAR_YEARS = 5

require_get = require_http_methods(["GET", "HEAD"])


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _can_edit(user: User, meeting: Meeting) -> bool:
    """The service's rule, asked before offering the page: a community's meeting by those who see the community,
    a street's meeting by the street's staff."""
    if not user.can_record_meetings:
        return False
    if meeting.community_id is None:
        return user.sees_whole_street and user.street_id == meeting.street_id
    return Community.objects.visible_to(user).filter(pk=meeting.community_id).exists()


def _parse_date(text: str | None) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat((text or "").strip())
    except ValueError:
        return None


def _parse_year(text: str | None, today: datetime.date) -> int | None:
    """A year from 2000 to this one; anything else is no year."""
    text = (text or "").strip()
    if not text.isdigit():
        return None
    year = int(text)
    return year if 2000 <= year <= today.year else None


# --- The list -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MeetingFilters:
    """What the list is narrowed by, as read from the query string; a value outside the user's scope is ignored."""

    kinds: list[MeetingKind]
    kind: MeetingKind | None
    communities: list[Community]
    community: Community | None
    street_level: bool
    years: list[int]
    year: int | None
    start: datetime.date | None
    end: datetime.date | None

    @property
    def community_value(self) -> str:
        if self.street_level:
            return STREET_UNIT
        return str(self.community.pk) if self.community else ""

    @property
    def any(self) -> bool:
        return bool(self.kind or self.community or self.street_level or self.year or self.start or self.end)


def _meeting_filters(request: HttpRequest, visible: QuerySet[Meeting]) -> MeetingFilters:
    user = request.user
    kinds = list(MeetingKind.objects.visible_to(user).order_by("sort_order", "name"))
    communities = list(Community.objects.visible_to(user).order_by("kind", "name"))
    years = [day.year for day in visible.dates("held_on", "year", order="DESC")]
    kind_code = request.GET.get("kind", "")
    community_value = request.GET.get("community", "")
    today = timezone.localdate()
    return MeetingFilters(
        kinds=kinds,
        kind=next((k for k in kinds if k.code == kind_code), None),
        communities=communities,
        community=next((c for c in communities if str(c.pk) == community_value), None),
        street_level=community_value == STREET_UNIT,
        years=years,
        year=_parse_year(request.GET.get("year"), today),
        start=_parse_date(request.GET.get("start")),
        end=_parse_date(request.GET.get("end")),
    )


def _filtered(meetings: QuerySet[Meeting], filters: MeetingFilters) -> QuerySet[Meeting]:
    if filters.kind is not None:
        meetings = meetings.filter(kind=filters.kind)
    if filters.community is not None:
        meetings = meetings.filter(community=filters.community)
    elif filters.street_level:
        meetings = meetings.filter(community__isnull=True)
    if filters.year:
        meetings = meetings.filter(held_on__year=filters.year)
    if filters.start:
        meetings = meetings.filter(held_on__gte=filters.start)
    if filters.end:
        meetings = meetings.filter(held_on__lte=filters.end)
    return meetings


def filtered_meetings(request: HttpRequest) -> tuple[MeetingFilters, QuerySet[Meeting]]:
    """The filters of the query string and the meetings they leave, newest first: the list and its export."""
    visible = Meeting.objects.visible_to(request.user)
    filters = _meeting_filters(request, visible)
    meetings = (
        _filtered(visible, filters)
        .select_related("kind", "community", "street")
        # Opinions as raised there: a part split off one is not counted twice.
        .annotate(opinion_count=Count("opinions", filter=Q(opinions__parent__isnull=True)))
        .order_by("-held_on", "-pk")
    )
    return filters, meetings


@login_required
@require_get
def meeting_list(request: HttpRequest) -> HttpResponse:
    """The meetings she sees, newest first, with their attendance and the opinions each collected."""
    user = request.user
    filters, meetings = filtered_meetings(request)
    page = Paginator(meetings, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "filters": filters,
        "can_record": user.can_record_meetings,
        "can_review": user.can_review_meetings,
    }
    return render(request, "feedback/meeting_list.html", context)


# --- Recording and correcting ---------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def meeting_create(request: HttpRequest) -> HttpResponse:
    """Record a meeting just held; then its page, where the opinions it collected are recorded."""
    user = request.user
    _require(user.can_record_meetings)
    if request.method != "POST":
        initial = {}
        wanted = MeetingKind.objects.filter(code=request.GET.get("kind", ""), is_active=True).first()
        if wanted is not None:
            initial["kind"] = wanted.pk
        community = request.GET.get("community", "")
        if community.isdigit():
            initial["community"] = int(community)
        form = MeetingForm(user=user, initial=initial)
        return render(request, "feedback/meeting_form.html", {"form": form, "meeting": None})

    form = MeetingForm(request.POST, user=user)
    if form.is_valid():
        data = form.meeting_data()
        try:
            meeting = services.meeting_create(actor=user, kind=data.pop("kind"), held_on=data.pop("held_on"), **data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("已记录会议：%(meeting)s。") % {"meeting": meeting})
            return redirect("feedback:meeting_detail", pk=meeting.pk)
    return render(request, "feedback/meeting_form.html", {"form": form, "meeting": None})


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def meeting_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Correct a meeting's record: only what this user changed is saved."""
    user = request.user
    meeting = get_meeting_for_user(user, pk)
    _require(_can_edit(user, meeting))
    form = MeetingForm(request.POST or None, user=user, meeting=meeting, initial=MeetingForm.initial_for(meeting))
    if request.method == "POST" and form.is_valid():
        data = form.changed_meeting_data()
        if not data:
            messages.info(request, _("没有修改任何内容。"))
            return redirect("feedback:meeting_detail", pk=meeting.pk)
        try:
            services.meeting_update(actor=user, meeting=meeting, data=data)
        except ValidationError as error:
            form.add_service_error(error)
        else:
            messages.success(request, _("已保存。"))
            return redirect("feedback:meeting_detail", pk=meeting.pk)
    return render(request, "feedback/meeting_form.html", {"form": form, "meeting": meeting})


# --- One meeting ----------------------------------------------------------------------------------------------


@login_required
@require_get
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """Everything recorded about a meeting, and the opinions it collected that she may see."""
    user = request.user
    meeting = get_meeting_for_user(user, pk)
    today = timezone.localdate()
    opinions = list(
        Opinion.objects.visible_to(user)
        .filter(meeting=meeting)
        .select_related("category", "responsible", "estate")
        .order_by("pk")
    )
    for opinion in opinions:
        opinion.overdue = opinion.is_overdue(today)
    context = {
        "meeting": meeting,
        "groups": meeting.attendee_groups(),
        "cadence": cadence_label(meeting.kind.cadence_months),
        "opinions": opinions,
        "collected": sum(1 for opinion in opinions if opinion.parent_id is None),
        "can_edit": _can_edit(user, meeting),
        "can_add_opinions": user.can_log_visits,
    }
    return render(request, "feedback/meeting_detail.html", context)


# --- The cadence calendar -------------------------------------------------------------------------------------


def cadence_filters(
    request: HttpRequest, today: datetime.date
) -> tuple[int | None, MeetingKind | None, RowState | None]:
    """The calendar's year, kind and status from the query string (the page and its export); unknown ones: none."""
    year = _parse_year(request.GET.get("year"), today)
    kind_code = request.GET.get("kind", "")
    kind = MeetingKind.objects.visible_to(request.user).filter(code=kind_code).first() if kind_code else None
    return year, kind, RowState.parse(request.GET.get("status"))


@login_required
@require_get
def cadence(request: HttpRequest) -> HttpResponse:
    """Which required meetings each unit held, which are due and which are overdue: leaders and community leaders."""
    user = request.user
    _require(user.can_review_meetings)
    today = timezone.localdate()
    year, kind, status = cadence_filters(request, today)
    calendar = cadence_calendar(viewer=user, today=today, year=year, kind=kind, status=status)
    context = {
        "calendar": calendar,
        "kind": kind,
        "status": status,
        "states": list(RowState),
        "year": year,
        "years": list(range(today.year, today.year - CALENDAR_YEARS, -1)),
        "previous_year": (year or today.year) - 1,
        "next_year": year + 1 if year and year < today.year else None,
        "street_unit": STREET_UNIT,
    }
    return render(request, "feedback/cadence.html", context)
