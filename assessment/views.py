"""The assessment's pages outside the admin: three-musts compliance, the scorecard, the leader's verification.

Leaders do spot-checks in the Django admin; these pages show what the assessment adds up to, and give a community
main leader a phone-sized way to verify his staff's visits. Each asks one boolean of the user (403 without it) and
reads through selectors that take the viewer; an object outside the viewer's scope answers 404.
"""

from __future__ import annotations

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from assessment import selectors, services
from assessment.exports import scorecard_workbook
from assessment.models import VisitVerification
from visits.periods import Period, Quarter, period_containing
from wenxin.models import User
from wenxin.roles import Role
from wenxin.xlsx import xlsx_response

require_get = require_http_methods(["GET", "HEAD"])


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _quarter(request: HttpRequest) -> Quarter:
    return Quarter.parse(request.GET.get("quarter"), Quarter.current())


def _quarter_nav(quarter: Quarter) -> dict:
    current = Quarter.current()
    return {
        "quarter": quarter,
        "previous_quarter": quarter.previous(),
        "next_quarter": quarter.next() if quarter < current else None,
        "is_current": quarter == current,
    }


def _date_or_none(text: str) -> datetime.date | None:
    """A YYYY-MM-DD date from the query string, or None for anything else (never a 500)."""
    try:
        return parse_date(text.strip()) if len(text.strip()) == 10 else None
    except ValueError:
        return None


def three_musts_period(request: HttpRequest, today: datetime.date) -> Period:
    """The period of the street's three-musts rule holding ?on= (today without one): the page's and its export's."""
    months = selectors.rule_for(request.user.street_id).three_musts_months
    day = _date_or_none(request.GET.get("on", ""))
    return period_containing(day or today, months)


@login_required
@require_get
def three_musts_page(request: HttpRequest) -> HttpResponse:
    """Every cadre's links in a period with which of the three musts were visited and what is missing."""
    user = request.user
    _require(user.can_review_assessment)
    today = timezone.localdate()
    period = three_musts_period(request, today)
    months = period.months
    start, end = period.start, period.end
    rows = selectors.three_musts(viewer=user, start=start, end=end)
    cadres: dict[int, dict] = {}
    for row in rows:
        entry = cadres.setdefault(row.link.cadre_id, {"cadre": row.link.cadre, "rows": [], "missing": 0})
        entry["rows"].append(row)
        entry["missing"] += len(row.missing)
    previous_start = period.previous().start
    next_start = end + datetime.timedelta(days=1)
    return render(
        request,
        "assessment/three_musts.html",
        {
            "start": start,
            "end": end,
            "months": months,
            "cadres": list(cadres.values()),
            "complete": sum(1 for entry in cadres.values() if not entry["missing"]),
            "previous_on": previous_start.isoformat(),
            "next_on": next_start.isoformat() if next_start <= today else None,
            "is_current": start <= today <= end,
        },
    )


@login_required
@require_get
def scorecard_page(request: HttpRequest) -> HttpResponse:
    """The quarter's scorecard of every person and unit in scope, with each part and the weights."""
    user = request.user
    _require(user.can_review_assessment)
    quarter = _quarter(request)
    people, units = selectors.scorecard(viewer=user, quarter=quarter)
    rule = selectors.rule_for(user.street_id)
    weights = [(label, getattr(rule, weight)) for _key, weight, label in selectors.COMPONENTS]
    return render(
        request,
        "assessment/scorecard.html",
        {
            **_quarter_nav(quarter),
            "people": people,
            "units": units,
            "components": [(key, label) for key, _weight, label in selectors.COMPONENTS],
            "weights": weights,
        },
    )


@login_required
@require_get
def scorecard_export(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(user.can_review_assessment)
    quarter = _quarter(request)
    people, units = selectors.scorecard(viewer=user, quarter=quarter)
    filename = _("考核记分卡-%(quarter)s.xlsx") % {"quarter": quarter.slug}
    return xlsx_response(scorecard_workbook([*people, *units], quarter=quarter), filename)


# --- Verification by the community main leader (核实检查) -----------------------------------------------------------


def _community_workers(user: User):
    return (
        User.objects.visible_to(user)
        .filter(role=Role.SOCIAL_WORKER, community_id=user.community_id, is_active=True)
        .order_by("full_name", "username")
    )


@login_required
@require_get
def verify_workers(request: HttpRequest) -> HttpResponse:
    """The community leader's staff with the share of their quarter's household visits he has verified."""
    user = request.user
    _require(user.can_verify_visits)
    quarter = _quarter(request)
    workers = list(_community_workers(user))
    shares = selectors.verification_shares(workers=workers, start=quarter.start, end=quarter.end)
    return render(
        request,
        "assessment/verify_workers.html",
        {**_quarter_nav(quarter), "rows": [(worker, shares[worker.pk]) for worker in workers]},
    )


@login_required
@require_get
def verify_worker_visits(request: HttpRequest, pk: int) -> HttpResponse:
    """One worker's household visits of the quarter, each with its verification and the two buttons."""
    user = request.user
    _require(user.can_verify_visits)
    worker = get_object_or_404(_community_workers(user), pk=pk)
    quarter = _quarter(request)
    visits = (
        services.verifiable_visits(user)
        .household_visits()
        .in_period(quarter.start, quarter.end)
        .filter(visitor=worker)
        .select_related("household__estate", "verification")
        .order_by("-visited_on", "-pk")
    )
    visits = list(visits)
    share = selectors.verification_shares(workers=[worker], start=quarter.start, end=quarter.end)[worker.pk]
    return render(
        request,
        "assessment/verify_worker.html",
        {
            **_quarter_nav(quarter),
            "worker": worker,
            "visits": visits,
            "share": share,
            "statuses": VisitVerification.Status,
        },
    )


@login_required
@require_POST
def verify_visit(request: HttpRequest, pk: int) -> HttpResponse:
    """Mark one visit verified or queried; back to the worker's list, where the next one waits."""
    user = request.user
    _require(user.can_verify_visits)
    visit = get_object_or_404(services.verifiable_visits(user), pk=pk)
    back = reverse("assessment:verify_worker", args=[visit.visitor_id])
    quarter = Quarter.parse(request.POST.get("quarter"), None)
    if quarter:
        back += "?" + urlencode({"quarter": quarter.slug})
    try:
        services.visit_verify(
            actor=user, visit=visit, status=request.POST.get("status", ""), note=request.POST.get("note", "")[:500]
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("已记录核实结果：%(visit)s") % {"visit": visit})
    return redirect(f"{back}#visit-{visit.pk}")
