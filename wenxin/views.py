"""The home page: for each role, what that person must do next."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from feedback.selectors import opinion_todo
from households.selectors import (
    home_summary,
    key_households_without_caring_visit,
    key_households_without_plan,
    plans_due_for_review,
)
from visits.periods import Quarter
from visits.selectors import worker_quota


@login_required
@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest) -> HttpResponse:
    user = request.user
    quota = None
    if user.is_social_worker:
        # Her quarter first: the 50 households are the measure of her work.
        quota = worker_quota(worker=user, quarter=Quarter.current())
    context = {
        "summary": home_summary(viewer=user),
        "plan_todo": _plan_todo(user),
        "quota": quota,
        "can_log_visits": user.can_log_visits,
        # Opinions routed to this person, and for those who dispatch, what waits or is late: one query.
        "opinion_todo": opinion_todo(viewer=user, today=timezone.localdate()) if user.street_id else None,
    }
    return render(request, "wenxin/home.html", context)


def _plan_todo(user) -> dict | None:
    """One household, one plan as work to do, for those who keep the plans: three counts, three queries."""
    if not ((user.is_social_worker or user.is_community_leader) and user.can_see_sensitive_data):
        return None
    today = timezone.localdate()
    return {
        "without_plan": key_households_without_plan(viewer=user).count(),
        "overdue": plans_due_for_review(viewer=user, today=today).count(),
        "without_caring_visit": key_households_without_caring_visit(viewer=user, today=today).count(),
    }
