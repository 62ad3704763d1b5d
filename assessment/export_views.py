"""Spreadsheet download of the three musts page (the scorecard's is in assessment.views, beside its page).

It asks what the page asks (can_review_assessment), reads the period with the page's own helper and the rows
through the page's selector, so it holds the page's cadre links for the viewer's scope.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from assessment import selectors
from assessment.exports import three_musts_workbook
from assessment.views import three_musts_period
from wenxin.xlsx import xlsx_response

require_get = require_http_methods(["GET", "HEAD"])


@login_required
@require_get
def three_musts_export(request: HttpRequest) -> HttpResponse:
    if not request.user.can_review_assessment:
        raise PermissionDenied
    period = three_musts_period(request, timezone.localdate())
    rows = selectors.three_musts(viewer=request.user, start=period.start, end=period.end)
    filename = _("三必到-%(start)s-%(end)s.xlsx") % {"start": period.start.isoformat(), "end": period.end.isoformat()}
    return xlsx_response(three_musts_workbook(rows, period=period), filename)
