"""The home page: for each role, what that person must do next."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from households.selectors import home_summary
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
        "quota": quota,
        "can_log_visits": user.can_log_visits,
    }
    return render(request, "wenxin/home.html", context)
