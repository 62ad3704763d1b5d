"""Spreadsheet downloads of the visit pages: the planner, the visit-service day, and the enterprise and estate visits.

Each asks the same boolean as its page (403 without it), reads through the page's own selector with the viewer, so
it holds exactly the page's rows (all of them, not one page of them), and builds the workbook in visits.exports.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from households.models import Enterprise, Estate
from visits import exports, selectors
from visits.periods import Quarter, months_back
from visits.review_views import SERVICE_DAY_MONTHS, reviews_places, service_day_columns
from wenxin.xlsx import xlsx_response

require_get = require_http_methods(["GET", "HEAD"])


def _require(allowed: bool) -> None:
    if not allowed:
        raise PermissionDenied


def _today_stamp() -> str:
    return f"{timezone.localdate():%Y%m%d}"


@login_required
@require_GET  # audited: a HEAD would record a download that never happened
def planner_export(request: HttpRequest) -> HttpResponse:
    """Her planner, every household of it: a list of addresses to take on the round."""
    user = request.user
    _require(user.is_social_worker)
    households = selectors.visit_planner(worker=user).with_head_name()
    content = exports.planner_workbook(actor=user, households=households, quarter_start=Quarter.current().start)
    return xlsx_response(content, _("走访计划-%(date)s.xlsx") % {"date": _today_stamp()})


@login_required
@require_get
def service_day_export(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(user.can_review_service_days)
    months = months_back(timezone.localdate(), SERVICE_DAY_MONTHS)
    compliance = selectors.service_day_compliance(viewer=user, months=months)
    content = exports.service_day_workbook(service_day_columns(user, compliance), compliance.rows)
    return xlsx_response(content, _("走访服务日-%(date)s.xlsx") % {"date": _today_stamp()})


@login_required
@require_get
def places_export(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require(reviews_places(user))
    content = exports.places_workbook(
        enterprises=selectors.enterprise_visit_summary(viewer=user),
        estates=selectors.estate_visit_summary(viewer=user),
    )
    return xlsx_response(content, _("企业和小区走访-%(date)s.xlsx") % {"date": _today_stamp()})


def _place_visits_response(request: HttpRequest, place: Enterprise | Estate) -> HttpResponse:
    visits = selectors.place_visits(viewer=request.user, place=place)
    content = exports.place_visits_workbook(place, visits)
    return xlsx_response(content, _("%(place)s-走访记录-%(date)s.xlsx") % {"place": place.name, "date": _today_stamp()})


@login_required
@require_get
def enterprise_visits_export(request: HttpRequest, pk: int) -> HttpResponse:
    _require(reviews_places(request.user))
    enterprise = get_object_or_404(Enterprise.objects.visible_to(request.user), pk=pk)
    return _place_visits_response(request, enterprise)


@login_required
@require_get
def estate_visits_export(request: HttpRequest, pk: int) -> HttpResponse:
    _require(reviews_places(request.user))
    estate = get_object_or_404(Estate.objects.visible_to(request.user), pk=pk)
    return _place_visits_response(request, estate)
