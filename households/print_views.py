"""One household, one plan on paper (一户一策台账): the plan with its five musts and measures, and the visits.

The plan is a private record: it is read through selectors.get_plan_for_user (AssistancePlan.objects.visible_to),
so anyone who may not see it gets 404, as for a plan that does not exist. ID numbers are printed masked, as on
every page; a full number is shown only after a recorded reveal, and paper keeps no such record.
"""

from __future__ import annotations

import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from households import selectors
from households.models import PlanSection
from households.plan_views import OPEN_STATUSES, must_cards, plan_with_parts
from visits.selectors import household_visits, one_year_before

require_get = require_http_methods(["GET", "HEAD"])


@login_required
@require_get
def plan_print(request: HttpRequest, pk: int) -> HttpResponse:
    """The plan of household pk and its visits of the last year (?visits=all for every one), on A4."""
    user = request.user
    today = timezone.localdate()
    plan = plan_with_parts(selectors.get_plan_for_user(user, pk))
    household = plan.household
    measures = list(plan.measures.all())
    for measure in measures:
        measure.overdue = measure.status in OPEN_STATUSES and measure.due_on < today
    all_visits = request.GET.get("visits") == "all"
    since: datetime.date | None = None if all_visits else one_year_before(today) + datetime.timedelta(days=1)
    visits = household_visits(viewer=user, household=household)
    if since is not None:
        visits = visits.filter(visited_on__gte=since)
    context = {
        "plan": plan,
        "household": household,
        "community": household.grid_area.community,
        "categories": list(household.categories.all()),
        "residents": list(selectors.household_detail_residents(household)),
        "cards": must_cards(plan),
        "missing": [PlanSection.Must(must).label for must in selectors.missing_musts(plan)],
        "measures": measures,
        "review_overdue": plan.review_on < today,
        "visits": list(visits.order_by("visited_on", "created_at", "pk")),
        "all_visits": all_visits,
        "since": since,
        "today": today,
    }
    return render(request, "print/plan.html", context)
