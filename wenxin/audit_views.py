"""The trail page of a record: who created, changed, deleted or read it in full, when, and what changed."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from wenxin.audit import TRAIL_PAGE_SIZE, describe_entries, record_trail


@login_required
@require_http_methods(["GET", "HEAD"])
def audit_trail(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    """404 unless the user reads trails and sees the record: a stranger cannot tell it exists."""
    trail = record_trail(viewer=request.user, kind=kind, pk=pk)
    page = Paginator(trail.entries, TRAIL_PAGE_SIZE).get_page(request.GET.get("page"))
    rows = describe_entries(page.object_list, viewer=request.user)
    return render(request, "wenxin/audit_trail.html", {"trail": trail, "page": page, "rows": rows})
