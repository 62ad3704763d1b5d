"""The pages the benchmark measures, who opens them, and each page's core query.

A page is opened by the demo user who uses it (seed_demo's `chief`, `worker`, `leader`, `admin` ...), through the
real URL. Its *core query* is the work its selector does for it, run again outside the view: the selector (or the
queryset it returns, counted and sliced to the first page the way the view's paginator does) is called once while
its SQL is captured, and that SQL is then timed bare with cursor.execute. The page's time divided by its core
query's time is the cost of everything else: the view, the other queries, the template.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import admin
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from households.models import Community, Household
from households.selectors import HouseholdFilters, household_list, household_search
from visits.forms import VisitForm
from visits.models import Visit
from visits.periods import Quarter
from visits.selectors import coverage, quota_progress, visit_planner
from wenxin.models import User

# The view's page sizes, repeated here so the core query reads the rows the page shows.
LIST_PAGE_SIZE = 25
LOG_SEARCH_LIMIT = 20
# The demo users the pages are opened as (households/demo.py names them).
USERNAMES = ("admin", "leader", "chief", "worker")
# A difficulty the demo's visitors write down often (visits/demo.py), searched in the admin's visit list.
VISIT_TEXT_QUERY = "加装电梯"


class BenchSetupError(Exception):
    """The database lacks what the benchmark needs (the demo street); the message says what to run."""


@dataclass(frozen=True)
class Target:
    """A limit from issue 8: the page's p95 (or median) server time must stay under `ms` milliseconds."""

    ms: float
    statistic: str = "p95"

    def label(self) -> str:
        return f"{self.statistic} < {self.ms:g} ms"


@dataclass(frozen=True)
class Page:
    """One measured page: its name, the user who opens it, its URL and how to run its core query."""

    key: str
    title: str
    user: User
    url: str
    core: Callable[[], object]
    target: Target | None = None


@dataclass(frozen=True)
class Cast:
    """The demo users and the values the pages are opened with, chosen the same way on every database."""

    admin: User
    leader: User
    chief: User
    worker: User
    tasks_user: User
    community: Community
    name_query: str
    address_query: str
    today: datetime.date


def find_cast() -> Cast:
    """The demo users, the worker's community, a head of household's name and an address to search for."""
    users = {user.username: user for user in User.objects.filter(username__in=USERNAMES)}
    missing = [name for name in USERNAMES if name not in users]
    if missing:
        raise BenchSetupError(
            f"demo users missing: {', '.join(missing)}; load the demo first (manage.py seed_demo --households N)"
        )
    worker = users["worker"]
    household = (
        Household.objects.visible_to(worker)
        .active()
        .with_head_name()
        .exclude(head_name=None)
        .select_related("estate")
        .order_by("pk")
        .first()
    )
    if household is None or worker.community is None:
        raise BenchSetupError("the demo worker has no households; load the demo first (manage.py seed_demo)")
    # The person answering for the most open opinions of the street: the fullest "my tasks" list.
    from feedback.models import Opinion

    busiest = (
        Opinion.objects.filter(status__in=Opinion.ASSIGNED_STATUSES, responsible__street=users["leader"].street_id)
        .values("responsible")
        .annotate(n=Count("pk"))
        .order_by("-n", "responsible")
        .first()
    )
    tasks_user = User.objects.get(pk=busiest["responsible"]) if busiest else users["chief"]
    address = "-".join(part for part in (household.building, household.unit, household.room) if part)
    return Cast(
        admin=users["admin"],
        leader=users["leader"],
        chief=users["chief"],
        worker=worker,
        tasks_user=tasks_user,
        community=worker.community,
        name_query=household.head_name,
        address_query=address,
        today=timezone.localdate(),
    )


def _url(name: str, **params: object) -> str:
    url = reverse(name)
    return f"{url}?{urlencode(params)}" if params else url


def _first_page(queryset: QuerySet, size: int = LIST_PAGE_SIZE) -> Callable[[], object]:
    """The count the paginator asks for and the rows of the first page, prefetches included."""

    def run() -> object:
        page = Paginator(queryset, size).page(1)
        return page.paginator.count, list(page.object_list)

    return run


def _changelist_rows(model: type, user: User, **params: object) -> Callable[[], object]:
    """The first page of an admin changelist (searched or filtered by params): the queryset the changelist orders,
    counted by the admin's paginator."""
    model_admin = admin.site.get_model_admin(model)
    path = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")

    def run() -> object:
        request = RequestFactory().get(path, params)
        request.user = user
        changelist = model_admin.get_changelist_instance(request)
        paginator = model_admin.get_paginator(request, changelist.queryset, model_admin.list_per_page)
        return paginator.count, list(paginator.page(1).object_list)

    return run


