"""Personas and places shared by every test.

A street with two communities. Community A has two grid areas: area A (worker_a) and area A2 (worker_a2);
community B has area B (worker_b). Each persona is a logged-in-able user of one role; `client_for(user)`
returns a test client logged in as that user.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from households.models import Community, Estate, GridArea, Street
from tests.factories import (
    CommunityFactory,
    DepartmentFactory,
    EstateFactory,
    GridAreaFactory,
    StreetFactory,
    UserFactory,
)
from wenxin.models import Department, User
from wenxin.roles import Role


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Real hashers cost a tenth of a second per user; tests create hundreds."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _background_jobs_run_at_once(settings):
    """Background jobs run inside the request, so no test needs a worker (tests/wenxin/test_jobs.py tests one)."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@dataclass
class Places:
    street: Street
    other_street: Street
    community_a: Community
    community_b: Community
    estate_a: Estate
    estate_b: Estate
    area_a: GridArea
    area_a2: GridArea
    area_b: GridArea
    department: Department
    social_affairs: Department


@pytest.fixture
def places(db) -> Places:
    street = StreetFactory(name="文新街道")
    other_street = StreetFactory(name="翠苑街道")
    community_a = CommunityFactory(street=street, name="德加社区")
    community_b = CommunityFactory(street=street, name="益乐社区")
    return Places(
        street=street,
        other_street=other_street,
        community_a=community_a,
        community_b=community_b,
        estate_a=EstateFactory(community=community_a, name="香港城"),
        estate_b=EstateFactory(community=community_b, name="益乐新村"),
        area_a=GridAreaFactory(community=community_a, name="德加第1网格"),
        area_a2=GridAreaFactory(community=community_a, name="德加第2网格"),
        area_b=GridAreaFactory(community=community_b, name="益乐第1网格"),
        department=DepartmentFactory(street=street, name="城管科"),
        social_affairs=DepartmentFactory(street=street, name="社会事务科", is_social_affairs=True),
    )


@pytest.fixture
def worker_a(places) -> User:
    user = UserFactory(
        username="worker_a",
        full_name="张丽",
        role=Role.SOCIAL_WORKER,
        street=places.street,
        community=places.community_a,
    )
    places.area_a.workers.add(user)
    return user


@pytest.fixture
def worker_a2(places) -> User:
    user = UserFactory(
        username="worker_a2",
        full_name="陈静",
        role=Role.SOCIAL_WORKER,
        street=places.street,
        community=places.community_a,
    )
    places.area_a2.workers.add(user)
    return user


@pytest.fixture
def worker_b(places) -> User:
    user = UserFactory(
        username="worker_b",
        full_name="王芳",
        role=Role.SOCIAL_WORKER,
        street=places.street,
        community=places.community_b,
    )
    places.area_b.workers.add(user)
    return user


@pytest.fixture
def community_leader(places) -> User:
    return UserFactory(
        username="community_a_leader",
        full_name="李书记",
        role=Role.COMMUNITY_LEADER,
        street=places.street,
        community=places.community_a,
        is_staff=True,
    )


@pytest.fixture
def staff(places) -> User:
    return UserFactory(
        username="staff",
        full_name="赵科员",
        role=Role.DEPARTMENT_STAFF,
        street=places.street,
        department=places.department,
    )


@pytest.fixture
def social_affairs_staff(places) -> User:
    return UserFactory(
        username="sa_staff",
        full_name="孙科员",
        role=Role.DEPARTMENT_STAFF,
        street=places.street,
        department=places.social_affairs,
    )


@pytest.fixture
def chief(places) -> User:
    return UserFactory(
        username="chief",
        full_name="周科长",
        role=Role.SECTION_CHIEF,
        street=places.street,
        department=places.department,
        is_staff=True,
    )


@pytest.fixture
def deputy(places) -> User:
    user = UserFactory(
        username="deputy", full_name="吴副主任", role=Role.LEADER_IN_CHARGE, street=places.street, is_staff=True
    )
    user.overseen_departments.add(places.department)
    return user


@pytest.fixture
def cadre(places) -> User:
    return UserFactory(username="cadre", full_name="郑部长", role=Role.CADRE, street=places.street, is_staff=True)


@pytest.fixture
def leader(places) -> User:
    return UserFactory(
        username="leader", full_name="钱书记", role=Role.STREET_LEADER, street=places.street, is_staff=True
    )


@pytest.fixture
def other_street_leader(places) -> User:
    return UserFactory(
        username="other_leader", full_name="冯书记", role=Role.STREET_LEADER, street=places.other_street, is_staff=True
    )


@pytest.fixture
def system_admin(places) -> User:
    return UserFactory(username="sysadmin", full_name="管理员", role=Role.SYSTEM_ADMIN, street=None, is_staff=True)


@pytest.fixture
def client_for():
    """A test client logged in as the given user."""

    def make(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
