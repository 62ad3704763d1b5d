"""`seed_demo` at scale: several streets (a city) built in constant memory, consistent as the services would
have written it. Small sizes here; docs/performance.md has the street and city builds."""

from __future__ import annotations

import tracemalloc
from collections import Counter
from dataclasses import dataclass

import pytest
from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef
from django.test import override_settings

from assessment.models import Evaluation, VisitVerification
from feedback.models import Meeting, Opinion
from households import demo
from households.models import AssistancePlan, Community, Estate, GridArea, Household, PlanVersion, Resident, Street
from visits.models import Visit
from visits.services import _place_of
from wenxin.models import User
from wenxin.roles import Role
from wenxin.validators import birth_date_from_id, gender_from_id, validate_id_number

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STREETS = 2
HOUSEHOLDS = 2 * 300


@dataclass
class City:
    built: demo.Demo
    # The most memory Python held while building a one-street demo of 60 households, and while building the city.
    small_peak: int
    peak: int


def peak_memory(build) -> tuple[demo.Demo, int]:
    """What build() returns, and the most memory Python held while it ran (in bytes)."""
    tracemalloc.start()
    try:
        built = build()
        return built, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="class")
def city(django_db_setup, django_db_blocker):
    """Two streets of 300 households, one year of visits, in fast mode, in batches of 100 rows so that even this
    small city takes many batches: built once for the class and rolled back after it. A one-street demo of 60
    households is built (and rolled back) first, to compare the memory each needs."""
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=FAST_HASHERS),
        pytest.MonkeyPatch.context() as patch,
    ):
        patch.setattr(demo, "BATCH_SIZE", 100)
        with transaction.atomic():
            _small, small_peak = peak_memory(lambda: demo.build_demo(households=60, years=1, fast=True))
            transaction.set_rollback(True)
        with transaction.atomic():
            built, peak = peak_memory(
                lambda: demo.build_demo(households=HOUSEHOLDS, streets=STREETS, years=1, fast=True)
            )
            yield City(built, small_peak, peak)
            transaction.set_rollback(True)


