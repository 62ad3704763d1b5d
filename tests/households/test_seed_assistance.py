"""`manage.py seed_demo` writes the one-household-one-plan work: plans in every state, pairs with kept and missed
caring months, two years of subsidies exact to the fen, and initiatives."""

from __future__ import annotations

import datetime
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import F, Q
from django.test import override_settings
from django.utils import timezone

from households.models import (
    AssistanceMeasure,
    AssistancePair,
    AssistancePlan,
    Household,
    Initiative,
    PlanSection,
    PlanVersion,
    Subsidy,
)
from households.selectors import (
    caring_visit_compliance,
    key_households_without_caring_visit,
    key_households_without_plan,
    plan_queryset,
    subsidy_totals,
)
from visits.models import Visit
from wenxin.models import User
from wenxin.roles import Role

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture(scope="class")
def demo_street(django_db_setup, django_db_blocker):
    """The demo street with 200 households, built once for the class and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHERS):
            output = seed(households=200)
        yield output
        transaction.set_rollback(True)


def last_months(today: datetime.date, n: int) -> list[datetime.date]:
    months, month = [], today.replace(day=1)
    for _ in range(n):
        months.insert(0, month)
        month = (month - datetime.timedelta(days=1)).replace(day=1)
    return months


@pytest.mark.usefixtures("demo_street")
class TestTheDemoAssistance:
    def leader(self) -> User:
        return User.objects.get(username="leader")

    def test_plans_exist_in_every_state(self, db):
        today = timezone.localdate()
        plans = plan_queryset(viewer=self.leader())

        assert plans.filter(is_complete=True, review_on__gte=today).exists()
        assert plans.filter(is_complete=False).exists()
        assert plans.filter(review_on__lt=today).exists()
        # Most plans are complete; an incomplete one has two to four of the five musts.
        assert plans.filter(is_complete=True).count() > plans.count() / 2
        for plan in plans.filter(is_complete=False):
            assert 2 <= plan.musts_recorded <= 4

    def test_plans_only_for_key_households_and_some_are_missing(self, db):
        key = Household.objects.key().active()
        without = key.exclude(pk__in=AssistancePlan.objects.values("household_id")).count()

        assert not AssistancePlan.objects.exclude(household__in=Household.objects.key()).exists()
        assert 1 <= without <= 0.25 * key.count()
        worker = User.objects.get(username="worker")
        assert key_households_without_plan(viewer=worker).exists()

    def test_sections_are_recorded_by_the_area_worker_in_the_past(self, db):
        now = timezone.now()
        sections = PlanSection.objects.select_related("plan__household__grid_area")

        assert sections.filter(must=PlanSection.Must.BASIC, text__startswith="户主").exists()
        assert sections.filter(must=PlanSection.Must.CONTACT, text__contains="紧急联系人").exists()
        assert not sections.filter(recorded_at__gt=now).exists()
        for section in sections[:50]:
            assert section.plan.household.grid_area.workers.filter(pk=section.recorded_by_id).exists()

    def test_measures_have_responsible_people_due_dates_and_mixed_statuses(self, db):
        today = timezone.localdate()
        statuses = set(AssistanceMeasure.objects.values_list("status", flat=True))

        assert {AssistanceMeasure.Status.DONE, AssistanceMeasure.Status.IN_PROGRESS} <= statuses
        assert not AssistanceMeasure.objects.filter(status=AssistanceMeasure.Status.DONE, done_on=None).exists()
        assert (
            not AssistanceMeasure.objects.exclude(status=AssistanceMeasure.Status.DONE).exclude(done_on=None).exists()
        )
        assert not AssistanceMeasure.objects.filter(done_on__gt=today).exists()

    def test_every_plan_has_its_versions_up_to_its_version_number(self, db):
        for plan in AssistancePlan.objects.prefetch_related("versions"):
            assert sorted(v.number for v in plan.versions.all()) == list(range(1, plan.version + 1))
        assert not PlanVersion.objects.filter(saved_at__gt=timezone.now()).exists()
        assert not AssistancePlan.objects.filter(created_at__gt=F("updated_at")).exists()

    def test_pairs_have_kept_and_missed_months(self, db):
        today = timezone.localdate()
        rows = caring_visit_compliance(viewer=self.leader(), months=last_months(today, 12))

        assert len(rows) >= AssistancePair.objects.count() * 0.9
        kept = sum(1 for row in rows for k in row.kept if k is True)
        missed = sum(row.missed for row in rows)
        assert kept > missed > 0
        assert not AssistancePair.objects.filter(Q(starts_on__gt=today) | Q(ends_on__gt=today)).exists()

    def test_worker_has_a_missed_month_and_a_key_household_not_cared_for_this_month(self, db):
        today = timezone.localdate()
        worker = User.objects.get(username="worker")
        rows = caring_visit_compliance(viewer=worker, months=last_months(today, 6))

        assert rows
        assert any(row.missed for row in rows)
        assert key_households_without_caring_visit(viewer=worker).exists()

    def test_caring_visits_are_by_the_area_worker_with_the_paired_leader_along(self, db):
        pairs = AssistancePair.objects.filter(staff__role=Role.COMMUNITY_LEADER).select_related("household")
        caring = Visit.objects.filter(kind=Visit.Kind.CARING)

        assert not caring.exclude(visitor__role=Role.SOCIAL_WORKER).exists()
        assert not caring.filter(visited_on__gt=timezone.localdate()).exists()
        assert pairs.exists()
        assert caring.filter(
            household__in=[p.household for p in pairs], companions__role=Role.COMMUNITY_LEADER
        ).exists()

    def test_subsidies_cover_two_years_exact_to_the_fen(self, db):
        today = timezone.localdate()
        leader = self.leader()
        this_year = subsidy_totals(viewer=leader, start=datetime.date(today.year, 1, 1), end=today)
        last_year = subsidy_totals(
            viewer=leader, start=datetime.date(today.year - 1, 1, 1), end=datetime.date(today.year - 1, 12, 31)
        )

        assert this_year.total > 0 and last_year.total > 0
        assert len(this_year.by_kind) >= 3
        for amount in Subsidy.objects.values_list("amount", flat=True):
            assert amount > 0
            assert amount == amount.quantize(Decimal("0.01"))
        assert not Subsidy.objects.filter(paid_on__gt=today).exists()
        assert not Subsidy.objects.filter(paid_on__lt=datetime.date(today.year - 1, 1, 1)).exists()
        assert set(Subsidy.objects.values_list("source", flat=True)) <= {"街道财政", "区民政局", "慈善总会", "社会捐赠"}
        assert not Subsidy.objects.filter(approved_by="").exists()
        # About the article's 36.78万元 to 190 households a year, scaled to this street's key households.
        key = Household.objects.key().active().count()
        assert Decimal(300) * key < last_year.total < Decimal(5000) * key

    def test_about_half_the_social_workers_have_an_initiative(self, db):
        workers = User.objects.filter(role=Role.SOCIAL_WORKER).count()
        owners = Initiative.objects.values("owner").distinct().count()

        assert workers * 0.3 <= owners <= workers * 0.7
        assert Initiative.objects.filter(owner__username="worker").exists()
        assert Initiative.objects.values("status").distinct().count() >= 2
        assert not Initiative.objects.filter(started_on__gt=timezone.localdate()).exists()

    def test_it_reports_what_it_made(self, demo_street):
        counts = {
            line.split()[0]: line.split()[-1]
            for line in demo_street.splitlines()
            if line.startswith("  ") and line.split()
        }
        assert counts["一户一策"] == str(AssistancePlan.objects.count())
        assert counts["帮扶结对"] == str(AssistancePair.objects.count())
        assert counts["走访记录"] == str(Visit.objects.count())

    def test_running_it_again_adds_nothing(self, db):
        def counts():
            return tuple(
                model.objects.count()
                for model in (AssistancePlan, PlanSection, PlanVersion, AssistancePair, Subsidy, Initiative, Visit)
            )

        before = counts()
        with override_settings(DEBUG=True):
            output = seed(households=200)

        assert "已存在" in output
        assert counts() == before
