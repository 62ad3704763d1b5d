"""The home page: for each role, what that person must do next."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from households.selectors import home_summary


@login_required
@require_http_methods(["GET", "HEAD"])
def home(request: HttpRequest) -> HttpResponse:
    return render(request, "wenxin/home.html", {"summary": home_summary(viewer=request.user)})