@pytest.mark.usefixtures("city")
class TestASmallCity:
    def test_it_has_the_streets_each_shaped_like_the_demo_street(self, db):
        streets = list(Street.objects.order_by("pk"))

        assert [s.name for s in streets][0] == demo.STREET_NAME
        assert len({s.name for s in streets}) == STREETS
        for street in streets:
            assert Community.objects.filter(street=street).count() == 14
            assert Estate.objects.filter(community__street=street).count() == 60
            assert GridArea.objects.filter(community__street=street).count() == 100
            households = Household.objects.filter(grid_area__community__street=street).count()
            assert households == HOUSEHOLDS // STREETS

    def test_usernames_are_unique_and_the_showcase_users_are_on_the_first_street(self, db):
        first, second = Street.objects.order_by("pk")[:2]
        users = {u.username: u for u in User.objects.all()}

        assert users["leader"].street == first
        assert users["worker"].street == first
        assert users["s02-leader"].street == second
        assert users["s02-worker"].street == second
        assert f"s{STREETS:02d}-sw001" in users
        # One system administrator for the whole city.
        assert [u.username for u in users.values() if u.role == Role.SYSTEM_ADMIN] == ["admin"]
        assert all(name.startswith("s0") for name, u in users.items() if u.street_id not in (None, first.pk))

    def test_every_visit_has_the_street_and_community_the_services_would_give(self, db):
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

        assert visits.exists()
        for visit in visits:
            assert (visit.street_id, visit.community_id) == _place_of(visit, visit.visitor), visit.pk
            assert visit.visitor.street_id in (None, visit.street_id)

    def test_household_visits_are_by_the_households_own_worker(self, db):
        own_area = GridArea.workers.through.objects.filter(
            gridarea_id=OuterRef("household__grid_area_id"), user_id=OuterRef("visitor_id")
        )
        household_visits = Visit.objects.household_visits()

        assert household_visits.exists()
        assert not household_visits.exclude(Exists(own_area)).exists()

    def test_id_numbers_are_valid_unique_and_agree_with_the_resident(self, db):
        residents = list(Resident.objects.values_list("id_number", "gender", "birth_date"))
        numbers = [number for number, _gender, _born in residents]

        assert len(set(numbers)) == len(numbers)
        for number, gender, born in residents:
            validate_id_number(number)
            assert gender_from_id(number) == gender
            assert birth_date_from_id(number) == born

    def test_counts_are_in_proportion_in_every_street(self, db):
        by_street = {
            row["grid_area__community__street"]: row["n"]
            for row in Household.objects.values("grid_area__community__street").annotate(n=Count("pk"))
        }
        for street in Street.objects.all():
            households = by_street[street.pk]
            residents = Resident.objects.filter(household__grid_area__community__street=street).count()
            visits = Visit.objects.filter(street=street).count()
            assert 2.3 <= residents / households <= 3.1
            # A year of door-to-door, caring and street staff's visits. A full-size street has about one a
            # household; here a worker has only three households, and visits each of them several times a year.
            assert 1 <= visits / households <= 15
            assert AssistancePlan.objects.filter(household__grid_area__community__street=street).exists()
            assert Opinion.objects.filter(street=street).count() >= 20
            assert Meeting.objects.filter(street=street).exists()
            assert Evaluation.objects.filter(street=street).exists()
            assert VisitVerification.objects.filter(visit__street=street).exists()

    def test_the_counts_reported_add_up_over_the_streets(self, db, city):
        counts = city.built.counts
        assert counts["街道"] == STREETS
        assert counts["户"] == Household.objects.count()
        assert counts["居民"] == Resident.objects.count()
        assert counts["走访记录"] == Visit.objects.count()
        assert counts["意见建议"] == Opinion.objects.count()
        assert any("s02-" in note for note in city.built.notes)

    def test_fast_mode_keeps_each_plan_as_it_stands_without_its_history(self, db):
        versions = Counter(PlanVersion.objects.values_list("plan_id", flat=True))

        assert versions
        assert set(versions.values()) == {1}
        assert set(versions) == set(AssistancePlan.objects.values_list("pk", flat=True))

    def test_its_memory_does_not_grow_with_the_households_or_the_streets(self, db, city):
        # The ID issuer's fixed table (about 4 MB) is there at any size; what is compared is what comes on top.
        fixed = len(demo.IdNumbers().counts) * demo.IdNumbers().counts.itemsize

        small, large = city.small_peak - fixed, city.peak - fixed

        # Ten times the households and twice the streets (about 4,000 visits, 1,600 residents): holding just the
        # visits as model instances would take about as much again as the whole small build.
        assert Visit.objects.count() > 3000
        assert large < 1.5 * small, (small, large)


def test_the_rich_demo_takes_as_many_years_and_streets_as_asked(db):
    built = demo.build_demo(households=40, streets=2, years=3)

    first = Visit.objects.order_by("visited_on").values_list("visited_on", flat=True).first()
    assert 3 * 365 <= (built.today - first).days < 3 * 366 + 92
    second = Street.objects.exclude(name=demo.STREET_NAME).get()
    visits = Visit.objects.filter(street=second).select_related("visitor", "household__grid_area__community")
    assert visits.filter(kind=Visit.Kind.DOOR_TO_DOOR).exists()
    for visit in visits.filter(kind__in=Visit.HOUSEHOLD_KINDS):
        assert (visit.street_id, visit.community_id) == _place_of(visit, visit.visitor)
    # The rich demo keeps each plan's history.
    assert PlanVersion.objects.values("plan").annotate(n=Count("pk")).filter(n__gt=1).exists()


def test_it_refuses_a_street_name_already_taken_and_writes_nothing(db):
    Street.objects.create(name=demo.street_names(2)[1][0])

    with pytest.raises(demo.DemoError, match="已存在"):
        demo.build_demo(households=10, streets=2)

    assert Street.objects.count() == 1
    assert not User.objects.exists()