def main_pages(cast: Cast) -> list[Page]:
    """Issue 8's main pages, each opened by the user who works with it."""
    chief, worker, leader = cast.chief, cast.worker, cast.leader
    quarter = Quarter.current()
    search_target = Target(100)

    def log_form_choices() -> object:
        form = VisitForm(user=worker)
        return [
            list(field.queryset)
            for name, field in form.fields.items()
            if name != "household" and hasattr(field, "queryset")
        ]

    def log_search() -> object:
        households = household_search(Household.objects.visible_to(worker).active(), cast.name_query)
        return list(
            households.select_related("estate", "grid_area")
            .with_head_name()
            .order_by("estate__name", "building", "unit", "room", "pk")[:LOG_SEARCH_LIMIT]
        )

    def report_selector() -> object:
        from feedback.figures_views import parse_period
        from wenxin.report import work_report

        period, _problem = parse_period({}, cast.today)
        return work_report(viewer=leader, period=period, community=None, today=cast.today)

    def scorecard_selector() -> object:
        from assessment.selectors import scorecard

        return scorecard(viewer=leader, quarter=quarter)

    def opinions(viewer: User, mine: bool) -> Callable[[], object]:
        from feedback.selectors import OpinionFilters, my_tasks, opinion_list

        queryset = (
            my_tasks(viewer=viewer) if mine else opinion_list(viewer=viewer, filters=OpinionFilters(), today=cast.today)
        )
        return _first_page(queryset)

    return [
        Page(
            "household_list",
            "Household list (whole street)",
            chief,
            _url("households:list"),
            _first_page(household_list(viewer=chief, filters=HouseholdFilters())),
        ),
        Page(
            "household_search_name",
            "Household search by name",
            chief,
            _url("households:list", q=cast.name_query),
            _first_page(household_list(viewer=chief, filters=HouseholdFilters(q=cast.name_query))),
            search_target,
        ),
        Page(
            "household_search_address",
            "Household search by address",
            chief,
            _url("households:list", q=cast.address_query),
            _first_page(household_list(viewer=chief, filters=HouseholdFilters(q=cast.address_query))),
            search_target,
        ),
        Page("visit_log", "Log a visit (form)", worker, _url("visits:log"), log_form_choices),
        Page(
            "visit_log_search",
            "Log a visit: household search",
            worker,
            _url("visits:household_search", q=cast.name_query),
            log_search,
            search_target,
        ),
        Page(
            "quota_street",
            "Quota dashboard (whole street)",
            chief,
            _url("visits:quota"),
            lambda: quota_progress(viewer=chief, quarter=quarter, today=cast.today),
        ),
        Page(
            "quota_community",
            "Quota dashboard (one community)",
            chief,
            _url("visits:quota", community=cast.community.pk),
            lambda: quota_progress(viewer=chief, quarter=quarter, community=cast.community, today=cast.today),
            Target(300),
        ),
        Page(
            "coverage",
            "Coverage (whole street)",
            chief,
            _url("visits:coverage"),
            lambda: coverage(viewer=chief, today=cast.today),
        ),
        Page(
            "planner",
            "Visit planner",
            worker,
            _url("visits:planner"),
            _first_page(visit_planner(worker=worker).with_head_name()),
        ),
        Page("opinions", "Opinions (work list)", chief, _url("feedback:list"), opinions(chief, mine=False)),
        Page(
            "opinions_mine",
            "Opinions: my tasks",
            cast.tasks_user,
            _url("feedback:mine"),
            opinions(cast.tasks_user, mine=True),
        ),
        Page("scorecard", "Scorecard (this quarter)", leader, _url("assessment:scorecard"), scorecard_selector),
        Page("report", "Work report (the year, whole street)", leader, _url("report"), report_selector, Target(1000)),
        Page(
            "admin_households",
            "Admin: households",
            cast.admin,
            _url("admin:households_household_changelist"),
            _changelist_rows(Household, cast.admin),
        ),
        Page(
            "admin_visits",
            "Admin: visits",
            cast.admin,
            _url("admin:visits_visit_changelist"),
            _changelist_rows(Visit, cast.admin),
        ),
        Page(
            "admin_visits_search_street",
            "Admin: visits, search by visitor (street)",
            leader,
            _url("admin:visits_visit_changelist", q=cast.worker.full_name),
            _changelist_rows(Visit, leader, q=cast.worker.full_name),
        ),
        Page(
            "admin_visits_search_all",
            "Admin: visits, search by visitor (all streets)",
            cast.admin,
            _url("admin:visits_visit_changelist", q=cast.worker.full_name),
            _changelist_rows(Visit, cast.admin, q=cast.worker.full_name),
        ),
        Page(
            "admin_visits_search_text",
            "Admin: visits, search the difficulty text (all streets)",
            cast.admin,
            _url("admin:visits_visit_changelist", q=VISIT_TEXT_QUERY),
            _changelist_rows(Visit, cast.admin, q=VISIT_TEXT_QUERY),
        ),
    ]
