"""Spreadsheet downloads of the assistance pages: the plan work list, the pairs and the initiatives.

Each asks what its page asks (the work list can_see_sensitive_data; the pairs and initiatives only a login, their
querysets being scoped), reads the page's rows through the page's own helper, and builds the workbook in
households.list_exports, which audits the downloads that name households.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from households import list_exports, selectors
from households.plan_views import WORKLIST_KINDS, worklist
from households.support_views import pair_table, visible_initiatives
from wenxin.xlsx import xlsx_response

require_get = require_http_methods(["GET", "HEAD"])


def _stamp() -> str:
    return f"{timezone.localdate():%Y%m%d}"


@login_required
@require_GET  # audited: a HEAD would record a download that never happened
def plan_worklist_export(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not user.can_see_sensitive_data:
        raise PermissionDenied
    today = timezone.localdate()
    kind, grid_area, community, rows = worklist(request, today)
    by_community = selectors.plan_work(viewer=user, group="grid_area__community", today=today)
    filters = {"show": kind}
    if grid_area is not None:
        filters["grid_area"] = str(grid_area)
    elif community is not None:
        filters["community"] = str(community)
    content = list_exports.plan_worklist_workbook(
        actor=user,
        kind=kind,
        kind_label=str(WORKLIST_KINDS[kind]),
        rows=rows,
        by_area=selectors.plan_work(viewer=user, today=today),
        # As on the page: a social worker of one community has no table of communities.
        by_community=by_community if len(by_community) > 1 or not user.is_social_worker else [],
        filters=filters,
        today=today,
    )
    return xlsx_response(content, _("一户一策工作清单-%(date)s.xlsx") % {"date": _stamp()})


@login_required
@require_GET  # audited: a HEAD would record a download that never happened
def pair_export(request: HttpRequest) -> HttpResponse:
    table = pair_table(request)
    content = list_exports.pair_workbook(
        actor=request.user, months=table.months, rows=table.shown, missed_only=table.missed_only
    )
    return xlsx_response(content, _("帮扶结对-%(date)s.xlsx") % {"date": _stamp()})


@login_required
@require_get
def initiative_export(request: HttpRequest) -> HttpResponse:
    content = list_exports.initiative_workbook(visible_initiatives(request.user))
    return xlsx_response(content, _("创新载体-%(date)s.xlsx") % {"date": _stamp()})
