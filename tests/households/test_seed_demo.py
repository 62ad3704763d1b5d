"""`manage.py seed_demo`: the fictional demo street, its users, and the command's safety rails."""

from __future__ import annotations

import random
from collections import Counter
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import transaction
from django.shortcuts import resolve_url
from django.test import Client, override_settings

from households import demo
from households.models import (
    Community,
    Enterprise,
    Estate,
    GridArea,
    Household,
    PairedVillage,
    PropertyCompany,
    Resident,
    Street,
)
from wenxin.models import User
from wenxin.roles import Role, group_name
from wenxin.validators import birth_date_from_id, gender_from_id, validate_id_number

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def debug_on(settings):
    """The command's development setting; pytest-django runs tests with DEBUG off, like production."""
    settings.DEBUG = True


def seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, **options)
    return out.getvalue()


@pytest.fixture(scope="class")
def demo_street(django_db_setup, django_db_blocker):
    """The demo street with 120 households, built once for the class and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        with override_settings(DEBUG=True, PASSWORD_HASHERS=FAST_HASHERS):
            output = seed(households=120)
        yield output
        transaction.set_rollback(True)


@pytest.mark.usefixtures("demo_street")
class TestTheDemoStreet:
    def test_it_has_twelve_communities_and_two_cooperatives(self, db):
        street = Street.objects.get(name="文新街道")
        assert (street.district, street.city) == ("西湖区", "杭州市")
        kinds = Counter(Community.objects.filter(street=street).values_list("kind", flat=True))
        assert kinds == {Community.Kind.COMMUNITY: 12, Community.Kind.COOPERATIVE: 2}

    def test_every_estate_has_an_owners_committee_and_a_property_company(self, db):
        estates = Estate.objects.prefetch_related("owners_committees")
        assert estates.count() == 60
        assert all(estate.owners_committees.count() == 1 for estate in estates)
        assert not estates.filter(property_company=None).exists()
        assert PropertyCompany.objects.count() == 20

    def test_it_has_enterprises_paired_villages_and_the_social_affairs_section(self, db):
        assert Enterprise.objects.filter(is_active=True).count() >= 44
        assert not Enterprise.objects.filter(community=None).exists()
        assert PairedVillage.objects.count() == 5
        assert all(
            location.startswith(("杭州市淳安县", "杭州市建德市"))
            for location in PairedVillage.objects.values_list("location", flat=True)
        )
        street = Street.objects.get()
        assert street.departments.get(is_social_affairs=True).name == "社会事务科"

    def test_every_grid_area_has_a_social_worker_and_every_community_a_leader(self, db):
        assert 90 <= GridArea.objects.count() <= 110
        assert not GridArea.objects.filter(workers=None).exists()
        assert not GridArea.objects.exclude(workers__role=Role.SOCIAL_WORKER).exists()
        assert all(
            worker.community_id == area.community_id
            for area in GridArea.objects.prefetch_related("workers")
            for worker in area.workers.all()
        )
        led = set(User.objects.filter(role=Role.COMMUNITY_LEADER).values_list("community", flat=True))
        assert led == set(Community.objects.values_list("pk", flat=True))
        assert User.objects.filter(full_name="").count() == 0

    def test_every_household_has_one_head_and_its_estate_and_grid_area_share_a_community(self, db):
        households = Household.objects.select_related("estate", "grid_area").prefetch_related("residents")
        assert households.count() == 120
        for household in households:
            relations = [resident.relation for resident in household.residents.all()]
            assert 1 <= len(relations) <= 5
            assert relations.count(Resident.Relation.HEAD) == 1
            assert household.estate.community_id == household.grid_area.community_id
            assert 1 <= int(household.building) <= 30
            assert household.unit in ("", "1", "2", "3")
        # Every grid area gets at least one household when there are enough to go round.
        assert set(households.values_list("grid_area", flat=True)) == set(GridArea.objects.values_list("pk", flat=True))

    def test_every_id_number_is_valid_and_agrees_with_gender_and_birth_date(self, db):
        residents = list(Resident.objects.all())
        numbers = [resident.id_number for resident in residents]
        assert len(set(numbers)) == len(numbers)
        for resident in residents:
            validate_id_number(resident.id_number)
            assert gender_from_id(resident.id_number) == resident.gender
            assert birth_date_from_id(resident.id_number) == resident.birth_date

    @pytest.mark.parametrize(
        ("username", "role"),
        [
            ("admin", Role.SYSTEM_ADMIN),
            ("leader", Role.STREET_LEADER),
            ("deputy", Role.LEADER_IN_CHARGE),
            ("cadre", Role.CADRE),
            ("chief", Role.SECTION_CHIEF),
            ("staff", Role.DEPARTMENT_STAFF),
            ("community", Role.COMMUNITY_LEADER),
            ("worker", Role.SOCIAL_WORKER),
            ("worker2", Role.SOCIAL_WORKER),
        ],
    )
    def test_the_demo_users_have_their_roles_and_log_in_with_the_demo_password(self, db, username, role):
        user = User.objects.get(username=username)
        assert user.role == role
        assert user.full_name
        assert list(user.groups.values_list("name", flat=True)) == [group_name(role)]
        assert user.is_staff == user.uses_admin_site
        # Through the login form: the lockout backend (django-axes) needs the request Client.login() does not pass.
        response = Client().post(
            resolve_url(settings.LOGIN_URL), {"username": username, "password": settings.DEMO_PASSWORD}
        )
        assert response.status_code == 302
        assert response.url == resolve_url(settings.LOGIN_REDIRECT_URL)

    def test_the_demo_users_are_placed_where_their_role_needs_them(self, db):
        users = {user.username: user for user in User.objects.select_related("department", "community")}
        assert users["admin"].is_superuser
        assert not any(user.is_superuser for name, user in users.items() if name != "admin")
        assert set(users["deputy"].overseen_departments.values_list("name", flat=True)) == {"城管科", "社会事务科"}
        assert users["chief"].department.is_social_affairs
        assert users["staff"].department.name == "城管科"
        first_community = Community.objects.get(name="德加社区")
        assert users["community"].community == first_community
        assert users["worker"].community == first_community

    def test_worker_sees_only_her_grid_areas_households(self, db):
        worker = User.objects.get(username="worker")
        areas = list(worker.grid_areas.all())
        assert 1 <= len(areas) <= 2
        assert all(area.community_id == worker.community_id for area in areas)
        visible = set(Household.objects.visible_to(worker).values_list("pk", flat=True))
        assert visible
        assert visible == set(Household.objects.filter(grid_area__in=areas).values_list("pk", flat=True))
        assert len(visible) < Household.objects.count()

    def test_worker2_works_in_another_community(self, db):
        worker, worker2 = User.objects.get(username="worker"), User.objects.get(username="worker2")
        assert worker2.community_id != worker.community_id
        assert worker2.grid_areas.exists()
        mine = set(Household.objects.visible_to(worker).values_list("pk", flat=True))
        theirs = set(Household.objects.visible_to(worker2).values_list("pk", flat=True))
        assert theirs
        assert not mine & theirs

    def test_it_reports_what_it_made_and_the_demo_users(self, demo_street):
        assert "已生成演示街道“文新街道”" in demo_street
        assert settings.DEMO_PASSWORD in demo_street
        for username in ("admin", "leader", "deputy", "cadre", "chief", "staff", "community", "worker", "worker2"):
            assert f"  {username} " in demo_street


def test_running_it_twice_does_not_duplicate(db, debug_on):
    seed(households=5)
    counts = (Street.objects.count(), Household.objects.count(), User.objects.count())

    output = seed(households=5)

    assert "已存在" in output
    assert (Street.objects.count(), Household.objects.count(), User.objects.count()) == counts


def test_it_refuses_when_debug_is_off(db, settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="--force"):
        seed(households=5)

    assert not Street.objects.exists()
    assert not User.objects.exists()


def test_it_runs_with_force_when_debug_is_off(db, settings):
    settings.DEBUG = False

    seed(households=5, force=True)

    assert Household.objects.count() == 5
    assert User.objects.filter(username="worker").exists()


def test_it_writes_nothing_when_asked_for_more_households_than_the_estates_hold(db, debug_on):
    with pytest.raises(CommandError, match="最多容纳"):
        seed(households=10_000_000)

    assert not Street.objects.exists()
    assert not User.objects.exists()


def test_it_refuses_to_take_over_existing_usernames(db, debug_on):
    User.objects.create_user(username="admin", password="x")

    with pytest.raises(CommandError, match="admin"):
        seed(households=5)

    assert not Street.objects.exists()


def make_households(seed_value: int, count: int) -> list[tuple]:
    """`count` households generated in memory, without the database, as comparable tuples."""
    rng = random.Random(seed_value)
    community = Community(name="德加社区")
    estate, area = Estate(community=community, name="香港城"), GridArea(community=community, name="德加第1网格")
    state = demo.Demo(seed=seed_value, households=count, today=demo.BIRTH_REFERENCE)
    made = []
    for number in range(count):
        household, residents, categories = demo._make_household(
            rng, state, estate, area, "1", "1", str(number), demo.IdNumbers()
        )
        made.append(
            (
                household.status,
                tuple(categories),
                tuple((r.name, r.relation, r.id_number, r.gender, r.disability, r.disability_grade) for r in residents),
            )
        )
    return made


def test_the_same_seed_gives_the_same_households():
    assert make_households(7, 50) == make_households(7, 50)
    assert make_households(7, 50) != make_households(8, 50)


def test_categories_and_moves_come_in_realistic_shares():
    households = make_households(demo.DEFAULT_SEED, 4000)
    share = Counter(name for _status, categories, _residents in households for name in categories)
    moved_out = sum(status == Household.Status.MOVED_OUT for status, _categories, _residents in households)

    def percent(number: int) -> float:
        return 100 * number / len(households)

    assert 2 <= percent(share["低保户"]) <= 4.5
    assert 0.4 <= percent(share["重点优抚对象"]) <= 2
    assert 1 <= percent(share["困难残疾人家庭"]) <= 3.5
    assert 4.5 <= percent(share["独居老人"]) <= 8
    assert 12 <= percent(share["企退人员"]) <= 18
    assert 1 <= percent(moved_out) <= 3.5
    # A family in hardship because of a disability has a disabled member with a grade.
    for _status, categories, residents in households:
        if "困难残疾人家庭" in categories:
            assert any(disability and grade for *_rest, disability, grade in residents)
