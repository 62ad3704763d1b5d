"""The 20th: whether each member of department staff recorded a visit on each month's visit-service day."""

from __future__ import annotations

import datetime
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.factories import ServiceDayMoveFactory, UserFactory, VisitFactory
from visits.models import ServiceDayRule, Visit
from wenxin.roles import Role

TODAY = datetime.date(2026, 11, 10)  # the six months are June to November; November's 20th is still to come
MONTHS = ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"]


@pytest.fixture(autouse=True)
def today(monkeypatch):
    real = timezone.localdate

    def localdate(value=None, timezone=None):
        return TODAY if value is None else real(value, timezone)

    monkeypatch.setattr("django.utils.timezone.localdate", localdate)
    return TODAY


def visit_on(person, places, day):
    return VisitFactory(
        visitor=person,
        household=None,
        kind=Visit.Kind.ESTATE,
        estate=places.estate_a,
        street=places.street,
        community=places.community_a,
        visited_on=day,
    )


@pytest.fixture
def diary(places, staff, chief, social_affairs_staff):
    """September's day is moved to the 18th; staff kept August and October, the chief kept September."""
    ServiceDayMoveFactory(street=places.street, month=datetime.date(2026, 9, 1), moved_to=datetime.date(2026, 9, 18))
    visit_on(staff, places, datetime.date(2026, 8, 20))
    visit_on(staff, places, datetime.date(2026, 9, 20))  # the usual day, but September's was the 18th
    visit_on(staff, places, datetime.date(2026, 10, 20))
    visit_on(staff, places, datetime.date(2026, 7, 21))  # the day after: not kept
    visit_on(chief, places, datetime.date(2026, 9, 18))
    visit_on(social_affairs_staff, places, datetime.date(2026, 10, 20))


def page(client):
    return client.get(reverse("visits:service_day"))


def kept(response) -> dict[str, list[bool | None]]:
    return {row.person.username: [cell.kept for cell in cells] for row, cells in response.context["table"]}


class TestAccess:
    def test_a_chief_sees_his_department(self, chief, diary, client_for):
        response = page(client_for(chief))
        assert response.status_code == 200
        assert set(kept(response)) == {"staff", "chief"}
        assert "孙科员" not in response.content.decode()

    def test_a_leader_in_charge_sees_the_departments_he_oversees(self, deputy, diary, client_for):
        assert set(kept(page(client_for(deputy)))) == {"staff", "chief"}

    def test_the_street_leader_and_an_administrator_see_everyone(self, leader, system_admin, diary, client_for):
        assert set(kept(page(client_for(leader)))) == {"staff", "chief", "sa_staff"}
        assert set(kept(page(client_for(system_admin)))) == {"staff", "chief", "sa_staff"}

    def test_another_streets_leader_sees_none_of_ours(self, other_street_leader, diary, client_for):
        response = page(client_for(other_street_leader))
        assert response.status_code == 200
        assert response.context["table"] == []
        assert "赵科员" not in response.content.decode()

    @pytest.mark.parametrize("persona", ["worker_a", "staff", "community_leader", "cadre"])
    def test_people_who_do_not_review_service_days_are_refused(self, persona, request, client_for):
        assert page(client_for(request.getfixturevalue(persona))).status_code == 403

    def test_anonymous_is_sent_to_log_in(self, client, places):
        response = page(client)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


class TestServiceDay:
    def test_kept_missed_and_not_yet_due_per_month(self, chief, diary, client_for):
        response = page(client_for(chief))
        assert kept(response) == {
            "staff": [False, False, True, False, True, None],
            "chief": [False, False, False, True, False, None],
        }
        counts = {row.person.username: (row.kept_count, row.due_count) for row, _cells in response.context["table"]}
        assert counts == {"staff": (2, 5), "chief": (1, 5)}
        assert (response.context["kept_total"], response.context["due_total"]) == (3, 10)

    def test_the_page_marks_each_cell_and_counts(self, chief, staff, diary, client_for):
        html = page(client_for(chief)).content.decode()
        row = re.search(rf'<tr data-person="{staff.pk}">(.*?)</tr>', html, re.S).group(1)
        assert re.findall(r'data-kept="(\w+)"', row) == ["no", "no", "yes", "no", "yes", "due"]
        assert "✓" in row and "✗" in row and "–" in row
        assert "2 / 5" in row

    def test_each_column_shows_its_service_day_and_a_moved_one_says_so(self, chief, diary, client_for):
        response = page(client_for(chief))
        columns = response.context["columns"]
        assert [f"{column.month:%Y-%m}" for column in columns] == MONTHS
        assert [column.day.day for column in columns] == [20, 20, 20, 18, 20, 20]
        assert [column.moved for column in columns] == [False, False, False, True, False, False]
        html = response.content.decode()
        assert 'data-day="2026-09-18"' in html
        assert "9/18 （调整）" in html

    def test_the_office_may_change_the_usual_day(self, chief, staff, places, client_for):
        ServiceDayRule.objects.create(street=places.street, day_of_month=15)
        visit_on(staff, places, datetime.date(2026, 10, 15))
        response = page(client_for(chief))
        assert [column.day.day for column in response.context["columns"]] == [15] * 6
        assert kept(response)["staff"][4] is True

    def test_a_kept_day_links_to_the_diary_of_its_month(self, chief, staff, diary, client_for):
        html = page(client_for(chief)).content.decode()
        assert f"{reverse('visits:diary')}?author={staff.pk}&amp;month=2026-08" in html
        assert f"{reverse('visits:diary')}?author={staff.pk}&amp;month=2026-10" in html
        assert f"{reverse('visits:diary')}?author={staff.pk}&amp;month=2026-09" not in html  # missed: no link

    def test_it_does_not_grow_with_staff_or_visits(self, leader, places, client_for, django_assert_max_num_queries):
        client = client_for(leader)

        def add(people):
            for _ in range(people):
                person = UserFactory(role=Role.DEPARTMENT_STAFF, street=places.street, department=places.department)
                for month in range(6, 11):
                    visit_on(person, places, datetime.date(2026, month, 20))
                    visit_on(person, places, datetime.date(2026, month, 3))

        add(3)  # 30 visits
        with django_assert_max_num_queries(8) as small:
            assert len(page(client).context["table"]) == 3
        add(9)  # 120 visits
        with django_assert_max_num_queries(len(small.captured_queries)):
            response = page(client)
        assert len(response.context["table"]) == 12
        assert response.context["kept_total"] == 60
