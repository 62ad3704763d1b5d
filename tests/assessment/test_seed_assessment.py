"""`manage.py seed_demo` writes the assessment: cadre links and their three musts, a few quarters of spot-checks
with mixed results (the last quarter's cadre check left for the leader to draw), verifications and evaluations."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.db import transaction
from django.test import override_settings

from assessment.models import AssessmentRule, CadreLink, Evaluation, SpotCheck, SpotCheckItem, VisitVerification
from assessment.selectors import scorecard, three_musts
from assessment.services import draw_sample, spot_check_population
from visits.periods import Quarter
from wenxin.models import User
from wenxin.roles import Role

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="class")
def demo_street(django_db_setup, django_db_blocker):
    """The demo street with 200 households, built once for the class and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHERS):
            out = StringIO()
            call_command("seed_demo", households=200, stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.mark.usefixtures("demo_street")
class TestTheDemoAssessment:
    def test_every_cadre_is_linked_and_some_musts_are_missed(self, db):
        leader = User.objects.get(username="leader")
        cadres = set(User.objects.filter(role=Role.CADRE).values_list("pk", flat=True))
        assert set(CadreLink.objects.values_list("cadre_id", flat=True)) == cadres
        assert AssessmentRule.objects.filter(street=leader.street, three_musts_months=3).exists()
        quarter = Quarter.current().previous()
        rows = three_musts(viewer=leader, start=quarter.start, end=quarter.end)
        assert rows
        assert any(row.complete for row in rows) and any(row.missing for row in rows)

    def test_spot_checks_of_every_level_have_mixed_results(self, db):
        results = set(SpotCheckItem.objects.values_list("result", flat=True))
        assert results == set(SpotCheckItem.Result.values)
        levels = set(SpotCheck.objects.filter(drawn_at__isnull=False).values_list("level", flat=True))
        assert levels == set(SpotCheck.Level.values)
        # Every not-confirmed or discrepancy result says what was found; checked visits are locked.
        assert not SpotCheckItem.objects.exclude(result=SpotCheckItem.Result.CONFIRMED).filter(note="").exists()
        assert not SpotCheckItem.objects.filter(visit__spot_checked_at__isnull=True).exists()

    def test_each_drawn_sample_is_reproducible_from_its_seed(self, db):
        for check in SpotCheck.objects.filter(drawn_at__isnull=False).select_related("checker"):
            by_person: dict[int, list[int]] = {}
            for pk, visitor in spot_check_population(check).values_list("pk", "visitor_id"):
                by_person.setdefault(visitor, []).append(pk)
            drawn = sorted(check.items.values_list("visit_id", flat=True))
            assert draw_sample(by_person, size=len(drawn), seed=check.seed) == drawn
            assert check.population_size == sum(len(ids) for ids in by_person.values())
            # Every person checked is represented.
            visitors = set(check.items.values_list("visit__visitor_id", flat=True))
            assert visitors == set(by_person)

    def test_last_quarters_cadre_check_waits_for_the_leader(self, db):
        last = Quarter.current().previous()
        check = SpotCheck.objects.get(level=SpotCheck.Level.CADRE, period_start=last.start)
        assert check.drawn_at is None and check.seed is None
        assert check.checker.username == "leader"
        assert spot_check_population(check).exists()

    def test_verifications_and_evaluations_feed_the_scorecard(self, db):
        assert VisitVerification.objects.filter(status=VisitVerification.Status.QUERIED).exclude(note="").exists()
        assert not VisitVerification.objects.filter(status=VisitVerification.Status.QUERIED, note="").exists()
        assert set(Evaluation.objects.values_list("kind", flat=True)) == set(Evaluation.Kind.values)
        people, units = scorecard(viewer=User.objects.get(username="leader"), quarter=Quarter.current().previous())
        worker_rows = [row for row in people if row.subject.role == Role.SOCIAL_WORKER]
        assert all(row.total is not None for row in worker_rows)
        assert any(row.parts["verification"] for row in worker_rows)
        assert all(row.parts["public_rating"] is not None for row in worker_rows)
        assert all(row.total is not None for row in units)