def test_a_writer_fills_the_columns_it_is_not_given_with_their_defaults(db):
    street = Street.objects.create(name="默认街道")
    community = Community.objects.create(street=street, name="默认社区")
    estate = Estate.objects.create(community=community, name="默认小区")
    area = GridArea.objects.create(community=community, name="默认网格")

    with demo.TableWriter(Household, ["estate_id", "grid_area_id", "building", "room"], ids=True) as writer:
        pk = writer.add(estate.pk, area.pk, "1", "101")

    household = Household.objects.get(pk=pk)
    assert (household.status, household.unit, household.note, household.moved_out_on) == ("active", "", "", None)
    assert household.created_at is not None


def test_the_id_issuer_never_repeats_a_number_and_skips_those_taken():
    born = demo.BIRTH_REFERENCE.replace(year=1980)
    taken = demo.IdNumbers().issue("330106", born, "F")
    issuer = demo.IdNumbers(taken=[taken])

    numbers = [issuer.issue("330106", born, "F") for _ in range(demo.IdNumbers.SERIALS - 1)]

    assert taken not in numbers
    assert len(set(numbers)) == len(numbers)
    for number in numbers:
        validate_id_number(number)
        assert int(number[16]) % 2 == 0
    with pytest.raises(demo.DemoError):
        issuer.issue("330106", born, "F")


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="SQLite checks foreign keys at the commit; nothing is switched off"
)
def test_foreign_keys_not_checked_row_by_row_are_checked_for_the_new_rows(db):
    checks = demo.ForeignKeyChecks.start()
    if not checks.keys:
        pytest.skip("the database role may not switch off the per-row checks, so they stay on")
    street = Street.objects.create(name="核对街道")
    checks.validate()

    with demo.TableWriter(Community, ["street_id", "name"]) as writer:
        writer.add(street.pk, "有街道的社区")
        writer.add(street.pk + 1000, "没有街道的社区")

    with pytest.raises(demo.DemoError, match="households_community"):
        checks.validate()


def _index_definitions() -> dict[str, tuple[str, bool]]:
    """Each deferred index: its definition up to a condition, and whether it has one (PostgreSQL spells a
    re-created condition's casts differently)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND indexname = ANY(%s)",
            [list(demo.DEFERRED_INDEXES)],
        )
        return {name: (sql.split(" WHERE ")[0], " WHERE " in sql) for name, sql in cursor.fetchall()}


@pytest.mark.skipif(connection.vendor != "postgresql", reason="only PostgreSQL builds drop and rebuild indexes")
def test_the_indexes_dropped_for_the_build_are_there_again_as_they_were(db, settings):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    before = _index_definitions()

    demo.build_demo(households=40, years=1)

    assert {"visit_date_created_idx", "visit_estate_idx", "resident_name_idx"} <= set(before)
    assert _index_definitions() == before
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN SELECT id FROM visits_visit ORDER BY visited_on DESC, created_at DESC, id DESC LIMIT 5")
        plan = " ".join(row[0] for row in cursor.fetchall())
    assert "visit_date_created_idx" in plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="only PostgreSQL builds drop and rebuild indexes")
def test_a_build_that_fails_leaves_the_indexes_in_place(db, settings, monkeypatch):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    before = _index_definitions()

    def broken(demo_, rng):
        raise demo.DemoError("坏了")

    with pytest.raises(demo.DemoError):
        demo.build_demo(households=40, years=1, steps=[*demo.STEPS[:3], broken])

    assert _index_definitions() == before
    assert not Visit.objects.exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="only PostgreSQL builds drop and rebuild indexes")
def test_a_duplicate_id_number_fails_the_build_when_its_index_is_built_again(db, settings, monkeypatch):
    settings.PASSWORD_HASHERS = FAST_HASHERS
    before = _index_definitions()
    monkeypatch.setattr(demo.IdNumbers, "issue", lambda self, *args: "330106198001010011")

    with pytest.raises(demo.DemoError, match="resident_unique_id_number"):
        demo.build_demo(households=40, years=1, steps=demo.STEPS[:3])

    assert _index_definitions() == before
    assert not Resident.objects.exists()
