"""`manage.py seed_demo` writes two years of the visit diary: realistic, consistent with the services' rules, and
showing every quota status in the current quarter."""

from __future__ import annotations

from collections import Counter
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.test import override_settings
from django.utils import timezone

from households import demo
from households.models import Community, Enterprise, GridArea, Household, PairedVillage
from visits.models import QuotaRule, ServiceDayMove, ServiceDayRule, Visit
from visits.periods import Quarter, months_back
from visits.selectors import QuotaStatus, one_year_before, quota_progress, service_day_compliance
from visits.services import _place_of
from wenxin.models import User
from wenxin.roles import Role

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture(scope="class")
def demo_street(django_db_setup, django_db_blocker):
    """The demo street with 150 households and its visits, built once for the class and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHERS):
            output = seed(households=150)
        yield output
        transaction.set_rollback(True)


def household_visits():
    return Visit.objects.filter(kind__in=Visit.HOUSEHOLD_KINDS)


@pytest.mark.usefixtures("demo_street")
class TestTheDemoDiary:
    def test_it_covers_about_two_years_and_nothing_in_the_future(self, db):
        today = timezone.localdate()
        first = Visit.objects.order_by("visited_on").values_list("visited_on", flat=True).first()
        last = Visit.objects.order_by("-visited_on").values_list("visited_on", flat=True).first()

        assert first <= one_year_before(one_year_before(today))
        assert (today - first).days < 2 * 366 + 92
        assert last <= today
        # Every quarter of the history has household visits and visits of street staff.
        quarter = Quarter.containing(first)
        while quarter <= Quarter.current():
            visits = Visit.objects.in_period(quarter.start, quarter.end)
            assert visits.household_visits().exists(), quarter
            assert visits.exclude(kind__in=Visit.HOUSEHOLD_KINDS).exists(), quarter
            quarter = quarter.next()

    def test_it_reports_the_visits_it_made(self, demo_street):
        line = next(line for line in demo_street.splitlines() if line.strip().startswith("走访记录"))
        assert line.split()[-1] == str(Visit.objects.count())

    def test_every_household_visit_is_by_a_worker_of_the_households_grid_area(self, db):
        own_area = GridArea.workers.through.objects.filter(
            gridarea_id=OuterRef("household__grid_area_id"), user_id=OuterRef("visitor_id")
        )

        assert household_visits().exists()
        assert not household_visits().exclude(Exists(own_area)).exists()
        assert not household_visits().exclude(visitor__role=Role.SOCIAL_WORKER).exists()

    def test_no_household_is_visited_on_or_after_the_day_it_moved_out(self, db):
        moved_out = household_visits().filter(household__status=Household.Status.MOVED_OUT)

        assert not moved_out.filter(visited_on__gte=F("household__moved_out_on")).exists()

    def test_each_visit_has_one_target_of_its_kind(self, db):
        for kind, field in Visit.TARGET_FIELD.items():
            visits = Visit.objects.filter(kind=kind)
            assert visits.exists(), kind
            assert not visits.filter(**{f"{field}__isnull": True}).exists(), kind
            for other in Visit.TARGET_FIELDS:
                if other != field:
                    assert not visits.filter(**{f"{other}__isnull": False}).exists(), (kind, other)

    def test_street_and_community_are_those_the_services_would_give(self, db):
        visits = Visit.objects.select_related(
            "visitor",
            "household__grid_area__community",
            "estate__community",
            "owners_committee__estate__community",
            "enterprise__community",
            "property_company",
            "paired_village",
            "target_community",
        )

        for visit in visits:
            assert (visit.street_id, visit.community_id) == _place_of(visit, visit.visitor), visit.pk

    def test_the_diary_is_written_and_follow_ups_have_deadlines(self, db):
        door_to_door = Visit.objects.filter(kind=Visit.Kind.DOOR_TO_DOOR)

        assert not door_to_door.filter(Q(situation="") | Q(met_whom="") | Q(action_taken="")).exists()
        assert door_to_door.filter(met_whom__in=["户主", "老人本人", "配偶"]).exists()
        assert door_to_door.exclude(difficulty="").count() > door_to_door.count() // 5
        assert not Visit.objects.filter(follow_up_needed=True, follow_up_by=None).exists()
        assert not Visit.objects.filter(follow_up_by__lt=F("visited_on")).exists()
        assert Visit.objects.filter(follow_up_needed=True).exists()
        assert door_to_door.filter(situation__startswith="回访").exists()

    def test_companions_are_colleagues_the_visitor_may_name(self, db):
        through = Visit.companions.through.objects.select_related("visit__visitor", "user")

        assert through.exists()
        for row in through:
            assert row.user_id != row.visit.visitor_id
            assert User.objects.visible_to(row.visit.visitor).filter(pk=row.user_id).exists()

    def test_key_households_are_visited_more_often_and_cared_for_monthly(self, db):
        key = Household.objects.key().values("pk")
        visits = household_visits().values("household").annotate(n=Count("pk"))
        key_counts = [row["n"] for row in visits.filter(household__in=key)]
        other_counts = [row["n"] for row in visits.exclude(household__in=key)]

        assert key_counts and other_counts
        assert sum(key_counts) / len(key_counts) > sum(other_counts) / len(other_counts)
        caring_months = set(
            Visit.objects.filter(kind=Visit.Kind.CARING).values_list("visited_on__year", "visited_on__month")
        )
        assert len(caring_months) >= 24

    def test_some_households_were_never_visited(self, db):
        never = Household.objects.exclude(Exists(household_visits().filter(household=OuterRef("pk"))))

        assert never.exists()
        assert never.count() < Household.objects.count() // 4

    def test_in_past_quarters_most_workers_met_their_target(self, db):
        leader = User.objects.get(username="leader")

        rows = quota_progress(viewer=leader, quarter=Quarter.current().previous())

        statuses = Counter(row.status for row in rows)
        assert statuses[QuotaStatus.MET] >= 0.6 * len(rows)

    def test_in_the_current_quarter_some_workers_are_ahead_and_some_behind(self, db):
        leader = User.objects.get(username="leader")
        quarter = Quarter.current()

        rows = quota_progress(viewer=leader, quarter=quarter)

        statuses = {row.worker.username: row.status for row in rows}
        ahead = {QuotaStatus.MET, QuotaStatus.ON_TRACK}
        assert ahead & set(statuses.values())
        assert statuses["worker"] in ahead
        if timezone.localdate() == quarter.start:
            pytest.skip("on a quarter's first day nobody can be behind yet")
        assert {QuotaStatus.BEHIND, QuotaStatus.AT_RISK} & set(statuses.values())
        assert statuses["worker2"] in (QuotaStatus.BEHIND, QuotaStatus.AT_RISK)

    def test_small_grid_areas_get_a_personal_target_the_dashboard_uses(self, db):
        worker = User.objects.get(username="worker")
        rule = QuotaRule.objects.get(user=worker)
        active = Household.objects.active().filter(grid_area__workers=worker).count()

        assert 1 <= rule.households_per_quarter <= active
        assert "演示" in rule.note
        # The office's own rule for the role is left as it is.
        assert QuotaRule.objects.get(role=Role.SOCIAL_WORKER).households_per_quarter == 50

    def test_staff_keep_the_service_day_most_months_but_not_all(self, db):
        leader = User.objects.get(username="leader")

        rows = service_day_compliance(viewer=leader, months=months_back(timezone.localdate(), 24)).rows

        kept = sum(row.kept_count for row in rows)
        due = sum(row.due_count for row in rows)
        assert len(rows) == User.objects.filter(role__in=(Role.DEPARTMENT_STAFF, Role.SECTION_CHIEF)).count()
        assert 0.7 <= kept / due < 1

    def test_the_service_day_is_the_20th_and_one_weekend_month_is_moved_to_the_friday(self, db):
        street = demo.Street.objects.get(name=demo.STREET_NAME)
        move = ServiceDayMove.objects.get(street=street)
        the_20th = move.month.replace(day=20)
        staff = User.objects.filter(role__in=(Role.DEPARTMENT_STAFF, Role.SECTION_CHIEF))

        assert ServiceDayRule.objects.get(street=street).day_of_month == 20
        assert the_20th.weekday() >= 5
        assert move.moved_to.weekday() == 4
        assert 0 < (the_20th - move.moved_to).days < 3
        assert Visit.objects.filter(visitor__in=staff, visited_on=move.moved_to).count() >= 5
        assert not Visit.objects.filter(visitor__in=staff, visited_on=the_20th).exists()

    def test_enterprises_are_visited_and_raise_problems(self, db):
        year_ago = one_year_before(timezone.localdate())
        visits = Visit.objects.filter(kind=Visit.Kind.ENTERPRISE, visited_on__gt=year_ago)

        assert visits.values("enterprise").distinct().count() >= 30
        assert visits.exclude(difficulty="").count() >= 15
        assert visits.values("enterprise").distinct().count() <= Enterprise.objects.count()

    def test_leaders_visit_every_community_cooperative_and_paired_village_in_a_year(self, db):
        last_year = timezone.localdate().year - 1
        leaders = (Role.STREET_LEADER, Role.LEADER_IN_CHARGE, Role.CADRE)
        visits = Visit.objects.filter(visited_on__year=last_year, visitor__role__in=leaders)
        to_communities = visits.filter(kind=Visit.Kind.LEADERSHIP)
        to_villages = visits.filter(kind=Visit.Kind.PAIRED_VILLAGE)

        assert set(to_communities.values_list("target_community", flat=True)) == set(
            Community.objects.values_list("pk", flat=True)
        )
        assert set(to_villages.values_list("paired_village", flat=True)) == set(
            PairedVillage.objects.values_list("pk", flat=True)
        )
        person_visits = (to_communities | to_villages).count() + Visit.companions.through.objects.filter(
            visit__in=to_communities | to_villages
        ).count()
        assert 70 <= person_visits <= 100

    def test_running_it_again_adds_no_visits(self, db):
        counts = (Visit.objects.count(), QuotaRule.objects.count(), ServiceDayMove.objects.count())

        with override_settings(DEBUG=True):
            output = seed(households=150)

        assert "已存在" in output
        assert (Visit.objects.count(), QuotaRule.objects.count(), ServiceDayMove.objects.count()) == counts


def diary_of(seed_value: int) -> list[tuple]:
    """The visits of a 40-household demo street as comparable rows, rolled back afterwards."""
    with transaction.atomic():
        demo.build_demo(households=40, seed=seed_value)
        rows = list(
            Visit.objects.order_by("visited_on", "visitor__username", "kind", "situation", "pk").values_list(
                "visitor__username",
                "visited_on",
                "kind",
                "household__building",
                "household__room",
                "estate__name",
                "enterprise__name",
                "situation",
                "difficulty",
            )
        )
        transaction.set_rollback(True)
    return rows


def test_the_same_seed_gives_the_same_diary(db):
    first = diary_of(7)

    assert first
    assert diary_of(7) == first
    assert diary_of(8) != first


def test_a_tiny_street_gets_a_diary_too(db):
    built = demo.build_demo(households=3)

    assert built.counts["走访记录"] == Visit.objects.count()
    assert not Visit.objects.filter(visited_on__gt=timezone.localdate()).exists()
