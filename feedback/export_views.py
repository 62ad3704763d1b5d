"""Spreadsheet downloads of the four listenings' pages: the meetings, the cadence calendar, the topic meetings and
the opinion figures.

Each asks what its page asks (the meeting and topic lists only a login; the calendar and the figures
can_review_meetings), parses the query string with the page's own helper and reads through the page's selector,
so it holds the page's rows, all of them; the workbooks are built in feedback.exports.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from feedback import exports, selectors
from feedback.cadence import cadence_calendar
from feedback.figures import opinion_figures
from feedback.figures_views import month_charts, parse_period
from feedback.meeting_views import cadence_filters, filtered_meetings
from wenxin.xlsx import xlsx_response

require_get = require_http_methods(["GET", "HEAD"])


def _stamp() -> str:
    return f"{timezone.localdate():%Y%m%d}"


@login_required
@require_get
def meeting_export(request: HttpRequest) -> HttpResponse:
    _filters, meetings = filtered_meetings(request)
    content = exports.meeting_workbook(meetings.iterator(chunk_size=500))
    return xlsx_response(content, _("四听取会议-%(date)s.xlsx") % {"date": _stamp()})


@login_required
@require_get
def cadence_export(request: HttpRequest) -> HttpResponse:
    if not request.user.can_review_meetings:
        raise PermissionDenied
    today = timezone.localdate()
    year, kind, status = cadence_filters(request, today)
    calendar = cadence_calendar(viewer=request.user, today=today, year=year, kind=kind, status=status)
    period = str(year) if year else _("最近24个月")
    return xlsx_response(exports.cadence_workbook(calendar), _("四听取频次-%(period)s.xlsx") % {"period": period})


@login_required
@require_get
def topic_export(request: HttpRequest) -> HttpResponse:
    topics = selectors.topic_meeting_list(viewer=request.user)
    return xlsx_response(exports.topic_workbook(topics), _("专题会议-%(date)s.xlsx") % {"date": _stamp()})


@login_required
@require_get
def figures_export(request: HttpRequest) -> HttpResponse:
    """The figures of the period the page shows; an unreadable period falls back to this year, as on the page."""
    if not request.user.can_review_meetings:
        raise PermissionDenied
    today = timezone.localdate()
    period, _problem = parse_period(request.GET, today)
    result = opinion_figures(viewer=request.user, start=period.start, end=period.end, today=today)
    content = exports.figures_workbook(result, period=period.label, charts=month_charts(result))
    filename = _("意见建议统计-%(start)s-%(end)s.xlsx") % {
        "start": period.start.isoformat(),
        "end": period.end.isoformat(),
    }
    return xlsx_response(content, filename)
