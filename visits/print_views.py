"""The diary on paper and in a spreadsheet: a worker's quarter as an A4 ledger (民情联系日记台账), and the diary
page's rows as .xlsx.

Paper ledgers are still inspected, so the printout must hold every visit of the quarter, and only those. Whose
diary may be opened is decided exactly as on the diary page (visits.views.diary_author): her own, or a
colleague's in a reviewer's scope; anyone else gets 404. The rows come from the same selector as the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from households.models import GridArea
from visits import selectors
from visits.forms import diary_period
from visits.models import Visit
from visits.periods import Quarter
from visits.selectors import QuotaRow
from visits.views import diary_author
from wenxin.models import User
from wenxin.text import join_list
from wenxin.xlsx import table_workbook, xlsx_response

require_get = require_http_methods(["GET", "HEAD"])


@dataclass(frozen=True)
class DiarySummary:
    """The figures under a quarter's ledger: visits, distinct households, follow-ups, visits per kind."""

    visits: int
    households: int
    follow_ups: int
    by_kind: list[tuple[str, int]]  # (label, visits) for the kinds that occur, in the kinds' order
    quota: QuotaRow | None  # a social worker's quarter quota, when she has one


def _unit(author: User) -> str:
    """Where the author works, as a ledger's header names it: street, community and her grid areas (or dept.)."""
    parts = [author.street.name] if author.street_id else []
    if author.community_id:
        place = author.community.name
        areas = list(GridArea.objects.filter(workers=author).order_by("name").values_list("name", flat=True))
        parts.append(f"{place} · {join_list(areas)}" if areas else place)
    elif author.department_id:
        parts.append(author.department.name)
    return " ".join(parts)


def _summary(visits: QuerySet[Visit], *, author: User, quarter: Quarter) -> DiarySummary:
    """Every figure in one aggregate over the ledger's own rows, plus the quota (a fixed number of queries)."""
    kinds = {f"kind_{value}": Count("pk", filter=Q(kind=value)) for value in Visit.Kind.values}
    figures = Visit.objects.filter(pk__in=visits.order_by().values("pk")).aggregate(
        visits=Count("pk"),
        households=Count("household", distinct=True, filter=Q(kind__in=Visit.HOUSEHOLD_KINDS)),
        follow_ups=Count("pk", filter=Q(follow_up_needed=True)),
        **kinds,
    )
    quota = selectors.worker_quota(worker=author, quarter=quarter) if author.is_social_worker else None
    return DiarySummary(
        visits=figures["visits"],
        households=figures["households"],
        follow_ups=figures["follow_ups"],
        by_kind=[(kind.label, figures[f"kind_{kind.value}"]) for kind in Visit.Kind if figures[f"kind_{kind.value}"]],
        quota=quota if quota and quota.target else None,
    )


@login_required
@require_get
def diary_print(request: HttpRequest) -> HttpResponse:
    """A worker's diary for a quarter (?quarter=2026Q4, this quarter by default), oldest visit first, on A4."""
    viewer = request.user
    author = diary_author(request)
    quarter = Quarter.parse(request.GET.get("quarter"), Quarter.current())
    visits = selectors.diary(viewer=viewer, author=author, start=quarter.start, end=quarter.end)
    context = {
        "author": author,
        "own": author.pk == viewer.pk,
        "quarter": quarter,
        "unit": _unit(author),
        "visits": list(visits.order_by("visited_on", "created_at", "pk")),
        "summary": _summary(visits, author=author, quarter=quarter),
    }
    return render(request, "print/diary.html", context)


def _yes_no(value: bool) -> str:
    return _("是") if value else _("否")


def diary_workbook(visits: QuerySet[Visit], *, title: str) -> bytes:
    """One line per diary entry, the page's rows in the page's order, with what the entry says."""
    columns = [
        (_("走访日期"), 12),
        (_("走访类型"), 12),
        (_("走访对象"), 28),
        (_("所属村社"), 12),
        (_("走访人"), 10),
        (_("同行人员"), 16),
        (_("接待人/走访对象"), 14),
        (_("了解情况"), 40),
        (_("困难或诉求"), 30),
        (_("处理情况"), 30),
        (_("需要跟进"), 10),
        (_("跟进期限"), 12),
        (_("已抽查"), 8),
    ]
    rows = (
        [
            visit.visited_on,
            visit.get_kind_display(),
            str(visit.target or ""),
            visit.community.name if visit.community_id else "",
            visit.visitor.get_full_name(),
            join_list(c.get_full_name() for c in visit.companions.all()),
            visit.met_whom,
            visit.situation,
            visit.difficulty,
            visit.action_taken,
            _yes_no(visit.follow_up_needed),
            visit.follow_up_by,
            _yes_no(visit.is_spot_checked),
        ]
        for visit in visits
    )
    return table_workbook(title=title[:31], columns=columns, rows=rows)


@login_required
@require_get
def diary_export(request: HttpRequest) -> HttpResponse:
    """The diary page's rows (author, month or quarter, search) as a spreadsheet."""
    viewer = request.user
    author = diary_author(request)
    period = diary_period(request.GET)
    q = request.GET.get("q", "").strip()[:50]
    visits = selectors.diary(viewer=viewer, author=author, start=period.start, end=period.end, q=q).select_related(
        "community"
    )
    content = diary_workbook(visits, title=period.label)
    filename = _("民情日记_%(name)s_%(period)s.xlsx") % {"name": author.get_full_name(), "period": period.slug}
    return xlsx_response(content, filename)
